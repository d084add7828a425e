use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ErrorBody;
use crate::http::validate::not_blank;
use crate::media::dto::Medium;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionKind {
    /// 心得体会: text, with up to 9 photos.
    Reflection,
    /// A photo story: at least one photo.
    PhotoStory,
    /// One video (and photos if wanted); WeChat cannot check video, so a person always does.
    Video,
    /// A site worth adding (volunteers): `site` is required.
    SiteProposal,
    /// A volunteer-service report (volunteers): `service` is required.
    VolunteerService,
}

impl SubmissionKind {
    pub const ALL: [SubmissionKind; 5] = [
        SubmissionKind::Reflection,
        SubmissionKind::PhotoStory,
        SubmissionKind::Video,
        SubmissionKind::SiteProposal,
        SubmissionKind::VolunteerService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::Reflection => "reflection",
            SubmissionKind::PhotoStory => "photo_story",
            SubmissionKind::Video => "video",
            SubmissionKind::SiteProposal => "site_proposal",
            SubmissionKind::VolunteerService => "volunteer_service",
        }
    }

    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(SubmissionKind::Reflection)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Waiting for review.
    Pending,
    /// Approved: in the public feed.
    Approved,
    /// Approved and picked out (优秀): in the feed, first among equals.
    Featured,
    /// Refused, with a reason; the author may edit and resubmit.
    Rejected,
    /// Taken back by the author.
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStage {
    /// 初选: the author's org admin.
    First,
    /// 终选: an admin of an org above the author's, or a platform admin.
    Final,
}

/// What WeChat's content check said of the title and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Nothing found.
    Pass,
    /// WeChat suggests a person look closely (`moderation_label` says why).
    Review,
    /// WeChat found it risky: rejected at once, or (an image, later) sent back to review.
    Risky,
    /// WeChat could not be reached: retried in the background; the text is kept.
    Unchecked,
    /// No machine check applies (no WeChat identity); a person decides.
    Manual,
    /// The check is turned off (local development).
    Off,
}

/// A site a volunteer proposes.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct ProposedSite {
    /// The site's name.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "杨匏安旧居",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub name: String,
    /// GCJ-02 latitude.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// GCJ-02 longitude.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    /// The address, if known.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub address: Option<String>,
}

/// A volunteer-service report's facts.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct ServiceReport {
    /// The local day of the service.
    pub date: NaiveDate,
    /// Where.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "三元里社区",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub place: String,
    /// How long, in hours: 0.5 to 24, in steps of half an hour or finer (kept to the minute).
    #[validate(range(min = 0.5, max = 24.0))]
    #[schema(example = 2.5, minimum = 0.5, maximum = 24.0)]
    pub hours: f64,
}

/// `POST /submissions`, and the full edited submission for `PUT /submissions/{id}`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct NewSubmission {
    /// What kind of post: it decides which of `site` and `service` it takes.
    pub kind: SubmissionKind,
    /// 1–64 characters.
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    #[schema(
        example = "重走杨匏安旧居有感",
        min_length = 1,
        max_length = 64,
        pattern = "\\S"
    )]
    pub title: String,
    /// 1–5,000 characters; new lines are kept.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub body: String,
    /// My uploads (`POST /media`), in the order shown: up to 9 images, and for a `video`
    /// exactly one video. Each must be mine and not used elsewhere (`media_unusable`).
    #[serde(default)]
    #[validate(length(max = 10, code = "items"))]
    #[schema(max_items = 10)]
    pub media_ids: Vec<i64>,
    /// A campaign my org takes part in, running now.
    pub campaign_id: Option<i64>,
    /// One of the campaign's themes.
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "我想对二十大说", min_length = 1, max_length = 32)]
    pub theme: Option<String>,
    /// Required for a `site_proposal`, refused otherwise.
    #[validate(nested)]
    pub site: Option<ProposedSite>,
    /// Required for a `volunteer_service`, refused otherwise.
    #[validate(nested)]
    pub service: Option<ServiceReport>,
}

