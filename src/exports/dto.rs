use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::export::Format;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// Registered members (no period): phones masked unless a platform admin asks
    /// `phones=full`.
    Members,
    /// Check-ins of every status made on the period's days (`status` says which).
    Checkins,
    /// Finished daily quizzes begun on the period's days.
    QuizResults,
    /// Finished exam attempts begun on the period's days.
    ExamResults,
    /// Reading: a row per member, article and day read.
    Reading,
    /// Class attendance: a row per member and class, by the day of the first heartbeat.
    Classes,
    /// Submissions made on the period's days.
    Submissions,
    /// Ledger entries dated in the period.
    Ledger,
    /// The overview's series: a row per day.
    Overview,
    /// A campaign's participants (`campaign_id` required), as its report counts them.
    CampaignReport,
}

impl Dataset {
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Members => "members",
            Dataset::Checkins => "checkins",
            Dataset::QuizResults => "quiz_results",
            Dataset::ExamResults => "exam_results",
            Dataset::Reading => "reading",
            Dataset::Classes => "classes",
            Dataset::Submissions => "submissions",
            Dataset::Ledger => "ledger",
            Dataset::Overview => "overview",
            Dataset::CampaignReport => "campaign_report",
        }
    }
}

/// `?format=&org_id=&from=&to=&campaign_id=`.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<Format>,
    /// The org whose subtree to export, inside the caller's scope; absent: the whole scope.
    pub org_id: Option<i64>,
    /// First local day (inclusive); absent: 29 days before `to`. Not for `members` and
    /// `campaign_report`.
    pub from: Option<NaiveDate>,
    /// Last local day (inclusive); absent: today; at most 366 days after `from`.
    pub to: Option<NaiveDate>,
    /// `campaign_report` only, and required there: the campaign.
    pub campaign_id: Option<i64>,
    /// `masked` (default: `138****5678`) or `full`, which only a platform admin may ask for
    /// (403 otherwise); the audit entry says which.
    #[param(inline)]
    pub phones: Option<Phones>,
}

/// How phone numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phones {
    Masked,
    Full,
}
