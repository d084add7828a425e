//! The in-app inbox: a message to a member for every outcome that concerns them (a review of
//! their submission), written in the same transaction as the outcome.
pub mod dto;
pub mod endpoints;
pub mod service;
