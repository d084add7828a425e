//! Building and running the server. `Application::build` binds (port 0 picks a free one, as
//! tests do), connects, migrates; `run_until_stopped` serves until SIGTERM/SIGINT, letting
//! in-flight requests finish.
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use rand::RngCore;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::AuthContext;
use crate::auth::password::AdminLoginLimits;
use crate::auth::tokens::TokenKeys;
use crate::clock::SharedClock;
use crate::config::{Environment, Settings};
use crate::db::Db;
use crate::error::{ApiError, FieldIssue};
use crate::http::{JsonLimit, KnownPaths, Observed, Tracing, metrics::Metrics, observe};
use crate::openapi;
use crate::points::service::BoardTops;
use crate::rate_limit::RateLimiter;
use crate::state::AppState;
use crate::wechat::WechatClient;

pub struct Application {
    port: u16,
    server: Server,
    jobs: Jobs,
}

/// The periodic jobs. Once the server has stopped they are told to stop and waited for (a
/// little longer than one WeChat call), so a round ends between two pieces of work: a subscribe
/// message being sent is recorded as sent, not claimed and left to be sent again.
struct Jobs {
    stop: tokio::sync::watch::Sender<bool>,
    running: Vec<tokio::task::JoinHandle<()>>,
}

type Stop = tokio::sync::watch::Receiver<bool>;

/// In-flight requests get this long after SIGTERM, then the jobs [`JOBS_GRACE`]: together
/// under the 30 s a service manager waits before SIGKILL. (Stopping the jobs at the signal
/// rather than after the requests would leave more room; not yet.)
const SHUTDOWN_GRACE_SECS: u64 = 15;
/// Long enough for a round to finish the send it is in: a token renewal and the send, each
/// within the default WeChat timeout (5 s).
const JOBS_GRACE: std::time::Duration = std::time::Duration::from_secs(12);

impl Jobs {
    fn new() -> Self {
        Jobs {
            stop: tokio::sync::watch::channel(false).0,
            running: Vec::new(),
        }
    }

    fn spawn<Fut>(&mut self, job: impl FnOnce(Stop) -> Fut)
    where
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.running.push(tokio::spawn(job(self.stop.subscribe())));
    }

    async fn stop(self, within: std::time::Duration) {
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.running);
        if tokio::time::timeout(within, all).await.is_err() {
            tracing::warn!("a periodic job was still at work when redtrail stopped");
        }
    }
}

