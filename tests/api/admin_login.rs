use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, session_from, spawn_app};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn the_cli_creates_a_platform_admin_who_can_log_in() {
    let app = spawn_app().await;
    let out = app.admin_create("secretary", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("secretary"));

    let res = app.admin_login("Secretary ", PASSWORD).await; // usernames ignore case and padding
    let session = session_from(res).await;
    let me: Value = app
        .get("/api/v1/me", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"][0]["role"], "platform_admin");
    assert_eq!(me["nickname"], "secretary");
}

#[tokio::test]
async fn the_cli_refuses_a_taken_username_and_a_short_password() {
    let app = spawn_app().await;
    assert!(app.admin_create("dup", PASSWORD).status.success());
    let again = app.admin_create("dup", PASSWORD);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = app.admin_create("short", "123");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    assert_error(
        app.admin_login("short", "123").await,
        StatusCode::UNAUTHORIZED,
        "auth.bad_credentials",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_are_the_same_401() {
    let app = spawn_app().await;
    assert!(app.admin_create("known", PASSWORD).status.success());
    let wrong = assert_error(
        app.admin_login("known", "nope").await,
        StatusCode::UNAUTHORIZED,
        "auth.bad_credentials",
    )
    .await;
    let unknown = assert_error(
        app.admin_login("ghost", "nope").await,
        StatusCode::UNAUTHORIZED,
        "auth.bad_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn five_failures_lock_the_username_for_the_rest_of_fifteen_minutes() {
    let app = spawn_app().await;
    assert!(app.admin_create("locked", PASSWORD).status.success());
    assert!(app.admin_create("bystander", PASSWORD).status.success());
    for _ in 0..5 {
        assert_error(
            app.admin_login("locked", "wrong").await,
            StatusCode::UNAUTHORIZED,
            "auth.bad_credentials",
        )
        .await;
        app.clock.advance(Duration::minutes(1));
    }
    // Now even the right password is refused, and the wait is until the first failure ages out.
    let res = app.admin_login("locked", PASSWORD).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(
        retry_after,
        10 * 60,
        "first failure at t=0, now t=5min, window 15min"
    );

    // Another username is not affected.
    session_from(app.admin_login("bystander", PASSWORD).await).await;

    app.clock
        .advance(Duration::minutes(10) - Duration::seconds(1));
    assert_eq!(
        app.admin_login("locked", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(Duration::seconds(1));
    session_from(app.admin_login("locked", PASSWORD).await).await;
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    let app = spawn_app().await;
    assert!(app.admin_create("forgetful", PASSWORD).status.success());
    for _ in 0..4 {
        app.admin_login("forgetful", "wrong").await;
    }
    session_from(app.admin_login("forgetful", PASSWORD).await).await;
    for _ in 0..4 {
        assert_eq!(
            app.admin_login("forgetful", "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    session_from(app.admin_login("forgetful", PASSWORD).await).await;
}
