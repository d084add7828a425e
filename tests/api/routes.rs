//! Routes (徒步路线), through check-ins.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

const BASE: (f64, f64) = (22.9375, 113.3842);

/// Sites about 1.1 km apart, north of BASE.
async fn sites(app: &TestApp, root: &Session, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let body = json!({"name": format!("站点{i}"), "category": "former_site", "lat": BASE.0 + 0.01 * i as f64, "lng": BASE.1});
        let site: Value = app
            .post("/api/v1/admin/sites", &body, Some(&root.access_token))
            .await
            .json()
            .await
            .unwrap();
        ids.push(site["id"].as_i64().unwrap());
    }
    ids
}

async fn route(app: &TestApp, root: &Session, site_ids: &[i64], ordered: bool) -> i64 {
    let body = json!({"name": "红色足迹线", "site_ids": site_ids, "ordered": ordered});
    let (status, route) = app
        .json(
            app.post("/api/v1/admin/routes", &body, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{route}");
    route["id"].as_i64().unwrap()
}

/// An hour later (a walk, not a flight), `openid` checks in at site number `index`.
async fn visit(app: &TestApp, openid: &str, sites: &[i64], index: usize) -> Value {
    app.clock.advance(Duration::hours(1));
    let member = app.dev_login(openid).await;
    let body = json!({"site_id": sites[index], "lat": BASE.0 + 0.01 * index as f64, "lng": BASE.1, "accuracy_m": 5.0});
    let (status, answer) = app
        .json(
            app.post("/api/v1/checkins", &body, Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

async fn progress(app: &TestApp, openid: &str, route: i64) -> Value {
    let member = app.dev_login(openid).await;
    let route: Value = app
        .get(
            &format!("/api/v1/routes/{route}"),
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    route["my_progress"].clone()
}

#[tokio::test]
async fn an_unordered_route_completes_in_any_order_once_and_pays_once() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stops = sites(&app, &root, 3).await;
    let id = route(&app, &root, &stops, false).await;

    let shown: Value = app
        .get(&format!("/api/v1/routes/{id}"), Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["site_id"].clone())
            .collect::<Vec<_>>(),
        stops
    );
    assert_eq!(
        shown["my_progress"],
        json!({"visited_site_ids": [], "completed_at": null})
    );

    assert_eq!(
        visit(&app, "o-walker", &stops, 2).await["completed_route_ids"],
        json!([])
    );
    assert_eq!(
        visit(&app, "o-walker", &stops, 0).await["completed_route_ids"],
        json!([])
    );
    assert_eq!(
        progress(&app, "o-walker", id).await["visited_site_ids"],
        json!([stops[0], stops[2]])
    );
    let last = visit(&app, "o-walker", &stops, 1).await;
    assert_eq!(last["completed_route_ids"], json!([id]));
    assert!(
        last["badges"]
            .as_array()
            .unwrap()
            .contains(&json!("first_route"))
    );
    let mine = progress(&app, "o-walker", id).await;
    assert_eq!(mine["visited_site_ids"], json!(stops));
    assert!(mine["completed_at"].is_string());

    // Walking it again the next day completes nothing and pays no route points.
    app.clock.advance(Duration::days(1));
    for i in 0..3 {
        assert_eq!(
            visit(&app, "o-walker", &stops, i).await["completed_route_ids"],
            json!([])
        );
    }
    let walker = app.dev_login("o-walker").await;
    let ledger: Value = app
        .get(
            "/api/v1/me/points/ledger?limit=100",
            Some(&walker.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let route_rows: Vec<&Value> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "route")
        .collect();
    assert_eq!(route_rows.len(), 1);
    assert_eq!(route_rows[0]["points"], 20);
}

#[tokio::test]
async fn on_an_ordered_route_a_site_counts_only_after_the_ones_before_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stops = sites(&app, &root, 3).await;
    let id = route(&app, &root, &stops, true).await;

    visit(&app, "o-ordered", &stops, 1).await; // B before A: does not count
    assert_eq!(
        progress(&app, "o-ordered", id).await["visited_site_ids"],
        json!([])
    );
    visit(&app, "o-ordered", &stops, 0).await; // A
    visit(&app, "o-ordered", &stops, 2).await; // C before B (after A): does not count yet
    assert_eq!(
        progress(&app, "o-ordered", id).await["visited_site_ids"],
        json!([stops[0]])
    );
    app.clock.advance(Duration::days(1));
    let b = visit(&app, "o-ordered", &stops, 1).await; // B, after A
    assert_eq!(b["completed_route_ids"], json!([]));
    assert_eq!(
        progress(&app, "o-ordered", id).await["visited_site_ids"],
        json!([stops[0], stops[1]])
    );
    let c = visit(&app, "o-ordered", &stops, 2).await; // C, after B
    assert_eq!(c["completed_route_ids"], json!([id]));
}

#[tokio::test]
async fn a_flagged_check_in_completes_its_route_only_when_approved() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stops = sites(&app, &root, 2).await;
    let id = route(&app, &root, &stops, false).await;
    visit(&app, "o-flagged", &stops, 0).await;
    // A minute later 1.1 km away: 66 km/h is fine; make it a second instead, 4,000 km/h.
    app.clock.advance(Duration::seconds(1));
    let member = app.dev_login("o-flagged").await;
    let body = json!({"site_id": stops[1], "lat": BASE.0 + 0.01, "lng": BASE.1, "accuracy_m": 5.0});
    let (_, flagged) = app
        .json(
            app.post("/api/v1/checkins", &body, Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(
        (
            flagged["status"].as_str(),
            flagged["completed_route_ids"].clone()
        ),
        (Some("flagged"), json!([]))
    );
    assert_eq!(
        progress(&app, "o-flagged", id).await["completed_at"],
        Value::Null
    );

    let root = app.root_again().await;
    let review = format!("/api/v1/admin/checkins/{}/review", flagged["id"]);
    let res = app
        .post(
            &review,
            &json!({"decision": "approve"}),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(progress(&app, "o-flagged", id).await["completed_at"].is_string());
}

#[tokio::test]
async fn a_route_window_counts_only_check_ins_inside_it_and_creation_is_checked() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stops = sites(&app, &root, 2).await;
    visit(&app, "o-early", &stops, 0).await; // before the window opens
    let root = app.root_again().await;
    let now = app.clock_now() + Duration::seconds(1); // opens just after the early visit
    let body = json!({"name": "七一主题线", "site_ids": stops, "ordered": false,
                      "starts_at": now.to_rfc3339(), "ends_at": (now + Duration::days(30)).to_rfc3339()});
    let (_, windowed) = app
        .json(
            app.post("/api/v1/admin/routes", &body, Some(&root.access_token))
                .await,
        )
        .await;
    let id = windowed["id"].as_i64().unwrap();
    assert_eq!(
        visit(&app, "o-early", &stops, 1).await["completed_route_ids"],
        json!([])
    );
    assert_eq!(
        progress(&app, "o-early", id).await["visited_site_ids"],
        json!([stops[1]])
    );

    let root = app.root_again().await;
    let t = Some(root.access_token.as_str());
    let dup = json!({"name": "x", "site_ids": [stops[0], stops[0]], "ordered": true});
    assert_error(
        app.post("/api/v1/admin/routes", &dup, t).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let unknown = json!({"name": "x", "site_ids": [stops[0], 999_999], "ordered": true});
    assert_error(
        app.post("/api/v1/admin/routes", &unknown, t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let backwards = json!({"name": "x", "site_ids": stops, "ordered": true,
                           "starts_at": now.to_rfc3339(), "ends_at": (now - Duration::days(1)).to_rfc3339()});
    assert_error(
        app.post("/api/v1/admin/routes", &backwards, t).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let listed: Value = app.get("/api/v1/routes", t).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_site_on_two_routes_completes_each_when_its_own_sites_are_done() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stops = sites(&app, &root, 3).await;
    let first = route(&app, &root, &stops[0..2], false).await;
    let second = route(&app, &root, &stops[1..3], true).await;
    visit(&app, "o-both", &stops, 0).await;
    assert_eq!(
        visit(&app, "o-both", &stops, 1).await["completed_route_ids"],
        json!([first])
    );
    assert_eq!(
        progress(&app, "o-both", second).await["visited_site_ids"],
        json!([stops[1]])
    );
    assert_eq!(
        visit(&app, "o-both", &stops, 2).await["completed_route_ids"],
        json!([second])
    );
}
