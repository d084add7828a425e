use reqwest::StatusCode;
use serde_json::{Value, json};
use sha1::Digest;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{TestApp, Vars, assert_error, spawn_app_with};

const PUSH_TOKEN: &str = "push-token-for-tests";

fn vars() -> Vars {
    vec![
        ("REDTRAIL_CONTENT_CHECK", "true".into()),
        (
            "REDTRAIL_MEDIA_PUBLIC_URL",
            "https://media.example.cn".into(),
        ),
        ("REDTRAIL_WECHAT_PUSH_TOKEN", PUSH_TOKEN.into()),
    ]
}

/// `?signature=..&timestamp=..&nonce=..` signed with `token`, as WeChat signs its pushes, at
/// the test clock's start (10:00 in Shanghai on 2026-06-01).
fn signed(token: &str) -> String {
    let (timestamp, nonce) = ("1780279200", "nonce-42");
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let signature = hex::encode(sha1::Sha1::digest(parts.concat().as_bytes()));
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}")
}

async fn push(app: &TestApp, token: &str, message: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/wechat/push?{}", signed(token))))
        .json(&message)
        .send()
        .await
        .unwrap()
}

/// WeChat: an access token, every text passes, and image checks answer `traces` in turn.
async fn wechat_checks(app: &TestApp, traces: &[&str]) {
    app.wechat_token().await;
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "result": {"suggest": "pass", "label": 100}, "trace_id": "t"
        })))
        .mount(&app.wechat)
        .await;
    for (n, trace) in traces.iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/wxa/media_check_async"))
            .and(body_partial_json(json!({"media_type": 2, "version": 2})))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"errcode": 0, "errmsg": "ok", "trace_id": trace})),
            )
            .up_to_n_times(1)
            .with_priority(n as u8 + 1)
            .mount(&app.wechat)
            .await;
    }
}

fn verdict(trace_key: &str, trace: &str, suggest: &str, label: Value) -> Value {
    json!({
        "ToUserName": "gh_0123456789ab", "FromUserName": "o-author", "CreateTime": 1780000000,
        "MsgType": "event", "Event": "wxa_media_check", "appid": "wx-test-appid",
        trace_key: trace, "version": 2, "detail": [], "errcode": 0, "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
    })
}

