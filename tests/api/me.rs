use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn put_me_saves_the_editable_fields_and_get_me_shows_them() {
    let app = spawn_app().await;
    let s = app.dev_login("o-me").await;
    let avatar = app.photo(&s).await;
    let edit = json!({"nickname": " 红旗 ", "avatar_media_id": avatar["id"], "real_name": "张三"});
    let res = app.put("/api/v1/me", &edit, Some(&s.access_token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["nickname"], "红旗");
    assert_eq!(saved["real_name"], "张三");

    let me: Value = app
        .get("/api/v1/me", Some(&s.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me, saved);
    assert_eq!(me["avatar_url"], avatar["url"]);

    // PUT is the full set: leaving a field out clears it.
    let cleared: Value = app
        .put(
            "/api/v1/me",
            &json!({"nickname": "红旗"}),
            Some(&s.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["avatar_url"], Value::Null);
    assert_eq!(cleared["real_name"], Value::Null);
}

#[tokio::test]
async fn invalid_fields_are_422_per_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let s = app.dev_login("o-bad").await;
    app.put(
        "/api/v1/me",
        &json!({"nickname": "原名"}),
        Some(&s.access_token),
    )
    .await;

    let bad = json!({"nickname": "长".repeat(33), "avatar_url": "javascript:alert(1)", "real_name": "ok"});
    let res = app.put("/api/v1/me", &bad, Some(&s.access_token)).await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = &body["details"]["fields"];
    assert_eq!(fields["nickname"], json!(["长度应在 1 到 32 个字符之间"]));
    assert!(fields["avatar_url"].is_array());
    assert!(fields.get("real_name").is_none(), "{body}");

    let me: Value = app
        .get("/api/v1/me", Some(&s.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["nickname"], "原名");
    assert_eq!(me["real_name"], Value::Null);
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_422_naming_it() {
    let app = spawn_app().await;
    let s = app.dev_login("o-type").await;
    let res = app
        .put(
            "/api/v1/me",
            &json!({"nickname": 42}),
            Some(&s.access_token),
        )
        .await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["details"]["fields"]["nickname"].is_array(), "{body}");
}

#[tokio::test]
async fn put_me_needs_a_login() {
    let app = spawn_app().await;
    let res = app.put("/api/v1/me", &json!({"nickname": "x"}), None).await;
    assert_error(res, StatusCode::UNAUTHORIZED, "auth.required").await;
}

/// `Caller` reads the member with their roles in one query and `/me` shows that row, so the
/// member is not read twice: two statements in all (the other is their org).
#[tokio::test]
async fn get_me_costs_two_statements() {
    let app = spawn_app().await;
    let s = app.dev_login("o-me-cost").await;
    let before = app.statements_so_far().await;
    let res = app.get("/api/v1/me", Some(&s.access_token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.statements_so_far().await - before, 2);
}
