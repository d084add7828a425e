use std::time::Duration;

use crate::config::WechatSettings;
use crate::error::ApiError;

use super::dto::{Envelope, Session};

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
}

impl From<WechatError> for ApiError {
    fn from(err: WechatError) -> Self {
        match err {
            WechatError::InvalidCode(_) => ApiError::InvalidCode,
            WechatError::RateLimited => ApiError::RateLimited {
                retry_after_secs: 10,
            },
            WechatError::Unavailable(_) | WechatError::NotConfigured => ApiError::WechatUnavailable,
            WechatError::Api { .. } => ApiError::WechatError,
        }
    }
}

#[derive(Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    appid: Option<String>,
    secret: Option<String>,
}

impl WechatClient {
    pub fn new(settings: &WechatSettings) -> anyhow::Result<Self> {
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
        })
    }

    fn credentials(&self) -> Result<(&str, &str), WechatError> {
        match (&self.appid, &self.secret) {
            (Some(appid), Some(secret)) => Ok((appid, secret)),
            _ => Err(WechatError::NotConfigured),
        }
    }

    /// Exchanges a `wx.login` code for the member's openid and session key.
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
        let envelope: Envelope = parse(&body)?;
        match envelope.errcode {
            0 => parse(&body),
            40029 | 40163 => Err(WechatError::InvalidCode(envelope.errcode)),
            45011 => Err(WechatError::RateLimited),
            -1 => Err(WechatError::Unavailable("system busy (errcode -1)".into())),
            errcode => Err(WechatError::Api {
                errcode,
                errmsg: envelope.errmsg,
            }),
        }
    }

    /// GETs `{base}/{path}` and returns the body. Errors are described without the URL: its
    /// query carries the app secret and the login code.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<bytes::Bytes, WechatError> {
        let url = format!("{}/{}", self.base, path);
        let response = self.http.get(url).query(query).send().await.map_err(|e| {
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