#[tokio::test]
async fn the_push_handshake_answers_only_the_push_tokens_signature() {
    let app = spawn_app_with(vars()).await;
    let url = format!(
        "/api/v1/wechat/push?{}&echostr=hello-wechat",
        signed(PUSH_TOKEN)
    );
    let res = app.get(&url, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "hello-wechat");
    let forged = format!(
        "/api/v1/wechat/push?{}&echostr=hello",
        signed("another-token")
    );
    assert_error(
        app.get(&forged, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = push(
        &app,
        "another-token",
        verdict("trace_id", "x", "risky", json!(1)),
    )
    .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    // Other messages, and odd shapes of this one, are acknowledged, so WeChat stops resending.
    for message in [
        json!({"Event": "user_enter_tempsession", "SessionFrom": 1}),
        json!({"Event": "wxa_media_check", "trace_id": 12345, "result": {"suggest": "pass"}}),
        json!({"Event": "wxa_media_check", "result": "odd"}),
    ] {
        let res = push(&app, PUSH_TOKEN, message).await;
        assert_eq!(
            (res.status(), res.text().await.unwrap()),
            (StatusCode::OK, "success".to_owned())
        );
    }
    let res = push(&app, PUSH_TOKEN, json!(["not", "an", "object"])).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    // The right signature, replayed an hour later, is stale.
    app.clock.advance(chrono::Duration::hours(1));
    assert_error(
        app.get(&url, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_risky_image_is_hidden_and_its_submission_goes_back_to_review_once_paid() {
    let app = spawn_app_with(vars()).await;
    wechat_checks(&app, &["trace-img-1", "trace-img-2"]).await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let author = app.member_in(&root, "o-author", tree.branch_a).await;
    let admin = app.org_admin_of(&root, "o-admin", tree.branch_a).await;

    let photo = app.photo(&author).await;
    let sent = app.wechat.received_requests().await.unwrap();
    let check = sent
        .iter()
        .find(|r| r.url.path() == "/wxa/media_check_async")
        .unwrap();
    let check: Value = serde_json::from_slice(&check.body).unwrap();
    assert_eq!(
        check["media_url"], photo["url"],
        "WeChat fetches it from its public URL"
    );
    assert!(
        photo["url"]
            .as_str()
            .unwrap()
            .starts_with("https://media.example.cn/api/v1/media/files/")
    );
    assert_eq!(check["openid"], "o-author");

    let body = json!({"kind": "photo_story", "title": "旧居门前", "body": "合影留念。", "media_ids": [photo["id"]]});
    let (status, posted) = app
        .json(
            app.post("/api/v1/submissions", &body, Some(&author.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let id = posted["id"].as_i64().unwrap();
    let review = format!("/api/v1/admin/submissions/{id}/review");
    let (status, _) = app
        .json(
            app.post(
                &review,
                &json!({"decision": "approve", "version": 1}),
                Some(&admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.total_points(&author).await, 10);

    // A verdict for an image nobody holds changes nothing; a `pass` keeps it shown.
    let res = push(
        &app,
        PUSH_TOKEN,
        verdict("trace_id", "trace-unknown", "risky", json!(20002)),
    )
    .await;
    assert_eq!(res.text().await.unwrap(), "success");
    assert_eq!(
        app.fetch(photo["url"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );

    let res = push(
        &app,
        PUSH_TOKEN,
        verdict("trace_id", "trace-img-1", "risky", json!(20002)),
    )
    .await;
    assert_eq!(
        (res.status(), res.text().await.unwrap()),
        (StatusCode::OK, "success".to_owned())
    );
    assert_eq!(
        app.fetch(photo["url"].as_str().unwrap()).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, back) = app
        .json(
            app.get(
                &format!("/api/v1/admin/submissions/{id}"),
                Some(&admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(
        (back["status"].as_str(), back["moderation"].as_str()),
        (Some("pending"), Some("risky"))
    );
    assert_eq!(back["moderation_label"], "image:20002");
    assert_eq!(back["media"], json!([]), "the hidden image is left out");
    let (_, feed) = app
        .json(
            app.get("/api/v1/submissions", Some(&author.access_token))
                .await,
        )
        .await;
    assert_eq!(feed["items"], json!([]));
    let (_, inbox) = app
        .json(
            app.get("/api/v1/me/notifications", Some(&author.access_token))
                .await,
        )
        .await;
    assert_eq!(inbox["items"][0]["kind"], "submission.returned");

    // Back in review after it was paid, it cannot become another kind to be paid again.
    let (status, _) = app
        .set_roles(
            &root,
            author.member_id,
            json!([{"role": "volunteer", "org_id": tree.branch_a}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let as_report = json!({
        "kind": "volunteer_service", "title": "旧居门前", "body": "合影留念。",
        "service": {"date": "2026-05-31", "place": "旧居", "hours": 24},
    });
    let res = app
        .put(
            &format!("/api/v1/submissions/{id}"),
            &as_report,
            Some(&author.access_token),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "submission.not_editable").await;

    // WeChat repeats itself: harmless. Approved again, it pays nothing more.
    let res = push(
        &app,
        PUSH_TOKEN,
        verdict("trace_id", "trace-img-1", "risky", json!(20002)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let version = back["version"].as_i64().unwrap();
    let (status, again) = app
        .json(
            app.post(
                &review,
                &json!({"decision": "approve", "version": version}),
                Some(&admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(app.total_points(&author).await, 10);

    // An avatar's verdict may say `traceId` and give the label as a string.
    let avatar = app.photo(&author).await;
    let set = json!({"nickname": "作者", "avatar_media_id": avatar["id"]});
    let (status, _) = app
        .json(
            app.put("/api/v1/me", &set, Some(&author.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let res = push(
        &app,
        PUSH_TOKEN,
        verdict("traceId", "trace-img-2", "risky", json!("20002")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, me) = app
        .json(app.get("/api/v1/me", Some(&author.access_token)).await)
        .await;
    assert_eq!(me["avatar_url"], Value::Null);
}

#[tokio::test]
async fn a_new_nickname_goes_through_the_content_check() {
    let app = spawn_app_with(vars()).await;
    app.wechat_token().await;
    for (name, suggest) in [("坏名字", "risky"), ("好名字", "pass")] {
        Mock::given(method("POST"))
            .and(path("/wxa/msg_sec_check"))
            .and(body_partial_json(json!({"content": name, "scene": 1})))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"errcode": 0, "result": {"suggest": suggest, "label": 20001}}),
            ))
            .mount(&app.wechat)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .and(body_partial_json(json!({"content": "没检查的名字"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 61010, "errmsg": "user not active"})),
        )
        .mount(&app.wechat)
        .await;
    let member = app.dev_login("o-nick").await;
    // WeChat would not judge it (the app unused for 2 hours): not saved unjudged.
    let res = app
        .put(
            "/api/v1/me",
            &json!({"nickname": "没检查的名字"}),
            Some(&member.access_token),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .put(
            "/api/v1/me",
            &json!({"nickname": "坏名字"}),
            Some(&member.access_token),
        )
        .await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["details"]["fields"]["nickname"].is_array(), "{body}");
    let (status, me) = app
        .json(
            app.put(
                "/api/v1/me",
                &json!({"nickname": "好名字"}),
                Some(&member.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(
        (status, me["nickname"].as_str()),
        (StatusCode::OK, Some("好名字"))
    );
    // Unchanged, it is not asked about again.
    let before = asked(&app).await;
    app.put(
        "/api/v1/me",
        &json!({"nickname": "好名字", "real_name": "张三"}),
        Some(&member.access_token),
    )
    .await;
    assert_eq!(asked(&app).await, before);
}

/// How many text checks WeChat has been asked for.
async fn asked(app: &TestApp) -> usize {
    let calls = app.wechat.received_requests().await.unwrap();
    calls
        .iter()
        .filter(|r| r.url.path() == "/wxa/msg_sec_check")
        .count()
}

#[tokio::test]
async fn an_image_wechat_could_not_be_asked_about_is_asked_again_later() {
    let mut vars = vars();
    vars.push(("REDTRAIL_CONTENT_RECHECK_EVERY_MS", "50".into()));
    let app = spawn_app_with(vars).await;
    Mock::given(method("POST"))
        .and(path("/wxa/media_check_async"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.wechat)
        .await;
    wechat_checks(&app, &["trace-late"]).await;
    let member = app.dev_login("o-late").await;
    let photo = app.photo(&member).await;
    let mut asked = 0;
    for _ in 0..100 {
        let calls = app.wechat.received_requests().await.unwrap();
        asked = calls
            .iter()
            .filter(|r| r.url.path() == "/wxa/media_check_async")
            .count();
        if asked >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        asked, 2,
        "asked at upload (WeChat down), then again in the background"
    );
    // Its verdict now finds it by the trace id of the second asking.
    let res = push(
        &app,
        PUSH_TOKEN,
        verdict("trace_id", "trace-late", "risky", json!(20001)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.fetch(photo["url"].as_str().unwrap()).await.status(),
        StatusCode::NOT_FOUND
    );
}
