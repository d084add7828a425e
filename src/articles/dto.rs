use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validate::{http_url, not_blank};

/// Who sees an article: `published` ones from their `published_at` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Published, Self::Archived]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An article's audio or video (视听学习).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Audio,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Audio, Self::Video]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// `POST /admin/articles`, `PUT /admin/articles/{id}`: the whole article.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct NewArticle {
    /// The title.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "红船精神",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub title: String,
    /// A line or two for the list; null for none.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    /// Rich text as HTML, up to 50,000 characters (the request may be up to 1 MiB). Stored
    /// sanitized: only tags the mini-program's `rich-text` renders,
    /// no scripts, styles or event handlers, only http(s) links and images.
    #[validate(length(min = 1, max = 50000), custom(function = "not_blank"))]
    #[schema(
        example = "<p>1921 年……</p>",
        min_length = 1,
        max_length = 50000,
        pattern = "\\S"
    )]
    pub body: String,
    /// The cover image, an http(s) URL; null for none.
    #[validate(length(max = 512), custom(function = "http_url"))]
    #[schema(
        max_length = 512,
        pattern = r"^https?://[^/\s\u0000-\u001F][^\s\u0000-\u001F]*$"
    )]
    pub cover_url: Option<String>,
    /// The category (e.g. 党史, 理论).
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    #[schema(example = "党史", min_length = 1, max_length = 64, pattern = "\\S")]
    pub category: String,
    /// The series it is a chapter of; null for none. Needs `series_position`.
    pub series_id: Option<i64>,
    /// Its place in the series, from 1; unique within the series.
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub series_position: Option<i32>,
    /// The author; null for none.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub author: Option<String>,
    /// Where it was first published; null for none.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub source: Option<String>,
    /// When members may first see it (scheduled publishing); absent: now for a new article,
    /// unchanged for an edited one.
    pub published_at: Option<DateTime<Utc>>,
    /// `draft` (unseen), `published` or `archived` (unseen, its reads kept).
    pub status: ArticleStatus,
    /// Counted study time that completes it, in seconds: 10 to 3,600. Default: the body's
    /// length at about 400 characters a minute, or three quarters of the media's length when
    /// that is longer, within 30 s to 30 min.
    #[validate(range(min = 10, max = 3600))]
    #[schema(minimum = 10, maximum = 3600)]
    pub min_read_seconds: Option<i32>,
    /// An audio or video to study, an http(s) URL; needs `media_kind`.
    #[validate(length(max = 512), custom(function = "http_url"))]
    #[schema(
        max_length = 512,
        pattern = r"^https?://[^/\s\u0000-\u001F][^\s\u0000-\u001F]*$"
    )]
    pub media_url: Option<String>,
    /// `audio` or `video`; with `media_url`.
    pub media_kind: Option<MediaKind>,
    /// The media's length in seconds.
    #[validate(range(min = 1, max = 36000))]
    #[schema(minimum = 1, maximum = 36000)]
    pub media_seconds: Option<i32>,
}

/// What a list shows of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHead {
    /// Article id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// A line or two; null when none.
    pub summary: Option<String>,
    /// The cover image; null when none.
    pub cover_url: Option<String>,
    /// The category.
    pub category: String,
    /// The series it belongs to; null when none.
    pub series_id: Option<i64>,
    /// Its place in the series.
    pub series_position: Option<i32>,
    /// The author; null when none.
    pub author: Option<String>,
    /// Where it was first published; null when none.
    pub source: Option<String>,
    /// When it was (or will be) published.
    pub published_at: DateTime<Utc>,
    /// Counted study time that completes it, in seconds.
    pub min_read_seconds: i32,
    /// `audio` or `video` when it has media; null otherwise.
    pub media_kind: Option<MediaKind>,
}

/// My progress on an article.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MyReading {
    /// I have completed it (on any day).
    pub completed: bool,
    /// I completed it today (local day).
    pub completed_today: bool,
    /// Seconds counted today.
    pub today_seconds: i32,
}

/// An article in the members' list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleCard {
    #[serde(flatten)]
    pub head: ArticleHead,
    /// My progress.
    pub my: MyReading,
}

