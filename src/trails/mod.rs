//! Routes (徒步路线): the API calls them routes; the code says trails, so that `trails::routes`
//! (the HTTP handlers, as in every capability) is not `routes::routes`.
pub mod dto;
pub mod routes;
pub mod service;
