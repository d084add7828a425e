//! Signals, on the real binary as a service manager runs it. Killed outright (SIGKILL) in the
//! middle of a check-in load, redtrail loses no check-in it answered 201, half-writes nothing
//! (`points verify` passes) and leaves no idempotency key stuck; stopped politely (SIGTERM), it
//! finishes the requests it has begun, takes no new connection and exits 0.
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::ADMIN_PASSWORD;
use crate::helpers::{APP_SECRET, APPID, JWT_SECRET, TestDatabase, session_from};

/// `redtrail serve` in a process of its own, on a port of its own.
struct Process {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl Process {
    /// Starts the binary and waits until `/readyz` answers 200 (it migrates first).
    async fn start(db_url: &str, data_dir: &Path, wechat: &str) -> Process {
        Self::start_with(db_url, data_dir, wechat, &[]).await
    }

    async fn start_with(
        db_url: &str,
        data_dir: &Path,
        wechat: &str,
        vars: &[(&str, &str)],
    ) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let logs = || match std::env::var_os("TEST_LOG") {
            Some(_) => Stdio::inherit(),
            None => Stdio::null(),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_redtrail"))
            .arg("serve")
            .env_remove("REDTRAIL_ENV")
            .env("REDTRAIL_DATABASE_URL", db_url)
            .env("REDTRAIL_BIND", format!("127.0.0.1:{port}"))
            .env("REDTRAIL_JWT_SECRET", JWT_SECRET)
            .env("REDTRAIL_DEV_LOGIN", "true")
            .env("REDTRAIL_DATA_DIR", data_dir)
            .env("REDTRAIL_WECHAT_API_BASE", wechat)
            .env("REDTRAIL_WECHAT_APPID", APPID)
            .env("REDTRAIL_WECHAT_SECRET", APP_SECRET)
            .env("REDTRAIL_LOG", "warn")
            .envs(vars.iter().copied())
            .stdout(logs())
            .stderr(logs())
            .spawn()
            .expect("start the redtrail binary");
        let mut process = Process {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        for _ in 0..600 {
            let ready = process.client.get(process.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return process;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("redtrail exited while starting: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("redtrail was not ready within a minute");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name}");
    }

    /// Waits (at most `within`) for the process to exit.
    async fn exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for redtrail") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "redtrail still running after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    async fn dev_login(&self, openid: &str) -> String {
        let res = self
            .post("/api/v1/auth/dev-login", &json!({ "openid": openid }), None)
            .await;
        session_from(res).await.access_token
    }
}

/// A platform admin, made as `redtrail admin create` makes one, logged in: its token.
async fn root(server: &Process, db_url: &str) -> String {
    let conn = redtrail::db::Db::connect(db_url).await.unwrap();
    let now = chrono::Utc::now();
    redtrail::sessions::service::create_platform_admin(&conn, "root", ADMIN_PASSWORD, now)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let login = json!({"username": "root", "password": ADMIN_PASSWORD});
    let res = server.post("/api/v1/auth/admin-login", &login, None).await;
    session_from(res).await.access_token
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A check-in request: member's token, the site's id and where it is.
#[derive(Clone)]
struct Job {
    member: usize,
    site: usize,
}

impl Job {
    fn key(&self) -> String {
        format!("sigkill-{}-{}", self.member, self.site)
    }
}

/// The answers the load got: for each key sent, the check-in id if it was answered 201.
type Answers = Arc<Mutex<HashMap<String, Option<i64>>>>;

#[tokio::test]
async fn sigkill_during_a_check_in_load_loses_no_answered_check_in_and_sticks_no_key() {
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    let wechat = MockServer::start().await;
    let server = Process::start(&db.url, data.path(), &wechat.uri()).await;

    let root = root(&server, &db.url).await;
    let mut sites = Vec::new();
    for i in 0..8 {
        let (lat, lng) = (23.0 + f64::from(i) * 0.01, 113.3);
        let body = json!({"name": format!("红色足迹 {i}"), "category": "former_site",
                          "lat": lat, "lng": lng});
        let res = server.post("/api/v1/admin/sites", &body, Some(&root)).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let site: Value = res.json().await.unwrap();
        sites.push((site["id"].as_i64().unwrap(), lat, lng));
    }
    let mut members = Vec::new();
    for m in 0..40 {
        members.push(server.dev_login(&format!("o-sigkill-{m}")).await);
    }
    let jobs: VecDeque<Job> = (0..members.len())
        .flat_map(|member| (0..sites.len()).map(move |site| Job { member, site }))
        .collect();
    let (members, sites) = (Arc::new(members), Arc::new(sites));
    let queue = Arc::new(Mutex::new(jobs));
    let answers: Answers = Arc::default();

    // Six clients check in as fast as they are answered; each stops at its first failure.
    let send =
        |address: String, job: Job, members: Arc<Vec<String>>, sites: Arc<Vec<(i64, f64, f64)>>| {
            let (id, lat, lng) = sites[job.site];
            let body = json!({"site_id": id, "lat": lat, "lng": lng, "accuracy_m": 10.0});
            reqwest::Client::new()
                .post(format!("{address}/api/v1/checkins"))
                .bearer_auth(&members[job.member])
                .header("idempotency-key", job.key())
                .json(&body)
                .send()
        };
    let mut workers = Vec::new();
    for _ in 0..6 {
        let (queue, answers) = (queue.clone(), answers.clone());
        let (members, sites, address) = (members.clone(), sites.clone(), server.address.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(job) = queue.lock().unwrap().pop_front() else {
                    return;
                };
                answers.lock().unwrap().insert(job.key(), None);
                let res = send(address.clone(), job.clone(), members.clone(), sites.clone()).await;
                let Ok(res) = res else { return };
                assert_eq!(res.status(), StatusCode::CREATED);
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                answers
                    .lock()
                    .unwrap()
                    .insert(job.key(), body["id"].as_i64());
            }
        }));
    }
    let answered = || {
        answers
            .lock()
            .unwrap()
            .values()
            .filter(|a| a.is_some())
            .count()
    };
    for _ in 0..3000 {
        if answered() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(answered() >= 60, "the load got going");
    let mut server = server;
    server.signal("KILL");
    assert!(!server.exit(Duration::from_secs(10)).await.success());
    for worker in workers {
        worker.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    assert!(
        answers.len() < members.len() * sites.len(),
        "killed in the middle of the load"
    );

    // Restarted: every key sent, answered or not, is answered 201 again, with the same check-in
    // where there was one (a replay), never 409 `idempotency.in_progress` or a 5xx.
    let server = Process::start(&db.url, data.path(), &wechat.uri()).await;
    let mut held: HashMap<usize, Vec<i64>> = HashMap::new();
    for (key, first) in &answers {
        let mut parts = key.rsplitn(3, '-');
        let site: usize = parts.next().unwrap().parse().unwrap();
        let member: usize = parts.next().unwrap().parse().unwrap();
        let job = Job { member, site };
        let res = send(server.address.clone(), job, members.clone(), sites.clone())
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{key}: {body}");
        if let Some(first) = first {
            assert_eq!(body["id"].as_i64(), Some(*first), "{key} replays");
        }
        held.entry(member)
            .or_default()
            .push(body["id"].as_i64().unwrap());
    }
    // Each member holds exactly the check-ins these answers name, nothing half-written.
    for (member, ids) in &mut held {
        let list = server
            .client
            .get(server.url("/api/v1/me/checkins?limit=50"))
            .bearer_auth(&members[*member])
            .send()
            .await
            .unwrap();
        let list: Value = list.json().await.unwrap();
        let mut listed: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        listed.sort_unstable();
        ids.sort_unstable();
        assert_eq!(&listed, ids, "member {member}");
    }
    let verify = Command::new(env!("CARGO_BIN_EXE_redtrail"))
        .args(["points", "verify"])
        .env_remove("REDTRAIL_ENV")
        .env("REDTRAIL_DATABASE_URL", &db.url)
        .env("REDTRAIL_DATA_DIR", data.path())
        .env("REDTRAIL_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "points verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    drop(server);
}

#[tokio::test]
async fn sigterm_lets_begun_requests_finish_takes_no_new_connection_and_exits_0() {
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    let wechat = MockServer::start().await;
    // Three WeChat logins that take WeChat 3 s each: still running when the signal comes.
    for n in 0..3 {
        Mock::given(method("GET"))
            .and(path("/sns/jscode2session"))
            .and(query_param("js_code", format!("code-term-{n}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"openid": format!("o-term-{n}"), "session_key": "k"}))
                    .set_delay(Duration::from_secs(3)),
            )
            .mount(&wechat)
            .await;
    }
    let mut server = Process::start(&db.url, data.path(), &wechat.uri()).await;
    let logins: Vec<_> = (0..3)
        .map(|n| {
            let request = server
                .client
                .post(server.url("/api/v1/auth/wechat-login"))
                .json(&json!({"code": format!("code-term-{n}")}));
            tokio::spawn(request.send())
        })
        .collect();
    for _ in 0..500 {
        if wechat.received_requests().await.unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(wechat.received_requests().await.unwrap().len(), 3);

    server.signal("TERM");
    // New connections are refused while the begun requests are still running.
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "a new connection is refused after SIGTERM");
    assert!(
        logins.iter().all(|l| !l.is_finished()),
        "refused before the begun requests were done"
    );
    for login in logins {
        let res = login
            .await
            .unwrap()
            .expect("an answer, not a dropped connection");
        session_from(res).await;
    }
    let status = server.exit(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{status}");
}

/// SIGTERM while a subscribe message is on its way to WeChat: the periodic job is waited for,
/// so the message is recorded sent (not left claimed, to be sent again), and the exit is 0.
#[tokio::test]
async fn sigterm_lets_a_subscribe_message_being_sent_be_recorded_sent() {
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    let wechat = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "TOKEN", "expires_in": 7200})),
        )
        .mount(&wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 0, "errmsg": "ok"}))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&wechat)
        .await;
    let template = "tmpl-review-result";
    let vars = [
        ("REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID", template),
        ("REDTRAIL_OUTBOX_EVERY_MS", "50"),
        ("REDTRAIL_CONTENT_CHECK", "false"),
    ];
    let mut server = Process::start_with(&db.url, data.path(), &wechat.uri(), &vars).await;
    let root = root(&server, &db.url).await;
    let member = server.dev_login("o-term-message").await;
    let res = server
        .post(
            "/api/v1/me/subscriptions",
            &json!({"template_id": template}),
            Some(&member),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let body = json!({"kind": "reflection", "title": "收到了吗", "body": "审核结果会推送。"});
    let posted: Value = server
        .post("/api/v1/submissions", &body, Some(&member))
        .await
        .json()
        .await
        .unwrap();
    let review = format!("/api/v1/admin/submissions/{}/review", posted["id"]);
    let decision = json!({"decision": "approve", "version": 1});
    let res = server.post(&review, &decision, Some(&root)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let sending = || async {
        let received = wechat.received_requests().await.unwrap_or_default();
        received
            .iter()
            .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
            .count()
    };
    for _ in 0..500 {
        if sending().await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sending().await, 1, "the message is on its way");

    server.signal("TERM");
    let status = server.exit(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "{status}");
    let conn = redtrail::db::Db::connect(&db.url).await.unwrap();
    let rows = entity::outbox::Entity::find()
        .all(conn.conn())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let fates: Vec<(&str, i32)> = rows
        .iter()
        .map(|r| (r.status.as_str(), r.attempts))
        .collect();
    assert_eq!(fates, [("sent", 1)], "recorded as sent once");
}
