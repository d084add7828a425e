//! The audit log: every admin write appends who did what to which entity, when, with a
//! before/after summary, in the same transaction as the write.
pub mod dto;
pub mod endpoints;
pub mod service;
