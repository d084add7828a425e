use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckinStatus {
    /// Counted and paid.
    Accepted,
    /// Implausible: unpaid until an admin reviews it.
    Flagged,
    /// Reviewed and refused.
    Rejected,
}

impl CheckinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckinStatus::Accepted => "accepted",
            CheckinStatus::Flagged => "flagged",
            CheckinStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "flagged" => CheckinStatus::Flagged,
            "rejected" => CheckinStatus::Rejected,
            _ => CheckinStatus::Accepted,
        }
    }
}

/// `POST /checkins`: where the phone is, as `wx.getLocation({type: 'gcj02'})` reported it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewCheckin {
    pub site_id: i64,
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(example = 22.9376)]
    pub lat: f64,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(example = 113.3843)]
    pub lng: f64,
    /// The reported accuracy in metres; at most 100 of it is allowed for.
    #[validate(range(min = 0.0, max = 100_000.0))]
    #[schema(example = 30.0)]
    pub accuracy_m: f64,
    /// When the location was taken (default: now). Up to 24 h in the past, so a check-in made
    /// offline on a mountain counts for the day it happened; at most 5 minutes ahead.
    pub captured_at: Option<DateTime<Utc>>,
    pub photo_media_id: Option<i64>,
    /// Private to the member and admins.
    #[validate(length(max = 200))]
    pub note: Option<String>,
}

/// What a check-in answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinResult {
    pub id: i64,
    pub status: CheckinStatus,
    /// Why it was flagged (`late_capture`, `impossible_travel`, `repeated_coordinates`); null
    /// when accepted.
    pub flag_reason: Option<String>,
    /// Metres from the site, rounded to the decimetre.
    pub distance_m: f64,
    /// The local day it counts for.
    pub local_date: NaiveDate,
    pub points_awarded: i32,
    /// Present, and true, when a daily cap cut the points.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub points_capped: bool,
    /// Routes this check-in completed.
    pub completed_route_ids: Vec<i64>,
    /// Badges this check-in earned.
    pub badges: Vec<&'static str>,
}

/// A check-in as admins review it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    pub id: i64,
    pub member_id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub status: CheckinStatus,
    /// Why it was flagged: `late_capture`, `impossible_travel` or `repeated_coordinates`.
    pub flag_reason: Option<String>,
    pub distance_m: f64,
    pub accuracy_m: f64,
    pub local_date: NaiveDate,
    pub captured_at: DateTime<Utc>,
    pub note: Option<String>,
    pub points_awarded: i32,
    pub review_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckinFilter {
    /// e.g. `flagged`, for the review queue.
    pub status: Option<CheckinStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Accept it: it is paid and counts for routes.
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct Review {
    pub decision: Decision,
    #[validate(length(max = 200))]
    pub reason: Option<String>,
}

/// One of my check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCheckin {
    pub id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub status: CheckinStatus,
    pub distance_m: f64,
    pub local_date: NaiveDate,
    pub captured_at: DateTime<Utc>,
    pub points_awarded: i32,
    pub note: Option<String>,
}

/// A site I have visited (accepted check-ins only): the data of the footprint map.
#[derive(Debug, Serialize, ToSchema)]
pub struct Footprint {
    pub site_id: i64,
    pub name: String,
    pub category: crate::sites::dto::SiteCategory,
    pub lat: f64,
    pub lng: f64,
    pub visits: u32,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyFootprint {
    /// Most recently visited first.
    pub items: Vec<Footprint>,
}
