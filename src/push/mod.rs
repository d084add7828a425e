//! WeChat's message push (消息推送) to this server: the handshake that proves the URL is ours,
//! and the verdicts of image checks (`wxa_media_check`), matched to media by trace id. A risky
//! image is hidden; what showed it reacts (a submission goes back to review, an avatar goes).
pub mod dto;
pub mod endpoints;
pub mod service;
