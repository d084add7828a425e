//! Everything that crosses to WeChat goes through [`WechatClient`]: one place with the base URL,
//! the timeouts and the typed errors.
mod client;
mod dto;

pub use client::{WechatClient, WechatError};
pub use dto::{Session, Suggest};
