//! Exports of an admin's part of the tree as CSV or XLSX: members, check-ins, quiz and exam
//! results, reading, class attendance, submissions, the ledger, the overview and a campaign's
//! participants. Rows stream from a database cursor to the client (`http::export::stream`), so
//! a million rows take no more memory than ten; each export is audited with its row count.
pub mod dto;
pub mod endpoints;
pub mod service;
