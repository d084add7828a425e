//! Roles: what a member may do beyond being a member, each with the org subtree it covers.
//! Read per request (see [`super::Caller`]), so a revoked role stops working at once.
use entity::member_roles;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// A granted role. Every member is also implicitly a plain `member`, which is never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May post site proposals and volunteer-service reports within `org_id`.
    Volunteer,
    /// Administers `org_id` and everything below it.
    OrgAdmin,
    /// Operates the deployment; has no org scope.
    PlatformAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volunteer => "volunteer",
            Role::OrgAdmin => "org_admin",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "volunteer" => Some(Role::Volunteer),
            "org_admin" => Some(Role::OrgAdmin),
            "platform_admin" => Some(Role::PlatformAdmin),
            _ => None,
        }
    }
}

/// One role with its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleGrant {
    /// The role granted.
    pub role: Role,
    /// The org the role covers (with its subtree); null only for `platform_admin`.
    #[schema(example = 12)]
    pub org_id: Option<i64>,
}

/// A stored role row as a grant; unknown roles (from a newer version) are skipped, loudly.
pub fn grant_of(row: member_roles::Model) -> Option<RoleGrant> {
    match Role::parse(&row.role) {
        Some(role) => Some(RoleGrant {
            role,
            org_id: row.org_id,
        }),
        None => {
            tracing::warn!(member_id = row.member_id, role = %row.role, "ignoring an unknown role");
            None
        }
    }
}

/// The roles granted to a member, in a stable order.
pub async fn roles_of(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<Vec<RoleGrant>, ApiError> {
    let rows = member_roles::Entity::find()
        .filter(member_roles::Column::MemberId.eq(member_id))
        .order_by_asc(member_roles::Column::Id)
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(grant_of).collect())
}
