use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validate::not_blank;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteCategory {
    /// 旧址
    FormerSite,
    /// 故居
    FormerResidence,
    /// 纪念馆
    MemorialHall,
    /// 烈士陵园
    MartyrsCemetery,
    Museum,
    Other,
}

impl SiteCategory {
    pub const ALL: [SiteCategory; 6] = [
        SiteCategory::FormerSite,
        SiteCategory::FormerResidence,
        SiteCategory::MemorialHall,
        SiteCategory::MartyrsCemetery,
        SiteCategory::Museum,
        SiteCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteCategory::FormerSite => "former_site",
            SiteCategory::FormerResidence => "former_residence",
            SiteCategory::MemorialHall => "memorial_hall",
            SiteCategory::MartyrsCemetery => "martyrs_cemetery",
            SiteCategory::Museum => "museum",
            SiteCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    Active,
    /// Not listed and not open for check-ins.
    Hidden,
}

pub const DEFAULT_RADIUS_M: i32 = 200;

/// A site as created or edited: `POST /admin/sites`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct NewSite {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "中共番禺县工委旧址")]
    pub name: String,
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    #[validate(length(max = 255))]
    pub address: Option<String>,
    #[validate(length(max = 64))]
    pub region: Option<String>,
    pub category: SiteCategory,
    /// GCJ-02 latitude.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(example = 22.9375)]
    pub lat: f64,
    /// GCJ-02 longitude.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(example = 113.3842)]
    pub lng: f64,
    /// Check-in radius in metres: 20 to 2,000; default 200.
    #[validate(range(min = 20, max = 2000))]
    pub radius_m: Option<i32>,
    #[validate(length(max = 255))]
    pub opening_hours: Option<String>,
    pub cover_media_id: Option<i64>,
    /// Default `active`.
    pub status: Option<SiteStatus>,
}

/// PATCH: absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateSite {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    pub name: Option<String>,
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    #[validate(length(max = 255))]
    pub address: Option<String>,
    #[validate(length(max = 64))]
    pub region: Option<String>,
    pub category: Option<SiteCategory>,
    #[validate(range(min = -90.0, max = 90.0))]
    pub lat: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    pub lng: Option<f64>,
    #[validate(range(min = 20, max = 2000))]
    pub radius_m: Option<i32>,
    #[validate(length(max = 255))]
    pub opening_hours: Option<String>,
    pub cover_media_id: Option<i64>,
    pub status: Option<SiteStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub category: SiteCategory,
    pub lat: f64,
    pub lng: f64,
    pub radius_m: i32,
    pub opening_hours: Option<String>,
    pub cover_media_id: Option<i64>,
    pub status: SiteStatus,
    /// Metres from the `lat`/`lng` asked about; only in nearby searches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /sites`: with `lat` and `lng`, the sites within `within_m`, nearest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteSearch {
    /// GCJ-02 latitude of the caller (with `lng`).
    pub lat: Option<f64>,
    /// GCJ-02 longitude of the caller (with `lat`).
    pub lng: Option<f64>,
    /// Search radius in metres: default 5,000, at most 50,000.
    pub within_m: Option<f64>,
    /// Part of the name or address.
    pub q: Option<String>,
    pub category: Option<SiteCategory>,
}

/// One row of a sites CSV: `name,category,lat,lng[,radius_m,address,region,description,opening_hours]`.
#[derive(Debug, Deserialize)]
pub struct SiteRow {
    pub name: String,
    pub category: String,
    pub lat: f64,
    pub lng: f64,
    pub radius_m: Option<i32>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub description: Option<String>,
    pub opening_hours: Option<String>,
}

/// What an import created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// How many sites were created: every row of the file.
    pub created: usize,
}
