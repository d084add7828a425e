//! Study time and streaks: how heartbeats become counted seconds (one study clock per member,
//! so two items never count the same minute), the time payout, streak days, the calendar and
//! make-up cards. Articles and online classes build on it. `credit.rs` is the pure rule.
pub mod credit;
pub mod dto;
pub mod endpoints;
pub mod service;
