//! Routes (徒步路线): ordered or unordered sets of sites to hike, with windows, progress and
//! completion (paid once).
pub mod dto;
pub mod endpoints;
pub mod service;
