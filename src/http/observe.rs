//! The outermost middleware. For every request it:
//! - takes `x-request-id` from the request (if sane) or makes one, and returns it;
//! - runs the request inside a span carrying that id, so every log line of it has the id;
//! - logs one line when it finishes and records the metrics;
//! - logs internal errors with their cause chain (the body stays generic);
//! - re-renders error bodies in English when `Accept-Language` prefers it, and turns actix's
//!   bare 404/405 answers into the contract's JSON.
use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use super::metrics::Metrics;
use crate::error::{ApiError, Lang};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the middleware needs, registered as `web::Data<Observed>`.
pub struct Observed {
    pub metrics: std::sync::Arc<Metrics>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<Observed>>().cloned();
    let client_ip = client_ip(&req, state.as_ref().map_or(&[], |s| &s.trusted_proxies));
    req.extensions_mut().insert(ClientIp(client_ip));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
        client_ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
    );

    let unclean = super::text::first_unclean_request(req.path(), req.query_string(), req.headers());
    // Handlers and extractors answer errors as responses; an `Err` here is rare and is passed
    // on as is (the request cannot be cloned before routing to build a response from it).
    let mut res = match unclean {
        Some(field) => req.into_response(super::text::refuse(&field).render(lang)),
        None => next
            .call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body(),
    };

    let api_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let replacement = match api_error {
        Some(err @ (ApiError::Internal(_) | ApiError::Database(_))) => {
            span.in_scope(|| tracing::error!(error = %cause_chain(err), "request failed"));
            (lang == Lang::En).then(|| err.render(lang))
        }
        Some(err) => (lang == Lang::En).then(|| err.render(lang)),
        // actix's own answers for unknown paths and methods carry no body.
        None if res.status() == StatusCode::NOT_FOUND && !is_json(&res) => {
            Some(ApiError::NotFound.render(lang))
        }
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED && !is_json(&res) => {
            Some(ApiError::MethodNotAllowed.render(lang))
        }
        None => None,
    };
    if let Some(new) = replacement {
        res = res.into_response(new);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }

    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state
            .metrics
            .record(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    Ok(res)
}

/// The client's address as [`observe`] judged it (trusted proxies considered), for handlers
/// that limit by IP.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl actix_web::FromRequest for ClientIp {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let ip = req.extensions().get::<ClientIp>().and_then(|c| c.0);
        std::future::ready(Ok(ClientIp(ip)))
    }
}

fn is_json(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Printable ASCII, at most 128 characters: anything else could forge log lines.
fn is_sane_request_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic())
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

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
fn client_ip(req: &ServiceRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_must_be_short_printable_ascii() {
        assert!(is_sane_request_id("abc-123"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("line\nbreak"));
        assert!(!is_sane_request_id(&"x".repeat(129)));
    }

    #[test]
    fn client_ip_believes_forwarded_for_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = actix_web::test::TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 10.0.0.1"))
            .to_srv_request();
        assert_eq!(client_ip(&req, &[proxy]), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(client_ip(&req, &[]), Some(proxy));
    }
}
