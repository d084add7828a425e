//! The middleware just inside the root span ([`super::span`]). For every request it:
//! - refuses control characters in the path, query string and headers (see [`super::text`]);
//! - logs internal errors with their cause chain (the body stays generic);
//! - re-renders error bodies in English when `Accept-Language` prefers it, and turns actix's
//!   bare 404/405 answers into the contract's JSON;
//! - returns the request's id as `x-request-id`.
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use super::span::{REQUEST_ID, RequestTag};
use crate::error::{ApiError, Lang};

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let request_id = req.extensions().get::<RequestTag>().map(|t| t.0.clone());

    let unclean = super::text::first_unclean_request(req.path(), req.query_string(), req.headers());
    // Handlers and extractors answer errors as responses; an `Err` here is rare and is passed
    // on as is (the request cannot be cloned before routing to build a response from it).
    let mut res = match unclean {
        Some(field) => req.into_response(super::text::refuse(&field).render(lang)),
        None => next.call(req).await?.map_into_boxed_body(),
    };

    let api_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let replacement = match api_error {
        Some(err @ (ApiError::Internal(_) | ApiError::Database(_) | ApiError::DatabaseDown(_))) => {
            tracing::error!(error = %cause_chain(err), "request failed");
            (lang == Lang::En).then(|| err.render(lang))
        }
        Some(err) => (lang == Lang::En).then(|| err.render(lang)),
        // actix's own answers for unknown paths and methods carry no body.
        None if res.status() == StatusCode::NOT_FOUND && !is_json(&res) => {
            Some(ApiError::NotFound.render(lang))
        }
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED && !is_json(&res) => {
            let allow = res
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok());
            Some(
                ApiError::MethodNotAllowed {
                    allow: allow.unwrap_or_default().to_owned(),
                }
                .render(lang),
            )
        }
        None => None,
    };
    if let Some(new) = replacement {
        res = res.into_response(new);
    }
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

fn is_json(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// "error: cause: cause's cause".
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
