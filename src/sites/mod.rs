//! Red sites (红色革命遗址): public places every org shares, managed by platform admins.
pub mod dto;
pub mod endpoints;
pub mod service;
