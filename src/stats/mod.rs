//! Statistics for org admins: the overview of a subtree over local days (totals, a series by
//! day, a row per child org), 一企一档 (an org's record as entered beside the same figures
//! counted from data) and a campaign's report. Every figure is aggregated in SQL; `sql.rs` is
//! the pure part (the one query shape).
pub mod dto;
pub mod endpoints;
pub mod service;
pub mod sql;
