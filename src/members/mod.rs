//! Members as they see themselves: `/me`, and the `member` shape every login returns.
pub mod dto;
pub mod endpoints;
pub mod service;
