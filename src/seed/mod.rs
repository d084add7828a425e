//! Sample data: `redtrail seed demo` (a small tree a newcomer can click through) and
//! `redtrail seed bench` (the scale benchmark's data set).
pub mod bench;
mod demo;

pub use demo::{COMMITTEE, SECRETARY, SECRETARY_PASSWORD, Seeded, demo};

/// Audit entries and rows written by a seed name actor 0: the system, not a person.
const SYSTEM: i64 = 0;
