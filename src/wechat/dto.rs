//! The shapes WeChat answers with.
use serde::Deserialize;

/// What `sns/jscode2session` returns on success. Its `session_key` is not even read: nothing
/// uses it, so it is neither kept nor able to leak.
#[derive(Clone, Deserialize)]
pub struct Session {
    pub openid: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("openid", &self.openid)
            .field("has_unionid", &self.unionid.is_some())
            .finish_non_exhaustive()
    }
}

/// The error envelope every WeChat server API may answer with (`errcode` 0 or absent = success).
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

/// `cgi-bin/stable_token`.
#[derive(Deserialize)]
pub(super) struct StableToken {
    pub access_token: String,
    /// Seconds; at most 7200.
    pub expires_in: i64,
}

/// `wxa/business/getuserphonenumber`.
#[derive(Deserialize)]
pub(super) struct PhoneAnswer {
    pub phone_info: PhoneInfo,
}

#[derive(Deserialize)]
pub(super) struct PhoneInfo {
    /// Without the country code.
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
}
