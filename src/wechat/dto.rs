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

/// What WeChat's content check suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggest {
    Pass,
    /// A person should look; with WeChat's label (a number such as 20001).
    Review(String),
    /// Refuse it; with the label.
    Risky(String),
}

/// `wxa/msg_sec_check` (version 2).
#[derive(Deserialize)]
pub(super) struct TextCheck {
    pub result: CheckResult,
}

#[derive(Debug, Deserialize)]
pub(super) struct CheckResult {
    pub suggest: String,
    /// A number in the documentation, sometimes a string in practice: both are taken.
    #[serde(default)]
    pub label: serde_json::Value,
}

impl CheckResult {
    pub fn suggest(&self) -> Suggest {
        let label: String = match &self.label {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
        // Labels are short numbers; anything else is cut to fit where it is kept.
        .chars()
        .take(16)
        .collect();
        match self.suggest.as_str() {
            "pass" => Suggest::Pass,
            "risky" => Suggest::Risky(label),
            // `review`, or anything new: a person decides.
            _ => Suggest::Review(label),
        }
    }
}

/// `wxa/media_check_async`.
#[derive(Deserialize)]
pub(super) struct MediaCheck {
    pub trace_id: String,
}

/// A message WeChat pushes to us (a JSON object, plain-text mode). Only the image check's
/// verdict (`Event: wxa_media_check`) is read, and only its fields: any other message, whatever
/// its shape, is acknowledged, so WeChat does not keep sending it.
#[derive(Debug)]
pub struct PushMessage(serde_json::Value);

impl PushMessage {
    /// `None` unless `value` is a JSON object.
    pub fn new(value: serde_json::Value) -> Option<Self> {
        value.is_object().then_some(Self(value))
    }

    /// The trace id and verdict of an image check, if this is one. The trace id is `trace_id`
    /// (or `traceId`, as in some of WeChat's examples), a string or a number.
    pub fn media_verdict(&self) -> Option<(String, Suggest)> {
        if self.0["Event"].as_str() != Some("wxa_media_check") {
            return None;
        }
        let trace = [&self.0["trace_id"], &self.0["traceId"]]
            .into_iter()
            .find_map(|t| match t {
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })?;
        let result: CheckResult = serde_json::from_value(self.0["result"].clone()).ok()?;
        Some((trace, result.suggest()))
    }
}
