//! Settings, read once at start-up from `REDTRAIL_*` environment variables, optionally under a
//! TOML file named by `REDTRAIL_CONFIG` (the environment wins). Nothing else reads the
//! environment.
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone)]
pub struct WechatSettings {
    pub api_base: String,
    pub appid: Option<String>,
    /// A secret: its `Debug` prints `[REDACTED]`, so no log line can carry it by accident.
    pub secret: Option<SecretString>,
    /// The subscribe-message template for review results (`REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID`):
    /// its fields must be `thing1` (title), `phrase2` (result), `time3` (when), `thing4` (note).
    pub review_template: Option<String>,
    /// The token configured for WeChat's message push: pushes are signed with it.
    pub push_token: Option<SecretString>,
    /// Total time allowed for one call to WeChat, connection included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

#[derive(Clone)]
pub struct Settings {
    pub env: Environment,
    pub database_url: String,
    pub bind: String,
    pub timezone: Tz,
    /// `None` in development means "generate one into the data directory".
    pub jwt_secret: Option<SecretString>,
    pub dev_login: bool,
    pub cors_origins: Vec<String>,
    pub trusted_proxies: Vec<IpAddr>,
    pub migrate: bool,
    pub wechat: WechatSettings,
    pub data_dir: PathBuf,
    pub media: MediaSettings,
    /// Members' text goes through WeChat's content check (`REDTRAIL_CONTENT_CHECK`; default: on
    /// when the WeChat credentials are set). Off for local development without WeChat.
    pub content_check: bool,
    /// How often texts kept unchecked (WeChat was down) are checked again.
    pub content_recheck_every: Duration,
    /// How often queued subscribe messages are sent.
    pub outbox_every: Duration,
    /// How often housekeeping runs (expired idempotency keys, unattached uploads).
    pub sweep_every: Duration,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Largest JSON body accepted, in bytes.
    pub json_limit: usize,
    /// Password hashes computed at once; further admin logins wait...
    pub password_hashing_at_once: usize,
    /// ...this long for a turn, then get 503.
    pub password_hashing_wait: Duration,
    /// Password checks one client IP may make in 15 minutes (admin login).
    pub admin_login_per_ip: u32,
    /// How long a leaderboard's top N may be served from memory; zero turns the cache off.
    pub leaderboard_cache: Duration,
    /// Database connections in the pool; `None`: the backend's default (`db::Db`).
    pub db_pool_size: Option<u32>,
    /// How long a request waits for a database connection before a 503
    /// (`REDTRAIL_DB_ACQUIRE_TIMEOUT_MS`, default 3,000).
    pub db_acquire_timeout: Duration,
    pub quiz: QuizSettings,
}

/// Uploads: where files go and what is accepted.
#[derive(Clone)]
pub struct MediaSettings {
    /// The local store's directory (`REDTRAIL_MEDIA_DIR`).
    pub dir: PathBuf,
    pub store: StoreSettings,
    /// Largest upload of each kind, in bytes; counted while the body streams in.
    pub max_image_bytes: usize,
    pub max_video_bytes: usize,
    pub max_audio_bytes: usize,
    /// Largest image accepted, in pixels (width × height), and along either side: more is
    /// refused before the pixels are decoded, so a decompression bomb costs nothing.
    pub max_pixels: u64,
    pub max_side: u32,
    /// Put in front of `/api/v1/media/files/…` in the URLs handed out (the public https origin
    /// or CDN the mini-program loads images from); empty: URLs are paths on this server.
    pub public_url: String,
}

#[derive(Clone)]
pub enum StoreSettings {
    /// Files under [`MediaSettings::dir`].
    Local,
    S3(S3Settings),
}

/// S3-compatible object storage (AWS, MinIO, Aliyun OSS, Tencent COS...).
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// Another provider's endpoint; `http://` allows plain HTTP (a test server).
    pub endpoint: Option<String>,
    /// `bucket.endpoint/...` requests, which Aliyun OSS needs.
    pub virtual_hosted: bool,
    /// None: the provider's usual sources (instance metadata, `AWS_*` variables).
    pub credentials: Option<(String, SecretString)>,
}

/// How quizzes run. Points and caps are point rules (data); these are the shapes.
#[derive(Debug, Clone)]
pub struct QuizSettings {
    /// Questions in the daily quiz.
    pub daily_count: usize,
    /// Most questions in one challenge run.
    pub challenge_max: usize,
    /// Time to answer one challenge question.
    pub challenge_per_question: Duration,
    /// An attempt finished faster than this per question is flagged for admins (not penalised).
    pub min_per_question: Duration,
    /// A submit this late after the deadline still counts (the network's share).
    pub grace: Duration,
    /// How often the server grades attempts left open past their deadline.
    pub expiry_every: Duration,
}

