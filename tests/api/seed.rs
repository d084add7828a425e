use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{session_from, spawn_app};

#[tokio::test]
async fn seed_demo_builds_a_tree_an_admin_can_manage_and_runs_only_once() {
    let app = spawn_app().await;
    let out = app.run_cli(&["seed", "demo"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("12 members") && said.contains("demo-secretary"),
        "{said}"
    );

    let secretary = session_from(
        app.admin_login("demo-secretary", "redtrail-demo-2026")
            .await,
    )
    .await;
    let orgs: Value = app
        .get("/api/v1/admin/orgs", Some(&secretary.access_token))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "南星网络科技有限公司党委",
            "南星网络第一党支部",
            "南星网络第二党支部"
        ],
        "one enterprise's subtree"
    );
    let members: Value = app
        .get("/api/v1/admin/members", Some(&secretary.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        members["items"].as_array().unwrap().len(),
        6,
        "three members in each of its two branches"
    );

    let member = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "demo-member-1"}),
            None,
        )
        .await;
    let member = session_from(member).await;
    let me: Value = app
        .get("/api/v1/me", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["org"]["name"], "南星网络第一党支部");
    assert_eq!(me["political_status"], "party_member");
    // The daily quiz works out of the box, from the bank the demo brings.
    let daily = app
        .post("/api/v1/quiz/daily", &json!({}), Some(&member.access_token))
        .await;
    assert_eq!(daily.status(), StatusCode::OK);
    let daily: Value = daily.json().await.unwrap();
    assert_eq!(daily["questions"].as_array().unwrap().len(), 5, "{daily}");
    assert!(said.contains("12 quiz questions"), "{said}");

    let again = app.run_cli(&["seed", "demo"], "");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already"));
    let root = app.platform_admin().await;
    let all: Value = app
        .get("/api/v1/admin/orgs?limit=100", Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        8,
        "nothing created twice"
    );
    let routes: Value = app
        .get("/api/v1/routes", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(routes["items"][0]["sites"].as_array().unwrap().len(), 2);
    assert_eq!(routes["items"][0]["ordered"], true);
    let near: Value = app
        .get(
            "/api/v1/sites?lat=22.9375&lng=113.3842",
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(near["items"][0]["name"], "中共番禺县工委旧址（松露小学）");
    // A series to read a chapter a day, and a class for the whole committee.
    let articles: Value = app
        .get("/api/v1/articles", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    let series = articles["items"][0]["series_id"].as_i64().unwrap();
    let series: Value = app
        .get(
            &format!("/api/v1/series/{series}"),
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(series["article_count"], 3, "{series}");
    assert_eq!(series["next_article_id"], series["chapters"][0]["id"]);
    let classes: Value = app
        .get("/api/v1/classes", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(classes["items"].as_array().unwrap().len(), 1, "{classes}");
    assert!(said.contains("a series of 3 articles"), "{said}");
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}
