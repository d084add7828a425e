//! Online classes (云课堂 / 线上党课): scheduled for org subtrees (and maybe a campaign), attended
//! by heartbeat inside their window with `study`'s crediting rule, counted for the streak once
//! a member's credited time reaches the class's threshold; admins see attendance and the peak
//! number attending at once. `peak.rs` is the pure part.
pub mod dto;
pub mod endpoints;
pub mod peak;
pub mod service;
