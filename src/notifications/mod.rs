//! The in-app inbox: a message to a member for every outcome that concerns them (a review of
//! their submission), written in the same transaction as the outcome; and WeChat subscribe
//! messages, one per credit the member granted, queued in a durable outbox in that same
//! transaction and sent apart from it. `template.rs` is the pure part: a template's fields as
//! WeChat's rules take them.
pub mod dto;
pub mod endpoints;
pub mod service;
pub mod template;
