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
    /// The site being checked in at; an unknown, hidden or deleted site answers 404.
    pub site_id: i64,
    /// GCJ-02 latitude of the phone.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(example = 22.9376, minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// GCJ-02 longitude of the phone.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(example = 113.3843, minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    /// The reported accuracy in metres; at most 100 of it is allowed for.
    #[validate(range(min = 0.0, max = 100_000.0))]
    #[schema(example = 30.0, minimum = 0.0, maximum = 100_000.0)]
    pub accuracy_m: f64,
    /// When the location was taken (default: now). Up to 24 h in the past, so a check-in made
    /// offline on a mountain counts for the day it happened; at most 5 minutes ahead.
    pub captured_at: Option<DateTime<Utc>>,
    /// Media id of a photo of the visit I uploaded (`POST /media`); optional. Someone else's,
    /// or one already used elsewhere, is 422 (`media_unusable`).
    pub photo_media_id: Option<i64>,
    /// Private to the member and admins.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

/// What a check-in answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinResult {
    /// Check-in id.
    pub id: i64,
    /// `accepted` (paid now) or `flagged` (unpaid until an admin reviews it).
    pub status: CheckinStatus,
    /// Why it was flagged (`late_capture`, `impossible_travel`, `repeated_coordinates`); null
    /// when accepted.
    pub flag_reason: Option<String>,
    /// Metres from the site, rounded to the decimetre.
    pub distance_m: f64,
    /// The local day it counts for.
    pub local_date: NaiveDate,
    /// Points this check-in paid; 0 when flagged or when a cap left nothing.
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
    /// Check-in id.
    pub id: i64,
    /// The member who checked in.
    pub member_id: i64,
    /// The site checked in at.
    pub site_id: i64,
    /// The site's name.
    pub site_name: String,
    /// `accepted`, `flagged` (awaiting review) or `rejected`.
    pub status: CheckinStatus,
    /// Why it was flagged: `late_capture`, `impossible_travel` or `repeated_coordinates`.
    pub flag_reason: Option<String>,
    /// Metres from the site, rounded to the decimetre.
    pub distance_m: f64,
    /// The GPS accuracy the phone reported, in metres.
    pub accuracy_m: f64,
    /// The local day it counts for: the day of `captured_at`.
    pub local_date: NaiveDate,
    /// When the location was taken (the phone's `captured_at`, at most the arrival time).
    pub captured_at: DateTime<Utc>,
    /// The member's private note; null when none.
    pub note: Option<String>,
    /// Points paid for it; 0 while flagged, when rejected, or when a cap left nothing.
    pub points_awarded: i32,
    /// The reviewer's reason; null until reviewed, or when none was given.
    pub review_reason: Option<String>,
    /// When the server received it.
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
    /// `approve` (accept and pay it) or `reject`.
    pub decision: Decision,
    /// Why, kept as the check-in's `review_reason`; optional.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// One of my check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCheckin {
    /// Check-in id.
    pub id: i64,
    /// The site checked in at.
    pub site_id: i64,
    /// The site's name.
    pub site_name: String,
    /// `accepted`, `flagged` (awaiting review) or `rejected`.
    pub status: CheckinStatus,
    /// Metres from the site, rounded to the decimetre.
    pub distance_m: f64,
    /// The local day it counts for: the day of `captured_at`.
    pub local_date: NaiveDate,
    /// When the location was taken (the phone's `captured_at`, at most the arrival time).
    pub captured_at: DateTime<Utc>,
    /// Points paid for it; 0 while flagged, when rejected, or when a cap left nothing.
    pub points_awarded: i32,
    /// My private note; null when none.
    pub note: Option<String>,
}

/// A site I have visited (accepted check-ins only): the data of the footprint map.
#[derive(Debug, Serialize, ToSchema)]
pub struct Footprint {
    /// The site visited.
    pub site_id: i64,
    /// The site's name.
    pub name: String,
    /// The site's category.
    pub category: crate::sites::dto::SiteCategory,
    /// GCJ-02 latitude of the site.
    pub lat: f64,
    /// GCJ-02 longitude of the site.
    pub lng: f64,
    /// How many accepted check-ins I have there (at most one a local day).
    pub visits: u32,
    /// The local day of my first accepted check-in there.
    pub first_date: NaiveDate,
    /// The local day of my latest accepted check-in there.
    pub last_date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyFootprint {
    /// Most recently visited first.
    pub items: Vec<Footprint>,
}
