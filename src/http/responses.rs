//! The OpenAPI response sets and parameters that many operations share, for their
//! `#[utoipa::path(responses(…), params(…))]`: `responses(…, NeedsLogin)` and so on.
use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// An error response documented with the contract's body.
fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn error_responses(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| ((*status).to_owned(), error_response(description)))
        .collect()
}

/// What any operation with a JSON body may answer: `responses(..., JsonBodyErrors)`.
pub struct JsonBodyErrors;

impl IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        error_responses(&[
            ("400", "`bad_request`: the body is not well-formed JSON"),
            (
                "413",
                "`payload_too_large`: the body is larger than the configured limit",
            ),
            (
                "415",
                "`unsupported_media_type`: the body is not `application/json`",
            ),
            (
                "422",
                "`validation_failed`: `details.fields` maps each bad field to its messages",
            ),
        ])
    }
}

/// What any operation that needs a logged-in member may answer: `responses(..., NeedsLogin)`.
pub struct NeedsLogin;

impl IntoResponses for NeedsLogin {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        error_responses(&[(
            "401",
            "`auth.required`: no bearer token; `auth.invalid_token`: tampered, expired or of a deleted member",
        )])
    }
}

/// What any admin operation may answer: `responses(..., AdminOnly)`.
pub struct AdminOnly;

impl IntoResponses for AdminOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = NeedsLogin::responses();
        responses.extend(error_responses(&[
            (
                "403",
                "`forbidden`: the caller holds no role that could ever do this",
            ),
            (
                "422",
                "`validation_failed`: a query parameter or body field is invalid",
            ),
        ]));
        responses
    }
}

/// What a platform-only operation may answer: `responses(..., PlatformOnly)`.
pub struct PlatformOnly;

impl IntoResponses for PlatformOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = AdminOnly::responses();
        responses.extend(error_responses(&[(
            "403",
            "`forbidden`: the caller is not a platform admin; answered before the body is read",
        )]));
        responses
    }
}

/// What an admin operation on one entity may answer besides [`AdminOnly`].
pub struct InScope;

impl IntoResponses for InScope {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        error_responses(&[(
            "404",
            "`not_found`: no such entity, or it is outside the caller's scope (the two look alike)",
        )])
    }
}

/// The `Idempotency-Key` header, for `params(..., IdempotencyHeader)`.
pub struct IdempotencyHeader;

impl utoipa::IntoParams for IdempotencyHeader {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Printable ASCII (spaces allowed), at most 128 characters; anything else is 422. The same member and key within 24 h replay the \
                     first successful answer (with `Idempotent-Replayed: true`) and do nothing again; a \
                     failed attempt is not remembered; the same key with a different request is 422 \
                     `idempotency.key_reused`. The key, the work and the stored answer commit together: \
                     a duplicate sent while the first is still running waits for it and replays its \
                     answer (or, if the first failed, is processed afresh); it is never 409.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(128))
                        .pattern(Some("^[\t -~]*$")),
                ))
                .build(),
        ]
    }
}
