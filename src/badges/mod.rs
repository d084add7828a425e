//! Badges (勋章): a catalogue of rules in code, evaluated when the event they watch happens
//! (a payout, a reading streak), each awarded at most once per member.
pub mod dto;
pub mod endpoints;
pub mod service;
