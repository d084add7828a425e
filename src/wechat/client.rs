use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::Mutex;

use crate::clock::SharedClock;
use crate::config::WechatSettings;
use crate::error::ApiError;

use super::dto::{Envelope, MediaCheck, PhoneAnswer, Session, StableToken, Suggest, TextCheck};
use sha1::Digest;

/// A cached access token is renewed this long before WeChat says it expires.
const TOKEN_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, thiserror::Error)]
pub enum WechatError {
    /// 40029 (invalid) or 40163 (already used): the phone must call `wx.login` again.
    #[error("the login code was refused (errcode {0})")]
    InvalidCode(i64),
    /// 45011: WeChat's per-user frequency limit.
    #[error("rate limited by WeChat")]
    RateLimited,
    /// -1 (busy), a timeout, a refused connection or a 5xx.
    #[error("WeChat is unavailable: {0}")]
    Unavailable(String),
    /// Any other errcode, or an answer we cannot read.
    #[error("WeChat answered errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("REDTRAIL_WECHAT_APPID / REDTRAIL_WECHAT_SECRET are not configured")]
    NotConfigured,
    /// 40001 / 42001: the access token was refused; renewed and retried once inside the client.
    #[error("the access token was refused (errcode {0})")]
    TokenRefused(i64),
}

impl From<WechatError> for ApiError {
    fn from(err: WechatError) -> Self {
        match err {
            WechatError::InvalidCode(_) => ApiError::InvalidCode,
            WechatError::RateLimited => ApiError::RateLimited {
                retry_after_secs: 10,
            },
            WechatError::Unavailable(_) | WechatError::NotConfigured => ApiError::WechatUnavailable,
            WechatError::Api { .. } | WechatError::TokenRefused(_) => ApiError::WechatError,
        }
    }
}

struct AccessToken {
    value: String,
    expires_at: DateTime<Utc>,
}

/// Clones share the HTTP connection pool and the access-token cache.
#[derive(Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    appid: Option<String>,
    secret: Option<SecretString>,
    push_token: Option<SecretString>,
    clock: SharedClock,
    /// Held across a refresh, so concurrent callers wait for one refresh and share its token.
    token: Arc<Mutex<Option<AccessToken>>>,
}

