//! The OpenAPI document. Paths and schemas come from route registration (utoipa-actix-web), so
//! the spec cannot drift from the routes; this file adds only what registration cannot know.
use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "redtrail API",
        description = "Backend of the redtrail WeChat mini-program: hikes to revolutionary heritage sites \
                       with verified check-ins (线下徒步 线上打卡), study, points and reviews.\n\n\
                       Errors are `{code, message, details}`; `message` is Chinese unless \
                       `Accept-Language` prefers English. Every response carries `x-request-id`."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Logging in and tokens"),
        (name = "me", description = "The calling member"),
        (name = "orgs", description = "Joining and leaving an organisation"),
        (name = "sites", description = "Red sites and the nearby search"),
        (name = "routes", description = "Hiking routes (徒步路线) and my progress along them"),
        (name = "campaigns", description = "Campaigns (主题活动) my org takes part in"),
        (name = "checkins", description = "Verified check-ins at sites (线下徒步 线上打卡)"),
        (name = "points", description = "The points ledger: totals, today's payouts and caps"),
        (name = "admin", description = "Organisation admins and platform admins, scoped by the org tree"),
        (name = "ops", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The base document that route registration fills in.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The full document, as `/api-docs/openapi.json` serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::api::configure)
        .split_for_parts();
    api
}

/// What `redtrail openapi` prints and `openapi/openapi.json` holds.
pub fn spec_json() -> anyhow::Result<String> {
    Ok(spec().to_pretty_json()? + "\n")
}
