//! WeChat's content check as the rest of the server uses it: a verdict that never fails. A
//! member's text is never lost because WeChat is slow or down; it is kept `Unchecked` and
//! asked about again later.
use super::{Suggest, WechatClient, WechatError};

/// What the content check said, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// A person should look closely; with WeChat's label.
    Review(String),
    /// Refuse it; with WeChat's label.
    Risky(String),
    /// WeChat could not be asked: keep the text, ask again later.
    Unchecked,
    /// No WeChat identity to ask with: a person decides.
    Manual,
    /// The check is turned off (local development).
    Off,
}

impl Verdict {
    /// WeChat's label for `Review` and `Risky` (such as `20001`), if it gave one.
    pub fn label(&self) -> Option<String> {
        match self {
            Verdict::Review(l) | Verdict::Risky(l) => Some(l.clone()).filter(|l| !l.is_empty()),
            _ => None,
        }
    }
}

/// WeChat's scenes for `msg_sec_check`.
pub const SCENE_PROFILE: u8 = 1;
pub const SCENE_FORUM: u8 = 3;
pub const SCENE_SOCIAL_LOG: u8 = 4;

/// Asks WeChat about a text as its author (`openid`, active within 2 hours).
pub async fn moderate(
    wechat: &WechatClient,
    enabled: bool,
    openid: Option<&str>,
    scene: u8,
    title: Option<&str>,
    content: &str,
) -> Verdict {
    if !enabled {
        return Verdict::Off;
    }
    let Some(openid) = openid else {
        return Verdict::Manual;
    };
    match wechat.check_text(openid, scene, title, content).await {
        Ok(Suggest::Pass) => Verdict::Pass,
        Ok(Suggest::Review(label)) => Verdict::Review(label),
        Ok(Suggest::Risky(label)) => Verdict::Risky(label),
        // WeChat judged the request, not the text (an openid not active within 2 hours, say):
        // asking again will not help, so a person decides.
        Err(e @ WechatError::Api { .. }) => {
            tracing::warn!(error = %e, "WeChat would not check the text; a person will");
            Verdict::Manual
        }
        Err(e) => {
            tracing::warn!(error = %e, "the content check failed; the text is kept and checked later");
            Verdict::Unchecked
        }
    }
}
