use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::fixtures::Tree;
use crate::helpers::{Session, TestApp, Vars, assert_error, spawn_app, spawn_app_with};

fn reflection(title: &str) -> Value {
    json!({"kind": "reflection", "title": title, "body": "今天我们重走了杨匏安的革命足迹。\n感触很深。"})
}

async fn post(app: &TestApp, who: &Session, body: &Value) -> (StatusCode, Value) {
    app.json(
        app.post("/api/v1/submissions", body, Some(&who.access_token))
            .await,
    )
    .await
}

/// A review decision on `version`.
fn act(decision: &str, version: i64) -> Value {
    json!({"decision": decision, "version": version})
}

async fn review(app: &TestApp, who: &Session, id: i64, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/admin/submissions/{id}/review");
    app.json(app.post(&path, &body, Some(&who.access_token)).await)
        .await
}

async fn feed_ids(app: &TestApp, who: &Session, query: &str) -> Vec<i64> {
    let (_, feed) = app
        .json(
            app.get(
                &format!("/api/v1/submissions{query}"),
                Some(&who.access_token),
            )
            .await,
        )
        .await;
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

async fn inbox(app: &TestApp, who: &Session) -> Value {
    app.json(
        app.get("/api/v1/me/notifications", Some(&who.access_token))
            .await,
    )
    .await
    .1
}

/// A tree, its platform admin, a member of branch A1 and the admins of A1, of enterprise A
/// above it, and of enterprise B beside it.
struct Cast {
    tree: Tree,
    root: Session,
    author: Session,
    branch_admin: Session,
    org_admin: Session,
    sibling_admin: Session,
}

async fn cast(app: &TestApp) -> Cast {
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    Cast {
        author: app.member_in(&root, "o-author", tree.branch_a).await,
        branch_admin: app
            .org_admin_of(&root, "o-branch-admin", tree.branch_a)
            .await,
        org_admin: app.org_admin_of(&root, "o-org-admin", tree.org_a).await,
        sibling_admin: app.org_admin_of(&root, "o-sibling-admin", tree.org_b).await,
        tree,
        root,
    }
}

#[tokio::test]
async fn a_reflection_goes_pending_rejected_edited_approved_featured_and_withdrawn() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let before = app.total_points(&c.author).await;
    let photo = app.photo(&c.author).await;
    let mut body = reflection("重走杨匏安旧居有感");
    body["media_ids"] = json!([photo["id"]]);
    let (status, posted) = post(&app, &c.author, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["status"], "pending");
    assert_eq!(posted["media"][0]["id"], photo["id"]);
    assert_eq!(
        posted["moderation"],
        Value::Null,
        "the author does not see the moderation fields"
    );
    let id = posted["id"].as_i64().unwrap();
    assert!(
        feed_ids(&app, &c.author, "").await.is_empty(),
        "pending is not public"
    );

    let (status, _) = review(&app, &c.branch_admin, id, act("reject", 1)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let (status, rejected) = review(
        &app,
        &c.branch_admin,
        id,
        json!({"decision": "reject", "reason": "请补充活动照片说明", "version": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(
        (rejected["status"].as_str(), rejected["version"].as_i64()),
        (Some("rejected"), Some(2))
    );
    assert_eq!(rejected["reject_reason"], "请补充活动照片说明");
    let messages = inbox(&app, &c.author).await;
    assert_eq!(messages["unread"], 1);
    assert_eq!(messages["items"][0]["kind"], "submission.rejected");
    assert!(
        messages["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("请补充活动照片说明")
    );

    // Edited and sent again: pending once more, a new version, the reason gone.
    body["body"] = json!("今天我们重走了杨匏安的革命足迹，照片是旧居门前。");
    let (status, edited) = app
        .json(
            app.put(
                &format!("/api/v1/submissions/{id}"),
                &body,
                Some(&c.author.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["status"].as_str(), edited["version"].as_i64()),
        (Some("pending"), Some(3))
    );
    assert_eq!(edited["reject_reason"], Value::Null);
    // The reviewer's old version is stale now.
    let (status, stale) = review(&app, &c.branch_admin, id, act("approve", 2)).await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict.stale_version"))
    );

    let (status, approved) = review(&app, &c.branch_admin, id, act("approve", 3)).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["points_awarded"], 10);
    assert_eq!(app.total_points(&c.author).await, before + 10);
    assert_eq!(
        feed_ids(&app, &c.sibling_admin, "").await,
        [id],
        "the feed is for everyone"
    );
    let (status, _) = app
        .json(
            app.put(
                &format!("/api/v1/submissions/{id}"),
                &body,
                Some(&c.author.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an approved one is not edited"
    );

    let (status, featured) = review(&app, &c.branch_admin, id, act("feature", 4)).await;
    assert_eq!(
        (status, featured["status"].as_str()),
        (StatusCode::OK, Some("featured"))
    );
    assert_eq!(
        app.total_points(&c.author).await,
        before + 10,
        "featuring pays nothing more"
    );
    let (status, again) = review(&app, &c.branch_admin, id, act("approve", 5)).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("submission.not_reviewable"))
    );
    let kinds: Vec<String> = inbox(&app, &c.author).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "submission.featured",
            "submission.approved",
            "submission.rejected"
        ]
    );

    let path = format!("/api/v1/submissions/{id}/withdraw");
    let (status, withdrawn) = app
        .json(
            app.post(&path, &json!({}), Some(&c.author.access_token))
                .await,
        )
        .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (StatusCode::OK, Some("withdrawn"))
    );
    assert!(feed_ids(&app, &c.author, "").await.is_empty());
    let (_, mine) = app
        .json(
            app.get("/api/v1/me/submissions", Some(&c.author.access_token))
                .await,
        )
        .await;
    assert_eq!(mine["items"][0]["status"], "withdrawn");
    assert_eq!(
        app.total_points(&c.author).await,
        before + 10,
        "what was paid stays paid"
    );
}

#[tokio::test]
async fn two_reviewers_deciding_the_same_version_at_once_have_one_winner() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    for round in 0..3 {
        let (_, posted) = post(&app, &c.author, &reflection(&format!("并发审核 {round}"))).await;
        let id = posted["id"].as_i64().unwrap();
        let approve = act("approve", 1);
        let reject = json!({"decision": "reject", "reason": "不符合主题", "version": 1});
        let (a, b) = tokio::join!(
            review(&app, &c.branch_admin, id, approve),
            review(&app, &c.org_admin, id, reject),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{a:?} {b:?}"
        );
        let loser = if a.0 == StatusCode::CONFLICT {
            &a.1
        } else {
            &b.1
        };
        assert_eq!(loser["code"], "conflict.stale_version");
        let (_, seen) = app
            .json(
                app.get(
                    &format!("/api/v1/admin/submissions/{id}"),
                    Some(&c.root.access_token),
                )
                .await,
            )
            .await;
        assert_eq!(seen["version"], 2, "exactly one decision was written");
    }
    let messages = inbox(&app, &c.author).await;
    assert_eq!(
        messages["items"].as_array().unwrap().len(),
        3,
        "one message per decided submission"
    );
}

