use std::sync::{Arc, Once};
use std::thread::JoinHandle;

use chrono::{TimeZone, Utc};
use redtrail::clock::ManualClock;
use redtrail::config::{Settings, Source};
use redtrail::startup::Application;
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const APPID: &str = "wx-test-appid";
pub const APP_SECRET: &str = "test-app-secret-never-logged";
pub const JWT_SECRET: &str = "integration-tests-jwt-secret-0123456789";

/// Logs go to the test output when `TEST_LOG` is set.
fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            redtrail::telemetry::init(redtrail::config::LogFormat::Pretty, "info,sqlx=warn");
        }
    });
}

/// A database of its own for one test, dropped with it.
pub struct TestDatabase {
    pub url: String,
    server: Option<(String, String)>,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let server = std::env::var("REDTRAIL_TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let Some(server) = server else {
            let dir = tempfile::tempdir().expect("temp dir");
            return Self {
                url: format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
                server: None,
                _dir: Some(dir),
            };
        };
        let name = format!("redtrail_test_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_url(&server);
        let conn = Database::connect(admin.as_str())
            .await
            .expect("connect to the test database server");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        conn.close().await.ok();
        Self {
            url: format!("{}/{name}", server_root(&server)),
            server: Some((admin, name)),
            _dir: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.server.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let conn = Database::connect(admin.as_str()).await?;
                let force = if admin.starts_with("postgres") {
                    " WITH (FORCE)"
                } else {
                    ""
                };
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}{force}"))
                    .await?;
                conn.close().await
            })
        })
        .join();
    }
}

/// `scheme://user@host:port`, whatever path the URL had.
fn server_root(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a database URL");
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

fn admin_url(url: &str) -> String {
    let root = server_root(url);
    if root.starts_with("postgres") {
        format!("{root}/postgres")
    } else {
        root
    }
}

/// The server under test, on its own thread and runtime so that dropping it can stop it and
/// wait: its connection pool closes before the test database is dropped.
struct RunningServer {
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct TestApp {
    // Field order is drop order: the server (and its periodic jobs) stops first, before its
    // WeChat fake goes back to the pool for another test and before its database goes.
    _server: RunningServer,
    pub address: String,
    pub client: reqwest::Client,
    pub wechat: MockServer,
    pub clock: Arc<ManualClock>,
    pub db_url: String,
    pub data_dir: TempDir,
    _db: Option<TestDatabase>,
}

/// Settings a test may add to or override, as `REDTRAIL_*` variables.
pub type Vars = Vec<(&'static str, String)>;

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new()).await
}

pub async fn spawn_app_with(overrides: Vars) -> TestApp {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    spawn_on(Some(db), url, None, overrides).await
}

/// A second instance of redtrail on another's database and WeChat fake: another replica behind
/// the load balancer. It borrows the first, which owns the database, so it cannot outlive it.
pub struct Replica<'a> {
    app: TestApp,
    _primary: std::marker::PhantomData<&'a TestApp>,
}

impl std::ops::Deref for Replica<'_> {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl TestApp {
    /// A replica with the tests' default settings (and `overrides`), its own clock set to this
    /// one's now.
    pub async fn replica(&self) -> Replica<'_> {
        self.replica_with(Vec::new()).await
    }

    pub async fn replica_with(&self, overrides: Vars) -> Replica<'_> {
        let app = spawn_on(
            None,
            self.db_url.clone(),
            Some(self.wechat.uri()),
            overrides,
        )
        .await;
        app.clock.set(self.clock_now());
        Replica {
            app,
            _primary: std::marker::PhantomData,
        }
    }
}

