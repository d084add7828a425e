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
    /// The enterprise's registered name.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "某某网络科技有限公司",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub name: String,
    /// 统一社会信用代码: 18 characters.
    #[validate(length(min = 18, max = 18))]
    #[schema(min_length = 18, max_length = 18)]
    pub credit_code: Option<String>,
    /// Number of staff.
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub staff_count: Option<i32>,
    /// Name of the enterprise's contact person.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub contact_name: Option<String>,
    /// Phone number of the contact person.
    #[validate(length(min = 5, max = 20))]
    #[schema(min_length = 5, max_length = 20)]
    pub contact_phone: Option<String>,
    /// Administrative region, e.g. 北京市朝阳区.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub region: Option<String>,
    /// Party members, as the enterprise reports them (the profile shows the registered count
    /// beside it).
    #[serde(default)]
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub party_member_count: Option<i32>,
    /// Branches of its own (单独党支部), as reported.
    #[serde(default)]
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub branch_count: Option<i32>,
    /// Joint branches shared with other enterprises (联合党支部), as reported.
    #[serde(default)]
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub joint_branch_count: Option<i32>,
    /// Annual output value as entered, e.g. "3.2亿元".
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub output_value: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateOrg {
    /// The org's name; surrounding spaces are trimmed.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "第一党支部",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub name: String,
    /// Its level in the tree; it cannot be changed later.
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
    /// New name; absent or null keeps it.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub name: Option<String>,
    /// Move the org, with its whole subtree, under another parent.
    pub parent_id: Option<i64>,
    /// Replaces the enterprise record (only for `party_org`).
    #[validate(nested)]
    pub enterprise: Option<Enterprise>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Org {
    /// Org id.
    pub id: i64,
    /// The org's name.
    pub name: String,
    /// Its level in the tree.
    pub kind: OrgKind,
    /// The org directly above; null for a root (an `industry_committee`).
    pub parent_id: Option<i64>,
    /// 0 for a root.
    pub depth: i32,
    /// The enterprise record (一企一档); null unless a `party_org` has one.
    pub enterprise: Option<Enterprise>,
    /// When the org was created.
    pub created_at: DateTime<Utc>,
    /// When the org was last changed.
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
    #[schema(example = 50, minimum = 1, maximum = 10_000)]
    pub max_uses: i32,
    /// When the code stops working; in the future, at most a year ahead.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    /// Invite id.
    pub id: i64,
    /// The org members join with this code.
    pub org_id: i64,
    /// At most 32 characters, so it fits a mini-program QR code's `scene`.
    #[schema(example = "K7QMZ2XWP9RT4HNA")]
    pub code: String,
    /// How many members may join with the code.
    pub max_uses: i32,
    /// How many members have joined with it so far.
    pub used_count: i32,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// When the code was created.
    pub created_at: DateTime<Utc>,
    /// Set once the code is revoked; a revoked code joins no one.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct JoinOrg {
    /// An invite code; case and surrounding spaces are ignored.
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "K7QMZ2XWP9RT4HNA", min_length = 1, max_length = 32)]
    pub code: String,
}
