//! Online classes (云课堂): attendance by heartbeat inside the window, the threshold, the streak
//! day, and the admins' attendance report with its peak.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

async fn attend(app: &TestApp, who: &Session, class: i64, seconds: i32) -> (StatusCode, Value) {
    app.json(
        app.post(
            &format!("/api/v1/classes/{class}/attendance"),
            &json!({ "seconds": seconds }),
            Some(&who.access_token),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn attendance_and_the_peak_follow_a_hand_built_schedule_of_heartbeats() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let t0 = app.clock_now() + Duration::hours(1);
    let (status, class) = app
        .json(
            app.post(
                "/api/v1/admin/classes",
                &json!({
                    "title": "流动党员云课堂",
                    "speaker": "王老师",
                    "starts_at": t0.to_rfc3339(),
                    "ends_at": (t0 + Duration::hours(2)).to_rfc3339(),
                    "stream_url": "https://live.example.cn/1",
                    "attend_min_seconds": 600,
                    "org_ids": [tree.committee],
                }),
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let id = class["id"].as_i64().unwrap();
    let a = app.member_in(&root, "o-class-a", tree.branch_a).await;
    let b = app.member_in(&root, "o-class-b", tree.branch_a).await;
    let c = app.member_in(&root, "o-class-c", tree.branch_b).await;
    let d = app.member_in(&root, "o-class-d", tree.branch_a).await;
    let e = app.member_in(&root, "o-class-e", tree.branch_b).await;
    app.org_admin_of(&root, "o-class-admin", tree.org_a).await;
    let outsider = app.dev_login("o-class-outsider").await;

    let (_, listed) = app
        .json(app.get("/api/v1/classes", Some(&a.access_token)).await)
        .await;
    assert_eq!(listed["items"][0]["id"], id, "{listed}");
    assert_eq!(listed["items"][0]["live"], false);
    let (status, body) = attend(&app, &a, id, 0).await;
    assert_eq!(status, StatusCode::CONFLICT, "before the start: {body}");
    assert_eq!(body["code"], "class.not_live");
    let (status, _) = attend(&app, &outsider, id, 0).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not given to an outsider's org"
    );

    // Minutes after the start at which each member sends a heartbeat, and the seconds each
    // claims after the first: E keeps the page open claiming nothing.
    let schedule: [(&Session, std::ops::RangeInclusive<i64>, i32); 5] = [
        (&a, 0..=30, 60),
        (&b, 10..=20, 60),
        (&c, 15..=40, 60),
        (&d, 35..=36, 60),
        (&e, 15..=16, 0),
    ];
    let mut last: Vec<Value> = vec![Value::Null; 5];
    for minute in 0..=40 {
        app.clock.set(t0 + Duration::minutes(minute));
        for (i, (who, minutes, claims)) in schedule.iter().enumerate() {
            if minutes.contains(&minute) {
                let claim = if minute == *minutes.start() {
                    0
                } else {
                    *claims
                };
                let (status, credit) = attend(&app, who, id, claim).await;
                assert_eq!(status, StatusCode::OK, "{credit}");
                last[i] = credit;
            }
        }
    }
    let seconds: Vec<i64> = last
        .iter()
        .map(|c| c["counted_seconds"].as_i64().unwrap())
        .collect();
    assert_eq!(seconds, [1800, 600, 1500, 60, 0]);
    let attended: Vec<bool> = last
        .iter()
        .map(|c| c["attended"].as_bool().unwrap())
        .collect();
    assert_eq!(attended, [true, true, true, false, false]);
    assert_eq!(last[0]["today_done"], true, "attending counts the day");
    assert_eq!(last[3]["today_done"], false);

    let (_, mine) = app
        .json(
            app.get(&format!("/api/v1/classes/{id}"), Some(&b.access_token))
                .await,
        )
        .await;
    assert_eq!(
        mine["my_attendance"],
        json!({"counted_seconds": 600, "attended": true})
    );
    assert_eq!(mine["live"], true);

    let url = format!("/api/v1/admin/classes/{id}/attendance");
    let root = app.root_again().await;
    let (status, all) = app
        .json(app.get(&url, Some(&root.access_token)).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["participants"], 5, "{all}");
    assert_eq!(all["attendees"], 3);
    assert_eq!(all["counted_seconds"], 1800 + 600 + 1500 + 60);
    assert_eq!(
        all["peak_concurrent"], 3,
        "A, B and C from minute 15 to 20: {all}"
    );
    let peak_at = (t0 + Duration::minutes(15)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(all["peak_at"], peak_at);
    let first = &all["items"][0];
    assert_eq!(first["member_id"], a.member_id);
    assert_eq!(first["minutes"], 30);
    assert_eq!(first["org_id"], tree.branch_a);

    // The admin of 企业 A sees A, B and D only: at most two of them at once.
    let admin_a = app.dev_login("o-class-admin").await;
    let _ = &admin_a;
    let (_, scoped) = app
        .json(app.get(&url, Some(&admin_a.access_token)).await)
        .await;
    assert_eq!(scoped["participants"], 3, "{scoped}");
    assert_eq!(scoped["attendees"], 2);
    assert_eq!(scoped["peak_concurrent"], 2, "{scoped}");
    let ids: Vec<i64> = scoped["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["member_id"].as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&c.member_id), "{scoped}");

    // C moves into 企业 A: its admin now sees C, but not the org C attended from.
    let root = app.root_again().await;
    let res = app
        .patch(
            &format!("/api/v1/admin/members/{}", c.member_id),
            &json!({"org_id": tree.branch_a}),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, moved) = app
        .json(app.get(&url, Some(&admin_a.access_token)).await)
        .await;
    let seen = moved["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["member_id"] == c.member_id)
        .cloned()
        .unwrap_or_default();
    assert_eq!(seen["counted_seconds"], 1500, "{moved}");
    assert_eq!(seen["org_id"], Value::Null, "{moved}");
    assert_eq!(seen["org_name"], Value::Null);

    app.clock.set(t0 + Duration::hours(2));
    let a = app.dev_login("o-class-a").await;
    let res = app
        .post(
            &format!("/api/v1/classes/{id}/attendance"),
            &json!({"seconds": 30}),
            Some(&a.access_token),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "class.not_live").await;
}

#[tokio::test]
async fn a_class_window_and_threshold_are_checked() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let t0 = app.clock_now();
    for (ends, min, field) in [
        (t0, None, "ends_at"),
        (t0 + Duration::hours(25), None, "ends_at"),
        (t0 + Duration::minutes(10), Some(601), "attend_min_seconds"),
    ] {
        let res = app
            .post(
                "/api/v1/admin/classes",
                &json!({
                    "title": "云课堂", "starts_at": t0.to_rfc3339(), "ends_at": ends.to_rfc3339(),
                    "attend_min_seconds": min, "org_ids": [tree.committee],
                }),
                Some(&root.access_token),
            )
            .await;
        let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(err["details"]["fields"][field].is_array(), "{err}");
    }
    let (status, class) = app
        .json(
            app.post(
                "/api/v1/admin/classes",
                &json!({
                    "title": "云课堂", "starts_at": t0.to_rfc3339(),
                    "ends_at": (t0 + Duration::minutes(40)).to_rfc3339(), "org_ids": [tree.committee],
                }),
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    assert_eq!(
        class["attend_min_seconds"], 1200,
        "half the class by default"
    );
}
