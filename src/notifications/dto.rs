use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// One message in my inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// Notification id.
    pub id: i64,
    /// What happened: `submission.approved`, `submission.featured`, `submission.rejected`,
    /// `submission.first_passed` (the first of two reviews) or `submission.returned` (back to
    /// review after an image check).
    #[schema(example = "submission.approved")]
    pub kind: String,
    /// A short headline.
    #[schema(example = "投稿已通过审核")]
    pub title: String,
    /// The message.
    pub body: String,
    /// What it is about: `submission`.
    pub subject_kind: String,
    /// The id of what it is about.
    pub subject_id: i64,
    /// Whether I have read it.
    pub read: bool,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

/// A page of my inbox, newest first, with how many of all my messages are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    /// This page's messages.
    pub items: Vec<Notification>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread messages in all.
    pub unread: u64,
}

/// What marking all read did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    /// How many messages were unread.
    pub marked: u64,
}

/// `POST /me/subscriptions`: the member agreed, in `wx.requestSubscribeMessage`, to one
/// message of this template.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct Consent {
    /// The template the member agreed to (the review-result template configured here).
    #[validate(length(min = 1, max = 64))]
    #[schema(
        example = "6ylC5Y4mX8hXf0nM2w1V0gX9R5bYkQ7e8aC1tD3uLs0",
        min_length = 1,
        max_length = 64
    )]
    pub template_id: String,
}

/// The send credits held for a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credits {
    /// The template.
    pub template_id: String,
    /// Messages of it that may still be sent to me (one per consent, 50 at most).
    pub credits: i32,
}
