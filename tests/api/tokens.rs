use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{assert_error, session_from, spawn_app};

#[tokio::test]
async fn me_without_a_token_is_401_auth_required() {
    let app = spawn_app().await;
    assert_error(
        app.get("/api/v1/me", None).await,
        StatusCode::UNAUTHORIZED,
        "auth.required",
    )
    .await;
}

#[tokio::test]
async fn a_tampered_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let session = app.dev_login("o-tamper").await;
    // Swap the payload for one naming another member; the signature no longer matches.
    let mut parts: Vec<String> = session.access_token.split('.').map(str::to_owned).collect();
    let forged = br#"{"sub":"2","iat":1780279200,"exp":4102444800,"typ":"access"}"#;
    parts[1] = base64_url(forged);
    let forged = parts.join(".");
    assert_error(
        app.get("/api/v1/me", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_token",
    )
    .await;
    assert_error(
        app.get("/api/v1/me", Some("not-a-jwt")).await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_token",
    )
    .await;
    let basic = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Basic {}", session.access_token))
        .send()
        .await
        .unwrap();
    assert_error(basic, StatusCode::UNAUTHORIZED, "auth.invalid_token").await;
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn an_access_token_expires_after_two_hours_on_the_server_clock() {
    let app = spawn_app().await;
    let session = app.dev_login("o-expiry").await;
    app.clock.advance(Duration::seconds(7199));
    assert_eq!(
        app.get("/api/v1/me", Some(&session.access_token))
            .await
            .status(),
        StatusCode::OK
    );
    app.clock.advance(Duration::seconds(1));
    assert_error(
        app.get("/api/v1/me", Some(&session.access_token)).await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_token",
    )
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_the_used_refresh_token_stops_working() {
    let app = spawn_app().await;
    let first = app.dev_login("o-rotate").await;
    app.clock.advance(Duration::hours(3)); // the access token is dead, the refresh token is not

    let second = session_from(
        app.post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first.refresh_token}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(second.member_id, first.member_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get("/api/v1/me", Some(&second.access_token))
            .await
            .status(),
        StatusCode::OK
    );

    let replay = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first.refresh_token}),
            None,
        )
        .await;
    assert_error(replay, StatusCode::UNAUTHORIZED, "auth.invalid_token").await;

    let third = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second.refresh_token}),
            None,
        )
        .await;
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let app = spawn_app().await;
    let session = app.dev_login("o-race-refresh").await;
    let body = json!({"refresh_token": session.refresh_token});
    let attempts = (0..8).map(|_| app.post("/api/v1/auth/refresh", &body, None));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((ok, refused), (1, 7), "{statuses:?}");
}

#[tokio::test]
async fn a_refresh_token_expires_after_thirty_days() {
    let app = spawn_app().await;
    let session = app.dev_login("o-old").await;
    app.clock.advance(Duration::days(30) + Duration::seconds(1));
    let res = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": session.refresh_token}),
            None,
        )
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED, "auth.invalid_token").await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_is_idempotent() {
    let app = spawn_app().await;
    let session = app.dev_login("o-logout").await;
    let body = json!({"refresh_token": session.refresh_token});
    let res = app.post("/api/v1/auth/logout", &body, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.post("/api/v1/auth/logout", &body, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app.post("/api/v1/auth/refresh", &body, None).await;
    assert_error(res, StatusCode::UNAUTHORIZED, "auth.invalid_token").await;
}

#[tokio::test]
async fn roles_are_read_at_request_time_so_a_revoked_role_stops_at_once() {
    let app = spawn_app().await;
    let out = app.admin_create("root", "correct horse battery");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = session_from(app.admin_login("root", "correct horse battery").await).await;

    let me: Value = app
        .get("/api/v1/me", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["roles"],
        json!([{"role": "platform_admin", "org_id": null}])
    );

    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    db.conn()
        .execute_unprepared(&format!(
            "DELETE FROM member_roles WHERE member_id = {}",
            session.member_id
        ))
        .await
        .unwrap();
    db.close().await.unwrap();

    // The same, still valid token: the role is gone.
    let me: Value = app
        .get("/api/v1/me", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!([]));
}
