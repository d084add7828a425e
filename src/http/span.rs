//! The per-request root span, from tracing-actix-web's `TracingLogger`: every log line of a
//! request carries its id, method, route and client address; when it ends, one line says how
//! it went and the metrics record it. The id is the caller's `x-request-id` when sane, else
//! the one the crate generated; [`super::observe`] returns it on the response.
use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use super::metrics::Metrics;
use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the span needs, registered as `web::Data<Observed>`.
pub struct Observed {
    pub metrics: std::sync::Arc<Metrics>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

/// The middleware: `.wrap(Tracing::new())`, outermost.
pub type Tracing = tracing_actix_web::TracingLogger<RequestSpan>;

pub struct RequestSpan;

/// The request's id, as its log lines and its `x-request-id` carry it.
#[derive(Debug, Clone)]
pub struct RequestTag(pub String);

/// The client's address as the span judged it (trusted proxies considered), for handlers
/// that limit by IP.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

struct Started(Instant);

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let request_id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_sane_request_id(v))
            .map(str::to_owned)
            .or_else(|| {
                req.extensions()
                    .get::<RequestId>()
                    .map(|id| id.simple().to_string())
            })
            .unwrap_or_default();
        let observed = req.app_data::<web::Data<Observed>>();
        let client_ip = client_ip(req, observed.map_or(&[], |o| &o.trusted_proxies));
        let route = req
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        {
            let mut extensions = req.extensions_mut();
            extensions.insert(RequestTag(request_id.clone()));
            extensions.insert(ClientIp(client_ip));
            extensions.insert(Started(Instant::now()));
        }
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %req.method(),
            route = %route,
            client_ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let res = match outcome {
            Ok(res) => res,
            Err(e) => {
                span.in_scope(|| tracing::error!(error = %e, "request failed without a response"));
                return;
            }
        };
        let req = res.request();
        let status = res.status().as_u16();
        let elapsed = req
            .extensions()
            .get::<Started>()
            .map_or(0.0, |s| s.0.elapsed().as_secs_f64());
        if let Some(observed) = req.app_data::<web::Data<Observed>>() {
            let route = req
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            observed
                .metrics
                .record(req.method().as_str(), &route, status, elapsed);
        }
        span.in_scope(|| {
            tracing::info!(status, latency_ms = elapsed * 1000.0, "request finished");
        });
    }
}

impl actix_web::FromRequest for ClientIp {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        // Without the span (a test app, a changed stack) the peer still counts: limits by IP
        // must not fail open.
        let ip = match req.extensions().get::<ClientIp>() {
            Some(judged) => judged.0,
            None => req.peer_addr().map(|a| a.ip()),
        };
        std::future::ready(Ok(ClientIp(ip)))
    }
}

/// Printable ASCII, at most 128 characters: anything else could forge log lines.
fn is_sane_request_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic())
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
