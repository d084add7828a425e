//! Logging in (WeChat, dev, admin password), tokens, and who is calling.
pub mod dto;
pub mod endpoints;
mod extractor;
pub mod password;
pub mod scope;
pub mod service;
pub mod tokens;

pub use extractor::{Admin, Caller, PlatformAdmin};
