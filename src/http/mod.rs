//! HTTP concerns shared by every capability: the JSON extractor, custom validators, metrics and
//! the middleware that gives every request an id, a log line and a localized error body.
pub mod export;
pub mod gate;
pub mod idempotency;
mod json;
pub mod metrics;
mod observe;
pub mod paging;
pub mod responses;
mod routing;
mod span;
pub mod text;
pub mod upload;
pub mod validate;

/// What a handler answering `200` with a JSON body returns.
pub type Reply<T> = Result<actix_web::web::Json<T>, crate::error::ApiError>;

pub use json::{JsonLimit, ValidJson, read_body};
pub use observe::observe;
pub use routing::KnownPaths;
pub use span::{ClientIp, Observed, RequestTag, Tracing};
