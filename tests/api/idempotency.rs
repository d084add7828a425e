//! The Idempotency-Key mechanism, through the first POST that opts in: points adjustments.
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

async fn adjust(
    app: &TestApp,
    admin: &Session,
    member_id: i64,
    key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!(
            "/api/v1/admin/members/{member_id}/points-adjustments"
        )))
        .bearer_auth(&admin.access_token)
        .json(body);
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    req.send().await.unwrap()
}

async fn total(app: &TestApp, member: &Session) -> i64 {
    let points: Value = app
        .get("/api/v1/me/points", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    points["total"].as_i64().unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer_and_pays_once() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-idem").await;
    let body = json!({"points": 7, "reason": "补录"});
    let first = adjust(&app, &root, member.member_id, Some("k-1"), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();

    // Same body written differently: still the same request.
    let again = adjust(
        &app,
        &root,
        member.member_id,
        Some("k-1"),
        &json!({"reason": "补录", "points": 7}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(total(&app, &member).await, 7);

    // Without a key, a request is simply processed.
    adjust(&app, &root, member.member_id, None, &body).await;
    adjust(&app, &root, member.member_id, None, &body).await;
    assert_eq!(total(&app, &member).await, 21);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_422_key_reused() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-reuse").await;
    let other = app.dev_login("o-other").await;
    adjust(
        &app,
        &root,
        member.member_id,
        Some("k"),
        &json!({"points": 1, "reason": "a"}),
    )
    .await;
    let res = adjust(
        &app,
        &root,
        member.member_id,
        Some("k"),
        &json!({"points": 2, "reason": "a"}),
    )
    .await;
    assert_error(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency.key_reused",
    )
    .await;
    let res = adjust(
        &app,
        &root,
        other.member_id,
        Some("k"),
        &json!({"points": 1, "reason": "a"}),
    )
    .await;
    assert_error(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency.key_reused",
    )
    .await;
    let long = "x".repeat(129);
    let res = adjust(
        &app,
        &root,
        member.member_id,
        Some(&long),
        &json!({"points": 1, "reason": "a"}),
    )
    .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(total(&app, &member).await, 1);
}

#[tokio::test]
async fn a_failed_attempt_is_forgotten_and_keys_belong_to_one_member_for_a_day() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let in_a = app.member_in(&root, "o-in-a", tree.branch_a).await;
    let body = json!({"points": 3, "reason": "补录"});

    let missing = adjust(&app, &root, 999_999, Some("k"), &body).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let res = adjust(&app, &root, in_a.member_id, Some("k"), &body).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "the failed attempt left nothing behind"
    );
    // Another admin's key of the same name is theirs.
    let res = adjust(&app, &admin_a, in_a.member_id, Some("k"), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("idempotent-replayed").is_none());

    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let root = app.root_again().await;
    let res = adjust(&app, &root, in_a.member_id, Some("k"), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(
        res.headers().get("idempotent-replayed").is_none(),
        "a day later the key is new"
    );
    let in_a = app.dev_login("o-in-a").await;
    assert_eq!(total(&app, &in_a).await, 9);
}

#[tokio::test]
async fn a_key_whose_first_request_is_still_running_is_409_until_it_goes_stale() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-running").await;
    let body = json!({"points": 4, "reason": "补录"});
    // A claim as the first request leaves it while it runs (its fingerprint is irrelevant
    // here: the row is found by member and key, and a mismatch would say key_reused).
    let first = adjust(&app, &root, member.member_id, Some("probe"), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    db.conn()
        .execute_unprepared(&format!(
            "UPDATE idempotency_keys SET state = 'in_progress', response_status = NULL, response_body = NULL \
             WHERE member_id = {} AND {} = 'probe'",
            root.member_id,
            if app.db_url.starts_with("mysql") { "`key`" } else { "\"key\"" }
        ))
        .await
        .unwrap();
    let res = adjust(&app, &root, member.member_id, Some("probe"), &body).await;
    assert_error(res, StatusCode::CONFLICT, "idempotency.in_progress").await;

    app.clock.advance(chrono::Duration::minutes(3));
    let res = adjust(&app, &root, member.member_id, Some("probe"), &body).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "a claim left by a dead request goes stale"
    );
}

#[tokio::test]
async fn racing_requests_with_one_key_create_one_thing() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-rush").await;
    let body = json!({"points": 2, "reason": "补录"});
    let racing = (0..6).map(|_| adjust(&app, &root, member.member_id, Some("rush"), &body));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED));
    assert_eq!(total(&app, &member).await, 2, "{statuses:?}");
}
