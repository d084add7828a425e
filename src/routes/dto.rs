use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::not_blank;

/// `POST /admin/routes`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewRoute {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "番禺红色足迹线")]
    pub name: String,
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    /// The sites in walking order: 1 to 50, no repeats.
    #[validate(length(min = 1, max = 50))]
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
    pub site_id: i64,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Sites that count so far (for an ordered route, a prefix of the route).
    pub visited_site_ids: Vec<i64>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Route {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub ordered: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub sites: Vec<RouteStop>,
    /// The caller's progress.
    pub my_progress: Progress,
}
