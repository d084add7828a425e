//! Submissions (投稿): reflections, photo stories and video from any member; site proposals and
//! volunteer-service reports from volunteers. WeChat's content check on the way in; review by
//! the author's org admins, in two stages (初选 / 终选) where the campaign asks, a `version`
//! deciding races; the public feed with likes. `machine.rs` is the pure part: which decision may
//! follow which status.
pub mod dto;
pub mod endpoints;
pub mod machine;
pub mod service;
