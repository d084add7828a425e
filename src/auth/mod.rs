//! Logging in (WeChat, dev, admin password), tokens, and who is calling.
pub mod dto;
mod extractor;
pub mod password;
pub mod routes;
pub mod scope;
pub mod service;
pub mod tokens;

pub use extractor::{Admin, Caller, PlatformAdmin};
