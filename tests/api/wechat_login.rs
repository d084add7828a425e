use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{APP_SECRET, APPID, assert_error, session_from, spawn_app, spawn_app_with};

#[tokio::test]
async fn first_login_creates_the_member_and_its_token_opens_me() {
    let app = spawn_app().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("appid", APPID))
        .and(query_param("secret", APP_SECRET))
        .and(query_param("js_code", "code-1"))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"openid": "o-first", "session_key": "SECRET-SESSION-KEY", "unionid": "u-1"}),
        ))
        .expect(1)
        .mount(&app.wechat)
        .await;

    let res = app
        .post(
            "/api/v1/auth/wechat-login",
            &json!({"code": "code-1"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let raw = res.text().await.unwrap();
    assert!(
        !raw.contains("SECRET-SESSION-KEY"),
        "session_key must never reach the client"
    );
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["member"]["roles"], json!([]));
    assert_eq!(body["member"]["org"], Value::Null);

    let me = app.get("/api/v1/me", body["access_token"].as_str()).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], body["member"]["id"]);
}

#[tokio::test]
async fn a_repeat_login_is_the_same_member() {
    let app = spawn_app().await;
    app.wechat_answers("code-a", json!({"openid": "o-same", "session_key": "k1"}))
        .await;
    app.wechat_answers("code-b", json!({"openid": "o-same", "session_key": "k2"}))
        .await;
    app.wechat_answers("code-c", json!({"openid": "o-other", "session_key": "k3"}))
        .await;

    let first = session_from(
        app.post(
            "/api/v1/auth/wechat-login",
            &json!({"code": "code-a"}),
            None,
        )
        .await,
    )
    .await;
    let again = session_from(
        app.post(
            "/api/v1/auth/wechat-login",
            &json!({"code": "code-b"}),
            None,
        )
        .await,
    )
    .await;
    let other = session_from(
        app.post(
            "/api/v1/auth/wechat-login",
            &json!({"code": "code-c"}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(first.member_id, again.member_id);
    assert_ne!(first.member_id, other.member_id);
    assert_ne!(first.refresh_token, again.refresh_token);
}

#[tokio::test]
async fn concurrent_first_logins_of_one_openid_make_one_member() {
    let app = spawn_app().await;
    for i in 0..10 {
        app.wechat_answers(
            &format!("race-{i}"),
            json!({"openid": "o-race", "session_key": format!("k{i}")}),
        )
        .await;
    }
    let bodies: Vec<Value> = (0..10)
        .map(|i| json!({"code": format!("race-{i}")}))
        .collect();
    let logins = bodies
        .iter()
        .map(|body| app.post("/api/v1/auth/wechat-login", body, None));
    let responses = futures_util::future::join_all(logins).await;
    let mut ids = Vec::new();
    for res in responses {
        ids.push(session_from(res).await.member_id);
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every racing login must land on the one member: {ids:?}"
    );
}

#[tokio::test]
async fn wechat_error_codes_map_to_the_contract() {
    let app = spawn_app().await;
    let cases = [
        (40029, StatusCode::UNAUTHORIZED, "auth.invalid_code"),
        (40163, StatusCode::UNAUTHORIZED, "auth.invalid_code"),
        (45011, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        (-1, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable"),
        (40013, StatusCode::BAD_GATEWAY, "wechat.error"),
    ];
    for (errcode, status, code) in cases {
        let login_code = format!("code-{errcode}");
        app.wechat_answers(
            &login_code,
            json!({"errcode": errcode, "errmsg": "from WeChat"}),
        )
        .await;
        let res = app
            .post(
                "/api/v1/auth/wechat-login",
                &json!({"code": login_code}),
                None,
            )
            .await;
        let retry_after = res.headers().get("retry-after").cloned();
        let body = assert_error(res, status, code).await;
        assert!(
            !body.to_string().contains("from WeChat"),
            "WeChat's text is not passed on"
        );
        assert_eq!(
            retry_after.is_some(),
            status == StatusCode::TOO_MANY_REQUESTS,
            "errcode {errcode}"
        );
    }
}

#[tokio::test]
async fn a_wechat_server_error_is_503() {
    let app = spawn_app().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&app.wechat)
        .await;
    let res = app
        .post("/api/v1/auth/wechat-login", &json!({"code": "c"}), None)
        .await;
    assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable").await;
}

#[tokio::test]
async fn a_hanging_wechat_is_503_within_the_configured_timeout() {
    let app = spawn_app().await; // REDTRAIL_WECHAT_TIMEOUT_MS=1500 in tests
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"openid": "o", "session_key": "k"}))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&app.wechat)
        .await;
    let started = Instant::now();
    let res = app
        .post("/api/v1/auth/wechat-login", &json!({"code": "c"}), None)
        .await;
    assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable").await;
    // Generous bound: it must be the 1.5 s timeout that ended it, not WeChat's 30 s answer.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_wechat_is_503() {
    // Nothing listens on port 9 (discard) here; the connection is refused at once.
    let app = spawn_app_with(vec![(
        "REDTRAIL_WECHAT_API_BASE",
        "http://127.0.0.1:9".into(),
    )])
    .await;
    let res = app
        .post("/api/v1/auth/wechat-login", &json!({"code": "c"}), None)
        .await;
    assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable").await;
}

#[tokio::test]
async fn without_wechat_credentials_login_is_503_and_wechat_is_not_called() {
    let app = spawn_app_with(vec![("REDTRAIL_WECHAT_APPID", String::new())]).await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&app.wechat)
        .await;
    let res = app
        .post("/api/v1/auth/wechat-login", &json!({"code": "c"}), None)
        .await;
    assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "wechat.unavailable").await;
}

#[tokio::test]
async fn an_empty_code_is_422_and_wechat_is_not_called() {
    let app = spawn_app().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&app.wechat)
        .await;
    let res = app
        .post("/api/v1/auth/wechat-login", &json!({"code": "  "}), None)
        .await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["details"]["fields"]["code"].is_array(), "{body}");
}

#[tokio::test]
async fn the_session_key_is_not_stored_anywhere() {
    use sea_orm::{ConnectionTrait, Database};
    let app = spawn_app().await;
    app.wechat_answers(
        "code-kept",
        json!({"openid": "o-kept", "session_key": "SESSION-KEY-NOT-KEPT"}),
    )
    .await;
    let res = app
        .post(
            "/api/v1/auth/wechat-login",
            &json!({"code": "code-kept"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let db = Database::connect(app.db_url.as_str()).await.unwrap();
    let column = db
        .execute_unprepared("SELECT session_key FROM members")
        .await;
    assert!(
        column.is_err(),
        "members has no session_key column any more"
    );
    db.close().await.unwrap();
}
