//! Faults: a database out of reach. redtrail reaches PostgreSQL or MariaDB through a TCP proxy
//! the test can cut: while it is cut, requests answer 503 `service_unavailable` (not 500, not a
//! hang) and `/readyz` says so; when it is back, redtrail serves again without a restart.
//! SQLite has no server to lose: there the test has nothing to cut and ends at once. And two
//! instances on one database, as replicas behind a load balancer.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{
    TestApp, TestDatabase, assert_error, session_from, spawn_app, spawn_app_with,
};

/// A TCP proxy to the database that can refuse new connections and cut the open ones.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn to(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, generation) = tokio::sync::watch::channel(0u64);
        let refusing = down.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if refusing.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let mut generation = generation.clone();
                generation.mark_unchanged();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = generation.changed() => {}
                    }
                });
            }
        });
        Proxy { port, down, cut }
    }

    fn stop(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    fn start(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_out_of_reach_answers_503_and_service_comes_back_without_a_restart() {
    let db = TestDatabase::create().await;
    let Some((scheme_user, rest)) = db.url.split_once('@') else {
        return; // SQLite: a file, no server to lose
    };
    let (upstream, name) = rest.split_once('/').unwrap();
    let proxy = Proxy::to(upstream.to_owned()).await;
    let via_proxy = format!("{scheme_user}@127.0.0.1:{}/{name}", proxy.port);
    let app = spawn_app_with(vec![
        ("REDTRAIL_DATABASE_URL", via_proxy),
        ("REDTRAIL_DB_ACQUIRE_TIMEOUT_MS", "1000".into()),
    ])
    .await;
    let member = app.dev_login("o-outage").await;
    let token = Some(member.access_token.as_str());
    assert_eq!(app.get("/api/v1/me", token).await.status(), StatusCode::OK);

    proxy.stop();
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(
        me.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("1")
    );
    assert_error(me, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    let login = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "o-outage-2"}),
            None,
        )
        .await;
    assert_error(
        login,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.start();
    let mut back = false;
    for _ in 0..50 {
        if app.get("/api/v1/me", token).await.status() == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(back, "served again once the database is back");
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    let again = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "o-outage-2"}),
            None,
        )
        .await;
    session_from(again).await;
}

/// Two instances on one database, requests alternating between them: the invariants live in
/// the database, not in either process.
#[tokio::test]
async fn two_instances_on_one_database_keep_one_check_in_a_day_replays_and_lockouts() {
    let app = spawn_app().await;
    let other = app.replica().await;
    let root = app.platform_admin().await;
    let site = json!({"name": "中共番禺县工委旧址", "category": "former_site",
                      "lat": 22.9375, "lng": 113.3842});
    let (status, site) = app
        .json(
            app.post("/api/v1/admin/sites", &site, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let member = app.dev_login("o-two-instances").await;
    let body = json!({"site_id": site["id"], "lat": 22.9375, "lng": 113.3842, "accuracy_m": 10.0});
    let send = |instance: &TestApp, key: &str| {
        instance
            .client
            .post(instance.url("/api/v1/checkins"))
            .bearer_auth(&member.access_token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };

    // A retry through the other instance replays the answer; a new attempt there is refused.
    let first = send(&app, "two-instances-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = send(&other, "two-instances-1").await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    let again = send(&other, "two-instances-2").await.unwrap();
    assert_error(again, StatusCode::CONFLICT, "checkin.already_today").await;
    let (_, points) = app
        .json(
            app.get("/api/v1/me/points", Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(points["total"], 5, "paid once: {points}");

    // Failed logins count across instances: five, alternating, lock the name on both.
    assert!(
        app.admin_create("two-instances", "a-long-password-1")
            .status
            .success()
    );
    for i in 0..5 {
        let instance = if i % 2 == 0 { &app } else { &other };
        assert_error(
            instance.admin_login("two-instances", "wrong").await,
            StatusCode::UNAUTHORIZED,
            "auth.bad_credentials",
        )
        .await;
    }
    for instance in [&app, &other] {
        assert_error(
            instance
                .admin_login("two-instances", "a-long-password-1")
                .await,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        )
        .await;
    }
}
