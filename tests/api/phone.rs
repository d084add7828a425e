use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{APP_SECRET, APPID, TestApp, assert_error, spawn_app};

/// WeChat hands out `token` from `stable_token` (at most `times` times, if given).
async fn token_answer(app: &TestApp, token: &str, force: bool, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({
            "grant_type": "client_credential", "appid": APPID, "secret": APP_SECRET, "force_refresh": force
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": token, "expires_in": 7200})));
    let mock = match times {
        Some(n) => mock.up_to_n_times(n),
        None => mock,
    };
    mock.mount(&app.wechat).await;
}

/// With `token`, the phone code `code` is worth `phone`.
async fn phone_answer(app: &TestApp, token: &str, code: &str, phone: &str) {
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", token))
        .and(body_partial_json(json!({ "code": code })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok",
            "phone_info": {"phoneNumber": format!("+86{phone}"), "purePhoneNumber": phone, "countryCode": "86"}
        })))
        .mount(&app.wechat)
        .await;
}

async fn stable_token_calls(app: &TestApp) -> usize {
    app.wechat
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/stable_token")
        .count()
}

async fn bind(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post("/api/v1/me/phone", &json!({ "code": code }), Some(token))
        .await
}

#[tokio::test]
async fn the_phone_number_is_exchanged_stored_and_shown_masked() {
    let app = spawn_app().await;
    token_answer(&app, "TOKEN-1", false, None).await;
    phone_answer(&app, "TOKEN-1", "phone-code", "13812345678").await;
    let member = app.dev_login("o-phone").await;

    let res = bind(&app, &member.access_token, "phone-code").await;
    let raw = res.text().await.unwrap();
    assert!(
        !raw.contains("13812345678"),
        "the full number is not echoed: {raw}"
    );
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["phone"], "138****5678");

    let root = app.platform_admin().await;
    let seen: Value = app
        .get(
            &format!("/api/v1/admin/members/{}", member.member_id),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["phone"], "13812345678");
}

#[tokio::test]
async fn the_access_token_is_cached_and_renewed_before_it_expires() {
    let app = spawn_app().await;
    token_answer(&app, "TOKEN-1", false, Some(1)).await;
    token_answer(&app, "TOKEN-2", false, Some(1)).await;
    phone_answer(&app, "TOKEN-1", "c1", "13800000001").await;
    phone_answer(&app, "TOKEN-1", "c2", "13800000002").await;
    phone_answer(&app, "TOKEN-2", "c3", "13800000003").await;
    let member = app.dev_login("o-cache").await;

    assert_eq!(
        bind(&app, &member.access_token, "c1").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        bind(&app, &member.access_token, "c2").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        stable_token_calls(&app).await,
        1,
        "the second call reuses the cached token"
    );

    // 7200 s minus the 5-minute margin: time to renew.
    app.clock.advance(chrono::Duration::seconds(6900));
    let member = app.dev_login("o-cache").await;
    let (status, body) = app.json(bind(&app, &member.access_token, "c3").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stable_token_calls(&app).await, 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_refresh() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "SHARED", "expires_in": 7200}))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&app.wechat)
        .await;
    let mut members = Vec::new();
    for i in 0..8 {
        phone_answer(
            &app,
            "SHARED",
            &format!("code-{i}"),
            &format!("1390000000{i}"),
        )
        .await;
        members.push(app.dev_login(&format!("o-concurrent-{i}")).await);
    }
    let codes: Vec<String> = (0..members.len()).map(|i| format!("code-{i}")).collect();
    let calls = members
        .iter()
        .zip(&codes)
        .map(|(m, code)| bind(&app, &m.access_token, code));
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(stable_token_calls(&app).await, 1);
}

#[tokio::test]
async fn a_refused_token_is_renewed_with_force_refresh_and_the_call_retried() {
    let app = spawn_app().await;
    token_answer(&app, "OLD", false, None).await;
    token_answer(&app, "NEW", true, None).await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "OLD"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40001, "errmsg": "invalid credential"})),
        )
        .mount(&app.wechat)
        .await;
    phone_answer(&app, "NEW", "the-code", "13712345678").await;
    let member = app.dev_login("o-refused").await;

    let (status, body) = app
        .json(bind(&app, &member.access_token, "the-code").await)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phone"], "137****5678");
}

#[tokio::test]
async fn wechat_down_is_503_and_a_bad_phone_code_is_422() {
    let app = spawn_app().await;
    let member = app.dev_login("o-down").await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&app.wechat)
        .await;
    assert_error(
        bind(&app, &member.access_token, "x").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "wechat.unavailable",
    )
    .await;

    token_answer(&app, "TOKEN", false, None).await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40029, "errmsg": "invalid code"})),
        )
        .mount(&app.wechat)
        .await;
    let res = bind(&app, &member.access_token, "bad").await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["code"].is_array());
    let me: Value = app
        .get("/api/v1/me", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["phone"], Value::Null, "nothing stored");
}