// Secrets stay out of `{:?}` so a debug print of the settings cannot leak them.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("bind", &self.bind)
            .field("timezone", &self.timezone)
            .field("dev_login", &self.dev_login)
            .field("migrate", &self.migrate)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("REDTRAIL_JWT_SECRET is required when REDTRAIL_ENV=production")]
    MissingJwtSecret,
    #[error("REDTRAIL_DEV_LOGIN=true is refused when REDTRAIL_ENV=production")]
    DevLoginInProduction,
    #[error("cannot read the config file {path}: {reason}")]
    File { path: String, reason: String },
}

/// Where settings come from: the environment over an optional file.
pub struct Source {
    vars: HashMap<String, String>,
}

impl Source {
    /// The process environment, over the TOML file named by `REDTRAIL_CONFIG` if any. File keys
    /// are the variable names without the prefix, in any case: `database_url = "..."`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("REDTRAIL_") || k == "RUST_LOG")
            .collect();
        let mut vars = match env.get("REDTRAIL_CONFIG") {
            Some(path) => read_file(path)?,
            None => HashMap::new(),
        };
        vars.extend(env);
        Ok(Self { vars })
    }

    /// Exactly these variables, nothing from the process. For tests and embedding.
    pub fn from_map<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

fn read_file(path: &str) -> Result<HashMap<String, String>, ConfigError> {
    let fail = |reason: String| ConfigError::File {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(e.to_string()))?;
    let mut vars = HashMap::new();
    for (key, value) in table {
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        vars.insert(format!("REDTRAIL_{}", key.to_uppercase()), value);
    }
    Ok(vars)
}

fn parse_bool(name: &'static str, value: Option<&str>, default: bool) -> Result<bool, ConfigError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

fn parse_u64(name: &'static str, value: Option<&str>, default: u64) -> Result<u64, ConfigError> {
    value.map_or(Ok(default), |v| {
        v.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("expected a whole number, got {v:?}"),
        })
    })
}

fn list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn media_settings(src: &Source, data_dir: &std::path::Path) -> Result<MediaSettings, ConfigError> {
    const MB: u64 = 1024 * 1024;
    let bytes = |name: &'static str, default: u64| -> Result<usize, ConfigError> {
        Ok(parse_u64(name, src.get(name), default)?.clamp(1024, 4096 * MB) as usize)
    };
    let store = match src
        .get("REDTRAIL_MEDIA_STORE")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("local") => StoreSettings::Local,
        Some("s3") => StoreSettings::S3(S3Settings {
            bucket: src
                .get("REDTRAIL_S3_BUCKET")
                .ok_or(ConfigError::Invalid {
                    name: "REDTRAIL_S3_BUCKET",
                    reason: "required when REDTRAIL_MEDIA_STORE=s3".into(),
                })?
                .to_owned(),
            region: src
                .get("REDTRAIL_S3_REGION")
                .unwrap_or("us-east-1")
                .to_owned(),
            endpoint: src
                .get("REDTRAIL_S3_ENDPOINT")
                .map(|e| e.trim_end_matches('/').to_owned()),
            virtual_hosted: parse_bool(
                "REDTRAIL_S3_VIRTUAL_HOSTED",
                src.get("REDTRAIL_S3_VIRTUAL_HOSTED"),
                false,
            )?,
            credentials: match (
                src.get("REDTRAIL_S3_ACCESS_KEY_ID"),
                src.get("REDTRAIL_S3_SECRET_ACCESS_KEY"),
            ) {
                (Some(id), Some(secret)) => Some((id.to_owned(), SecretString::from(secret))),
                _ => None,
            },
        }),
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "REDTRAIL_MEDIA_STORE",
                reason: format!("expected local or s3, got {other:?}"),
            });
        }
    };
    Ok(MediaSettings {
        dir: src
            .get("REDTRAIL_MEDIA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("media")),
        store,
        max_image_bytes: bytes("REDTRAIL_MEDIA_MAX_IMAGE_BYTES", 10 * MB)?,
        max_video_bytes: bytes("REDTRAIL_MEDIA_MAX_VIDEO_BYTES", 50 * MB)?,
        max_audio_bytes: bytes("REDTRAIL_MEDIA_MAX_AUDIO_BYTES", 20 * MB)?,
        max_pixels: parse_u64(
            "REDTRAIL_MEDIA_MAX_PIXELS",
            src.get("REDTRAIL_MEDIA_MAX_PIXELS"),
            24_000_000,
        )?
        .clamp(1, 200_000_000),
        max_side: parse_u64(
            "REDTRAIL_MEDIA_MAX_SIDE",
            src.get("REDTRAIL_MEDIA_MAX_SIDE"),
            8_192,
        )?
        .clamp(1, 65_535) as u32,
        public_url: src
            .get("REDTRAIL_MEDIA_PUBLIC_URL")
            .unwrap_or("")
            .trim_end_matches('/')
            .to_owned(),
    })
}

