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
    /// The site's name; surrounding spaces are trimmed.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "中共番禺县工委旧址",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub name: String,
    /// Longer text about the site; null for none.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Street address; null for none.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub address: Option<String>,
    /// Administrative region, e.g. 广州市番禺区; null for none.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub region: Option<String>,
    /// What kind of site it is.
    pub category: SiteCategory,
    /// GCJ-02 latitude.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(example = 22.9375, minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// GCJ-02 longitude.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(example = 113.3842, minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    /// Check-in radius in metres: 20 to 2,000; default 200.
    #[validate(range(min = 20, max = 2000))]
    #[schema(minimum = 20, maximum = 2000)]
    pub radius_m: Option<i32>,
    /// Opening hours as free text; null for none.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub opening_hours: Option<String>,
    /// Media id of the cover image; null for none.
    pub cover_media_id: Option<i64>,
    /// Default `active`.
    pub status: Option<SiteStatus>,
}

/// PATCH: absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateSite {
    /// New name; absent or null keeps it.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub name: Option<String>,
    /// New description; absent or null keeps it.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// New street address; absent or null keeps it.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub address: Option<String>,
    /// New administrative region; absent or null keeps it.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub region: Option<String>,
    /// New category; absent or null keeps it.
    pub category: Option<SiteCategory>,
    /// New GCJ-02 latitude; absent or null keeps it.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    /// New GCJ-02 longitude; absent or null keeps it.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: Option<f64>,
    /// New check-in radius in metres (20 to 2,000); absent or null keeps it.
    #[validate(range(min = 20, max = 2000))]
    #[schema(minimum = 20, maximum = 2000)]
    pub radius_m: Option<i32>,
    /// New opening hours (free text); absent or null keeps them.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub opening_hours: Option<String>,
    /// Media id of a new cover image; absent or null keeps it.
    pub cover_media_id: Option<i64>,
    /// `active`, or `hidden` to unlist the site and close check-ins; absent or null keeps it.
    pub status: Option<SiteStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    /// Site id.
    pub id: i64,
    /// The site's name.
    pub name: String,
    /// Longer text about the site; null when none.
    pub description: Option<String>,
    /// Street address; null when none.
    pub address: Option<String>,
    /// Administrative region; null when none.
    pub region: Option<String>,
    /// What kind of site it is.
    pub category: SiteCategory,
    /// GCJ-02 latitude.
    pub lat: f64,
    /// GCJ-02 longitude.
    pub lng: f64,
    /// Check-in radius in metres.
    pub radius_m: i32,
    /// Opening hours as free text; null when none.
    pub opening_hours: Option<String>,
    /// Media id of the cover image; null when none.
    pub cover_media_id: Option<i64>,
    /// `active` (listed, open for check-ins) or `hidden`.
    pub status: SiteStatus,
    /// Metres from the `lat`/`lng` asked about; only in nearby searches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// When the site was created.
    pub created_at: DateTime<Utc>,
    /// When the site was last changed.
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

/// `GET /admin/sites`: every site not deleted, newest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteFilter {
    /// Only `active` or only `hidden` ones (approved site proposals arrive hidden).
    pub status: Option<SiteStatus>,
    /// Part of the name or address.
    pub q: Option<String>,
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
