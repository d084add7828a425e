//! The badge catalogue and its evaluation.
use chrono::{DateTime, Utc};
use entity::{member_badges, points_ledger};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::db::insert_unless_duplicate;
use crate::error::ApiError;

use super::dto::{EarnedBadge, MyBadges};

/// What a badge asks for.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// At least `n` payouts (capped ones included: the event happened) from `source`, a
    /// ledger source as stored (`points::dto::Source::as_str`; badges sit below points, which
    /// calls them, so they name sources by their stored value).
    Payouts { source: &'static str, n: u64 },
    /// An all-time total of at least this many points.
    Total(i32),
    /// A reading streak of at least this many days.
    Streak(u32),
}

pub struct Badge {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub rule: Rule,
}

pub const CATALOGUE: [Badge; 10] = [
    Badge {
        code: "first_checkin",
        name: "初次打卡",
        description: "第一次在红色遗址打卡",
        rule: Rule::Payouts {
            source: "checkin",
            n: 1,
        },
    },
    Badge {
        code: "checkins_10",
        name: "红色足迹",
        description: "累计打卡 10 次",
        rule: Rule::Payouts {
            source: "checkin",
            n: 10,
        },
    },
    Badge {
        code: "first_route",
        name: "首条路线",
        description: "完成第一条徒步路线",
        rule: Rule::Payouts {
            source: "route",
            n: 1,
        },
    },
    Badge {
        code: "first_submission",
        name: "初露锋芒",
        description: "第一篇投稿通过审核",
        rule: Rule::Payouts {
            source: "submission",
            n: 1,
        },
    },
    Badge {
        code: "points_100",
        name: "积分百分",
        description: "累计积分达到 100",
        rule: Rule::Total(100),
    },
    Badge {
        code: "points_1000",
        name: "积分千分",
        description: "累计积分达到 1000",
        rule: Rule::Total(1000),
    },
    Badge {
        code: "streak_7",
        name: "七日连读",
        description: "连续阅读 7 天",
        rule: Rule::Streak(7),
    },
    Badge {
        code: "streak_30",
        name: "月度连读",
        description: "连续阅读 30 天",
        rule: Rule::Streak(30),
    },
    Badge {
        code: "streak_100",
        name: "百日连读",
        description: "连续阅读 100 天",
        rule: Rule::Streak(100),
    },
    Badge {
        code: "volunteer_first",
        name: "志愿先锋",
        description: "第一次志愿服务记录通过审核",
        rule: Rule::Payouts {
            source: "volunteer_service",
            n: 1,
        },
    },
];

/// The badges a member holds whose history is `payouts` (how many per source), an all-time
/// `total` and a best reading streak of `streak` days: for `redtrail seed bench`, which writes
/// a member's history in bulk rather than payout by payout.
pub fn earned_by(payouts: impl Fn(&str) -> u64, total: i32, streak: u32) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|b| match b.rule {
            Rule::Payouts { source, n } => payouts(source) >= n,
            Rule::Total(at_least) => total >= at_least,
            Rule::Streak(days) => streak >= days,
        })
        .map(|b| b.code)
        .collect()
}

pub fn badge(code: &str) -> Option<&'static Badge> {
    CATALOGUE.iter().find(|b| b.code == code)
}

/// Awards `code` unless already held; true if it is new.
async fn grant(
    tx: &DatabaseTransaction,
    member_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let row = member_badges::ActiveModel {
        member_id: Set(member_id),
        badge: Set(code.to_owned()),
        awarded_at: Set(now.into()),
    };
    Ok(insert_unless_duplicate(tx, row).await?.is_some())
}

async fn held(tx: &DatabaseTransaction, member_id: i64) -> Result<Vec<String>, ApiError> {
    Ok(member_badges::Entity::find()
        .filter(member_badges::Column::MemberId.eq(member_id))
        .all(tx)
        .await?
        .into_iter()
        .map(|b| b.badge)
        .collect())
}

/// Evaluates the badges a payout from `source` may earn. Called by `points::service::award`
/// after a new ledger row, in its transaction, with the member's all-time total when the
/// payout moved it (`None`: it did not, so no total badge can be new). Returns the codes newly
/// earned.
pub async fn after_payout(
    tx: &DatabaseTransaction,
    member_id: i64,
    source: &str,
    total: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<&'static str>, ApiError> {
    let held = held(tx, member_id).await?;
    let mut earned = Vec::new();
    let mut payouts = None;
    for b in CATALOGUE
        .iter()
        .filter(|b| !held.iter().any(|h| h == b.code))
    {
        let met = match b.rule {
            Rule::Payouts { source: watched, n } if watched == source => {
                if payouts.is_none() {
                    payouts = Some(
                        points_ledger::Entity::find()
                            .filter(points_ledger::Column::MemberId.eq(member_id))
                            .filter(points_ledger::Column::Source.eq(source))
                            .count(tx)
                            .await?,
                    );
                }
                payouts.unwrap_or(0) >= n
            }
            Rule::Total(at_least) => total.is_some_and(|t| t >= at_least),
            _ => false,
        };
        if met && grant(tx, member_id, b.code, now).await? {
            earned.push(b.code);
        }
    }
    Ok(earned)
}

/// Evaluates the streak badges. The reading feature calls it in its transaction whenever a
/// member's streak changes. Returns the codes newly earned.
pub async fn after_streak(
    tx: &DatabaseTransaction,
    member_id: i64,
    streak_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<&'static str>, ApiError> {
    let mut earned = Vec::new();
    for b in &CATALOGUE {
        if let Rule::Streak(days) = b.rule
            && streak_days >= days
            && grant(tx, member_id, b.code, now).await?
        {
            earned.push(b.code);
        }
    }
    Ok(earned)
}

pub async fn mine(conn: &impl ConnectionTrait, member_id: i64) -> Result<MyBadges, ApiError> {
    let rows = member_badges::Entity::find()
        .filter(member_badges::Column::MemberId.eq(member_id))
        .order_by_desc(member_badges::Column::AwardedAt)
        .order_by_asc(member_badges::Column::Badge)
        .all(conn)
        .await?;
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let b = badge(&row.badge)?;
            Some(EarnedBadge {
                code: b.code,
                name: b.name,
                description: b.description,
                awarded_at: row.awarded_at.into(),
            })
        })
        .collect();
    Ok(MyBadges { items })
}
