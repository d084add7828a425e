use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// What made a day count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// An article completed that day.
    Article,
    /// An online class attended that day.
    Class,
    /// A make-up card spent on it.
    Makeup,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Article => "article",
            Via::Class => "class",
            Via::Makeup => "makeup",
        }
    }
}

/// `GET /me/reading/streak`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Streak {
    /// Consecutive counted days ending today, or ending yesterday while today is not over.
    pub current: i32,
    /// The longest run ever.
    pub longest: i32,
    /// Today already counts.
    pub today_done: bool,
    /// Make-up cards held (at most 3; one earned for each 7 consecutive days studied, none
    /// of them filled by a card).
    pub makeup_cards: i32,
}

/// `GET /me/reading/calendar?month=YYYY-MM`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// The month, `YYYY-MM`; default this month (local time).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-06")]
    pub month: Option<String>,
}

/// The counted days of one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct Calendar {
    /// The month shown, `YYYY-MM`.
    pub month: String,
    /// Every counted day of the month, ascending, local dates.
    pub days: Vec<NaiveDate>,
    /// Those of `days` that a make-up card filled.
    pub makeup_days: Vec<NaiveDate>,
}

/// `POST /me/reading/makeup`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct Makeup {
    /// The missed local day to fill: one of the 7 days before today, not before I joined.
    pub date: NaiveDate,
}

/// A make-up card, earned and maybe spent.
#[derive(Debug, Serialize, ToSchema)]
pub struct MakeupCard {
    /// Card id.
    pub id: i64,
    /// The day whose 7-day run earned it.
    pub earned_on: NaiveDate,
    /// The missed day it filled; null while held.
    pub spent_for: Option<NaiveDate>,
    /// When it was spent; null while held.
    pub spent_at: Option<DateTime<Utc>>,
}
