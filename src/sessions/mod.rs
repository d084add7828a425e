//! Sessions: logging in (WeChat, dev, admin password), refreshing and logging out, and admin
//! accounts. Built on `auth` (tokens, passwords, roles), which knows nothing of members.
pub mod dto;
pub mod endpoints;
pub mod service;
