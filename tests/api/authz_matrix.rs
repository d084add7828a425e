//! Every admin operation × every kind of caller → the status the contract promises. A caller
//! whose role can never do it gets 403 before any lookup; one whose role can, naming something
//! outside their scope, gets 404. Later steps add their operations to `operations`; an admin
//! route in the spec but missing here fails the test.
use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// The callers, in the order of each row's expectations.
const CALLERS: [&str; 6] = [
    "anonymous",
    "member",
    "volunteer",
    "admin of target",
    "admin of sibling",
    "platform admin",
];

struct Operation {
    method: Method,
    /// As in the spec, e.g. `/api/v1/admin/orgs/{id}`.
    template: &'static str,
    /// The concrete path.
    path: String,
    body: Option<Value>,
    expect: [u16; 6],
}

fn op(
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 6],
) -> Operation {
    Operation {
        method,
        template,
        path,
        body,
        expect,
    }
}

#[tokio::test]
async fn every_admin_operation_answers_each_caller_as_the_contract_says() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let plain = app.member_in(&root, "o-plain", tree.branch_a).await;
    let volunteer = app.member_in(&root, "o-volunteer", tree.branch_a).await;
    let (status, _) = app
        .set_roles(
            &root,
            volunteer.member_id,
            json!([{"role": "volunteer", "org_id": tree.branch_a}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let admin_b = app.org_admin_of(&root, "o-admin-b", tree.org_b).await;
    let target = app.member_in(&root, "o-target", tree.branch_a).await;
    let tokens = [
        None,
        Some(plain.access_token.as_str()),
        Some(volunteer.access_token.as_str()),
        Some(admin_a.access_token.as_str()),
        Some(admin_b.access_token.as_str()),
        Some(root.access_token.as_str()),
    ];
    let expires = (app.clock_now() + chrono::Duration::days(7)).to_rfc3339();
    let (a, m) = (tree.org_a, target.member_id);
    let invite: serde_json::Value = app
        .post(
            &format!("/api/v1/admin/orgs/{a}/invites"),
            &json!({"max_uses": 5, "expires_at": expires}),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let invite = invite["id"].as_i64().unwrap();
    let site_body = json!({"name": "矩阵测试遗址", "category": "other", "lat": 22.9, "lng": 113.3});
    let site: serde_json::Value = app
        .post("/api/v1/admin/sites", &site_body, Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    let site = site["id"].as_i64().unwrap();
    let question_body = |stem: &str| json!({"type": "judge", "stem": stem, "category": "党史", "difficulty": 1, "answer": true});
    let question: serde_json::Value = app
        .post(
            "/api/v1/admin/questions",
            &question_body("矩阵题"),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let question = question["id"].as_i64().unwrap();
    let exam_body = json!({
        "title": "矩阵竞赛", "starts_at": app.clock_now().to_rfc3339(), "ends_at": expires,
        "duration_s": 600, "pass_score": 1, "org_ids": [a],
        "selection": {"fixed": [{"question_id": question, "score": 1}]},
    });
    let exam: serde_json::Value = app
        .post("/api/v1/admin/exams", &exam_body, Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    let exam = exam["id"].as_i64().unwrap();
    let article_body = json!({
        "title": "矩阵文章", "body": "<p>红船精神</p>", "category": "党史", "status": "published",
    });
    let series_body = json!({"title": "矩阵系列"});
    let class_body = json!({
        "title": "矩阵云课堂", "starts_at": app.clock_now().to_rfc3339(), "ends_at": (app.clock_now() + chrono::Duration::hours(1)).to_rfc3339(),
        "org_ids": [a],
    });
    let campaign: serde_json::Value = app
        .post(
            "/api/v1/admin/campaigns",
            &json!({"title": "矩阵统计活动", "starts_at": app.clock_now().to_rfc3339(), "ends_at": expires, "org_ids": [a], "route_ids": []}),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let campaign = campaign["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (path, body) in [
        ("/api/v1/admin/articles", &article_body),
        ("/api/v1/admin/series", &series_body),
        ("/api/v1/admin/classes", &class_body),
    ] {
        let made: serde_json::Value = app
            .post(path, body, Some(&root.access_token))
            .await
            .json()
            .await
            .unwrap();
        ids.push(made["id"].as_i64().unwrap());
    }
    let (article, series, class) = (ids[0], ids[1], ids[2]);
    let flagged = flagged_checkin(&app, site, &target).await;
    let own_flagged = flagged_checkin(&app, site, &admin_a).await;
    let reflection = json!({"kind": "reflection", "title": "矩阵心得", "body": "重走长征路。"});
    let mut posted = Vec::new();
    for who in [&target, &admin_a] {
        let made: serde_json::Value = app
            .post("/api/v1/submissions", &reflection, Some(&who.access_token))
            .await
            .json()
            .await
            .unwrap();
        posted.push(made["id"].as_i64().unwrap());
    }
    let (submission, own_submission) = (posted[0], posted[1]);

    use Method as M;
    let operations = vec![
        op(
            M::POST,
            "/api/v1/admin/orgs",
            "/api/v1/admin/orgs".into(),
            Some(json!({"name": "新支部", "kind": "branch", "parent_id": a})),
            [401, 403, 403, 201, 404, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/orgs",
            "/api/v1/admin/orgs".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/orgs/{id}",
            format!("/api/v1/admin/orgs/{a}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::PATCH,
            "/api/v1/admin/orgs/{id}",
            format!("/api/v1/admin/orgs/{a}"),
            Some(json!({"name": "甲公司党委"})),
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::POST,
            "/api/v1/admin/orgs/{id}/invites",
            format!("/api/v1/admin/orgs/{a}/invites"),
            Some(json!({"max_uses": 10, "expires_at": expires})),
            [401, 403, 403, 201, 404, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/orgs/{id}/invites",
            format!("/api/v1/admin/orgs/{a}/invites"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/invites/{id}",
            format!("/api/v1/admin/invites/{invite}"),
            None,
            [401, 403, 403, 204, 404, 204],
        ),
        op(
            M::GET,
            "/api/v1/admin/point-rules",
            "/api/v1/admin/point-rules".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/point-rules/{source}",
            "/api/v1/admin/point-rules/checkin".into(),
            Some(json!({"points": 5, "daily_cap": 20, "weekly_cap": null})),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::POST,
            "/api/v1/admin/members/{id}/points-adjustments",
            format!("/api/v1/admin/members/{m}/points-adjustments"),
            Some(json!({"points": 1, "reason": "测试"})),
            [401, 403, 403, 201, 404, 201],
        ),
        // Before the site is deleted further down.
        op(
            M::POST,
            "/api/v1/admin/routes",
            "/api/v1/admin/routes".into(),
            Some(json!({"name": "矩阵路线", "site_ids": [site], "ordered": false})),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::POST,
            "/api/v1/admin/sites",
            "/api/v1/admin/sites".into(),
            Some(site_body.clone()),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::POST,
            "/api/v1/admin/sites/import",
            "/api/v1/admin/sites/import".into(),
            Some(Value::String(
                "name,category,lat,lng\n矩阵导入,other,22.9,113.3\n".into(),
            )),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::PATCH,
            "/api/v1/admin/sites/{id}",
            format!("/api/v1/admin/sites/{site}"),
            Some(json!({"radius_m": 250})),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/sites/{id}",
            format!("/api/v1/admin/sites/{site}"),
            None,
            [401, 403, 403, 403, 403, 204],
        ),
        op(
            M::POST,
            "/api/v1/admin/questions/import",
            "/api/v1/admin/questions/import".into(),
            Some(json!({"multipart": "type,stem,answer,category\njudge,矩阵导入题,对,党史\n"})),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/questions/import-template",
            "/api/v1/admin/questions/import-template?format=xlsx".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/questions/export",
            "/api/v1/admin/questions/export".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/questions",
            "/api/v1/admin/questions".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::POST,
            "/api/v1/admin/questions",
            "/api/v1/admin/questions".into(),
            Some(question_body("矩阵新题")),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/questions/{id}",
            format!("/api/v1/admin/questions/{question}"),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/questions/{id}",
            format!("/api/v1/admin/questions/{question}"),
            Some(question_body("矩阵题（改）")),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/questions/{id}",
            format!("/api/v1/admin/questions/{question}"),
            None,
            [401, 403, 403, 403, 403, 204],
        ),
        op(
            M::POST,
            "/api/v1/admin/exams",
            "/api/v1/admin/exams".into(),
            Some(exam_body.clone()),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/exams",
            "/api/v1/admin/exams".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/exams/{id}",
            format!("/api/v1/admin/exams/{exam}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/exams/{id}/results",
            format!("/api/v1/admin/exams/{exam}/results"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/exams/{id}/results/export",
            format!("/api/v1/admin/exams/{exam}/results/export?format=csv"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/exams/{id}",
            format!("/api/v1/admin/exams/{exam}"),
            Some(exam_body.clone()),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/exams/{id}",
            format!("/api/v1/admin/exams/{exam}"),
            None,
            [401, 403, 403, 403, 403, 204],
        ),
        op(
            M::POST,
            "/api/v1/admin/articles",
            "/api/v1/admin/articles".into(),
            Some(article_body.clone()),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/articles",
            "/api/v1/admin/articles".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/articles/{id}",
            format!("/api/v1/admin/articles/{article}"),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/articles/{id}",
            format!("/api/v1/admin/articles/{article}"),
            Some(article_body.clone()),
            [401, 403, 403, 403, 403, 200],
        ),
        // Articles are for everyone; their figures count the members in the caller's scope.
        op(
            M::GET,
            "/api/v1/admin/articles/{id}/stats",
            format!("/api/v1/admin/articles/{article}/stats"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/articles/{id}",
            format!("/api/v1/admin/articles/{article}"),
            None,
            [401, 403, 403, 403, 403, 204],
        ),
        op(
            M::POST,
            "/api/v1/admin/series",
            "/api/v1/admin/series".into(),
            Some(series_body.clone()),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/series",
            "/api/v1/admin/series".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/series/{id}",
            format!("/api/v1/admin/series/{series}"),
            Some(series_body.clone()),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/series/{id}/stats",
            format!("/api/v1/admin/series/{series}/stats"),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::POST,
            "/api/v1/admin/classes",
            "/api/v1/admin/classes".into(),
            Some(class_body.clone()),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/classes",
            "/api/v1/admin/classes".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/classes/{id}",
            format!("/api/v1/admin/classes/{class}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/classes/{id}/attendance",
            format!("/api/v1/admin/classes/{class}/attendance"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/stats/overview",
            format!("/api/v1/admin/stats/overview?org_id={a}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/orgs/{id}/profile",
            format!("/api/v1/admin/orgs/{a}/profile"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/exports/{dataset}",
            format!("/api/v1/admin/exports/members?org_id={a}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/campaigns/{id}/report",
            format!("/api/v1/admin/campaigns/{campaign}/report"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/classes/{id}",
            format!("/api/v1/admin/classes/{class}"),
            Some(class_body.clone()),
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::DELETE,
            "/api/v1/admin/classes/{id}",
            format!("/api/v1/admin/classes/{class}"),
            None,
            [401, 403, 403, 403, 403, 204],
        ),
        op(
            M::POST,
            "/api/v1/admin/campaigns",
            "/api/v1/admin/campaigns".into(),
            Some(
                json!({"title": "矩阵活动", "starts_at": expires, "ends_at": (app.clock_now() + chrono::Duration::days(30)).to_rfc3339(), "org_ids": [a], "route_ids": []}),
            ),
            [401, 403, 403, 403, 403, 201],
        ),
        op(
            M::GET,
            "/api/v1/admin/checkins",
            "/api/v1/admin/checkins?status=flagged".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        // Decided by the target's admin first, so the platform admin (allowed) finds it decided.
        op(
            M::POST,
            "/api/v1/admin/checkins/{id}/review",
            format!("/api/v1/admin/checkins/{flagged}/review"),
            Some(json!({"decision": "approve"})),
            [401, 403, 403, 200, 404, 409],
        ),
        op(
            M::GET,
            "/api/v1/admin/members",
            "/api/v1/admin/members".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/members/{id}",
            format!("/api/v1/admin/members/{m}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::PATCH,
            "/api/v1/admin/members/{id}",
            format!("/api/v1/admin/members/{m}"),
            Some(json!({"real_name": "李四"})),
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::PUT,
            "/api/v1/admin/members/{id}/roles",
            format!("/api/v1/admin/members/{m}/roles"),
            Some(json!({"roles": [{"role": "volunteer", "org_id": a}]})),
            [401, 403, 403, 200, 404, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/sites",
            "/api/v1/admin/sites?status=hidden".into(),
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/submissions",
            "/api/v1/admin/submissions?status=pending".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
        op(
            M::GET,
            "/api/v1/admin/submissions/{id}",
            format!("/api/v1/admin/submissions/{submission}"),
            None,
            [401, 403, 403, 200, 404, 200],
        ),
        // Bulk: the call is answered 200 with an outcome per item, each decided on its own.
        op(
            M::POST,
            "/api/v1/admin/submissions/review",
            "/api/v1/admin/submissions/review".into(),
            Some(json!({"items": [{"id": submission, "version": 99, "decision": "approve"}]})),
            [401, 403, 403, 200, 200, 200],
        ),
        // Decided by the target's admin first: the platform admin's version is then stale.
        op(
            M::POST,
            "/api/v1/admin/submissions/{id}/review",
            format!("/api/v1/admin/submissions/{submission}/review"),
            Some(json!({"decision": "approve", "version": 1})),
            [401, 403, 403, 200, 404, 409],
        ),
        op(
            M::GET,
            "/api/v1/admin/audit-log",
            "/api/v1/admin/audit-log".into(),
            None,
            [401, 403, 403, 200, 200, 200],
        ),
    ];

    // Nobody decides their own case, whatever their scope.
    let own_cases = [
        (
            M::POST,
            format!("/api/v1/admin/checkins/{own_flagged}/review"),
            json!({"decision": "approve"}),
            &admin_a,
        ),
        (
            M::POST,
            format!("/api/v1/admin/submissions/{own_submission}/review"),
            json!({"decision": "approve", "version": 1}),
            &admin_a,
        ),
        (
            M::POST,
            format!(
                "/api/v1/admin/members/{}/points-adjustments",
                admin_a.member_id
            ),
            json!({"points": 100, "reason": "自己加分"}),
            &admin_a,
        ),
        (
            M::POST,
            format!(
                "/api/v1/admin/members/{}/points-adjustments",
                root.member_id
            ),
            json!({"points": 100, "reason": "自己加分"}),
            &root,
        ),
        (
            M::PUT,
            format!("/api/v1/admin/members/{}/roles", admin_a.member_id),
            json!({"roles": [{"role": "org_admin", "org_id": a}]}),
            &admin_a,
        ),
        (
            M::PUT,
            format!("/api/v1/admin/members/{}/roles", root.member_id),
            json!({"roles": []}),
            &root,
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, who) in own_cases {
        let res = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&who.access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap_or_default();
        if status != 403 || answer["code"] != "forbidden.own_item" {
            failures.push(format!(
                "{method} {path} on one's own case: {status} {answer}"
            ));
        }
    }

    for operation in &operations {
        for (caller, (token, expected)) in CALLERS.iter().zip(tokens.iter().zip(operation.expect)) {
            let mut req = app
                .client
                .request(operation.method.clone(), app.url(&operation.path));
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            // A JSON string body stands for a CSV upload; `{"multipart": text}` for a form
            // with that text as its `file`.
            match &operation.body {
                Some(Value::String(csv)) => {
                    req = req.header("content-type", "text/csv").body(csv.clone())
                }
                Some(Value::Object(form)) if form.contains_key("multipart") => {
                    let file = form["multipart"].as_str().unwrap_or_default().to_owned();
                    let part =
                        reqwest::multipart::Part::bytes(file.into_bytes()).file_name("q.csv");
                    req = req.multipart(reqwest::multipart::Form::new().part("file", part));
                }
                Some(body) => req = req.json(body),
                None => {}
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            if status != expected {
                let body = res.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {caller}: expected {expected}, got {status} {body}",
                    operation.method, operation.path
                ));
            }
        }
    }

    // A caller who may never do an operation learns nothing about its body: with a body of the
    // wrong shape they still get 401/403, and only those who may do it hear 422.
    for operation in operations
        .iter()
        .filter(|o| matches!(&o.body, Some(Value::Object(m)) if !m.contains_key("multipart")))
    {
        for (caller, (token, expected)) in CALLERS.iter().zip(tokens.iter().zip(operation.expect)) {
            let expected = if matches!(expected, 401 | 403) {
                expected
            } else {
                422
            };
            let mut req = app
                .client
                .request(operation.method.clone(), app.url(&operation.path))
                .json(&json!(["not", "an", "object"]));
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            if status != expected {
                let body = res.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} with a bad body as {caller}: expected {expected}, got {status} {body}",
                    operation.method, operation.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );

    // Completeness: every admin operation in the spec has a row here.
    let spec: Value = serde_json::from_str(&redtrail::openapi::spec_json().unwrap()).unwrap();
    let documented: BTreeSet<String> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/admin"))
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |verb| format!("{} {path}", verb.to_uppercase()))
        })
        .collect();
    let covered: BTreeSet<String> = operations
        .iter()
        .map(|o| format!("{} {}", o.method, o.template))
        .collect();
    let missing: Vec<&String> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "admin operations missing from the authorization matrix: {missing:?}"
    );
}

/// A check-in by `member` at `site`, flagged for review: captured yesterday (late_capture).
async fn flagged_checkin(
    app: &crate::helpers::TestApp,
    site: i64,
    member: &crate::helpers::Session,
) -> i64 {
    let yesterday = (app.clock_now() - chrono::Duration::hours(20)).to_rfc3339();
    let body = json!({"site_id": site, "lat": 22.9, "lng": 113.3, "accuracy_m": 5.0, "captured_at": yesterday});
    let flagged: Value = app
        .post("/api/v1/checkins", &body, Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(flagged["status"], "flagged", "{flagged}");
    flagged["id"].as_i64().unwrap()
}
