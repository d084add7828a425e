//! Faults. A database out of reach: redtrail reaches PostgreSQL or MariaDB through a TCP proxy
//! the test can cut; while it is cut, requests answer 503 `service_unavailable` (not 500, not a
//! hang) and `/readyz` says so; when it is back, redtrail serves again without a restart.
//! SQLite has no server to lose: there the test has nothing to cut and ends at once. WeChat
//! hanging: only what needs it waits, and its queues catch up. Two instances on one database,
//! as replicas behind a load balancer. (Signals to the process: `signals.rs`.)
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::exams::exam;
use crate::helpers::{
    TestApp, TestDatabase, Vars, assert_error, session_from, spawn_app, spawn_app_with, spawn_on,
};
use crate::quiz::{SINGLE_RIGHT, asked, bank, keys_of};
use crate::subscriptions::{sent, wechat_sends_after};

/// A TCP proxy to the database that can refuse new connections and cut the open ones.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
    relays: Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    async fn to(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, generation) = tokio::sync::watch::channel(0u64);
        let refusing = down.clone();
        let relays = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let open = relays.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if refusing.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let mut generation = generation.clone();
                generation.mark_unchanged();
                let upstream = upstream.clone();
                let open = open.clone();
                open.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = generation.changed() => {}
                        }
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Proxy {
            port,
            down,
            cut,
            relays,
        }
    }

    fn stop(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    /// Waits until every relay the cut ended has closed both its connections.
    async fn closed(&self) {
        while self.relays.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn start(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

/// The app reaching its own database through a [`Proxy`]; `None` on SQLite (a file, no server
/// to lose).
async fn behind_proxy() -> Option<(Proxy, TestApp)> {
    let db = TestDatabase::create().await;
    let (scheme_user, rest) = db.url.split_once('@')?;
    let (upstream, name) = rest.split_once('/').unwrap();
    let proxy = Proxy::to(upstream.to_owned()).await;
    let via_proxy = format!("{scheme_user}@127.0.0.1:{}/{name}", proxy.port);
    let overrides = vec![("REDTRAIL_DB_ACQUIRE_TIMEOUT_MS", "1000".into())];
    let app = spawn_on(Some(db), via_proxy, None, overrides).await;
    Some((proxy, app))
}

#[tokio::test]
async fn a_database_out_of_reach_answers_503_and_service_comes_back_without_a_restart() {
    let Some((proxy, app)) = behind_proxy().await else {
        return;
    };
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

/// A check-in load while the database is away for a while: every answer is 201 or 503 (a
/// request caught in its COMMIT at the cut may be 500: it may have been applied), and once it
/// is back every key sent again is 201, each member holds exactly those check-ins and the
/// ledger agrees with the totals.
// Two workers: the proxy keeps relaying while `points verify` blocks this one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_load_through_a_database_outage_gets_201_or_503_and_nothing_half_written() {
    let Some((proxy, app)) = behind_proxy().await else {
        return;
    };
    let root = app.platform_admin().await;
    let mut sites = Vec::new();
    for i in 0..40 {
        let (lat, lng) = (23.0 + f64::from(i) * 0.01, 113.3);
        let body = json!({"name": format!("红色足迹 {i}"), "category": "former_site",
                          "lat": lat, "lng": lng});
        let (status, site) = app
            .json(
                app.post("/api/v1/admin/sites", &body, Some(&root.access_token))
                    .await,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{site}");
        sites.push(json!({"site_id": site["id"], "lat": lat, "lng": lng, "accuracy_m": 10.0}));
    }
    let mut members = Vec::new();
    for m in 0..4 {
        members.push(
            app.dev_login(&format!("o-outage-load-{m}"))
                .await
                .access_token,
        );
    }
    let send = |member: usize, site: usize| {
        app.client
            .post(app.url("/api/v1/checkins"))
            .bearer_auth(&members[member])
            .header("idempotency-key", format!("outage-{member}-{site}"))
            .json(&sites[site])
            .send()
    };
    // Each request's first answer: its status, and the check-in's id where it was 201.
    let cut = AtomicBool::new(false);
    let answered = std::sync::atomic::AtomicUsize::new(0);
    let load = |member: usize| {
        let (send, cut, sites, answered) = (&send, &cut, &sites, &answered);
        async move {
            let mut answers = Vec::new();
            for site in 0..sites.len() {
                // Begun before every relay the cut ended had closed: it may meet the cut inside
                // its COMMIT, a 500 (it may have been applied).
                let before_cut = !cut.load(Ordering::SeqCst);
                let res = send(member, site).await.expect("an answer");
                answered.fetch_add(1, Ordering::SeqCst);
                let status = res.status();
                let body: Value = res.json().await.unwrap_or_default();
                if status != StatusCode::CREATED && status != StatusCode::SERVICE_UNAVAILABLE {
                    assert!(
                        before_cut && status == StatusCode::INTERNAL_SERVER_ERROR,
                        "{status}: {body}"
                    );
                }
                answers.push((status, body["id"].as_i64()));
            }
            answers
        }
    };
    // The database goes once the load is under way, for 10 s; readiness says so meanwhile.
    let outage = async {
        while answered.load(Ordering::SeqCst) < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        proxy.stop();
        proxy.closed().await;
        cut.store(true, Ordering::SeqCst);
        let ready = app.get("/readyz", None).await.status();
        tokio::time::sleep(Duration::from_secs(10)).await;
        proxy.start();
        ready
    };
    let (answers, ready) = tokio::join!(
        futures_util::future::join_all((0..members.len()).map(load)),
        outage
    );
    assert_eq!(
        ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready while it is away"
    );
    let refused = answers
        .iter()
        .flatten()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.count() > 0, "the load met the outage");

    // Back: every key is sent again and answered 201: the same check-in, replayed, where the
    // first answer was 201; never a replay where it was 503 (a 503 wrote nothing).
    for (member, token) in members.iter().enumerate() {
        let mut ids = Vec::new();
        for (site, (first, first_id)) in answers[member].iter().enumerate() {
            let mut res = send(member, site).await.unwrap();
            for _ in 0..50 {
                if res.status() != StatusCode::SERVICE_UNAVAILABLE {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                res = send(member, site).await.unwrap();
            }
            assert_eq!(res.status(), StatusCode::CREATED);
            let replayed = res.headers().contains_key("idempotent-replayed");
            let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            match *first {
                StatusCode::CREATED => {
                    assert!(replayed && Some(id) == *first_id, "{member}/{site} replays")
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(!replayed, "{member}/{site}: a 503 wrote nothing")
                }
                _ => {}
            }
            ids.push(id);
        }
        let (_, mine) = app
            .json(app.get("/api/v1/me/checkins?limit=100", Some(token)).await)
            .await;
        let mut held: Vec<i64> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        held.sort_unstable();
        ids.sort_unstable();
        assert_eq!(
            held, ids,
            "member {member}: one check-in per key, none half-written"
        );
    }
    let verify = app.run_cli(&["points", "verify"], "");
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
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

    // The same request through both at the same moment: one does it, the other replays it.
    let racer = app.dev_login("o-two-instances-race").await;
    let send_as = |instance: &TestApp| {
        instance
            .client
            .post(instance.url("/api/v1/checkins"))
            .bearer_auth(&racer.access_token)
            .header("idempotency-key", "two-instances-race")
            .json(&body)
            .send()
    };
    let (a, b) = tokio::join!(send_as(&app), send_as(&other));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let replays = [&a, &b]
        .iter()
        .filter(|r| r.headers().contains_key("idempotent-replayed"))
        .count();
    assert_eq!(replays, 1, "one did it, the other replayed it");
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["id"], b["id"], "one check-in: {a} {b}");
    let (_, ledger) = app
        .json(
            app.get("/api/v1/me/points/ledger", Some(&racer.access_token))
                .await,
        )
        .await;
    assert_eq!(
        ledger["items"].as_array().map(Vec::len),
        Some(1),
        "{ledger}"
    );

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

/// Both instances run the periodic jobs, every 50 ms: the overdue exam is graded and paid once,
/// and the queued subscribe message is sent once, though both clocks pass the outbox's lease
/// while its send hangs.
#[tokio::test]
async fn two_instances_grade_an_overdue_exam_and_send_a_queued_message_once() {
    let vars = || -> Vars {
        vec![
            ("REDTRAIL_QUIZ_EXPIRY_EVERY_MS", "50".into()),
            ("REDTRAIL_OUTBOX_EVERY_MS", "50".into()),
            (
                "REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID",
                "tmpl-review-result".into(),
            ),
            // A send that timed out may have arrived and is tried again: not this test's case.
            ("REDTRAIL_WECHAT_TIMEOUT_MS", "10000".into()),
        ]
    };
    let app = spawn_app_with(vars()).await;
    let other = app.replica_with(vars()).await;
    wechat_sends_after(&app, Duration::from_millis(1500)).await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let selection = json!({"fixed": [{"question_id": bank.single, "score": 10}]});
    let exam = exam(
        &app,
        &root,
        &[tree.committee],
        json!({"selection": selection}),
    )
    .await;
    let member = app.member_in(&root, "o-graded-once", tree.branch_a).await;
    let admin = app
        .org_admin_of(&root, "o-graded-once-admin", tree.branch_a)
        .await;
    let token = Some(member.access_token.as_str());

    let (status, attempt) = app
        .json(
            app.post(
                &format!("/api/v1/exams/{}/attempts", exam["id"]),
                &json!({}),
                token,
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{attempt}");
    let right = keys_of(asked(&attempt, bank.single), &[SINGLE_RIGHT]);
    let answers = json!({"answers": [{"question_id": bank.single, "keys": right}]});
    let saved = format!("/api/v1/quiz/attempts/{}/answers", attempt["id"]);
    assert_eq!(
        app.put(&saved, &answers, token).await.status(),
        StatusCode::OK
    );

    let consent = json!({"template_id": "tmpl-review-result"});
    let res = app.post("/api/v1/me/subscriptions", &consent, token).await;
    assert!(res.status().is_success(), "{}", res.status());

    // Past the deadline on both instances' clocks: both graders look for overdue attempts.
    for clock in [&app.clock, &other.clock] {
        clock.advance(chrono::Duration::minutes(11));
    }
    let ledger = || async {
        let (_, ledger) = app
            .json(app.get("/api/v1/me/points/ledger", token).await)
            .await;
        let rows = ledger["items"].as_array().cloned().unwrap_or_default();
        rows.into_iter()
            .filter(|row| row["source"] == "quiz_exam")
            .collect::<Vec<_>>()
    };
    let mut paid = Vec::new();
    for _ in 0..100 {
        paid = ledger().await;
        if !paid.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A review outcome queued for WeChat; while its send hangs (1.5 s), both clocks move a
    // minute on: past the outbox's lease, so either instance may hold it now, but within the
    // message's claim, so neither takes it again.
    let body = json!({"kind": "reflection", "title": "只发一次", "body": "两台都在发。"});
    let (_, posted) = app
        .json(app.post("/api/v1/submissions", &body, token).await)
        .await;
    let review = format!("/api/v1/admin/submissions/{}/review", posted["id"]);
    let decision = json!({"decision": "approve", "version": 1});
    let res = app
        .post(&review, &decision, Some(&admin.access_token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for _ in 0..100 {
        if !sent(&app).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for clock in [&app.clock, &other.clock] {
        clock.advance(chrono::Duration::minutes(1));
    }
    // Many more rounds on both instances: nothing more happens.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let paid_later = ledger().await;
    assert_eq!(paid.len(), 1, "graded and paid: {paid:?}");
    assert_eq!(paid_later, paid, "once");
    assert_eq!(paid[0]["points"], 10);
    assert_eq!(sent(&app).await.len(), 1, "sent once");
}

/// WeChat hanging (it takes every request and answers none for seconds): only the calls that
/// need it wait, each no longer than `REDTRAIL_WECHAT_TIMEOUT_MS`; a text kept unchecked and a
/// queued subscribe message go out once it answers again.
#[tokio::test]
async fn wechat_hanging_slows_only_the_calls_that_need_it_and_the_queues_catch_up() {
    let template = "tmpl-review-result";
    let app = spawn_app_with(vec![
        ("REDTRAIL_WECHAT_TIMEOUT_MS", "3000".into()),
        ("REDTRAIL_CONTENT_CHECK", "true".into()),
        ("REDTRAIL_CONTENT_RECHECK_EVERY_MS", "50".into()),
        ("REDTRAIL_OUTBOX_EVERY_MS", "50".into()),
        ("REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID", template.into()),
    ])
    .await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let member = app.member_in(&root, "o-hang", tree.branch_a).await;
    let admin = app.org_admin_of(&root, "o-hang-admin", tree.branch_a).await;
    let token = Some(member.access_token.as_str());
    let site = json!({"name": "杨匏安旧居", "category": "former_residence",
                      "lat": 22.27, "lng": 113.58});
    let (_, site) = app
        .json(
            app.post("/api/v1/admin/sites", &site, Some(&root.access_token))
                .await,
        )
        .await;
    let res = app
        .post(
            "/api/v1/me/subscriptions",
            &json!({"template_id": template}),
            token,
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());

    let hang = Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .with_priority(1)
        .mount_as_scoped(&app.wechat)
        .await;
    // A WeChat login waits for WeChat, and gives up after its timeout with a clear 503.
    let login = {
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/wechat-login"));
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"code": "code-hang"}))
                .send()
                .await
        })
    };
    // Meanwhile what does not need WeChat is answered at once.
    let checkin = json!({"site_id": site["id"], "lat": 22.27, "lng": 113.58, "accuracy_m": 8.0});
    let res = app.post("/api/v1/checkins", &checkin, token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/me", token).await.status(), StatusCode::OK);
    assert!(!login.is_finished(), "the check-in did not wait for WeChat");
    let login = login.await.unwrap().unwrap();
    assert_error(login, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable").await;

    // A reflection is kept, unchecked, rather than lost; its approval is queued for WeChat.
    let body = json!({"kind": "reflection", "title": "山上没信号", "body": "写在山顶的心得"});
    let (status, posted) = app
        .json(app.post("/api/v1/submissions", &body, token).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let seen = format!("/api/v1/admin/submissions/{}", posted["id"]);
    let admin_token = Some(admin.access_token.as_str());
    let review = format!("{seen}/review");
    let decision = json!({"decision": "approve", "version": 1});
    assert_eq!(
        app.post(&review, &decision, admin_token).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3500)).await; // the outbox's first try times out
    let (_, kept) = app.json(app.get(&seen, admin_token).await).await;
    assert_eq!(kept["moderation"], "unchecked", "{kept}");
    let tried = sent(&app).await.len(); // sends that hung (none answered)

    // WeChat answers again: past the retry delays, both queues catch up.
    drop(hang);
    wechat_sends_after(&app, Duration::ZERO).await;
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok", "result": {"suggest": "pass", "label": 100},
            "detail": [], "trace_id": "trace-hang",
        })))
        .mount(&app.wechat)
        .await;
    app.clock.advance(chrono::Duration::minutes(5));
    let mut checked = Value::Null;
    for _ in 0..100 {
        checked = app.json(app.get(&seen, admin_token).await).await.1;
        if checked["moderation"] != "unchecked" && sent(&app).await.len() > tried {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(checked["moderation"], "pass", "{checked}");
    assert_eq!(
        sent(&app).await.len(),
        tried + 1,
        "the approval reached the member once"
    );
}
