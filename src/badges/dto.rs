use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A badge the member has earned.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarnedBadge {
    /// Stable code, e.g. `first_checkin`.
    #[schema(example = "first_checkin")]
    pub code: &'static str,
    /// The badge's display name, in Chinese.
    #[schema(example = "初次打卡")]
    pub name: &'static str,
    /// What earns the badge, in Chinese.
    pub description: &'static str,
    /// When the member earned it.
    pub awarded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyBadges {
    /// Newest first.
    pub items: Vec<EarnedBadge>,
}