impl Application {
    pub async fn build(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let db = Db::open(&settings.database_url, settings.migrate, settings.pool()).await?;
        if let Err(e) = db.optimize().await {
            tracing::warn!(error = %e, "refreshing SQLite's planner statistics failed");
        }
        let secret = jwt_secret(&settings)?;
        let state = web::Data::new(AppState {
            tokens: TokenKeys::new(
                &secret,
                settings.access_token_ttl,
                settings.refresh_token_ttl,
            ),
            wechat: WechatClient::new(&settings.wechat, clock.clone())?,
            storage: crate::storage::Storage::new(&settings.media)?,
            metrics: Arc::new(Metrics::new(db.statements())?),
            join_limiter: RateLimiter::new(10, chrono::Duration::minutes(1)),
            upload_limiter: RateLimiter::new(30, chrono::Duration::minutes(1)),
            admin_login: AdminLoginLimits::new(&settings),
            settings: Arc::new(settings),
            clock,
            db,
        });
        if state.settings.wechat.appid.is_none() || state.settings.wechat.secret.is_none() {
            tracing::warn!(
                "REDTRAIL_WECHAT_APPID / REDTRAIL_WECHAT_SECRET are not set: WeChat login will answer 503"
            );
        }

        let mut jobs = Jobs::new();
        jobs.spawn(|stop| sweep_now_and_then(state.clone(), stop));
        jobs.spawn(|stop| expire_quizzes_now_and_then(state.clone(), stop));
        if state.settings.content_check && state.settings.media.public_url.is_empty() {
            tracing::warn!(
                "REDTRAIL_MEDIA_PUBLIC_URL is not set: WeChat cannot fetch images, so they are not checked"
            );
        }
        if state.settings.content_check {
            jobs.spawn(|stop| recheck_content_now_and_then(state.clone(), stop));
        }
        if state.settings.wechat.review_template.is_some() {
            jobs.spawn(|stop| send_messages_now_and_then(state.clone(), stop));
        }

        let listener = TcpListener::bind(&state.settings.bind)
            .with_context(|| format!("binding {}", state.settings.bind))?;
        let address = listener.local_addr()?;
        let origins = state.settings.cors_origins.clone();
        // The shared layers get what they need on its own, not the whole AppState.
        let auth = web::Data::new(AuthContext {
            db: state.db.clone(),
            tokens: state.tokens.clone(),
            clock: state.clock.clone(),
        });
        let observed = web::Data::new(Observed {
            metrics: state.metrics.clone(),
            trusted_proxies: state.settings.trusted_proxies.clone(),
        });
        let json_limit = JsonLimit(state.settings.json_limit);
        // The points capability's own cache, handed to its handlers beside the AppState (which
        // sits below the capabilities and knows none of them).
        let board_tops = web::Data::new(BoardTops::new(state.settings.leaderboard_cache));
        // Built once; each worker's registration below yields the same routes.
        let spec = openapi::spec();
        let mut known = KnownPaths::from_spec(&spec);
        if !state.settings.dev_login {
            known = known.without("/api/v1/auth/dev-login");
        }
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(openapi::base())
                .app_data(state.clone())
                .app_data(auth.clone())
                .app_data(observed.clone())
                .app_data(board_tops.clone())
                .app_data(json_limit)
                .app_data(query_config())
                .app_data(known.clone())
                // `/admin/sites/import` read as `/admin/sites/{id}`: 405 if another method
                // serves the path, else 404.
                .app_data(web::PathConfig::default().error_handler(|_, req| {
                    match req.app_data::<KnownPaths>() {
                        Some(known) => known.unrouted(req).into(),
                        None => ApiError::NotFound.into(),
                    }
                }))
                .configure(crate::api::configure)
                .split_for_parts();
            let known = known.clone();
            app.service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .external_url_unchecked("/api-docs/openapi.json", spec.clone()),
                )
                .default_service(web::to(move |req: actix_web::HttpRequest| {
                    let answer = known.unrouted(&req);
                    async move { Err::<actix_web::HttpResponse, _>(answer) }
                }))
                .wrap(cors(&origins))
                .wrap(from_fn(observe))
                .wrap(Tracing::new())
        })
        .listen(listener)?
        // With the jobs' wait after it, under the 30 s a service manager (Kubernetes,
        // systemd) waits before SIGKILL.
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        .run();

        tracing::info!(address = %format!("http://{address}"), docs = %format!("http://{address}/docs/"), "redtrail is listening");
        Ok(Self {
            port: address.port(),
            server,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (gracefully with `stop(true)`).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then stops the periodic jobs.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.jobs.stop(JOBS_GRACE).await;
        served
    }
}

/// A query string that does not parse is a 422 naming `query`, like any other bad field.
fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::field(
            "query",
            FieldIssue::new("invalid_type").with("reason", err.to_string()),
        )
        .into()
    })
}

/// Browsers may call from the configured origins only. Requests from other origins are not
/// refused here (phones and servers send none); browsers enforce the missing headers.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Housekeeping every few minutes while the server runs: expired idempotency keys go, and
/// uploads nobody attached within a day; SQLite's planner statistics are refreshed. Safe on every instance at once; a failure is logged
/// and tried again next time.
async fn sweep_now_and_then(state: web::Data<AppState>, mut stop: Stop) {
    let mut every = tokio::time::interval(state.settings.sweep_every);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            _ = every.tick() => {}
        }
        if let Err(e) = crate::http::idempotency::sweep(&state.db, state.clock.now()).await {
            tracing::warn!(error = %e, "sweeping expired idempotency keys failed");
        }
        let now = state.clock.now();
        let swept = crate::media::service::sweep_unattached(&state.db, &state.storage, now, 500);
        if let Err(e) = swept.await {
            tracing::warn!(error = %e, "sweeping unattached media failed");
        }
        if let Err(e) = state.db.optimize().await {
            tracing::warn!(error = %e, "refreshing SQLite's planner statistics failed");
        }
    }
}

