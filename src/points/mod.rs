//! Points: one append-only ledger, paid through [`service::award`] only, inside the paying
//! feature's transaction. Rules (points per event, caps) are data; totals are kept as the ledger
//! is written, so nothing reads the ledger to answer a total.
pub mod dto;
pub mod endpoints;
pub mod service;