/// Who wrote it, as everyone may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Author {
    /// Member id.
    pub member_id: i64,
    /// The author's nickname.
    pub nickname: Option<String>,
    /// The author's avatar.
    pub avatar_url: Option<String>,
}

/// A submission. The feed shows approved and featured ones; the author sees their own in any
/// status; reviewers see the moderation fields too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Submission {
    /// Submission id.
    pub id: i64,
    /// What kind of post.
    pub kind: SubmissionKind,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// Its images and video, in order (hidden ones left out).
    pub media: Vec<Medium>,
    /// The campaign it is filed under.
    pub campaign_id: Option<i64>,
    /// The campaign theme it is filed under.
    pub theme: Option<String>,
    /// A site proposal's site.
    pub site: Option<ProposedSite>,
    /// A volunteer-service report's facts.
    pub service: Option<ServiceReport>,
    /// Where it stands.
    pub status: SubmissionStatus,
    /// Under two-stage review, the review a pending one waits for.
    pub stage: Option<ReviewStage>,
    /// Changes with every edit and review: send it back with a review.
    pub version: i32,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// Points paid on approval.
    pub points_awarded: i32,
    /// How many members like it.
    pub likes: i32,
    /// Whether I like it.
    pub liked: bool,
    /// Who wrote it.
    pub author: Author,
    /// The author's org when it was submitted.
    pub org_id: Option<i64>,
    /// Reviewers only (null otherwise): what the content check said.
    pub moderation: Option<Moderation>,
    /// Reviewers only: WeChat's label for `review` or `risky` (e.g. `20001`).
    pub moderation_label: Option<String>,
    /// When it was first submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was approved (the feed's order).
    pub published_at: Option<DateTime<Utc>>,
}

/// `GET /submissions`: the public feed.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedFilter {
    /// Only this campaign's.
    pub campaign_id: Option<i64>,
    /// Only this theme's.
    pub theme: Option<String>,
    /// Only this kind.
    pub kind: Option<SubmissionKind>,
}

/// `GET /admin/submissions`: the review queue and more.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewFilter {
    pub status: Option<SubmissionStatus>,
    /// Pending ones waiting for this review.
    pub stage: Option<ReviewStage>,
    pub kind: Option<SubmissionKind>,
    pub campaign_id: Option<i64>,
    /// Authors of this org and the orgs below it.
    pub org_id: Option<i64>,
    pub moderation: Option<Moderation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
    /// Approve and pick out (优秀); also for an approved one.
    Feature,
}

/// `POST /admin/submissions/{id}/review`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct SubmissionReview {
    /// What the reviewer decides.
    pub decision: ReviewDecision,
    /// Required to reject (shown to the author); 1–200 characters.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub reason: Option<String>,
    /// The `version` the reviewer saw; another one is 409 `conflict.stale_version`.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub version: i32,
}

/// One item of a bulk review.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct ReviewItem {
    /// Submission id.
    pub id: i64,
    /// What the reviewer decides.
    pub decision: ReviewDecision,
    /// Required to reject; 1–200 characters.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub reason: Option<String>,
    /// The version the reviewer saw.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub version: i32,
}

/// `POST /admin/submissions/review`: a page of decisions at once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct BulkReview {
    /// 1 to 100 decisions, each taken or refused on its own.
    #[validate(length(min = 1, max = 100, code = "items"), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<ReviewItem>,
}

/// How one decision of a bulk review went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOutcome {
    /// Submission id.
    pub id: i64,
    /// The HTTP status the decision alone would have had (200, 403, 404, 409, 422).
    pub status: u16,
    /// The submission as decided, when it was.
    pub submission: Option<Submission>,
    /// Why not, when it was not: the error body the decision alone would have had.
    pub error: Option<ErrorBody>,
}

/// The answer to a bulk review: one outcome per item, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOutcome {
    /// One per item, in the order sent.
    pub results: Vec<ReviewOutcome>,
}

/// What a like did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Likes {
    /// How many members like it now.
    pub likes: i32,
    /// Whether I do.
    pub liked: bool,
}