/// Runs `round` every `every`, on one instance at a time: each round first takes the job's
/// lease `name` in the database (a crashed holder's lease runs out), so replicas do not do the
/// same work side by side. The work must still be safe twice.
async fn leased<F, Fut>(
    state: web::Data<AppState>,
    name: &'static str,
    every: std::time::Duration,
    mut stop: Stop,
    round: F,
) where
    F: Fn(web::Data<AppState>, chrono::DateTime<chrono::Utc>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = chrono::Duration::from_std(every * 5).unwrap_or(chrono::Duration::minutes(5));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            _ = tick.tick() => {}
        }
        let now = state.clock.now();
        match crate::db::take_lease(&state.db, name, &holder, now, lease).await {
            Ok(true) => round(state.clone(), now).await,
            Ok(false) => {}
            Err(e) => tracing::warn!(job = name, error = %e, "taking a job's lease failed"),
        }
    }
}

/// Grades quiz attempts left open past their deadline, every `REDTRAIL_QUIZ_EXPIRY_EVERY_MS`.
async fn expire_quizzes_now_and_then(state: web::Data<AppState>, stop: Stop) {
    let settings = state.settings.clone();
    let (every, rules) = (
        settings.quiz.expiry_every,
        crate::quiz::service::Rules::of(&settings),
    );
    leased(state, "quiz.expiry", every, stop, |state, now| async move {
        match crate::quiz::service::expire_overdue(&state.db, rules, now, 200).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(graded = n, "graded quiz attempts past their deadline"),
            Err(e) => tracing::warn!(error = %e, "grading overdue quiz attempts failed"),
        }
    })
    .await
}

/// Sends queued subscribe messages, every `REDTRAIL_OUTBOX_EVERY_MS`: up to 50 a round, one at
/// a time, each claimed at the clock's time then; a stop comes between two.
async fn send_messages_now_and_then(state: web::Data<AppState>, stop: Stop) {
    use crate::notifications::service::{CLAIM, send_due};
    let every = state.settings.outbox_every;
    let stopping = stop.clone();
    leased(state, "outbox.send", every, stop, move |state, _| {
        let stopping = stopping.clone();
        async move {
            // Bounded by count and by time (well inside the lease, 5 rounds): a WeChat outage
            // makes each try slow, and the next round can go on.
            let started = std::time::Instant::now();
            let mut tried = 0;
            while tried < 50 && started.elapsed() < every * 2 && !*stopping.borrow() {
                match send_due(&state.db, &state.wechat, state.clock.now(), 1, CLAIM).await {
                    Ok(0) => break,
                    Ok(n) => tried += n,
                    Err(e) => {
                        tracing::warn!(error = %e, "sending queued subscribe messages failed");
                        break;
                    }
                }
            }
            if tried > 0 {
                tracing::info!(tried, "sent queued subscribe messages");
            }
        }
    })
    .await
}

/// Asks WeChat again about texts kept unchecked while it was down, and about images it could
/// not be asked to check, every `REDTRAIL_CONTENT_RECHECK_EVERY_MS`.
async fn recheck_content_now_and_then(state: web::Data<AppState>, stop: Stop) {
    let every = state.settings.content_recheck_every;
    leased(
        state,
        "content.recheck",
        every,
        stop,
        |state, now| async move {
            let ctx = crate::submissions::service::Ctx::of(&state.settings, now);
            match crate::submissions::service::recheck_due(&state.db, &state.wechat, ctx, 50).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(checked = n, "checked kept texts again"),
                Err(e) => tracing::warn!(error = %e, "checking kept texts again failed"),
            }
            let public_url = &state.settings.media.public_url;
            if !public_url.is_empty() {
                let images =
                    crate::media::service::recheck_images(&state.db, &state.wechat, public_url, 50);
                if let Err(e) = images.await {
                    tracing::warn!(error = %e, "asking about unchecked images again failed");
                }
            }
        },
    )
    .await
}

/// The configured secret; in development without one, a secret generated once into the data
/// directory, so tokens survive restarts.
fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secrecy::ExposeSecret::expose_secret(secret)
            .as_bytes()
            .to_vec());
    }
    anyhow::ensure!(
        settings.env == Environment::Development,
        "REDTRAIL_JWT_SECRET is required when REDTRAIL_ENV=production"
    );
    let path = settings.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let mut file = open_private(&path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::warn!(
        path = %path.display(),
        "generated a development JWT secret; set REDTRAIL_JWT_SECRET in production"
    );
    Ok(secret.into_bytes())
}

/// A file only its owner can read.
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
