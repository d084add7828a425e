use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::roles::RoleGrant;
use crate::http::validate::{not_blank, url_or_path};

/// 政治面貌.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoliticalStatus {
    /// 中共党员
    PartyMember,
    /// 预备党员
    Probationary,
    /// 入党积极分子
    Activist,
    /// 入党申请人
    Applicant,
    /// 群众
    Masses,
}

impl PoliticalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartyMember => "party_member",
            Self::Probationary => "probationary",
            Self::Activist => "activist",
            Self::Applicant => "applicant",
            Self::Masses => "masses",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "party_member" => Some(Self::PartyMember),
            "probationary" => Some(Self::Probationary),
            "activist" => Some(Self::Activist),
            "applicant" => Some(Self::Applicant),
            "masses" => Some(Self::Masses),
            _ => None,
        }
    }
}

/// The org a member belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgRef {
    /// Org id.
    pub id: i64,
    /// The org's name.
    pub name: String,
}

/// A member, as the member and their admins see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    /// Member id.
    #[schema(example = 1001)]
    pub id: i64,
    /// The name the member chose to show; null when none is set.
    #[schema(example = "红旗")]
    pub nickname: Option<String>,
    /// URL of the member's avatar image; null when none is set.
    pub avatar_url: Option<String>,
    /// The member's real name; null when not given.
    pub real_name: Option<String>,
    /// 政治面貌; null when not recorded.
    pub political_status: Option<PoliticalStatus>,
    /// 流动党员: works away from their home branch.
    pub is_mobile_member: bool,
    /// Where a mobile member works.
    pub mobile_city: Option<String>,
    /// Volunteer service (志愿服务) hours from approved service reports.
    #[schema(example = 12.5)]
    pub volunteer_hours: f64,
    /// Masked (`138****5678`) for everyone but platform admins.
    #[schema(example = "138****5678")]
    pub phone: Option<String>,
    /// The branch the member belongs to; null until they join one.
    pub org: Option<OrgRef>,
    /// Granted roles, read at request time.
    pub roles: Vec<RoleGrant>,
}

/// `PUT /me`: the full set of fields a member edits. A missing or null field is cleared.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateMe {
    /// 1–32 characters. Since 2022 WeChat gives no nickname: the member types one.
    #[validate(length(min = 1, max = 32), custom(function = "not_blank"))]
    #[schema(example = "红旗", min_length = 1, max_length = 32, pattern = "\\S")]
    pub nickname: Option<String>,
    /// To set a new avatar: the id of an image I uploaded (`POST /media`). It becomes
    /// `avatar_url`.
    pub avatar_media_id: Option<i64>,
    /// Without `avatar_media_id`: null removes the avatar; my current `avatar_url` keeps it.
    /// Any other URL is refused (`media_only`): an avatar is an image uploaded here, so it
    /// passes the same checks as every other image.
    #[validate(length(max = 512), custom(function = "url_or_path"))]
    #[schema(
        example = "/api/v1/media/files/6f1c0d2e9a8b47d5b3e2f1a0c9d8e7f6.jpg",
        max_length = 512,
        pattern = r"^(https?://[^/\s\u0000-\u001F]|/[^/\s\u0000-\u001F])[^\s\u0000-\u001F]*$"
    )]
    pub avatar_url: Option<String>,
    /// 1–32 characters.
    #[validate(length(min = 1, max = 32), custom(function = "not_blank"))]
    #[schema(example = "张三", min_length = 1, max_length = 32, pattern = "\\S")]
    pub real_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    /// Members of this org and every org below it.
    pub org_id: Option<i64>,
    pub political_status: Option<PoliticalStatus>,
    pub is_mobile_member: Option<bool>,
    /// Part of the real name or nickname.
    pub q: Option<String>,
}

/// PATCH by an admin: absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AdminUpdateMember {
    /// The member's real name; absent or null keeps it.
    #[validate(length(min = 1, max = 32), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 32, pattern = "\\S")]
    pub real_name: Option<String>,
    /// 政治面貌; absent or null keeps it.
    pub political_status: Option<PoliticalStatus>,
    /// Whether the member is a mobile member (流动党员); absent or null keeps it.
    pub is_mobile_member: Option<bool>,
    /// Where a mobile member works; an empty string clears it.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub mobile_city: Option<String>,
    /// Move the member to this org (in the caller's scope).
    pub org_id: Option<i64>,
}

/// `PUT /admin/members/{id}/roles`: the member's granted roles, replaced as a whole. An org admin
/// replaces only the grants inside their scope; grants elsewhere are kept.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ReplaceRoles {
    /// The new grants (repeats ignored); `[]` removes every grant in the caller's scope.
    #[validate(length(max = 20, code = "items"))]
    #[schema(max_items = 20)]
    pub roles: Vec<RoleGrant>,
}

/// `POST /me/phone`: the one-time code from the phone-number button (`getPhoneNumber`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PhoneCode {
    /// The one-time code from the phone-number button's callback; it works once.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub code: String,
}
