//! Everything that crosses to WeChat goes through [`WechatClient`]: one place with the base URL,
//! the timeouts and the typed errors.
mod client;
mod dto;
pub mod moderation;

pub use client::{WechatClient, WechatError};
pub use dto::{PushMessage, Session, Suggest};
