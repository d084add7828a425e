use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::not_blank;

/// `POST /admin/routes`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewRoute {
    /// The route's name; surrounding spaces are trimmed.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "番禺红色足迹线",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub name: String,
    /// Longer text about the route; null for none.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// The sites in walking order: 1 to 50, no repeats.
    #[validate(length(min = 1, max = 50, code = "items"))]
    #[schema(min_items = 1, max_items = 50)]
    pub site_ids: Vec<i64>,
    /// If true, a site counts only after the ones before it.
    pub ordered: bool,
    /// Check-ins count from here...
    pub starts_at: Option<DateTime<Utc>>,
    /// ...until here.
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteStop {
    /// 1 for the first site.
    pub position: i32,
    /// The site's id.
    pub site_id: i64,
    /// The site's name.
    pub name: String,
    /// GCJ-02 latitude of the site.
    pub lat: f64,
    /// GCJ-02 longitude of the site.
    pub lng: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Sites that count so far (for an ordered route, a prefix of the route).
    pub visited_site_ids: Vec<i64>,
    /// When the caller completed the route; null until they do.
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Route {
    /// Route id.
    pub id: i64,
    /// The route's name.
    pub name: String,
    /// Longer text about the route; null when none.
    pub description: Option<String>,
    /// If true, a site counts only after the ones before it.
    pub ordered: bool,
    /// Check-ins captured from this instant on count; null for no start.
    pub starts_at: Option<DateTime<Utc>>,
    /// Check-ins captured up to this instant count; null for no end.
    pub ends_at: Option<DateTime<Utc>>,
    /// The stops, in walking order.
    pub sites: Vec<RouteStop>,
    /// The caller's progress.
    pub my_progress: Progress,
}