/// The server on `db_url`; `db` is the database it owns (dropped with it), if any; `wechat`
/// the WeChat fake to use instead of its own.
pub async fn spawn_on(
    db: Option<TestDatabase>,
    db_url: String,
    wechat_base: Option<String>,
    overrides: Vars,
) -> TestApp {
    init_logs();
    let wechat = MockServer::start().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut vars: Vars = vec![
        ("REDTRAIL_DATABASE_URL", db_url.clone()),
        ("REDTRAIL_BIND", "127.0.0.1:0".into()),
        ("REDTRAIL_JWT_SECRET", JWT_SECRET.into()),
        ("REDTRAIL_DEV_LOGIN", "true".into()),
        (
            "REDTRAIL_WECHAT_API_BASE",
            wechat_base.unwrap_or_else(|| wechat.uri()),
        ),
        ("REDTRAIL_WECHAT_APPID", APPID.into()),
        ("REDTRAIL_WECHAT_SECRET", APP_SECRET.into()),
        ("REDTRAIL_WECHAT_TIMEOUT_MS", "1500".into()),
        ("REDTRAIL_DATA_DIR", data_dir.path().display().to_string()),
        // Tests read boards right after paying; one test turns the cache on.
        ("REDTRAIL_LEADERBOARD_CACHE_MS", "0".into()),
        // The tests of the content check turn it on, with WeChat's answers mounted.
        ("REDTRAIL_CONTENT_CHECK", "false".into()),
    ];
    for (key, value) in overrides {
        vars.retain(|(k, _)| *k != key);
        vars.push((key, value));
    }
    let settings = Settings::from_source(&Source::from_map(vars)).expect("test settings");
    // A fixed, ordinary moment: 10:00 in Shanghai.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap());

    let (tx, rx) = tokio::sync::oneshot::channel();
    let server_clock = clock.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            match Application::build(settings, server_clock).await {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                }
            }
        });
    });
    let (port, handle) = rx
        .await
        .expect("server thread")
        .expect("the application starts");

    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        wechat,
        clock,
        db_url,
        data_dir,
        _server: RunningServer {
            handle,
            thread: Some(thread),
        },
        _db: db,
    }
}

/// A member logged in through dev login.
pub struct Session {
    pub member_id: i64,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use redtrail::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    pub async fn put(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut req = self.client.put(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    /// The server's `redtrail_db_statements_total`: what a request costs the database.
    pub async fn statements_so_far(&self) -> u64 {
        let text = self.get("/metrics", None).await.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("redtrail_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("the statement counter is in /metrics")
    }

    /// `sqlite`, `postgres` or `mysql`: for the few checks whose numbers differ by backend.
    pub fn backend(&self) -> &'static str {
        match self.db_url.split(':').next() {
            Some("postgres" | "postgresql") => "postgres",
            Some("mysql" | "mariadb") => "mysql",
            _ => "sqlite",
        }
    }

    pub async fn dev_login(&self, openid: &str) -> Session {
        let res = self
            .post("/api/v1/auth/dev-login", &json!({ "openid": openid }), None)
            .await;
        session_from(res).await
    }

    /// Makes WeChat hand out the access token `TOKEN` from `stable_token`.
    pub async fn wechat_token(&self) {
        Mock::given(method("POST"))
            .and(path("/cgi-bin/stable_token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "TOKEN", "expires_in": 7200})),
            )
            .mount(&self.wechat)
            .await;
    }

    /// Makes WeChat answer `jscode2session` for `code` with `body`.
    pub async fn wechat_answers(&self, code: &str, body: Value) {
        Mock::given(method("GET"))
            .and(path("/sns/jscode2session"))
            .and(query_param("js_code", code))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.wechat)
            .await;
    }

    /// Runs the `redtrail` binary with `args` against this test's database, `stdin` as input.
    pub fn run_cli(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redtrail"))
            .args(args)
            .env("REDTRAIL_DATABASE_URL", &self.db_url)
            .env("REDTRAIL_DATA_DIR", self.data_dir.path())
            .env("REDTRAIL_LOG", "warn")
            .env_remove("REDTRAIL_ENV")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the redtrail binary");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child
            .wait_with_output()
            .expect("the redtrail binary finishes")
    }

    /// Runs `redtrail admin create NAME`, the password on stdin.
    pub fn admin_create(&self, name: &str, password: &str) -> std::process::Output {
        self.run_cli(&["admin", "create", name], &format!("{password}\n"))
    }

    pub async fn admin_login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/admin-login",
            &json!({ "username": username, "password": password }),
            None,
        )
        .await
    }
}

pub async fn session_from(res: Response) -> Session {
    let status = res.status();
    let body: Value = res.json().await.expect("JSON body");
    assert_eq!(status, StatusCode::OK, "login failed: {body}");
    Session {
        member_id: body["member"]["id"].as_i64().expect("member id"),
        access_token: body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// Asserts the status and the contract's error body; returns the body.
pub async fn assert_error(res: Response, status: StatusCode, code: &str) -> Value {
    let actual = res.status();
    let body: Value = res.json().await.expect("an error body in JSON");
    assert_eq!(actual, status, "unexpected status; body: {body}");
    assert_eq!(body["code"], code, "unexpected code; body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {body}"
    );
    assert!(
        body["details"].is_object(),
        "details must be an object: {body}"
    );
    body
}