#[tokio::test]
async fn a_two_stage_campaign_is_decided_first_by_the_branch_then_above_and_pays_once() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let now = app.clock_now();
    let campaign = json!({
        "title": "网络正能量", "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "ends_at": (now + chrono::Duration::days(30)).to_rfc3339(), "org_ids": [c.tree.committee],
        "route_ids": [], "themes": ["我想对二十大说", "立岗建功"], "two_stage_review": true,
    });
    let (status, campaign) = app
        .json(
            app.post(
                "/api/v1/admin/campaigns",
                &campaign,
                Some(&c.root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(campaign["themes"], json!(["我想对二十大说", "立岗建功"]));
    let campaign_id = campaign["id"].as_i64().unwrap();
    let before = app.total_points(&c.author).await;

    let mut body = reflection("我想对二十大说");
    body["campaign_id"] = json!(campaign_id);
    body["theme"] = json!("不存在的主题");
    let (status, refused) = post(&app, &c.author, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["details"]["fields"]["theme"].is_array());
    body["theme"] = json!("我想对二十大说");
    let (_, posted) = post(&app, &c.author, &body).await;
    assert_eq!(
        (posted["status"].as_str(), posted["stage"].as_str()),
        (Some("pending"), Some("first"))
    );
    let id = posted["id"].as_i64().unwrap();

    // Featuring is a final decision; the sibling enterprise's admin cannot see it at all.
    let (status, _) = review(&app, &c.branch_admin, id, act("feature", 1)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = review(&app, &c.sibling_admin, id, act("approve", 1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, first) = review(&app, &c.branch_admin, id, act("approve", 1)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["status"].as_str(), first["stage"].as_str()),
        (Some("pending"), Some("final"))
    );
    assert_eq!(
        app.total_points(&c.author).await,
        before,
        "no points at the first stage"
    );
    assert!(feed_ids(&app, &c.author, "").await.is_empty());
    assert_eq!(
        inbox(&app, &c.author).await["items"][0]["kind"],
        "submission.first_passed"
    );

    // The branch's own admin cannot also make the final selection.
    let (status, body_) = review(&app, &c.branch_admin, id, act("approve", 2)).await;
    assert_eq!(
        (status, body_["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden.review_stage"))
    );
    let queue =
        format!("/api/v1/admin/submissions?status=pending&stage=final&campaign_id={campaign_id}");
    let (_, listed) = app
        .json(app.get(&queue, Some(&c.org_admin.access_token)).await)
        .await;
    assert_eq!(listed["items"][0]["id"], id);

    let (status, last) = review(&app, &c.org_admin, id, act("approve", 2)).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    assert_eq!(last["status"], "approved");
    // Featuring is a final selection too: not the branch's own admin's to make.
    let (status, _) = review(&app, &c.branch_admin, id, act("feature", 3)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, last) = review(&app, &c.org_admin, id, act("feature", 3)).await;
    assert_eq!(
        (status, last["status"].as_str()),
        (StatusCode::OK, Some("featured"))
    );
    assert_eq!(app.total_points(&c.author).await, before + 10);
    let in_theme = format!(
        "?campaign_id={campaign_id}&theme=%E6%88%91%E6%83%B3%E5%AF%B9%E4%BA%8C%E5%8D%81%E5%A4%A7%E8%AF%B4"
    );
    assert_eq!(feed_ids(&app, &c.author, &in_theme).await, [id]);
    assert!(
        feed_ids(&app, &c.author, "?campaign_id=999999")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_admin_of_a_sibling_org_neither_sees_nor_reviews_and_nobody_reviews_their_own() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let (_, posted) = post(&app, &c.author, &reflection("支部心得")).await;
    let id = posted["id"].as_i64().unwrap();

    let (_, theirs) = app
        .json(
            app.get(
                "/api/v1/admin/submissions",
                Some(&c.sibling_admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(theirs["items"], json!([]));
    let (_, ours) = app
        .json(
            app.get("/api/v1/admin/submissions", Some(&c.org_admin.access_token))
                .await,
        )
        .await;
    assert_eq!(ours["items"][0]["id"], id);
    assert_eq!(
        ours["items"][0]["moderation"], "off",
        "reviewers see the check's verdict"
    );
    let path = format!("/api/v1/admin/submissions/{id}");
    let res = app.get(&path, Some(&c.sibling_admin.access_token)).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let by_org = format!("/api/v1/admin/submissions?org_id={}", c.tree.org_a);
    let res = app.get(&by_org, Some(&c.sibling_admin.access_token)).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    let (_, own) = post(&app, &c.branch_admin, &reflection("我自己的心得")).await;
    let own = own["id"].as_i64().unwrap();
    let (status, refused) = review(&app, &c.branch_admin, own, act("approve", 1)).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden.own_item"))
    );
    let (status, _) = review(&app, &c.org_admin, own, act("approve", 1)).await;
    assert_eq!(status, StatusCode::OK, "another admin may");
}

#[tokio::test]
async fn a_bulk_review_decides_each_item_on_its_own() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (_, posted) = post(&app, &c.author, &reflection(&format!("第{n}篇"))).await;
        ids.push(posted["id"].as_i64().unwrap());
    }
    let (_, other) = post(&app, &c.sibling_admin, &reflection("乙公司的")).await;
    let items = json!({"items": [
        {"id": ids[0], "version": 1, "decision": "approve"},
        {"id": ids[1], "version": 7, "decision": "approve"},
        {"id": ids[2], "version": 1, "decision": "reject", "reason": "重复投稿"},
        {"id": other["id"], "version": 1, "decision": "approve"},
        {"id": ids[2], "version": 1, "decision": "approve"},
    ]});
    let (status, outcome) = app
        .json(
            app.post(
                "/api/v1/admin/submissions/review",
                &items,
                Some(&c.branch_admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let results = outcome["results"].as_array().unwrap();
    let statuses: Vec<i64> = results
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 409, 200, 404, 409]);
    assert_eq!(results[0]["submission"]["status"], "approved");
    assert_eq!(results[1]["error"]["code"], "conflict.stale_version");
    assert_eq!(results[2]["submission"]["status"], "rejected");
    assert_eq!(results[3]["error"]["code"], "not_found");
    assert_eq!(app.total_points(&c.author).await, 10);
}

#[tokio::test]
async fn volunteer_reports_add_hours_and_site_proposals_become_hidden_sites() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let report = json!({
        "kind": "volunteer_service", "title": "社区红色宣讲", "body": "为社区老人讲述三元里抗英故事。",
        "service": {"date": "2026-05-31", "place": "三元里社区", "hours": 2.5},
    });
    let (status, refused) = post(&app, &c.author, &report).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "volunteers only"
    );

    let (status, _) = app
        .set_roles(
            &c.root,
            c.author.member_id,
            json!([{"role": "volunteer", "org_id": c.tree.branch_a}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut future = report.clone();
    future["service"]["date"] = json!("2026-06-02");
    let (status, _) = post(&app, &c.author, &future).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a day still to come"
    );
    let (status, posted) = post(&app, &c.author, &report).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let id = posted["id"].as_i64().unwrap();
    let (_, approved) = review(&app, &c.branch_admin, id, act("approve", 1)).await;
    assert_eq!(approved["points_awarded"], 4, "2 points per whole hour");
    let (_, me) = app
        .json(app.get("/api/v1/me", Some(&c.author.access_token)).await)
        .await;
    assert_eq!(me["volunteer_hours"], 2.5);

    let proposal = json!({
        "kind": "site_proposal", "title": "建议新增：杨匏安旧居", "body": "位于越秀区，保存完好。",
        "site": {"name": "杨匏安旧居", "lat": 23.1291, "lng": 113.2644, "address": "越秀区越华路杨家祠"},
    });
    let (_, posted) = post(&app, &c.author, &proposal).await;
    let id = posted["id"].as_i64().unwrap();
    let (status, _) = review(&app, &c.branch_admin, id, act("approve", 1)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, sites) = app
        .json(
            app.get("/api/v1/admin/sites?q=杨匏安", Some(&c.root.access_token))
                .await,
        )
        .await;
    let site = &sites["items"][0];
    assert_eq!(
        (site["name"].as_str(), site["status"].as_str()),
        (Some("杨匏安旧居"), Some("hidden"))
    );
    let (_, public) = app
        .json(
            app.get("/api/v1/sites?q=杨匏安", Some(&c.author.access_token))
                .await,
        )
        .await;
    assert_eq!(
        public["items"],
        json!([]),
        "hidden until a platform admin publishes it"
    );
}

#[tokio::test]
async fn likes_are_one_per_member_and_only_on_public_submissions() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let (_, posted) = post(&app, &c.author, &reflection("点赞测试")).await;
    let id = posted["id"].as_i64().unwrap();
    let like = format!("/api/v1/submissions/{id}/like");
    let res = app
        .post(&like, &json!({}), Some(&c.sibling_admin.access_token))
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    review(&app, &c.branch_admin, id, act("approve", 1)).await;
    for _ in 0..2 {
        let (status, likes) = app
            .json(
                app.post(&like, &json!({}), Some(&c.sibling_admin.access_token))
                    .await,
            )
            .await;
        assert_eq!((status, likes["likes"].as_i64()), (StatusCode::OK, Some(1)));
    }
    let (_, feed) = app
        .json(
            app.get("/api/v1/submissions", Some(&c.sibling_admin.access_token))
                .await,
        )
        .await;
    assert_eq!(
        (
            feed["items"][0]["likes"].as_i64(),
            feed["items"][0]["liked"].as_bool()
        ),
        (Some(1), Some(true))
    );
    let res = app
        .client
        .delete(app.url(&like))
        .bearer_auth(&c.sibling_admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(app.json(res).await.1["likes"], 0);
}

#[tokio::test]
async fn my_inbox_counts_unread_and_marks_one_or_all_read() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    for n in 0..2 {
        let (_, posted) = post(&app, &c.author, &reflection(&format!("消息 {n}"))).await;
        review(
            &app,
            &c.branch_admin,
            posted["id"].as_i64().unwrap(),
            act("approve", 1),
        )
        .await;
    }
    let messages = inbox(&app, &c.author).await;
    assert_eq!(messages["unread"], 2);
    let first = messages["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/me/notifications/{first}/read");
    let res = app
        .post(&path, &json!({}), Some(&c.sibling_admin.access_token))
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let (_, read) = app
        .json(
            app.post(&path, &json!({}), Some(&c.author.access_token))
                .await,
        )
        .await;
    assert_eq!(read["read"], true);
    assert_eq!(inbox(&app, &c.author).await["unread"], 1);
    let (_, all) = app
        .json(
            app.post(
                "/api/v1/me/notifications/read-all",
                &json!({}),
                Some(&c.author.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(all["marked"], 1);
    assert_eq!(inbox(&app, &c.author).await["unread"], 0);
}

// --- WeChat's content check ---------------------------------------------------------------

fn checked() -> Vars {
    vec![("REDTRAIL_CONTENT_CHECK", "true".into())]
}

/// WeChat hands out an access token, and answers the text check of content containing
/// `needle` with `suggest` (label as a number, as documented).
async fn text_check_answers(app: &TestApp, needle: &str, suggest: &str, label: Value) {
    app.wechat_token().await;
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .and(body_partial_json(json!({"content": needle, "version": 2})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
            "detail": [], "trace_id": "trace-1",
        })))
        .mount(&app.wechat)
        .await;
}

#[tokio::test]
async fn the_content_check_rejects_risky_flags_review_and_passes_the_rest() {
    let app = spawn_app_with(checked()).await;
    let c = cast(&app).await;
    let risky = json!({"kind": "reflection", "title": "标题", "body": "有风险的内容"});
    let review_ = json!({"kind": "reflection", "title": "标题", "body": "需要人工看的内容"});
    let fine = json!({"kind": "reflection", "title": "标题", "body": "正常的心得"});
    text_check_answers(&app, "有风险的内容", "risky", json!(20001)).await;
    text_check_answers(&app, "需要人工看的内容", "review", json!("20002")).await;
    text_check_answers(&app, "正常的心得", "pass", json!(100)).await;

    let (status, rejected) = post(&app, &c.author, &risky).await;
    assert_eq!(status, StatusCode::CREATED, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert!(
        rejected["reject_reason"]
            .as_str()
            .unwrap()
            .contains("20001")
    );
    let (_, flagged) = post(&app, &c.author, &review_).await;
    assert_eq!(flagged["status"], "pending");
    let (_, passed) = post(&app, &c.author, &fine).await;
    assert_eq!(passed["status"], "pending");

    let seen = |id: &Value| {
        let path = format!("/api/v1/admin/submissions/{id}");
        let token = c.branch_admin.access_token.clone();
        let app = &app;
        async move { app.json(app.get(&path, Some(&token)).await).await.1 }
    };
    let flagged = seen(&flagged["id"]).await;
    assert_eq!(
        (
            flagged["moderation"].as_str(),
            flagged["moderation_label"].as_str()
        ),
        (Some("review"), Some("20002"))
    );
    assert_eq!(seen(&passed["id"]).await["moderation"], "pass");
    let calls = app.wechat.received_requests().await.unwrap();
    let check = calls
        .iter()
        .find(|r| r.url.path() == "/wxa/msg_sec_check")
        .unwrap();
    let sent: Value = serde_json::from_slice(&check.body).unwrap();
    assert_eq!(sent["openid"], "o-author", "checked as the author");
    assert_eq!(check.url.query(), Some("access_token=TOKEN"));
}

#[tokio::test]
async fn with_wechat_down_a_submission_is_kept_unchecked() {
    let app = spawn_app_with(checked()).await;
    let c = cast(&app).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.wechat)
        .await;
    let (status, posted) = post(&app, &c.author, &reflection("山上信号不好")).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["status"], "pending");
    let path = format!("/api/v1/admin/submissions/{}", posted["id"]);
    let (_, seen) = app
        .json(app.get(&path, Some(&c.branch_admin.access_token)).await)
        .await;
    assert_eq!(seen["moderation"], "unchecked");
    assert_eq!(
        seen["body"], "今天我们重走了杨匏安的革命足迹。\n感触很深。",
        "not a word lost"
    );
}

#[tokio::test]
async fn a_text_kept_while_wechat_was_down_is_checked_again_later_and_rejected_if_risky() {
    let mut vars = checked();
    vars.push(("REDTRAIL_CONTENT_RECHECK_EVERY_MS", "50".into()));
    let app = spawn_app_with(vars).await;
    let c = cast(&app).await;
    // The first check finds WeChat down; the next one gets an answer.
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.wechat)
        .await;
    text_check_answers(&app, "山上写的心得", "risky", json!(20006)).await;
    let body = json!({"kind": "reflection", "title": "下山后", "body": "山上写的心得"});
    let (status, posted) = post(&app, &c.author, &body).await;
    assert_eq!(
        (status, posted["status"].as_str()),
        (StatusCode::CREATED, Some("pending"))
    );

    // Not before its time: the first retry waits a minute.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let path = format!("/api/v1/admin/submissions/{}", posted["id"]);
    let (_, seen) = app
        .json(app.get(&path, Some(&c.branch_admin.access_token)).await)
        .await;
    assert_eq!(seen["moderation"], "unchecked");

    app.clock.advance(chrono::Duration::minutes(2));
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = app
            .json(app.get(&path, Some(&c.branch_admin.access_token)).await)
            .await
            .1;
        if seen["moderation"] != "unchecked" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (seen["moderation"].as_str(), seen["status"].as_str()),
        (Some("risky"), Some("rejected")),
        "{seen}"
    );
    assert!(seen["reject_reason"].as_str().unwrap().contains("20006"));
    assert_eq!(
        inbox(&app, &c.author).await["items"][0]["kind"],
        "submission.rejected"
    );
}

#[tokio::test]
async fn many_members_liking_at_once_each_count_once() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let (_, posted) = post(&app, &c.author, &reflection("热门心得")).await;
    let id = posted["id"].as_i64().unwrap();
    review(&app, &c.branch_admin, id, act("approve", 1)).await;
    let mut likers = Vec::new();
    for n in 0..8 {
        likers.push(app.dev_login(&format!("o-liker-{n}")).await);
    }
    let like = format!("/api/v1/submissions/{id}/like");
    let statuses = futures_util::future::join_all(likers.iter().map(|who| {
        let (app, like) = (&app, &like);
        async move {
            app.post(like, &json!({}), Some(&who.access_token))
                .await
                .status()
        }
    }))
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let (_, seen) = app
        .json(
            app.get(
                &format!("/api/v1/submissions/{id}"),
                Some(&c.author.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(seen["likes"], 8);
}

#[tokio::test]
async fn a_text_wechat_will_not_judge_is_left_to_a_person_not_retried() {
    let app = spawn_app_with(checked()).await;
    let c = cast(&app).await;
    app.wechat_token().await;
    // 61010: the openid has not used the mini-program within 2 hours.
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 61010, "errmsg": "user is not active"})),
        )
        .mount(&app.wechat)
        .await;
    let (status, posted) = post(&app, &c.author, &reflection("很久没打开小程序")).await;
    assert_eq!(
        (status, posted["status"].as_str()),
        (StatusCode::CREATED, Some("pending"))
    );
    let path = format!("/api/v1/admin/submissions/{}", posted["id"]);
    let (_, seen) = app
        .json(app.get(&path, Some(&c.branch_admin.access_token)).await)
        .await;
    assert_eq!(seen["moderation"], "manual");
}

