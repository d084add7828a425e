use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::{labels, not_blank};

/// `POST /admin/campaigns`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewCampaign {
    /// The campaign's title; surrounding spaces are trimmed.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "百家网企 网心向党",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub title: String,
    /// Longer text about the campaign; null for none.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// When the campaign begins (inclusive).
    pub starts_at: DateTime<Utc>,
    /// When the campaign ends (exclusive); must be after `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// The orgs taking part, each with everything below it: 1 to 100, in the caller's scope.
    #[validate(length(min = 1, max = 100, code = "items"))]
    #[schema(min_items = 1, max_items = 100)]
    pub org_ids: Vec<i64>,
    /// Existing routes the campaign bundles: 0 to 50; repeats are ignored.
    #[validate(length(max = 50, code = "items"))]
    #[schema(max_items = 50)]
    pub route_ids: Vec<i64>,
    /// Submission themes members file their posts under (我想对二十大说, 立岗建功, 志愿有我):
    /// 0 to 20 of 1–32 characters each; repeats are ignored.
    #[serde(default)]
    #[validate(length(max = 20, code = "items"), custom(function = "labels"))]
    #[schema(max_items = 20)]
    pub themes: Vec<String>,
    /// Submissions filed under the campaign pass two reviews (初选 / 终选): the author's org
    /// admin first, then an admin of an org above it (or a platform admin).
    #[serde(default)]
    pub two_stage_review: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignRoute {
    /// Route id.
    pub id: i64,
    /// The route's name.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    /// Campaign id.
    pub id: i64,
    /// The campaign's title.
    pub title: String,
    /// Longer text about the campaign; null when none.
    pub description: Option<String>,
    /// When the campaign begins (inclusive).
    pub starts_at: DateTime<Utc>,
    /// When the campaign ends (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Between `starts_at` and `ends_at` now.
    pub active: bool,
    /// The orgs taking part, each with everything below it, in id order.
    pub org_ids: Vec<i64>,
    /// The routes the campaign bundles, in id order.
    pub routes: Vec<CampaignRoute>,
    /// Submission themes, in the order given.
    pub themes: Vec<String>,
    /// Whether its submissions pass two reviews (初选 / 终选).
    pub two_stage_review: bool,
}
