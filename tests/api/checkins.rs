use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

/// The former site of the Panyu county committee, approximately (GCJ-02).
const PANYU: (f64, f64) = (22.9375, 113.3842);
/// Metres per degree of latitude on the mean-radius sphere.
const M_PER_DEG: f64 = 111_195.0;

async fn site_at(app: &TestApp, admin: &Session, name: &str, lat: f64, lng: f64) -> i64 {
    let body = json!({"name": name, "category": "former_site", "lat": lat, "lng": lng});
    let (status, site) = app
        .json(
            app.post("/api/v1/admin/sites", &body, Some(&admin.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    site["id"].as_i64().unwrap()
}

/// A check-in `metres_north` of PANYU.
async fn check_in(
    app: &TestApp,
    who: &Session,
    site: i64,
    metres_north: f64,
    accuracy: f64,
    extra: Value,
) -> reqwest::Response {
    let mut body = json!({"site_id": site, "lat": PANYU.0 + metres_north / M_PER_DEG, "lng": PANYU.1, "accuracy_m": accuracy});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post("/api/v1/checkins", &body, Some(&who.access_token))
        .await
}

#[tokio::test]
async fn a_check_in_at_fifty_metres_is_accepted_and_paid() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "中共番禺县工委旧址", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-hiker").await;

    let (status, body) = app
        .json(
            check_in(
                &app,
                &member,
                site,
                50.0,
                10.0,
                json!({"note": "  重温入党誓词 "}),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "accepted");
    assert!(
        (body["distance_m"].as_f64().unwrap() - 50.0).abs() < 0.5,
        "{body}"
    );
    assert_eq!(body["local_date"], "2026-06-01");
    assert_eq!(body["points_awarded"], 5);
    assert!(
        body.get("points_capped").is_none(),
        "only present when a cap cut the points"
    );
    assert_eq!(body["completed_route_ids"], json!([]));
    assert_eq!(body["badges"], json!(["first_checkin"]));
    let points: Value = app
        .get("/api/v1/me/points", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(points["total"], 5);
}

/// One paid check-in is one write transaction of a fixed, small number of statements (the
/// benchmark's "fewer round trips"): key claim, site, neighbours, insert, payout with its counter,
/// totals and badges, routes, stored answer. MySQL has no `RETURNING` and needs savepoints for
/// duplicates, so it reads back a few rows more.
#[tokio::test]
async fn a_paid_check_in_costs_a_few_statements_in_one_transaction() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let first = site_at(&app, &root, "旧址一", PANYU.0, PANYU.1).await;
    let second = site_at(&app, &root, "旧址二", PANYU.0 + 0.001, PANYU.1).await;
    let member = app.dev_login("o-cost").await;
    let res = check_in(&app, &member, first, 0.0, 10.0, json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.clock.advance(Duration::minutes(10));

    let before = app.statements_so_far().await;
    let res = app
        .client
        .post(app.url("/api/v1/checkins"))
        .bearer_auth(&member.access_token)
        .header("Idempotency-Key", "cost-1")
        .json(
            &json!({"site_id": second, "lat": PANYU.0 + 0.001, "lng": PANYU.1, "accuracy_m": 10.0}),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = app.json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["points_awarded"], 5, "{body}");
    let cost = app.statements_so_far().await - before;
    let most = match app.backend() {
        "sqlite" => 15,
        "postgres" => 16,
        _ => 22,
    };
    assert!(
        cost <= most,
        "a check-in took {cost} statements on {}",
        app.backend()
    );
}

#[tokio::test]
async fn too_far_is_422_with_the_distance_and_the_accuracy_allowance_is_bounded() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "纪念馆", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-far").await;

    let res = check_in(&app, &member, site, 2_000.0, 10.0, json!({})).await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "checkin.too_far").await;
    let d = err["details"]["distance_m"].as_f64().unwrap();
    assert!((d - 2_000.0).abs() / 2_000.0 < 0.01, "{d}");
    assert_eq!(err["details"]["radius_m"], 200);

    // 260 m away with 80 m accuracy: 260 - 80 ≤ 200.
    assert_eq!(
        check_in(&app, &member, site, 260.0, 80.0, json!({}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let other = app.dev_login("o-vague").await;
    // 350 m away claiming 500 m accuracy: only 100 m of it counts, 250 > 200.
    let res = check_in(&app, &other, site, 350.0, 500.0, json!({})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "checkin.too_far").await;
    let res = check_in(&app, &other, 999_999, 0.0, 5.0, json!({})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn one_check_in_per_site_per_local_day_in_shanghai() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 15, 59, 0).unwrap()); // 23:59 in Shanghai
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "故居", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-midnight").await;

    let (_, first) = app
        .json(check_in(&app, &member, site, 10.0, 10.0, json!({})).await)
        .await;
    assert_eq!(first["local_date"], "2026-06-01");
    let again = check_in(&app, &member, site, 10.0, 10.0, json!({})).await;
    assert_error(again, StatusCode::CONFLICT, "checkin.already_today").await;

    app.clock.advance(Duration::minutes(2)); // 00:01 on 2 June
    let (status, next) = app
        .json(check_in(&app, &member, site, 10.0, 10.0, json!({})).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    assert_eq!(next["local_date"], "2026-06-02");
}

#[tokio::test]
async fn twenty_concurrent_check_ins_at_one_site_make_exactly_one() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "烈士陵园", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-rush").await;
    let racing = (0..20).map(|_| check_in(&app, &member, site, 5.0, 5.0, json!({})));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    let points: Value = app
        .get("/api/v1/me/points", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(points["total"], 5, "paid once");
}

/// A check-in at PANYU carrying an `Idempotency-Key`, as a retrying phone sends it.
fn keyed_check_in(
    app: &TestApp,
    who: &Session,
    site: i64,
    key: &str,
) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
    app.client
        .post(app.url("/api/v1/checkins"))
        .bearer_auth(&who.access_token)
        .header("idempotency-key", key)
        .json(&json!({"site_id": site, "lat": PANYU.0, "lng": PANYU.1, "accuracy_m": 15.0}))
        .send()
}

#[tokio::test]
async fn a_retried_check_in_with_its_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "旧址", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-retry").await;
    let send = || keyed_check_in(&app, &member, site, "phone-generated-uuid-1");
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(
        retry.status(),
        StatusCode::CREATED,
        "a replay, not checkin.already_today"
    );
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
}

#[tokio::test]
async fn captured_at_may_be_a_day_old_or_five_minutes_ahead_and_no_more() {
    let app = spawn_app().await; // now: 10:00 on 1 June in Shanghai
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "山顶旧址", PANYU.0, PANYU.1).await;
    let other = site_at(&app, &root, "山脚旧址", PANYU.0 + 0.0005, PANYU.1).await;
    let member = app.dev_login("o-offline").await;
    let now = app.clock_now();
    let at = |t: chrono::DateTime<Utc>| json!({"captured_at": t.to_rfc3339()});

    for bad in [
        now - Duration::hours(24) - Duration::seconds(1),
        now + Duration::minutes(6),
    ] {
        let res = check_in(&app, &member, site, 0.0, 5.0, at(bad)).await;
        let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(err["details"]["fields"]["captured_at"].is_array());
    }
    // Made offline yesterday afternoon, sent now: it is for yesterday, and waits for review.
    let (status, late) = app
        .json(check_in(&app, &member, site, 0.0, 5.0, at(now - Duration::hours(20))).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    assert_eq!(late["local_date"], "2026-05-31");
    assert_eq!(late["status"], "flagged");
    let (status, ahead) = app
        .json(
            check_in(
                &app,
                &member,
                other,
                55.6,
                5.0,
                at(now + Duration::minutes(4)),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ahead}");
    assert_eq!(ahead["local_date"], "2026-06-01");
}

#[tokio::test]
async fn impossible_travel_is_flagged_unpaid_and_reviewable() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let secretary = app.org_admin_of(&root, "o-secretary", tree.branch_a).await;
    let other_admin = app
        .org_admin_of(&root, "o-other-admin", tree.branch_b)
        .await;
    let member = app.member_in(&root, "o-teleport", tree.branch_a).await;
    let panyu = site_at(&app, &root, "番禺旧址", PANYU.0, PANYU.1).await;
    let beijing = site_at(&app, &root, "北京纪念馆", 39.9087, 116.3975).await;
    let twin = site_at(&app, &root, "番禺旧址（东门）", PANYU.0 + 0.0009, PANYU.1).await;

    assert_eq!(
        check_in(&app, &member, panyu, 0.0, 5.0, json!({}))
            .await
            .status(),
        StatusCode::CREATED
    );
    app.clock.advance(Duration::hours(1));
    let member = app.dev_login("o-teleport").await;
    // About 1,900 km in an hour.
    let body = json!({"site_id": beijing, "lat": 39.9087, "lng": 116.3975, "accuracy_m": 5.0});
    let (status, flagged) = app
        .json(
            app.post("/api/v1/checkins", &body, Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    assert_eq!(
        (
            flagged["status"].as_str(),
            flagged["points_awarded"].as_i64()
        ),
        (Some("flagged"), Some(0))
    );

    let queue: Value = app
        .get(
            "/api/v1/admin/checkins?status=flagged",
            Some(&secretary.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue["items"][0]["id"], flagged["id"]);
    assert_eq!(queue["items"][0]["flag_reason"], "impossible_travel");
    assert_eq!(queue["items"][0]["site_name"], "北京纪念馆");
    let elsewhere: Value = app
        .get(
            "/api/v1/admin/checkins?status=flagged",
            Some(&other_admin.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        elsewhere["items"],
        json!([]),
        "another branch's admin does not see it"
    );

    let review = format!("/api/v1/admin/checkins/{}/review", flagged["id"]);
    let res = app
        .post(
            &review,
            &json!({"decision": "approve"}),
            Some(&other_admin.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let (status, approved) = app
        .json(
            app.post(
                &review,
                &json!({"decision": "approve", "reason": "确认本人出差"}),
                Some(&secretary.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        (
            approved["status"].as_str(),
            approved["points_awarded"].as_i64()
        ),
        (Some("accepted"), Some(5))
    );
    let again = app
        .post(
            &review,
            &json!({"decision": "reject"}),
            Some(&secretary.access_token),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
    let points: Value = app
        .get("/api/v1/me/points", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(points["total"], 10);

    // The same fix to the last digit at another site: flagged, then rejected and never paid.
    app.clock.advance(Duration::hours(30));
    let member = app.dev_login("o-teleport").await;
    let body = json!({"site_id": twin, "lat": 39.9087, "lng": 116.3975, "accuracy_m": 5.0});
    let res = app
        .post("/api/v1/checkins", &body, Some(&member.access_token))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "checkin.too_far").await;
    let root = app.root_again().await;
    let beijing_twin = site_at(&app, &root, "北京纪念馆（西门）", 39.9090, 116.3975).await;
    let body = json!({"site_id": beijing_twin, "lat": 39.9087, "lng": 116.3975, "accuracy_m": 5.0});
    let (_, repeated) = app
        .json(
            app.post("/api/v1/checkins", &body, Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(repeated["status"], "flagged", "{repeated}");
    let secretary = app.dev_login("o-secretary").await;
    let review = format!("/api/v1/admin/checkins/{}/review", repeated["id"]);
    let (_, rejected) = app
        .json(
            app.post(
                &review,
                &json!({"decision": "reject", "reason": "定位重复"}),
                Some(&secretary.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(
        (
            rejected["status"].as_str(),
            rejected["points_awarded"].as_i64()
        ),
        (Some("rejected"), Some(0))
    );
    assert_eq!(rejected["flag_reason"], "repeated_coordinates");
}

#[tokio::test]
async fn the_daily_cap_still_lets_the_fifth_check_in_succeed_for_zero() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let mut answers = Vec::new();
    for i in 0..5 {
        let north = i as f64 * 0.0004; // sites about 45 m apart: a walk, not a flight
        let site = site_at(&app, &root, &format!("遗址{i}"), PANYU.0 + north, PANYU.1).await;
        app.clock.advance(Duration::minutes(10));
        let member = app.dev_login("o-busy").await;
        let (status, body) = app
            .json(check_in(&app, &member, site, north * M_PER_DEG, 5.0, json!({})).await)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        answers.push((
            body["points_awarded"].as_i64().unwrap(),
            body.get("points_capped").cloned(),
        ));
    }
    assert_eq!(answers[3], (5, None));
    assert_eq!(answers[4], (0, Some(json!(true))));
}

#[tokio::test]
async fn my_check_ins_and_footprint_show_where_i_have_been() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let a = site_at(&app, &root, "甲旧址", PANYU.0, PANYU.1).await;
    let b = site_at(&app, &root, "乙纪念馆", PANYU.0 + 0.005, PANYU.1).await;
    let member = app.dev_login("o-footprint").await;
    check_in(&app, &member, a, 0.0, 5.0, json!({"note": "第一次来"})).await;
    app.clock.advance(Duration::hours(1));
    let member = app.dev_login("o-footprint").await;
    check_in(&app, &member, b, 0.005 * M_PER_DEG, 5.0, json!({})).await;
    app.clock.advance(Duration::days(1));
    let member = app.dev_login("o-footprint").await;
    check_in(&app, &member, a, 0.0, 5.0, json!({})).await;

    let mine: Value = app
        .get("/api/v1/me/checkins?limit=2", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["site_name"].as_str())
        .collect();
    assert_eq!(names, ["甲旧址", "乙纪念馆"], "newest first");
    let rest: Value = app
        .get(
            &format!(
                "/api/v1/me/checkins?limit=2&cursor={}",
                mine["next_cursor"].as_str().unwrap()
            ),
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"][0]["note"], "第一次来");

    let footprint: Value = app
        .get("/api/v1/me/footprint", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        footprint["items"],
        json!([
            {"site_id": a, "name": "甲旧址", "category": "former_site", "lat": PANYU.0, "lng": PANYU.1,
             "visits": 2, "first_date": "2026-06-01", "last_date": "2026-06-02"},
            {"site_id": b, "name": "乙纪念馆", "category": "former_site", "lat": PANYU.0 + 0.005, "lng": PANYU.1,
             "visits": 1, "first_date": "2026-06-01", "last_date": "2026-06-01"},
        ])
    );
    let stranger = app.dev_login("o-stranger").await;
    let theirs: Value = app
        .get("/api/v1/me/footprint", Some(&stranger.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], json!([]));
}

/// A check-in at the site, captured 20 hours ago: on the day before (from 10:00 in Shanghai).
async fn late_check_in(app: &TestApp, who: &Session, site: i64) -> reqwest::Response {
    let yesterday = (app.clock_now() - Duration::hours(20)).to_rfc3339();
    check_in(app, who, site, 0.0, 5.0, json!({"captured_at": yesterday})).await
}

#[tokio::test]
async fn a_check_in_captured_on_an_earlier_local_day_waits_unpaid_for_review() {
    let app = spawn_app().await; // 10:00 on 1 June in Shanghai
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    app.org_admin_of(&root, "o-late-sec", tree.branch_a).await;
    let site = site_at(&app, &root, "农讲所旧址", PANYU.0, PANYU.1).await;
    let member = app.member_in(&root, "o-late", tree.branch_a).await;

    let (status, today) = app
        .json(check_in(&app, &member, site, 0.0, 5.0, json!({})).await)
        .await;
    assert_eq!(
        (status, today["status"].as_str()),
        (StatusCode::CREATED, Some("accepted"))
    );
    // One visit, sent again claiming yesterday afternoon, to spend yesterday's unused cap.
    let (status, late) = app.json(late_check_in(&app, &member, site).await).await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    assert_eq!(
        (
            late["status"].as_str(),
            late["flag_reason"].as_str(),
            late["local_date"].as_str()
        ),
        (Some("flagged"), Some("late_capture"), Some("2026-05-31"))
    );
    assert_eq!(late["points_awarded"], 0);
    assert_eq!(
        app.total_points(&member).await,
        5,
        "the late capture pays nothing yet"
    );

    // Captured before midnight, sent just after it: the phone's day is not the server's.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 16, 1, 0).unwrap()); // 00:01 on 2 June
    let member = app.dev_login("o-late").await;
    let root = app.root_again().await;
    let secretary = app.dev_login("o-late-sec").await;
    let other = site_at(&app, &root, "农讲所东门", PANYU.0 + 0.0003, PANYU.1).await;
    let before_midnight = Utc
        .with_ymd_and_hms(2026, 6, 1, 15, 58, 0)
        .unwrap()
        .to_rfc3339();
    let (_, edge) = app
        .json(
            check_in(
                &app,
                &member,
                other,
                0.0003 * M_PER_DEG,
                5.0,
                json!({"captured_at": before_midnight}),
            )
            .await,
        )
        .await;
    assert_eq!(
        (edge["status"].as_str(), edge["local_date"].as_str()),
        (Some("flagged"), Some("2026-06-01")),
        "{edge}"
    );

    // Approved, it is paid against the day it happened.
    let review = format!("/api/v1/admin/checkins/{}/review", late["id"]);
    let (status, approved) = app
        .json(
            app.post(
                &review,
                &json!({"decision": "approve"}),
                Some(&secretary.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["points_awarded"], 5);
    assert_eq!(app.total_points(&member).await, 10);
    let ledger: Value = app
        .get("/api/v1/me/points/ledger", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["items"][0]["local_date"], "2026-05-31");
}

#[tokio::test]
async fn impossible_travel_is_caught_against_the_check_in_after_it_in_time() {
    let app = spawn_app().await; // 10:00 in Shanghai
    let root = app.platform_admin().await;
    let panyu = site_at(&app, &root, "番禺旧址", PANYU.0, PANYU.1).await;
    let beijing = site_at(&app, &root, "北京纪念馆", 39.9087, 116.3975).await;
    let member = app.dev_login("o-out-of-order").await;

    let body = json!({"site_id": beijing, "lat": 39.9087, "lng": 116.3975, "accuracy_m": 5.0});
    let (_, first) = app
        .json(
            app.post("/api/v1/checkins", &body, Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(first["status"], "accepted", "{first}");
    // Sent second but captured an hour before Beijing, 1,900 km away: nothing earlier to
    // compare with, so only the check-in after it shows the flight.
    let earlier = (app.clock_now() - Duration::hours(1)).to_rfc3339();
    let (status, hidden) = app
        .json(
            check_in(
                &app,
                &member,
                panyu,
                0.0,
                5.0,
                json!({"captured_at": earlier}),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hidden}");
    assert_eq!(
        (hidden["status"].as_str(), hidden["flag_reason"].as_str()),
        (Some("flagged"), Some("impossible_travel"))
    );
    assert_eq!(app.total_points(&member).await, 5);
}

#[tokio::test]
async fn an_approve_and_a_reject_sent_together_have_exactly_one_winner() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let first = app.org_admin_of(&root, "o-race-sec-1", tree.org_a).await;
    let second = app.org_admin_of(&root, "o-race-sec-2", tree.org_a).await;
    let site = site_at(&app, &root, "纪念碑", PANYU.0, PANYU.1).await;
    let mut cases = Vec::new();
    for i in 0..6 {
        let member = app
            .member_in(&root, &format!("o-race-{i}"), tree.branch_a)
            .await;
        let (_, c) = app.json(late_check_in(&app, &member, site).await).await;
        assert_eq!(c["status"], "flagged", "{c}");
        cases.push((member, c["id"].as_i64().unwrap()));
    }
    let (approve, reject) = (
        json!({"decision": "approve"}),
        json!({"decision": "reject"}),
    );
    let (app, approve, reject, first, second) = (&app, &approve, &reject, &first, &second);
    let races = cases.iter().map(|(_, id)| async move {
        let review = format!("/api/v1/admin/checkins/{id}/review");
        let (a, r) = futures_util::join!(
            app.post(&review, approve, Some(&first.access_token)),
            app.post(&review, reject, Some(&second.access_token)),
        );
        (a.status(), r.status())
    });
    let outcomes = futures_util::future::join_all(races).await;
    for ((member, id), (approve, reject)) in cases.iter().zip(outcomes) {
        let mut statuses = [approve, reject];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "check-in {id}: {approve} {reject}"
        );
        let expected = if approve == StatusCode::OK { 5 } else { 0 };
        assert_eq!(
            app.total_points(member).await,
            expected,
            "check-in {id}: paid only if approve won"
        );
        let (_, seen) = app
            .json(
                app.get(
                    &format!(
                        "/api/v1/admin/checkins?status={}",
                        if expected == 5 {
                            "accepted"
                        } else {
                            "rejected"
                        }
                    ),
                    Some(&root.access_token),
                )
                .await,
            )
            .await;
        assert!(
            seen["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == *id),
            "{seen}"
        );
    }
}

#[tokio::test]
async fn a_check_in_retried_while_the_first_still_runs_replays_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "旧址", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-impatient").await;
    let send = || keyed_check_in(&app, &member, site, "tap-tap-tap");
    let answers = futures_util::future::join_all((0..8).map(|_| send())).await;
    let mut bodies = Vec::new();
    for res in answers {
        let res = res.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        bodies.push(body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    assert_eq!(app.total_points(&member).await, 5);
}

#[tokio::test]
async fn a_capture_stamped_just_after_midnight_but_sent_before_it_is_today() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 15, 56, 0).unwrap()); // 23:56 in Shanghai
    let root = app.platform_admin().await;
    let site = site_at(&app, &root, "午夜旧址", PANYU.0, PANYU.1).await;
    let member = app.dev_login("o-early-clock").await;
    let (_, first) = app
        .json(check_in(&app, &member, site, 0.0, 5.0, json!({})).await)
        .await;
    assert_eq!(first["status"], "accepted");
    // A phone clock 4½ minutes fast claims tomorrow: forgiven as now, so it is today's second.
    let ahead = Utc
        .with_ymd_and_hms(2026, 6, 1, 16, 0, 30)
        .unwrap()
        .to_rfc3339();
    let res = check_in(&app, &member, site, 0.0, 5.0, json!({"captured_at": ahead})).await;
    assert_error(res, StatusCode::CONFLICT, "checkin.already_today").await;
    assert_eq!(app.total_points(&member).await, 5);
}

#[tokio::test]
async fn two_check_ins_a_thousand_kilometres_apart_sent_together_are_not_both_accepted() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let panyu = site_at(&app, &root, "番禺旧址", PANYU.0, PANYU.1).await;
    let beijing = site_at(&app, &root, "北京纪念馆", 39.9087, 116.3975).await;
    let mut members = Vec::new();
    for i in 0..6 {
        members.push(app.dev_login(&format!("o-twins-{i}")).await);
    }
    let app = &app;
    let pairs = members.iter().map(|m| async move {
        let north = json!({"site_id": beijing, "lat": 39.9087, "lng": 116.3975, "accuracy_m": 5.0});
        let (a, b) = futures_util::join!(
            check_in(app, m, panyu, 0.0, 5.0, json!({})),
            app.post("/api/v1/checkins", &north, Some(&m.access_token)),
        );
        let a: Value = a.json().await.unwrap();
        let b: Value = b.json().await.unwrap();
        (a["status"].clone(), b["status"].clone())
    });
    for (a, b) in futures_util::future::join_all(pairs).await {
        let mut statuses = [
            a.as_str().unwrap().to_owned(),
            b.as_str().unwrap().to_owned(),
        ];
        statuses.sort();
        assert_eq!(statuses, ["accepted", "flagged"], "{a} {b}");
    }
}