#[tokio::test]
async fn a_resubmission_that_passes_the_first_stage_counts_as_passed_in_the_campaign_report() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let now = app.clock_now();
    let campaign = json!({
        "title": "网络正能量", "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "ends_at": (now + chrono::Duration::days(30)).to_rfc3339(), "org_ids": [c.tree.committee],
        "route_ids": [], "themes": ["立岗建功"], "two_stage_review": true,
    });
    let res = app
        .post(
            "/api/v1/admin/campaigns",
            &campaign,
            Some(&c.root.access_token),
        )
        .await;
    let (_, campaign) = app.json(res).await;
    let campaign_id = campaign["id"].as_i64().unwrap();
    let mut body = reflection("立岗建功");
    body["campaign_id"] = json!(campaign_id);
    body["theme"] = json!("立岗建功");
    let (_, posted) = post(&app, &c.author, &body).await;
    let id = posted["id"].as_i64().unwrap();
    // Rejected in the first stage, edited, then passed by the same branch admin.
    let reject = json!({"decision": "reject", "reason": "请补充照片", "version": 1});
    let (status, rejected) = review(&app, &c.branch_admin, id, reject).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    let path = format!("/api/v1/submissions/{id}");
    let (status, edited) = app
        .json(app.put(&path, &body, Some(&c.author.access_token)).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let version = edited["version"].as_i64().unwrap();
    let (status, passed) = review(&app, &c.branch_admin, id, act("approve", version)).await;
    assert_eq!(status, StatusCode::OK, "{passed}");
    assert_eq!(passed["stage"], "final");
    let report = format!("/api/v1/admin/campaigns/{campaign_id}/report");
    let (status, report) = app
        .json(app.get(&report, Some(&c.root.access_token)).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["themes"][0]["passed_first_stage"], 1, "{report}");
    assert_eq!(report["themes"][0]["passed_final"], 0);
}
