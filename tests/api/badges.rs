use chrono::Days;
use redtrail::badges::service::after_streak;
use redtrail::clock::Clock;
use redtrail::db::Db;
use redtrail::points::dto::Source;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::points::{pay, today};

async fn codes(app: &TestApp, token: &str) -> Vec<String> {
    let mine: Value = app
        .get("/api/v1/me/badges", Some(token))
        .await
        .json()
        .await
        .unwrap();
    mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn badges_are_awarded_once_when_their_rule_is_met() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-badges").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);

    let first = pay(&db, &app, member.member_id, Source::Checkin, "site-1", day).await;
    assert_eq!(first.badges, ["first_checkin"]);
    let replay = pay(&db, &app, member.member_id, Source::Checkin, "site-1", day).await;
    assert!(replay.replayed && replay.badges.is_empty());
    // Ten check-ins over three days: the capped ones (0 points) are still check-ins.
    let mut earned = Vec::new();
    for n in 2..=10u64 {
        let on = day - Days::new(n / 4);
        earned.extend(
            pay(
                &db,
                &app,
                member.member_id,
                Source::Checkin,
                &format!("site-{n}"),
                on,
            )
            .await
            .badges,
        );
    }
    assert_eq!(earned, ["checkins_10"]);

    app.clock.advance(chrono::Duration::minutes(1));
    let member = app.dev_login("o-badges").await;
    let path = format!(
        "/api/v1/admin/members/{}/points-adjustments",
        member.member_id
    );
    app.post(
        &path,
        &json!({"points": 100, "reason": "线下活动"}),
        Some(&root.access_token),
    )
    .await;
    app.post(
        &path,
        &json!({"points": 5, "reason": "线下活动"}),
        Some(&root.access_token),
    )
    .await;

    let mine: Value = app
        .get("/api/v1/me/badges", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["code"], "points_100", "newest first");
    assert_eq!(mine["items"][0]["name"], "积分百分");
    assert_eq!(
        mine["items"][0]["awarded_at"],
        app.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    let mut all = codes(&app, &member.access_token).await;
    all.sort();
    assert_eq!(all, ["checkins_10", "first_checkin", "points_100"]);
}

#[tokio::test]
async fn streak_badges_follow_the_longest_streak_reached() {
    let app = spawn_app().await;
    let member = app.dev_login("o-reader").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let now = app.clock.now();
    let id = member.member_id;
    let mut earned = Vec::new();
    for streak in [1, 7, 8, 30, 7] {
        earned.push(
            db.write(|tx| async move { after_streak(&tx, id, streak, now).await })
                .await
                .unwrap(),
        );
    }
    let empty: Vec<&str> = Vec::new();
    assert_eq!(
        earned,
        [
            empty.clone(),
            vec!["streak_7"],
            empty.clone(),
            vec!["streak_30"],
            empty
        ]
    );
    assert_eq!(codes(&app, &member.access_token).await.len(), 2);
}

#[tokio::test]
async fn racing_first_check_ins_earn_the_badge_once() {
    let app = spawn_app().await;
    let member = app.dev_login("o-racer").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);
    let sites: Vec<String> = (0..6).map(|i| format!("site-{i}")).collect();
    let racing = sites
        .iter()
        .map(|s| pay(&db, &app, member.member_id, Source::Checkin, s, day));
    let results = futures_util::future::join_all(racing).await;
    assert_eq!(
        results.iter().map(|a| a.badges.len()).sum::<usize>(),
        1,
        "{results:?}"
    );
    assert_eq!(codes(&app, &member.access_token).await, ["first_checkin"]);
    assert_eq!(
        app.get("/api/v1/me/badges", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
