//! The Idempotency-Key mechanism, through the first POST that opts in: points adjustments.
use reqwest::StatusCode;
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
    assert_eq!(app.total_points(&member).await, 7);

    // Without a key, a request is simply processed.
    adjust(&app, &root, member.member_id, None, &body).await;
    adjust(&app, &root, member.member_id, None, &body).await;
    assert_eq!(app.total_points(&member).await, 21);
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
    assert_eq!(app.total_points(&member).await, 1);
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
    assert_eq!(app.total_points(&in_a).await, 9);
}

#[tokio::test]
async fn racing_requests_with_one_key_wait_for_the_first_and_replay_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-rush").await;
    let body = json!({"points": 2, "reason": "补录"});
    let racing = (0..8).map(|_| adjust(&app, &root, member.member_id, Some("rush"), &body));
    let answers = futures_util::future::join_all(racing).await;
    let mut bodies = Vec::new();
    for res in answers {
        let status = res.status();
        let replayed = res.headers().contains_key("idempotent-replayed");
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "never 409 in_progress: {body}");
        bodies.push((replayed, body));
    }
    assert_eq!(bodies.iter().filter(|(replayed, _)| !replayed).count(), 1);
    assert!(
        bodies.iter().all(|(_, b)| *b == bodies[0].1),
        "one answer for all"
    );
    assert_eq!(app.total_points(&member).await, 2);
}

#[tokio::test]
async fn an_adjustment_pays_under_its_own_event_id_and_nobody_adjusts_themselves() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-event").await;
    let body = json!({"points": 3, "reason": "补录"});
    let (_, first) = app
        .json(adjust(&app, &root, member.member_id, None, &body).await)
        .await;
    let (_, second) = app
        .json(adjust(&app, &root, member.member_id, None, &body).await)
        .await;
    let ids: Vec<i64> = [&first, &second]
        .iter()
        .map(|b| {
            b["source_id"]
                .as_str()
                .unwrap()
                .parse()
                .expect("an adjustment row id, not a random value")
        })
        .collect();
    assert!(ids[0] < ids[1], "{ids:?}");
    let own = adjust(&app, &root, root.member_id, None, &body).await;
    assert_error(own, StatusCode::FORBIDDEN, "forbidden.own_item").await;
}

#[tokio::test]
async fn a_key_that_is_not_visible_ascii_is_refused_not_ignored() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-unicode-key").await;
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/admin/members/{}/points-adjustments",
            member.member_id
        )))
        .bearer_auth(&root.access_token)
        .header(
            "idempotency-key",
            reqwest::header::HeaderValue::from_bytes("补录-42".as_bytes()).unwrap(),
        )
        .json(&json!({"points": 5, "reason": "补录"}))
        .send()
        .await
        .unwrap();
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["Idempotency-Key"].is_array());
    assert_eq!(app.total_points(&member).await, 0);
    // Who is calling is decided first: without a token the same request is 401.
    let res = app
        .client
        .post(app.url("/api/v1/checkins"))
        .header("idempotency-key", "x".repeat(200))
        .json(&json!({"site_id": 1, "lat": 22.9, "lng": 113.3, "accuracy_m": 5.0}))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "auth.required").await;
}

#[tokio::test]
async fn expired_keys_are_swept_and_fresh_ones_kept() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-sweep").await;
    let body = json!({"points": 1, "reason": "补录"});
    adjust(&app, &root, member.member_id, Some("old"), &body).await;
    app.clock.advance(chrono::Duration::hours(23));
    let root = app.root_again().await;
    adjust(&app, &root, member.member_id, Some("new"), &body).await;
    app.clock
        .advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    let swept = redtrail::http::idempotency::sweep(&db, app.clock_now())
        .await
        .unwrap();
    assert_eq!(swept, 1, "only the key older than a day");
    db.close().await.unwrap();
    let root = app.root_again().await;
    let res = adjust(&app, &root, member.member_id, Some("new"), &body).await;
    assert_eq!(res.headers()["idempotent-replayed"], "true");
}
