use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validate::not_blank;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 行业党委
    IndustryCommittee,
    /// 企业党组织
    PartyOrg,
    /// 党支部
    Branch,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::IndustryCommittee => "industry_committee",
            OrgKind::PartyOrg => "party_org",
            OrgKind::Branch => "branch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "industry_committee" => Some(OrgKind::IndustryCommittee),
            "party_org" => Some(OrgKind::PartyOrg),
            "branch" => Some(OrgKind::Branch),
            _ => None,
        }
    }

    /// Higher kinds have lower ranks; a parent must rank strictly lower than its child.
    pub fn rank(self) -> u8 {
        match self {
            OrgKind::IndustryCommittee => 0,
            OrgKind::PartyOrg => 1,
            OrgKind::Branch => 2,
        }
    }
}

/// 一企一档: the enterprise behind a `party_org`.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct Enterprise {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "某某网络科技有限公司")]
    pub name: String,
    /// 统一社会信用代码: 18 characters.
    #[validate(length(min = 18, max = 18))]
    pub credit_code: Option<String>,
    #[validate(range(min = 0, max = 10_000_000))]
    pub staff_count: Option<i32>,
    #[validate(length(min = 1, max = 64))]
    pub contact_name: Option<String>,
    #[validate(length(min = 5, max = 20))]
    pub contact_phone: Option<String>,
    /// Administrative region, e.g. 北京市朝阳区.
    #[validate(length(min = 1, max = 64))]
    pub region: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateOrg {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "第一党支部")]
    pub name: String,
    pub kind: OrgKind,
    /// Required except for an `industry_committee`, which is a root; must be of a higher kind.
    pub parent_id: Option<i64>,
    /// Only for `party_org`.
    #[validate(nested)]
    pub enterprise: Option<Enterprise>,
}

/// PATCH: absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateOrg {
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    pub name: Option<String>,
    /// Move the org, with its whole subtree, under another parent.
    pub parent_id: Option<i64>,
    /// Replaces the enterprise record (only for `party_org`).
    #[validate(nested)]
    pub enterprise: Option<Enterprise>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    /// 0 for a root.
    pub depth: i32,
    pub enterprise: Option<Enterprise>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgFilter {
    /// Only the direct children of this org.
    pub parent_id: Option<i64>,
    pub kind: Option<OrgKind>,
    /// Part of the name.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateInvite {
    /// How many members may join with the code.
    #[validate(range(min = 1, max = 10_000))]
    #[schema(example = 50)]
    pub max_uses: i32,
    /// When the code stops working; in the future, at most a year ahead.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: i64,
    pub org_id: i64,
    /// At most 32 characters, so it fits a mini-program QR code's `scene`.
    #[schema(example = "K7QMZ2XWP9RT4HNA")]
    pub code: String,
    pub max_uses: i32,
    pub used_count: i32,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Set once the code is revoked; a revoked code joins no one.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct JoinOrg {
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "K7QMZ2XWP9RT4HNA")]
    pub code: String,
}
