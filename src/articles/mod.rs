//! Articles (学习文章) and series: sanitized rich text, scheduled publishing, the reading
//! heartbeat that completes an article and counts the day, and study figures for admins.
//! `html.rs` is the pure part (sanitizing, reading length). Counting time is `study`'s.
pub mod dto;
pub mod endpoints;
pub mod html;
pub mod service;
