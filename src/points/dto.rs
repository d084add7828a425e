use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::not_blank;

/// Where points come from. Each has a rule, except `adjustment` (an admin's correction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Checkin,
    Route,
    QuizDaily,
    QuizExam,
    QuizPractice,
    QuizChallenge,
    Reading,
    ReadingTime,
    Submission,
    VolunteerService,
    Adjustment,
}

impl Source {
    pub const ALL: [Source; 11] = [
        Source::Checkin,
        Source::Route,
        Source::QuizDaily,
        Source::QuizExam,
        Source::QuizPractice,
        Source::QuizChallenge,
        Source::Reading,
        Source::ReadingTime,
        Source::Submission,
        Source::VolunteerService,
        Source::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Checkin => "checkin",
            Source::Route => "route",
            Source::QuizDaily => "quiz_daily",
            Source::QuizExam => "quiz_exam",
            Source::QuizPractice => "quiz_practice",
            Source::QuizChallenge => "quiz_challenge",
            Source::Reading => "reading",
            Source::ReadingTime => "reading_time",
            Source::Submission => "submission",
            Source::VolunteerService => "volunteer_service",
            Source::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Source::ALL.into_iter().find(|source| source.as_str() == s)
    }
}

/// How a source pays: `points` per unit (a check-in, a correct answer, 4 minutes of reading),
/// at most `daily_cap` a local day and `weekly_cap` a week (Monday to Sunday).
#[derive(Debug, Serialize, ToSchema)]
pub struct PointRule {
    /// The source the rule pays for.
    pub source: Source,
    /// Points per unit.
    #[schema(example = 5)]
    pub points: i32,
    /// Most points a member gets from the source per local day; null for no cap.
    #[schema(example = 20)]
    pub daily_cap: Option<i32>,
    /// Most points a member gets from the source per local week; null for no cap.
    pub weekly_cap: Option<i32>,
    /// For a source paid by time (`reading_time`): seconds of study per unit; null for
    /// sources paid per event.
    #[schema(example = 120)]
    pub unit_seconds: Option<i32>,
    /// When an admin last changed the rule; null if never.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /admin/point-rules/{source}`: the whole rule. Applies to events from now on; past
/// payouts are never rewritten.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdatePointRule {
    /// Points per unit.
    #[validate(range(min = 0, max = 1000))]
    #[schema(minimum = 0, maximum = 1000)]
    pub points: i32,
    /// Most points a member gets from the source per local day; null for no cap.
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub daily_cap: Option<i32>,
    /// Most points a member gets per local week (Monday to Sunday); null for no cap.
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub weekly_cap: Option<i32>,
    /// For a source paid by time (`reading_time`): seconds of study per unit, 30 to 3,600;
    /// absent keeps the current unit. Sources paid per event take none.
    #[validate(range(min = 30, max = 3600))]
    #[schema(minimum = 30, maximum = 3600)]
    pub unit_seconds: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodaySource {
    /// The point source.
    pub source: Source,
    /// Paid today (local day) from this source.
    pub points: i32,
    /// The daily cap, if the source has one.
    pub cap: Option<i32>,
}

/// `GET /me/points`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPoints {
    /// All-time total.
    pub total: i64,
    /// Today's local date.
    pub today_date: NaiveDate,
    /// Today's points per source: every source with a rule, and `adjustment` when non-zero.
    pub today: Vec<TodaySource>,
}

/// One ledger row.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// Ledger row id.
    pub id: i64,
    /// Where the points came from.
    pub source: Source,
    /// What paid: a check-in id, an attempt id, ...
    pub source_id: String,
    /// Points paid; only adjustments can be negative; 0 when a cap left nothing.
    pub points: i32,
    /// The local day of the event, whose cap the points count against.
    pub local_date: NaiveDate,
    /// The reason, for adjustments.
    pub note: Option<String>,
    /// When the points were paid (the row was written).
    pub created_at: DateTime<Utc>,
}

/// What an adjustment answers: the ledger row, and what it paid, as every paying response does.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adjusted {
    #[serde(flatten)]
    pub entry: LedgerEntry,
    /// What the adjustment paid: its `points` (negative for a deduction).
    pub points_awarded: i32,
}

/// `POST /admin/members/{id}/points-adjustments`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateAdjustment {
    /// Positive or negative, never zero.
    #[validate(range(min = -10_000, max = 10_000), custom(function = "non_zero"))]
    #[schema(example = 10, minimum = -10_000, maximum = 10_000)]
    pub points: i32,
    /// Shown to the member in their ledger.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        example = "线下志愿服务补录",
        min_length = 1,
        max_length = 200,
        pattern = "\\S"
    )]
    pub reason: String,
}

fn non_zero(points: i32) -> Result<(), validator::ValidationError> {
    if points == 0 {
        return Err(validator::ValidationError::new("non_zero"));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Today (local).
    Day,
    /// This week, Monday to Sunday (local).
    Week,
    /// This calendar month (local).
    Month,
    /// All time.
    #[default]
    All,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::All => "all",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardScope {
    #[default]
    Global,
    /// One org and everything below it: `org_id`, or the caller's own org.
    Org,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `global` (default) or `org`.
    #[param(inline)]
    pub scope: Option<BoardScope>,
    /// With `scope=org`; defaults to the caller's org.
    pub org_id: Option<i64>,
    /// `day`, `week`, `month` or `all` (default).
    pub period: Option<Period>,
    /// How many from the top: default 20; more than 100 is treated as 100.
    #[serde(default, deserialize_with = "crate::http::paging::limit")]
    #[param(value_type = Option<i64>, minimum = 1)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    /// Ties share a rank, and the next rank skips: 1, 1, 3.
    pub rank: u64,
    /// The member's id.
    pub member_id: i64,
    /// The member's nickname; null when none is set.
    pub nickname: Option<String>,
    /// The member's points in the period.
    pub points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyRank {
    /// 1 plus how many members in the board's scope have more points in the period.
    pub rank: u64,
    /// The caller's points in the period (0 if none).
    pub points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    /// The period ranked.
    pub period: Period,
    /// The first local day of the period.
    pub period_start: NaiveDate,
    /// The top members, most points first (ties by member id), at most `limit`.
    pub items: Vec<Ranked>,
    /// The caller's own place, listed or not.
    pub me: MyRank,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgLeaderboardQuery {
    /// Its child orgs are ranked.
    pub parent_id: i64,
    /// `day`, `week`, `month` or `all` (default).
    pub period: Option<Period>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRanked {
    /// Equal averages share a rank, and the next rank skips: 1, 1, 3.
    pub rank: u64,
    /// The child org's id.
    pub org_id: i64,
    /// The child org's name.
    pub name: String,
    /// Members in the org and below it.
    pub member_count: u64,
    /// Points per member in the period, members with none included (比学习: size does not win).
    pub average_points: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgLeaderboard {
    /// The period ranked.
    pub period: Period,
    /// The first local day of the period (1970-01-01 for `all`).
    pub period_start: NaiveDate,
    /// The parent's child orgs, highest `average_points` first (ties by org id).
    pub items: Vec<OrgRanked>,
}