impl Settings {
    /// The database pool's size and wait.
    pub fn pool(&self) -> crate::db::PoolSettings {
        crate::db::PoolSettings {
            size: self.db_pool_size,
            acquire_timeout: self.db_acquire_timeout,
        }
    }

    pub fn load() -> Result<Self, ConfigError> {
        Self::from_source(&Source::from_env()?)
    }

    pub fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let env = match src
            .get("REDTRAIL_ENV")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("development" | "dev") => Environment::Development,
            Some("production" | "prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "REDTRAIL_ENV",
                    reason: format!("expected development or production, got {other:?}"),
                });
            }
        };
        let timezone: Tz = src
            .get("REDTRAIL_TIMEZONE")
            .unwrap_or("Asia/Shanghai")
            .parse()
            .map_err(|e| ConfigError::Invalid {
                name: "REDTRAIL_TIMEZONE",
                reason: format!("{e}"),
            })?;
        let trusted_proxies = list(src.get("REDTRAIL_TRUSTED_PROXIES"))
            .into_iter()
            .map(|p| {
                p.parse().map_err(|_| ConfigError::Invalid {
                    name: "REDTRAIL_TRUSTED_PROXIES",
                    reason: format!("{p:?} is not an IP address"),
                })
            })
            .collect::<Result<Vec<IpAddr>, _>>()?;
        let data_dir = PathBuf::from(src.get("REDTRAIL_DATA_DIR").unwrap_or("data"));
        let jwt_secret = src.get("REDTRAIL_JWT_SECRET").map(SecretString::from);
        let dev_login = parse_bool("REDTRAIL_DEV_LOGIN", src.get("REDTRAIL_DEV_LOGIN"), false)?;

        if env == Environment::Production {
            if jwt_secret.is_none() {
                return Err(ConfigError::MissingJwtSecret);
            }
            if dev_login {
                return Err(ConfigError::DevLoginInProduction);
            }
        }
        if let Some(secret) = &jwt_secret
            && secrecy::ExposeSecret::expose_secret(secret).len() < 32
        {
            return Err(ConfigError::Invalid {
                name: "REDTRAIL_JWT_SECRET",
                reason: "must be at least 32 characters".into(),
            });
        }

        let log_filter = src
            .get("REDTRAIL_LOG")
            .or_else(|| src.get("RUST_LOG"))
            .unwrap_or("info,sqlx=warn,sea_orm=warn")
            .to_owned();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            return Err(ConfigError::Invalid {
                name: "REDTRAIL_LOG",
                reason: e.to_string(),
            });
        }

        let log_format = match src
            .get("REDTRAIL_LOG_FORMAT")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            None if env == Environment::Production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "REDTRAIL_LOG_FORMAT",
                    reason: format!("expected json or pretty, got {other:?}"),
                });
            }
        };

        let wechat_configured = src.get("REDTRAIL_WECHAT_APPID").is_some()
            && src.get("REDTRAIL_WECHAT_SECRET").is_some();
        Ok(Self {
            content_check: parse_bool(
                "REDTRAIL_CONTENT_CHECK",
                src.get("REDTRAIL_CONTENT_CHECK"),
                wechat_configured,
            )?,
            sweep_every: Duration::from_millis(
                parse_u64(
                    "REDTRAIL_SWEEP_EVERY_MS",
                    src.get("REDTRAIL_SWEEP_EVERY_MS"),
                    600_000,
                )?
                .max(10),
            ),
            outbox_every: Duration::from_millis(
                parse_u64(
                    "REDTRAIL_OUTBOX_EVERY_MS",
                    src.get("REDTRAIL_OUTBOX_EVERY_MS"),
                    30_000,
                )?
                .max(10),
            ),
            content_recheck_every: Duration::from_millis(
                parse_u64(
                    "REDTRAIL_CONTENT_RECHECK_EVERY_MS",
                    src.get("REDTRAIL_CONTENT_RECHECK_EVERY_MS"),
                    60_000,
                )?
                .max(10),
            ),
            env,
            database_url: src
                .get("REDTRAIL_DATABASE_URL")
                .unwrap_or("sqlite://data/redtrail.db?mode=rwc")
                .to_owned(),
            bind: src
                .get("REDTRAIL_BIND")
                .unwrap_or("127.0.0.1:8080")
                .to_owned(),
            timezone,
            jwt_secret,
            dev_login,
            cors_origins: list(src.get("REDTRAIL_CORS_ORIGINS")),
            trusted_proxies,
            migrate: parse_bool("REDTRAIL_MIGRATE", src.get("REDTRAIL_MIGRATE"), true)?,
            wechat: WechatSettings {
                api_base: src
                    .get("REDTRAIL_WECHAT_API_BASE")
                    .unwrap_or("https://api.weixin.qq.com")
                    .trim_end_matches('/')
                    .to_owned(),
                appid: src.get("REDTRAIL_WECHAT_APPID").map(str::to_owned),
                secret: src.get("REDTRAIL_WECHAT_SECRET").map(SecretString::from),
                push_token: src
                    .get("REDTRAIL_WECHAT_PUSH_TOKEN")
                    .map(SecretString::from),
                review_template: src
                    .get("REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID")
                    .map(str::to_owned),
                timeout: Duration::from_millis(parse_u64(
                    "REDTRAIL_WECHAT_TIMEOUT_MS",
                    src.get("REDTRAIL_WECHAT_TIMEOUT_MS"),
                    5_000,
                )?),
                connect_timeout: Duration::from_millis(parse_u64(
                    "REDTRAIL_WECHAT_CONNECT_TIMEOUT_MS",
                    src.get("REDTRAIL_WECHAT_CONNECT_TIMEOUT_MS"),
                    2_000,
                )?),
            },
            media: media_settings(src, &data_dir)?,
            data_dir,
            log_format,
            log_filter,
            access_token_ttl: Duration::from_secs(parse_u64(
                "REDTRAIL_ACCESS_TOKEN_TTL_SECS",
                src.get("REDTRAIL_ACCESS_TOKEN_TTL_SECS"),
                7_200,
            )?),
            refresh_token_ttl: Duration::from_secs(
                parse_u64(
                    "REDTRAIL_REFRESH_TOKEN_TTL_DAYS",
                    src.get("REDTRAIL_REFRESH_TOKEN_TTL_DAYS"),
                    30,
                )? * 86_400,
            ),
            json_limit: parse_u64(
                "REDTRAIL_JSON_LIMIT_BYTES",
                src.get("REDTRAIL_JSON_LIMIT_BYTES"),
                64 * 1024,
            )? as usize,
            password_hashing_at_once: parse_u64(
                "REDTRAIL_PASSWORD_HASHING_AT_ONCE",
                src.get("REDTRAIL_PASSWORD_HASHING_AT_ONCE"),
                2,
            )?
            .clamp(1, 64) as usize,
            password_hashing_wait: Duration::from_millis(parse_u64(
                "REDTRAIL_PASSWORD_HASHING_WAIT_MS",
                src.get("REDTRAIL_PASSWORD_HASHING_WAIT_MS"),
                2_000,
            )?),
            admin_login_per_ip: parse_u64(
                "REDTRAIL_ADMIN_LOGIN_PER_IP",
                src.get("REDTRAIL_ADMIN_LOGIN_PER_IP"),
                30,
            )?
            .clamp(1, 100_000) as u32,
            leaderboard_cache: Duration::from_millis(
                parse_u64(
                    "REDTRAIL_LEADERBOARD_CACHE_MS",
                    src.get("REDTRAIL_LEADERBOARD_CACHE_MS"),
                    1_000,
                )?
                .min(60_000),
            ),
            db_pool_size: match src.get("REDTRAIL_DB_POOL_SIZE") {
                None => None,
                raw => Some(parse_u64("REDTRAIL_DB_POOL_SIZE", raw, 0)?.clamp(1, 1_000) as u32),
            },
            db_acquire_timeout: Duration::from_millis(
                parse_u64(
                    "REDTRAIL_DB_ACQUIRE_TIMEOUT_MS",
                    src.get("REDTRAIL_DB_ACQUIRE_TIMEOUT_MS"),
                    crate::db::DEFAULT_ACQUIRE_TIMEOUT.as_millis() as u64,
                )?
                .clamp(100, 60_000),
            ),
            quiz: QuizSettings {
                daily_count: parse_u64(
                    "REDTRAIL_QUIZ_DAILY_COUNT",
                    src.get("REDTRAIL_QUIZ_DAILY_COUNT"),
                    5,
                )?
                .clamp(1, 50) as usize,
                challenge_max: parse_u64(
                    "REDTRAIL_QUIZ_CHALLENGE_MAX",
                    src.get("REDTRAIL_QUIZ_CHALLENGE_MAX"),
                    30,
                )?
                .clamp(1, 200) as usize,
                challenge_per_question: Duration::from_secs(
                    parse_u64(
                        "REDTRAIL_QUIZ_CHALLENGE_SECONDS",
                        src.get("REDTRAIL_QUIZ_CHALLENGE_SECONDS"),
                        30,
                    )?
                    .clamp(5, 3_600),
                ),
                min_per_question: Duration::from_millis(parse_u64(
                    "REDTRAIL_QUIZ_MIN_MS_PER_QUESTION",
                    src.get("REDTRAIL_QUIZ_MIN_MS_PER_QUESTION"),
                    1_500,
                )?),
                grace: Duration::from_secs(
                    parse_u64(
                        "REDTRAIL_QUIZ_GRACE_SECONDS",
                        src.get("REDTRAIL_QUIZ_GRACE_SECONDS"),
                        30,
                    )?
                    .min(600),
                ),
                expiry_every: Duration::from_millis(
                    parse_u64(
                        "REDTRAIL_QUIZ_EXPIRY_EVERY_MS",
                        src.get("REDTRAIL_QUIZ_EXPIRY_EVERY_MS"),
                        60_000,
                    )?
                    .max(10),
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_to_start_without_a_jwt_secret() {
        let err =
            Settings::from_source(&Source::from_map([("REDTRAIL_ENV", "production")])).unwrap_err();
        assert!(matches!(err, ConfigError::MissingJwtSecret));
        assert!(err.to_string().contains("REDTRAIL_JWT_SECRET"));
    }

    #[test]
    fn the_log_filter_is_a_setting_checked_at_start() {
        let s = Settings::from_source(&Source::from_map([("RUST_LOG", "debug")])).unwrap();
        assert_eq!(s.log_filter, "debug");
        let s = Settings::from_source(&Source::from_map([
            ("RUST_LOG", "debug"),
            ("REDTRAIL_LOG", "warn,redtrail=info"),
        ]))
        .unwrap();
        assert_eq!(s.log_filter, "warn,redtrail=info");
        let err = Settings::from_source(&Source::from_map([("REDTRAIL_LOG", "=[")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "REDTRAIL_LOG",
                ..
            }
        ));
    }

    #[test]
    fn production_refuses_dev_login() {
        let err = Settings::from_source(&Source::from_map([
            ("REDTRAIL_ENV", "production"),
            ("REDTRAIL_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("REDTRAIL_DEV_LOGIN", "true"),
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::DevLoginInProduction));
        assert!(err.to_string().contains("REDTRAIL_DEV_LOGIN"));
    }

    #[test]
    fn zero_configuration_is_development_on_sqlite_in_data() {
        let s = Settings::from_source(&Source::from_map::<&str, &str>([])).unwrap();
        assert_eq!(s.env, Environment::Development);
        assert_eq!(s.database_url, "sqlite://data/redtrail.db?mode=rwc");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert!(s.migrate && !s.dev_login && s.jwt_secret.is_none());
        assert_eq!(s.media.dir, PathBuf::from("data/media"));
        assert!(matches!(s.media.store, StoreSettings::Local));
    }

    #[test]
    fn lists_and_bad_values_are_parsed_strictly() {
        let s = Settings::from_source(&Source::from_map([
            (
                "REDTRAIL_CORS_ORIGINS",
                "https://a.example, https://b.example",
            ),
            ("REDTRAIL_TRUSTED_PROXIES", "10.0.0.1"),
        ]))
        .unwrap();
        assert_eq!(s.cors_origins, ["https://a.example", "https://b.example"]);
        assert_eq!(s.trusted_proxies, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        let bad = Settings::from_source(&Source::from_map([("REDTRAIL_MIGRATE", "maybe")]));
        assert!(bad.unwrap_err().to_string().contains("REDTRAIL_MIGRATE"));
    }

    #[test]
    fn the_environment_wins_over_the_config_file() {
        let dir = std::env::temp_dir().join(format!("redtrail-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("redtrail.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\ntimezone = \"Asia/Urumqi\"\n",
        )
        .unwrap();
        let mut vars = read_file(file.to_str().unwrap()).unwrap();
        vars.insert("REDTRAIL_BIND".into(), "127.0.0.1:7000".into());
        let s = Settings::from_source(&Source { vars }).unwrap();
        assert_eq!(s.bind, "127.0.0.1:7000");
        assert_eq!(s.timezone, chrono_tz::Asia::Urumqi);
    }
}