/// `GET /articles/{id}`: the whole article, as a member reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    #[serde(flatten)]
    pub head: ArticleHead,
    /// Sanitized HTML for the `rich-text` component.
    pub body: String,
    /// The audio or video; null when none.
    pub media_url: Option<String>,
    /// The media's length in seconds; null when unknown.
    pub media_seconds: Option<i32>,
    /// My progress.
    pub my: MyReading,
}

/// An article as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    pub head: ArticleHead,
    /// Sanitized HTML, as stored.
    pub body: String,
    /// The audio or video; null when none.
    pub media_url: Option<String>,
    /// The media's length in seconds; null when unknown.
    pub media_seconds: Option<i32>,
    /// Its status.
    pub status: ArticleStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed; null if never.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `GET /articles` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleFilter {
    /// Only this category.
    #[param(min_length = 1, max_length = 64)]
    pub category: Option<String>,
    /// Only chapters of this series, in series order.
    pub series_id: Option<i64>,
}

/// `POST /admin/series`, `PUT /admin/series/{id}`: a series of articles (a book read a chapter
/// a day).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewSeries {
    /// The series' title.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "党史百年 天天读",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub title: String,
    /// Longer text; null for none.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// A series.
#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    /// Series id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// Longer text; null when none.
    pub description: Option<String>,
    /// Its chapters (for members: those published).
    pub article_count: u64,
}

/// `GET /series/{id}`: a series with its published chapters in order and where I am.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesView {
    #[serde(flatten)]
    pub series: Series,
    /// The chapters, in order, with my progress.
    pub chapters: Vec<ArticleCard>,
    /// Chapters I have completed.
    pub completed_count: u64,
    /// The first chapter I have not completed; null when I have read them all.
    pub next_article_id: Option<i64>,
}

/// `POST /articles/{id}/reading`: a heartbeat while reading (or listening, or watching).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ReadingBeat {
    /// Seconds read since my previous heartbeat on this article: 0 to 300. Send one when
    /// reading starts (it opens a session and counts nothing) and then every 15–60 s. The
    /// server counts at most the time that really passed since my previous heartbeat (plus
    /// 5 s), never time already counted on another article or class, and nothing across a gap
    /// of more than 5 minutes.
    #[validate(range(min = 0, max = 300))]
    #[schema(minimum = 0, maximum = 300, example = 30)]
    pub seconds: i32,
}

/// What a heartbeat counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingCredit {
    /// Seconds counted on this article today, this heartbeat included.
    pub counted_seconds: i32,
    /// Seconds this heartbeat added.
    pub credited_seconds: i32,
    /// Counted seconds that complete it.
    pub min_read_seconds: i32,
    /// Completed today (the reading point is paid on the first completion ever).
    pub completed: bool,
    /// Today counts for my streak.
    pub today_done: bool,
    /// Points this heartbeat paid: `reading` on a first completion, `reading_time` per unit of
    /// study time.
    pub points_awarded: i32,
    /// A daily cap cut the payout.
    pub points_capped: bool,
}

/// Reading figures for an article or a series, among members in the admin's scope.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ReadingFigures {
    /// Reads: sittings with counted time (a gap of over 5 minutes starts another).
    pub reads: u64,
    /// Distinct members with counted time on it.
    pub unique_readers: u64,
    /// Completions (at most one per member per local day).
    pub completions: u64,
    /// Distinct members who completed it.
    pub completed_readers: u64,
    /// Total counted study time, in seconds.
    pub counted_seconds: i64,
}

/// `GET /admin/articles/{id}/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleStats {
    /// Article id.
    pub article_id: i64,
    /// The title.
    pub title: String,
    /// The figures.
    pub figures: ReadingFigures,
}

/// `GET /admin/series/{id}/stats`: the series as a whole and chapter by chapter.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesStats {
    /// Series id.
    pub series_id: i64,
    /// The figures over all chapters (a member reading two chapters is one unique reader).
    pub figures: ReadingFigures,
    /// Each chapter, in order.
    pub chapters: Vec<ArticleStats>,
}
