use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, session_from, spawn_app, spawn_app_with};

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

async fn login_from(
    app: &crate::helpers::TestApp,
    ip: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/admin-login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_get_five_tries_between_them() {
    let app = spawn_app().await;
    assert!(app.admin_create("target", PASSWORD).status.success());
    let passwords: Vec<String> = (0..20).map(|i| format!("guess-number-{i}")).collect();
    let guesses = passwords.iter().map(|p| app.admin_login("target", p));
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let tried = statuses.iter().filter(|s| **s == 401).count();
    assert!(tried <= 5, "at most five password checks: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // Refused attempts are not failures: only the tried ones lock, and they age out. (Racing
    // attempts may refuse each other, so fewer than five may have been tried.)
    if tried == 5 {
        let res = app.admin_login("target", PASSWORD).await;
        assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        app.clock
            .advance(Duration::minutes(15) + Duration::seconds(1));
    }
    let res = app.admin_login("target", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "{statuses:?}");
}

#[tokio::test]
async fn one_client_ip_gets_only_so_many_password_checks_whatever_the_usernames() {
    let app = spawn_app_with(vec![
        ("REDTRAIL_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("REDTRAIL_ADMIN_LOGIN_PER_IP", "3".into()),
    ])
    .await;
    for name in ["alice", "bob", "carol"] {
        let res = login_from(&app, "203.0.113.7", name, "spray-password").await;
        assert_error(res, StatusCode::UNAUTHORIZED, "auth.bad_credentials").await;
    }
    let res = login_from(&app, "203.0.113.7", "dave", "spray-password").await;
    let retry = res.headers().get("retry-after").cloned();
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(retry.is_some());
    // Another client behind the same proxy is not affected.
    let res = login_from(&app, "198.51.100.2", "dave", "spray-password").await;
    assert_error(res, StatusCode::UNAUTHORIZED, "auth.bad_credentials").await;
}

#[tokio::test]
async fn password_hashing_runs_a_few_at_a_time_and_the_rest_are_told_to_come_back() {
    let app = spawn_app_with(vec![
        ("REDTRAIL_PASSWORD_HASHING_AT_ONCE", "1".into()),
        ("REDTRAIL_PASSWORD_HASHING_WAIT_MS", "0".into()),
    ])
    .await;
    let names: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
    let logins = names.iter().map(|n| app.admin_login(n, "some-password"));
    let answers = futures_util::future::join_all(logins).await;
    let mut busy = 0;
    for res in answers {
        match res.status().as_u16() {
            401 => {}
            503 => {
                assert_eq!(res.headers()["retry-after"], "1");
                assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "twelve parallel hashes with one at a time and no wait"
    );
}