impl WechatClient {
    pub fn new(settings: &WechatSettings, clock: SharedClock) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            http,
            base: settings.api_base.clone(),
            appid: settings.appid.clone(),
            secret: settings.secret.clone(),
            push_token: settings.push_token.clone(),
            clock,
            token: Arc::new(Mutex::new(None)),
        })
    }

    fn credentials(&self) -> Result<(&str, &str), WechatError> {
        match (&self.appid, &self.secret) {
            (Some(appid), Some(secret)) => Ok((appid, secret.expose_secret())),
            _ => Err(WechatError::NotConfigured),
        }
    }

    /// Exchanges a `wx.login` code for the member's openid (and unionid, if any).
    pub async fn code_to_session(&self, code: &str) -> Result<Session, WechatError> {
        let (appid, secret) = self.credentials()?;
        let body = self
            .get(
                "sns/jscode2session",
                &[
                    ("appid", appid),
                    ("secret", secret),
                    ("js_code", code),
                    ("grant_type", "authorization_code"),
                ],
            )
            .await?;
        check(&body)?;
        parse(&body)
    }

    /// The phone number behind a phone-number button's one-time code.
    pub async fn phone_number(&self, code: &str) -> Result<String, WechatError> {
        let body = json!({ "code": code });
        let answer: PhoneAnswer = self
            .call_with_token("wxa/business/getuserphonenumber", &body)
            .await?;
        Ok(answer.phone_info.pure_phone_number)
    }

    /// WeChat's content check of a member's text (`wxa/msg_sec_check`, version 2). `openid` must
    /// have used the mini-program within 2 hours; `scene`: 1 profile, 2 comment, 3 forum, 4
    /// social log.
    pub async fn check_text(
        &self,
        openid: &str,
        scene: u8,
        title: Option<&str>,
        content: &str,
    ) -> Result<Suggest, WechatError> {
        let mut body =
            json!({ "content": content, "version": 2, "scene": scene, "openid": openid });
        if let Some(title) = title {
            body["title"] = json!(title);
        }
        let answer: TextCheck = self.call_with_token("wxa/msg_sec_check", &body).await?;
        Ok(answer.result.suggest())
    }

    /// Asks WeChat to check the image at `media_url`, which it fetches (`wxa/media_check_async`,
    /// version 2). The verdict arrives later at the message-push endpoint, matched by the trace
    /// id answered here.
    pub async fn check_image(
        &self,
        openid: &str,
        scene: u8,
        media_url: &str,
    ) -> Result<String, WechatError> {
        let body = json!({
            "media_url": media_url, "media_type": 2, "version": 2, "scene": scene, "openid": openid,
        });
        let answer: MediaCheck = self.call_with_token("wxa/media_check_async", &body).await?;
        Ok(answer.trace_id)
    }

    /// Sends a subscribe message (`cgi-bin/message/subscribe/send`): `message` is the body but
    /// for `touser`. 43101 (the member's consent is used up or withdrawn) comes back as
    /// `Api { errcode: 43101 }`.
    pub async fn send_subscribe(
        &self,
        openid: &str,
        message: &serde_json::Value,
    ) -> Result<(), WechatError> {
        let mut body = message.clone();
        body["touser"] = json!(openid);
        let _: Envelope = self
            .call_with_token("cgi-bin/message/subscribe/send", &body)
            .await?;
        Ok(())
    }

    /// Whether a message push carries the signature of the configured push token:
    /// SHA-1 of the token, `timestamp` and `nonce`, sorted and joined. Without a token, none does.
    pub fn push_signed(&self, signature: &str, timestamp: &str, nonce: &str) -> bool {
        let Some(token) = &self.push_token else {
            return false;
        };
        let mut parts = [token.expose_secret(), timestamp, nonce];
        parts.sort_unstable();
        let digest = sha1::Sha1::digest(parts.concat().as_bytes());
        let expected = hex::encode(digest);
        // Compared in constant time: the signature is a secret's fingerprint.
        expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.to_ascii_lowercase().bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// POSTs `body` to `path` with the access token; a refused token (40001/42001) is renewed
    /// once and the call made again.
    async fn call_with_token<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, WechatError> {
        let token = self.access_token(None).await?;
        let answer = match self.post_checked(path, &token, body).await {
            Err(WechatError::TokenRefused(_)) => {
                let renewed = self.access_token(Some(&token)).await?;
                self.post_checked(path, &renewed, body).await?
            }
            other => other?,
        };
        parse(&answer)
    }

    async fn post_checked(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> Result<bytes::Bytes, WechatError> {
        let answer = self.post(path, &[("access_token", token)], body).await?;
        check(&answer)?;
        Ok(answer)
    }

    /// A usable access token: the cached one, unless it is near expiry or is `refused` (the token
    /// a call just had refused), in which case a fresh one, forced past WeChat's own cache.
    async fn access_token(&self, refused: Option<&str>) -> Result<String, WechatError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            let fresh = token.expires_at - TOKEN_MARGIN > self.clock.now();
            // Another caller may have renewed it while this one waited for the lock.
            if fresh && refused != Some(token.value.as_str()) {
                return Ok(token.value.clone());
            }
        }
        let (appid, secret) = self.credentials()?;
        let body = self
            .post(
                "cgi-bin/stable_token",
                &[],
                &json!({
                    "grant_type": "client_credential",
                    "appid": appid,
                    "secret": secret,
                    "force_refresh": refused.is_some(),
                }),
            )
            .await?;
        check(&body)?;
        let answer: StableToken = parse(&body)?;
        let value = answer.access_token.clone();
        *cached = Some(AccessToken {
            value: answer.access_token,
            expires_at: self.clock.now() + chrono::Duration::seconds(answer.expires_in),
        });
        tracing::info!(
            expires_in = answer.expires_in,
            "renewed the WeChat access token"
        );
        Ok(value)
    }

    /// POSTs JSON to `{base}/{path}`; like [`Self::get`], errors never carry the URL.
    async fn post(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<bytes::Bytes, WechatError> {
        let url = format!("{}/{}", self.base, path);
        let response = self.http.post(url).query(query).json(body).send().await;
        read(path, response).await
    }

    /// GETs `{base}/{path}` and returns the body. Errors are described without the URL: its
    /// query carries the app secret and the login code.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<bytes::Bytes, WechatError> {
        let url = format!("{}/{}", self.base, path);
        let response = self.http.get(url).query(query).send().await;
        read(path, response).await
    }
}

/// The body of WeChat's answer; transport failures and 5xx are `Unavailable`.
async fn read(
    path: &str,
    response: reqwest::Result<reqwest::Response>,
) -> Result<bytes::Bytes, WechatError> {
    let response = response.map_err(|e| {
        let e = e.without_url();
        tracing::warn!(api = path, error = %e, "WeChat request failed");
        WechatError::Unavailable(e.to_string())
    })?;
    let status = response.status();
    if status.is_server_error() {
        tracing::warn!(api = path, %status, "WeChat answered with a server error");
        return Err(WechatError::Unavailable(format!("HTTP {status}")));
    }
    response.bytes().await.map_err(|e| {
        let e = e.without_url();
        tracing::warn!(api = path, error = %e, "reading WeChat's answer failed");
        WechatError::Unavailable(e.to_string())
    })
}

/// WeChat's error envelope as a typed error; `Ok` when `errcode` is 0 or absent.
fn check(body: &[u8]) -> Result<(), WechatError> {
    let envelope: Envelope = parse(body)?;
    match envelope.errcode {
        0 => Ok(()),
        40029 | 40163 => Err(WechatError::InvalidCode(envelope.errcode)),
        40001 | 42001 => Err(WechatError::TokenRefused(envelope.errcode)),
        45011 => Err(WechatError::RateLimited),
        -1 => Err(WechatError::Unavailable("system busy (errcode -1)".into())),
        errcode => Err(WechatError::Api {
            errcode,
            errmsg: envelope.errmsg,
        }),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WechatError> {
    serde_json::from_slice(body).map_err(|e| {
        tracing::warn!(error = %e, "WeChat answered with something unreadable");
        WechatError::Api {
            errcode: 0,
            errmsg: format!("unreadable answer: {e}"),
        }
    })
}
