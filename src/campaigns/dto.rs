use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::not_blank;

/// `POST /admin/campaigns`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewCampaign {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "百家网企 网心向党")]
    pub title: String,
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The orgs taking part, each with everything below it: 1 to 100, in the caller's scope.
    #[validate(length(min = 1, max = 100))]
    pub org_ids: Vec<i64>,
    #[validate(length(max = 50))]
    pub route_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignRoute {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Between `starts_at` and `ends_at` now.
    pub active: bool,
    pub org_ids: Vec<i64>,
    pub routes: Vec<CampaignRoute>,
}
