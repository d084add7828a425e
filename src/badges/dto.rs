use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A badge the member has earned.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarnedBadge {
    /// Stable code, e.g. `first_checkin`.
    #[schema(example = "first_checkin")]
    pub code: &'static str,
    #[schema(example = "初次打卡")]
    pub name: &'static str,
    pub description: &'static str,
    pub awarded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyBadges {
    /// Newest first.
    pub items: Vec<EarnedBadge>,
}
