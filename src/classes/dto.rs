use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::{http_url, not_blank};

/// `POST /admin/classes`, `PUT /admin/classes/{id}`: an online class (云课堂 / 线上党课).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct NewClass {
    /// The class's title.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "流动党员云课堂：红船精神",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub title: String,
    /// Who speaks; null for none.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub speaker: Option<String>,
    /// Longer text; null for none.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// When it goes live: heartbeats count from here.
    pub starts_at: DateTime<Utc>,
    /// When it ends: after, at most 24 hours after the start.
    pub ends_at: DateTime<Utc>,
    /// The live stream or meeting link, an http(s) URL (the stream itself is elsewhere).
    #[validate(length(max = 512), custom(function = "http_url"))]
    #[schema(
        max_length = 512,
        pattern = r"^https?://[^/\s\u0000-\u001F][^\s\u0000-\u001F]*$"
    )]
    pub stream_url: Option<String>,
    /// The replay, an http(s) URL; null until there is one.
    #[validate(length(max = 512), custom(function = "http_url"))]
    #[schema(
        max_length = 512,
        pattern = r"^https?://[^/\s\u0000-\u001F][^\s\u0000-\u001F]*$"
    )]
    pub replay_url: Option<String>,
    /// Credited seconds that make a member an attendee: 60 to 86,400, at most the class's
    /// length. Default half the class, at most 30 minutes.
    #[validate(range(min = 60, max = 86400))]
    #[schema(minimum = 60, maximum = 86400)]
    pub attend_min_seconds: Option<i32>,
    /// The orgs it is for, each with its subtree: 1 to 100.
    #[validate(length(min = 1, max = 100, code = "items"))]
    #[schema(min_items = 1, max_items = 100)]
    pub org_ids: Vec<i64>,
    /// The campaign it belongs to; null for none.
    pub campaign_id: Option<i64>,
}

/// What members and admins both see of a class.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassHead {
    /// Class id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// Who speaks; null when none.
    pub speaker: Option<String>,
    /// Longer text; null when none.
    pub description: Option<String>,
    /// When it goes live.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// The live stream or meeting link; null when none.
    pub stream_url: Option<String>,
    /// The replay; null when none.
    pub replay_url: Option<String>,
    /// Credited seconds that make a member an attendee.
    pub attend_min_seconds: i32,
    /// The campaign it belongs to; null when none.
    pub campaign_id: Option<i64>,
}

/// A class as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Class {
    #[serde(flatten)]
    pub head: ClassHead,
    /// The orgs it is for, in id order (for an org admin, those inside their scope).
    pub org_ids: Vec<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// My attendance at a class.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MyAttendance {
    /// Seconds credited to me in the class.
    pub counted_seconds: i32,
    /// I reached `attend_min_seconds`.
    pub attended: bool,
}

/// A class as a member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenClass {
    #[serde(flatten)]
    pub head: ClassHead,
    /// It is live now: heartbeats count.
    pub live: bool,
    /// My attendance so far.
    pub my_attendance: MyAttendance,
}

/// `POST /classes/{id}/attendance`: a heartbeat while watching.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ClassBeat {
    /// Seconds watched since my previous heartbeat on this class: 0 to 300. Counted as for
    /// reading: at most the time that really passed (plus 5 s), never time already counted
    /// elsewhere, nothing across a gap of more than 5 minutes.
    #[validate(range(min = 0, max = 300))]
    #[schema(minimum = 0, maximum = 300, example = 30)]
    pub seconds: i32,
}

/// What an attendance heartbeat counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceCredit {
    /// Seconds credited to me in this class, this heartbeat included.
    pub counted_seconds: i32,
    /// Seconds this heartbeat added.
    pub credited_seconds: i32,
    /// I reached the class's `attend_min_seconds`.
    pub attended: bool,
    /// Today counts for my streak.
    pub today_done: bool,
    /// `reading_time` points this heartbeat paid.
    pub points_awarded: i32,
    /// A daily cap cut the payout.
    pub points_capped: bool,
}

/// One member's attendance, for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attendee {
    /// Member id.
    pub member_id: i64,
    /// Their nickname; null when not given.
    pub nickname: Option<String>,
    /// Their real name; null when not given.
    pub real_name: Option<String>,
    /// A mobile member (流动党员).
    pub is_mobile_member: bool,
    /// Their org when they joined the class; null when in none or outside my scope.
    pub org_id: Option<i64>,
    /// That org's name.
    pub org_name: Option<String>,
    /// Credited seconds.
    pub counted_seconds: i32,
    /// Credited whole minutes.
    pub minutes: i32,
    /// They reached the threshold.
    pub attended: bool,
    /// Their first heartbeat.
    pub first_beat_at: DateTime<Utc>,
}

/// `GET /admin/classes/{id}/attendance`: among members in the admin's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassAttendance {
    /// Class id.
    pub class_id: i64,
    /// Members who sent a heartbeat.
    pub participants: u64,
    /// Members who reached the threshold.
    pub attendees: u64,
    /// Credited seconds in all.
    pub counted_seconds: i64,
    /// The most members attending at one instant (the "1,120 studied online at once" figure),
    /// from their sittings with credited time.
    pub peak_concurrent: u64,
    /// The first instant the peak was reached; null when nobody attended.
    pub peak_at: Option<DateTime<Utc>>,
    /// This page of members, by member id.
    pub items: Vec<Attendee>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}
