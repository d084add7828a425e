use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{Session, TestApp, Vars, assert_error, spawn_app_with};

const TEMPLATE: &str = "tmpl-review-result";

fn vars() -> Vars {
    vec![
        ("REDTRAIL_WECHAT_REVIEW_TEMPLATE_ID", TEMPLATE.into()),
        ("REDTRAIL_OUTBOX_EVERY_MS", "50".into()),
    ]
}

async fn consent(app: &TestApp, who: &Session, key: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/me/subscriptions"))
        .bearer_auth(&who.access_token)
        .header("Idempotency-Key", key)
        .json(&json!({"template_id": TEMPLATE}))
        .send()
        .await
        .unwrap();
    app.json(res).await
}

/// WeChat hands out a token and accepts every subscribe message, each after `delay`.
pub async fn wechat_sends_after(app: &TestApp, delay: Duration) {
    app.wechat_token().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 0, "errmsg": "ok"}))
                .set_delay(delay),
        )
        .mount(&app.wechat)
        .await;
}

/// The bodies of `subscribe/send` WeChat has received.
pub async fn sent(app: &TestApp) -> Vec<Value> {
    app.wechat
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// Waits (at most 5 s) until WeChat has received `n` sends; answers them.
async fn sends(app: &TestApp, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let got = sent(app).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sent(app).await
}

#[tokio::test]
async fn a_review_outcome_is_sent_once_per_consent_and_43101_clears_the_credits() {
    let app = spawn_app_with(vars()).await;
    app.wechat_token().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"errcode": 43101, "errmsg": "user refuse to accept the msg"}),
            ),
        )
        .with_priority(2)
        .mount(&app.wechat)
        .await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let author = app.member_in(&root, "o-subscriber", tree.branch_a).await;
    let admin = app.org_admin_of(&root, "o-reviewer", tree.branch_a).await;

    let res = app
        .post(
            "/api/v1/me/subscriptions",
            &json!({"template_id": "another"}),
            Some(&author.access_token),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let (status, credits) = consent(&app, &author, "consent-1").await;
    assert_eq!(
        (status, credits["credits"].as_i64()),
        (StatusCode::CREATED, Some(1))
    );
    let (_, credits) = consent(&app, &author, "consent-1").await;
    assert_eq!(credits["credits"], 1, "a retried consent counts once");

    let mut ids = Vec::new();
    let title = "重走杨匏安旧居有感：一位互联网企业党员的二十四小时";
    for n in 0..3 {
        let body = json!({"kind": "reflection", "title": format!("{title}{n}"), "body": "心得。"});
        let (_, posted) = app
            .json(
                app.post("/api/v1/submissions", &body, Some(&author.access_token))
                    .await,
            )
            .await;
        ids.push(posted["id"].as_i64().unwrap());
    }
    let decide = |id: i64, decision: &str| {
        let path = format!("/api/v1/admin/submissions/{id}/review");
        let body = json!({"decision": decision, "reason": "与主题无关", "version": 1});
        let (app, token) = (&app, admin.access_token.clone());
        async move { app.json(app.post(&path, &body, Some(&token)).await).await.0 }
    };
    assert_eq!(decide(ids[0], "approve").await, StatusCode::OK);
    let got = sends(&app, 1).await;
    assert_eq!(got.len(), 1);
    let message = &got[0];
    assert_eq!(
        (message["touser"].as_str(), message["template_id"].as_str()),
        (Some("o-subscriber"), Some(TEMPLATE))
    );
    assert_eq!(
        message["page"],
        format!("pages/submission/detail?id={}", ids[0])
    );
    let thing = message["data"]["thing1"]["value"].as_str().unwrap();
    assert_eq!(
        thing.chars().count(),
        20,
        "a thing field holds 20 characters: {thing}"
    );
    assert_eq!(message["data"]["phrase2"]["value"], "已通过");
    assert_eq!(message["data"]["time3"]["value"], "2026-06-01 10:00");

    // The one credit is spent: the next outcome stays in the inbox only.
    assert_eq!(decide(ids[1], "approve").await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sent(&app).await.len(), 1);

    // Two more consents; WeChat now answers 43101: the message is dropped, and so are the
    // credits left, and the review itself stands.
    consent(&app, &author, "consent-2").await;
    let (_, credits) = consent(&app, &author, "consent-3").await;
    assert_eq!(credits["credits"], 2);
    assert_eq!(decide(ids[2], "reject").await, StatusCode::OK);
    assert_eq!(sends(&app, 2).await.len(), 2);
    let mut cleared = Value::Null;
    for n in 0..100 {
        cleared = consent(&app, &author, &format!("consent-after-{n}"))
            .await
            .1;
        if cleared["credits"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        cleared["credits"], 1,
        "43101 cleared the credits left; this consent is the one"
    );
    let (_, inbox) = app
        .json(
            app.get("/api/v1/me/notifications", Some(&author.access_token))
                .await,
        )
        .await;
    assert_eq!(
        inbox["unread"], 3,
        "every outcome is in the inbox whatever WeChat said"
    );
}

/// An app whose own sender waits ten minutes between rounds, WeChat answering each send after
/// `delay`, and `n` review outcomes queued for one member (who consented `n` times).
async fn queued(n: usize, delay: Duration) -> TestApp {
    let mut vars = vars();
    vars.retain(|(k, _)| *k != "REDTRAIL_OUTBOX_EVERY_MS");
    vars.push(("REDTRAIL_OUTBOX_EVERY_MS", "600000".into()));
    let app = spawn_app_with(vars).await;
    wechat_sends_after(&app, delay).await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let author = app.member_in(&root, "o-once", tree.branch_a).await;
    let admin = app.org_admin_of(&root, "o-once-admin", tree.branch_a).await;
    for k in 0..n {
        consent(&app, &author, &format!("once-{k}")).await;
        let body =
            json!({"kind": "reflection", "title": format!("只发一次 {k}"), "body": "心得。"});
        let (_, posted) = app
            .json(
                app.post("/api/v1/submissions", &body, Some(&author.access_token))
                    .await,
            )
            .await;
        let path = format!("/api/v1/admin/submissions/{}/review", posted["id"]);
        let decision = json!({"decision": "approve", "version": 1});
        let res = app.post(&path, &decision, Some(&admin.access_token)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    app
}

/// A sender of its own, as another instance has, on the app's database and WeChat fake.
async fn sender(app: &TestApp) -> (redtrail::db::Db, redtrail::wechat::WechatClient) {
    let settings = redtrail::config::Settings::from_source(&redtrail::config::Source::from_map([
        ("REDTRAIL_WECHAT_API_BASE", app.wechat.uri()),
        ("REDTRAIL_WECHAT_APPID", crate::helpers::APPID.to_owned()),
        (
            "REDTRAIL_WECHAT_SECRET",
            crate::helpers::APP_SECRET.to_owned(),
        ),
    ]))
    .unwrap();
    let clock: redtrail::clock::SharedClock = app.clock.clone();
    let wechat = redtrail::wechat::WechatClient::new(&settings.wechat, clock).unwrap();
    (
        redtrail::db::Db::connect(&app.db_url).await.unwrap(),
        wechat,
    )
}

#[tokio::test]
async fn two_senders_at_once_send_a_queued_message_once() {
    let app = queued(1, Duration::from_millis(300)).await;
    // Two instances' senders, one round each, at the same moment (a round that outlived its
    // lease meets the next holder's).
    let (db, wechat) = sender(&app).await;
    let now = app.clock_now();
    let claim = redtrail::notifications::service::CLAIM;
    let send = || redtrail::notifications::service::send_due(&db, &wechat, now, 10, claim);
    let (a, b) = tokio::join!(send(), send());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one sender took it");
    assert_eq!(sent(&app).await.len(), 1);
    db.close().await.unwrap();
}

/// A round slowed by WeChat stops taking messages once half a claim has passed, and claims
/// each from the moment it takes it, not from when the round began: a sender whose time has
/// moved on by a claim's length does not take the one being sent.
#[tokio::test]
async fn a_slow_round_stops_before_its_claims_run_out_and_claims_from_the_moment() {
    let app = queued(4, Duration::from_secs(1)).await;
    let (db, wechat) = sender(&app).await;
    let now = app.clock_now();
    let claim = chrono::Duration::seconds(4);
    let send_due = redtrail::notifications::service::send_due;

    // A second a send: two, then half the claim has passed.
    let first = send_due(&db, &wechat, now, 10, claim).await.unwrap();
    assert_eq!(first, 2, "the round stopped taking after half a claim");

    // A later round takes the third at once and the fourth a second in; while it sends the fourth,
    // a sender whose clock reads that round's start plus a claim and a bit finds nothing due.
    let later = now + chrono::Duration::minutes(1);
    let slow = send_due(&db, &wechat, later, 10, claim);
    let other = async {
        for _ in 0..1000 {
            if sent(&app).await.len() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let then = later + claim + chrono::Duration::milliseconds(50);
        send_due(&db, &wechat, then, 10, claim).await
    };
    let (slow, other) = tokio::join!(slow, other);
    assert_eq!(slow.unwrap(), 2);
    assert_eq!(other.unwrap(), 0, "nothing taken twice");
    assert_eq!(sent(&app).await.len(), 4, "each message sent once");
    db.close().await.unwrap();
}
