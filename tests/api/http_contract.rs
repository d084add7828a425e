use reqwest::StatusCode;
use serde_json::json;

use sea_orm::ConnectionTrait;

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_json_is_400_bad_request_as_json() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/dev-login"))
        .header("content-type", "application/json")
        .body("{\"openid\": ")
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/dev-login"))
        .header("content-type", "text/plain")
        .body("openid=x")
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app_with(vec![("REDTRAIL_JSON_LIMIT_BYTES", "1024".into())]).await;
    let big = json!({"openid": "x".repeat(2000)});
    let res = app.post("/api/v1/auth/dev-login", &big, None).await;
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn a_missing_field_is_422_required() {
    let app = spawn_app().await;
    let res = app.post("/api/v1/auth/dev-login", &json!({}), None).await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["details"]["fields"]["openid"], json!(["必填"]));
}

#[tokio::test]
async fn messages_are_chinese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let zh = assert_error(
        app.get("/api/v1/me", None).await,
        StatusCode::UNAUTHORIZED,
        "auth.required",
    )
    .await;
    assert_eq!(zh["message"], "请先登录");
    let en = app
        .client
        .get(app.url("/api/v1/me"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let en = assert_error(en, StatusCode::UNAUTHORIZED, "auth.required").await;
    assert_eq!(en["message"], "Login required");

    let res = app
        .client
        .post(app.url("/api/v1/auth/dev-login"))
        .header("accept-language", "en")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["details"]["fields"]["openid"], json!(["is required"]));
}

#[tokio::test]
async fn unknown_paths_are_404_not_found_as_json() {
    let app = spawn_app().await;
    assert_error(
        app.get("/api/v1/nowhere", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let member = app.dev_login("o-405").await;
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&member.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, PUT");
    assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;

    // `import` is not an `{id}`: the literal path's own methods are the answer.
    let root = app.platform_admin().await;
    let res = app
        .client
        .patch(app.url("/api/v1/admin/sites/import"))
        .bearer_auth(&root.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    let body = assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    assert!(body["message"].is_string());

    // A path parameter that does not parse names nothing: 404 for a method the path has.
    assert_error(
        app.get("/api/v1/sites/not-a-number", Some(&member.access_token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = app
        .client
        .delete(app.url("/api/v1/sites/1"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    let body = assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    assert_eq!(body["message"], "Method not allowed");
}

#[tokio::test]
async fn a_body_is_read_as_its_type_reads_it() {
    let app = spawn_app().await;
    // Fields the type does not know are ignored, text rule and all; known ones are not.
    let res = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "o-extra", "x\u{1}": "\u{0}", "extra": ["\u{7}"]}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "o-\u{1}", "extra": 1}),
            None,
        )
        .await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["details"]["fields"]["openid"].is_array(), "{body}");

    // 20.0 is the integer 20, as JSON Schema has it.
    let root = app.platform_admin().await;
    let res = app
        .put(
            "/api/v1/admin/point-rules/checkin",
            &json!({"points": 20.0, "daily_cap": 40.0, "weekly_cap": null}),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let rule: serde_json::Value = res.json().await.unwrap();
    assert_eq!(rule["points"], 20);
    let res = app
        .put(
            "/api/v1/admin/point-rules/checkin",
            &json!({"points": 20.5, "daily_cap": 40, "weekly_cap": null}),
            Some(&root.access_token),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn list_limits_and_cursors_are_what_the_schema_says() {
    let app = spawn_app().await;
    let member = app.dev_login("o-paging").await;
    let t = Some(member.access_token.as_str());
    for query in [
        "limit=0",
        "limit=9223372036854775808",
        "limit=-1",
        "cursor=abc",
        "cursor=",
    ] {
        let res = app
            .get(&format!("/api/v1/me/points/ledger?{query}"), t)
            .await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    for query in [
        "limit=1",
        "limit=9223372036854775807",
        "cursor=0",
        "cursor=999999999999999999",
    ] {
        let res = app
            .get(&format!("/api/v1/me/points/ledger?{query}"), t)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn dev_login_does_not_exist_unless_enabled() {
    let app = spawn_app_with(vec![("REDTRAIL_DEV_LOGIN", "false".into())]).await;
    let res = app
        .post("/api/v1/auth/dev-login", &json!({"openid": "x"}), None)
        .await;
    let body = assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let unknown = assert_error(
        app.post("/api/v1/auth/nope", &json!({}), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        body, unknown,
        "indistinguishable from a path that does not exist"
    );
    // Nor with another method or a body it would refuse.
    let res = app.get("/api/v1/auth/dev-login", None).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/dev-login"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_echoed_when_sent() {
    let app = spawn_app().await;
    let generated = app.get("/healthz", None).await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 32);
    let other = app.get("/healthz", None).await;
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), id);

    let echoed = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-request-id", "mini-program-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "mini-program-42");
    assert_eq!(
        echoed.status(),
        StatusCode::UNAUTHORIZED,
        "errors carry it too"
    );

    let not_found = app.get("/no/such/path", None).await;
    assert!(not_found.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn browsers_may_call_only_from_configured_origins() {
    let app = spawn_app_with(vec![(
        "REDTRAIL_CORS_ORIGINS",
        "https://admin.example.org".into(),
    )])
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://admin.example.org").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://admin.example.org"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn an_internal_error_is_a_generic_500_that_leaks_nothing() {
    let app = spawn_app().await;
    let session = app.dev_login("o-internal").await;
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    db.conn()
        .execute_unprepared("DROP TABLE member_roles")
        .await
        .unwrap();
    db.close().await.unwrap();

    let res = app.get("/api/v1/me", Some(&session.access_token)).await;
    assert!(res.headers().contains_key("x-request-id"));
    let body = assert_error(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert_eq!(body["message"], "服务器内部错误");
    assert_eq!(body["details"], json!({}));
    let text = body.to_string().to_lowercase();
    assert!(
        !text.contains("member_roles") && !text.contains("sql"),
        "{body}"
    );
}
