//! Liveness, readiness and metrics for whoever runs the server.
pub mod dto;
pub mod endpoints;
pub mod service;
