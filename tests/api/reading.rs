//! Reading: articles, counted study time, completions, streaks across day, month and year
//! ends, the calendar and make-up cards.
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

/// A published article needing `min_read_seconds` of counted time, of `fields`' other values.
pub async fn article(app: &TestApp, root: &Session, min_read_seconds: i32, fields: Value) -> Value {
    let mut body = json!({
        "title": "红船精神",
        "body": "<p>1921 年，中共一大在嘉兴南湖的红船上闭幕。</p>",
        "category": "党史",
        "status": "published",
        "min_read_seconds": min_read_seconds,
    });
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, article) = app
        .json(
            app.post("/api/v1/admin/articles", &body, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    article
}

/// A reading heartbeat claiming `seconds`; panics on anything but 200.
async fn beat(app: &TestApp, who: &Session, article: &Value, seconds: i32) -> Value {
    let (status, credit) = app
        .json(
            app.post(
                &format!("/api/v1/articles/{}/reading", article["id"]),
                &json!({ "seconds": seconds }),
                Some(&who.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{credit}");
    credit
}

fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Shanghai
        .with_ymd_and_hms(y, m, d, h, min, s)
        .unwrap()
        .with_timezone(&Utc)
}

/// At 10:00 Shanghai on the given day, logs `openid` in again and reads `article` (30 s) to
/// completion.
async fn read_on(
    app: &TestApp,
    openid: &str,
    article: &Value,
    (y, m, d): (i32, u32, u32),
) -> Session {
    app.clock.set(shanghai(y, m, d, 10, 0, 0));
    let who = app.dev_login(openid).await;
    beat(app, &who, article, 0).await;
    app.clock.advance(Duration::seconds(30));
    let credit = beat(app, &who, article, 30).await;
    assert_eq!(credit["completed"], true, "{credit}");
    assert_eq!(credit["today_done"], true, "{credit}");
    who
}

async fn streak(app: &TestApp, who: &Session) -> Value {
    let (status, streak) = app
        .json(
            app.get("/api/v1/me/reading/streak", Some(&who.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{streak}");
    streak
}

async fn calendar(app: &TestApp, who: &Session, month: &str) -> Value {
    let (status, calendar) = app
        .json(
            app.get(
                &format!("/api/v1/me/reading/calendar?month={month}"),
                Some(&who.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{calendar}");
    calendar
}

async fn makeup(app: &TestApp, who: &Session, date: &str) -> reqwest::Response {
    app.post(
        "/api/v1/me/reading/makeup",
        &json!({ "date": date }),
        Some(&who.access_token),
    )
    .await
}

#[tokio::test]
async fn heartbeats_below_the_minimum_do_not_complete_and_inflated_seconds_are_not_credited() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 60, json!({})).await;
    let reader = app.dev_login("o-reader").await;

    let first = beat(&app, &reader, &article, 0).await;
    assert_eq!(
        first["credited_seconds"], 0,
        "the first heartbeat opens a session"
    );
    app.clock.advance(Duration::seconds(30));
    // The phone claims five minutes; thirty seconds passed (plus five of slack).
    let inflated = beat(&app, &reader, &article, 300).await;
    assert_eq!(inflated["credited_seconds"], 35, "{inflated}");
    app.clock.advance(Duration::seconds(20));
    let below = beat(&app, &reader, &article, 20).await;
    assert_eq!(
        below["counted_seconds"], 55,
        "the slack is not credited twice: {below}"
    );
    assert_eq!(below["completed"], false);
    assert_eq!(below["today_done"], false);
    assert_eq!(below["points_awarded"], 0);
    assert_eq!(app.total_points(&reader).await, 0);

    // A gap of more than five minutes starts a new session: the gap is not credited.
    app.clock.advance(Duration::minutes(10));
    let after_gap = beat(&app, &reader, &article, 300).await;
    assert_eq!(after_gap["credited_seconds"], 0, "{after_gap}");
    assert_eq!(after_gap["counted_seconds"], 55);

    app.clock.advance(Duration::seconds(10));
    let done = beat(&app, &reader, &article, 10).await;
    assert_eq!(done["counted_seconds"], 65, "{done}");
    assert_eq!(done["completed"], true);
    assert_eq!(done["today_done"], true);
    assert_eq!(done["points_awarded"], 1, "the reading point: {done}");
    assert_eq!(app.total_points(&reader).await, 1);

    let (_, listed) = app
        .json(
            app.get("/api/v1/articles", Some(&reader.access_token))
                .await,
        )
        .await;
    assert_eq!(listed["items"][0]["id"], article["id"], "{listed}");
    assert_eq!(listed["items"][0]["my"]["completed"], true);
    assert_eq!(listed["items"][0]["my"]["today_seconds"], 65);

    let (status, _) = app
        .json(
            app.post(
                &format!("/api/v1/articles/{}/reading", article["id"]),
                &json!({ "seconds": 301 }),
                Some(&reader.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn parallel_heartbeats_on_two_articles_do_not_count_the_same_minutes_twice() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let one = article(&app, &root, 600, json!({})).await;
    let two = article(&app, &root, 600, json!({"title": "井冈山精神"})).await;
    let reader = app.dev_login("o-two-tabs").await;

    beat(&app, &reader, &one, 0).await;
    beat(&app, &reader, &two, 0).await;
    let mut credited = 0;
    for _ in 0..4 {
        app.clock.advance(Duration::seconds(30));
        let (a, b) = tokio::join!(beat(&app, &reader, &one, 30), beat(&app, &reader, &two, 30));
        credited +=
            a["credited_seconds"].as_i64().unwrap() + b["credited_seconds"].as_i64().unwrap();
    }
    // Two minutes passed: at most two minutes (and one slack) are counted in all.
    assert!(credited <= 125, "credited {credited} s in 120 s");
    assert!(credited >= 120, "credited {credited} s in 120 s");
}

#[tokio::test]
async fn an_article_completes_once_a_day_and_re_reading_pays_nothing_more() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 30, json!({})).await;
    let reader = read_on(&app, "o-rereader", &article, (2026, 6, 1)).await;
    assert_eq!(app.total_points(&reader).await, 1);

    // More reading the same day: still completed, nothing more paid.
    app.clock.advance(Duration::seconds(30));
    let again = beat(&app, &reader, &article, 30).await;
    assert_eq!(again["completed"], true);
    assert_eq!(again["points_awarded"], 0, "{again}");

    // Another day: it completes for that day (the streak counts it), pays nothing.
    let reader = read_on(&app, "o-rereader", &article, (2026, 6, 2)).await;
    assert_eq!(app.total_points(&reader).await, 1);
    let streak = streak(&app, &reader).await;
    assert_eq!(streak["current"], 2, "{streak}");

    // Opening it without reading is no read.
    let opener = app.dev_login("o-opener").await;
    beat(&app, &opener, &article, 0).await;
    let (_, stats) = app
        .json(
            app.get(
                &format!("/api/v1/admin/articles/{}/stats", article["id"]),
                Some(&app.root_again().await.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(stats["figures"]["completions"], 2, "{stats}");
    assert_eq!(stats["figures"]["completed_readers"], 1);
    assert_eq!(stats["figures"]["unique_readers"], 1);
    assert_eq!(stats["figures"]["counted_seconds"], 90);
}

#[tokio::test]
async fn a_streak_runs_across_a_month_end_and_a_year_end_and_a_missed_day_resets_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 30, json!({})).await;
    let openid = "o-streak";

    for day in [(2026, 6, 29), (2026, 6, 30), (2026, 7, 1)] {
        read_on(&app, openid, &article, day).await;
    }
    for day in [(2026, 12, 30), (2026, 12, 31)] {
        read_on(&app, openid, &article, day).await;
    }
    // New Year's morning, not read yet: yesterday's run is still current.
    app.clock.set(shanghai(2027, 1, 1, 8, 0, 0));
    let who = app.dev_login(openid).await;
    let morning = streak(&app, &who).await;
    assert_eq!(morning["current"], 2, "{morning}");
    assert_eq!(morning["today_done"], false);
    assert_eq!(morning["longest"], 3);

    let who = read_on(&app, openid, &article, (2027, 1, 1)).await;
    let evening = streak(&app, &who).await;
    assert_eq!(evening["current"], 3, "{evening}");
    assert_eq!(evening["today_done"], true);

    // 2 January missed: on the 3rd the streak is gone, and starts again.
    app.clock.set(shanghai(2027, 1, 3, 8, 0, 0));
    let who = app.dev_login(openid).await;
    assert_eq!(streak(&app, &who).await["current"], 0);
    let who = read_on(&app, openid, &article, (2027, 1, 3)).await;
    let restarted = streak(&app, &who).await;
    assert_eq!(restarted["current"], 1, "{restarted}");
    assert_eq!(restarted["longest"], 3);

    let june = calendar(&app, &who, "2026-06").await;
    assert_eq!(june["days"], json!(["2026-06-29", "2026-06-30"]), "{june}");
    let december = calendar(&app, &who, "2026-12").await;
    assert_eq!(december["days"], json!(["2026-12-30", "2026-12-31"]));
    let january = calendar(&app, &who, "2027-01").await;
    assert_eq!(january["days"], json!(["2027-01-01", "2027-01-03"]));
    assert_eq!(january["makeup_days"], json!([]));
    for bad in ["2027-1", "2027-13", "27-01", "x"] {
        let res = app
            .get(
                &format!("/api/v1/me/reading/calendar?month={bad}"),
                Some(&who.access_token),
            )
            .await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

#[tokio::test]
async fn a_read_at_23_59_and_one_at_00_01_in_shanghai_land_on_different_days() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 30, json!({})).await;
    app.clock.set(shanghai(2026, 6, 10, 23, 58, 30));
    let reader = app.dev_login("o-midnight").await;
    beat(&app, &reader, &article, 0).await;
    app.clock.set(shanghai(2026, 6, 10, 23, 59, 0));
    let late = beat(&app, &reader, &article, 30).await;
    assert_eq!(late["completed"], true, "{late}");

    app.clock.set(shanghai(2026, 6, 11, 0, 0, 30));
    let after_midnight = beat(&app, &reader, &article, 0).await;
    assert_eq!(
        after_midnight["counted_seconds"], 0,
        "a new day: {after_midnight}"
    );
    assert_eq!(after_midnight["completed"], false);
    assert_eq!(after_midnight["today_done"], false);
    app.clock.set(shanghai(2026, 6, 11, 0, 1, 0));
    let early = beat(&app, &reader, &article, 30).await;
    assert_eq!(early["completed"], true, "{early}");

    let june = calendar(&app, &reader, "2026-06").await;
    assert_eq!(june["days"], json!(["2026-06-10", "2026-06-11"]), "{june}");
    assert_eq!(streak(&app, &reader).await["current"], 2);
    assert_eq!(
        app.total_points(&reader).await,
        1,
        "one article, one reading point"
    );
}

#[tokio::test]
async fn days_keep_their_date_in_the_timezone_they_were_counted_in() {
    let app = spawn_app_with_zone("America/New_York").await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 30, json!({})).await;
    // 23:59 in New York on 10 June is already 11 June in Shanghai.
    let at = chrono_tz::America::New_York
        .with_ymd_and_hms(2026, 6, 10, 23, 59, 0)
        .unwrap()
        .with_timezone(&Utc);
    app.clock.set(at - Duration::seconds(30));
    let reader = app.dev_login("o-new-york").await;
    beat(&app, &reader, &article, 0).await;
    app.clock.set(at);
    beat(&app, &reader, &article, 30).await;
    let june = calendar(&app, &reader, "2026-06").await;
    assert_eq!(june["days"], json!(["2026-06-10"]), "{june}");
}

async fn spawn_app_with_zone(zone: &str) -> TestApp {
    crate::helpers::spawn_app_with(vec![("REDTRAIL_TIMEZONE", zone.into())]).await
}

#[tokio::test]
async fn a_makeup_card_fills_a_missed_day_of_the_last_week_and_pays_nothing() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 30, json!({})).await;
    let openid = "o-makeup";
    // The member joins on 1 June (the clock's start) and reads every day to the 7th.
    app.dev_login(openid).await;
    for d in 1..=7 {
        read_on(&app, openid, &article, (2026, 6, d)).await;
    }
    app.clock.set(shanghai(2026, 6, 7, 20, 0, 0));
    let who = app.dev_login(openid).await;
    let seven = streak(&app, &who).await;
    assert_eq!(seven["current"], 7, "{seven}");
    assert_eq!(seven["makeup_cards"], 1, "seven days earn a card: {seven}");
    let (_, badges) = app
        .json(app.get("/api/v1/me/badges", Some(&who.access_token)).await)
        .await;
    assert!(badges.to_string().contains("streak_7"), "{badges}");

    // 8 June missed. On the 9th the streak is broken until the card fills the 8th.
    app.clock.set(shanghai(2026, 6, 9, 9, 0, 0));
    let who = app.dev_login(openid).await;
    assert_eq!(streak(&app, &who).await["current"], 0);
    let points_before = app.total_points(&who).await;
    for (date, status, code) in [
        (
            "2026-06-09",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "2026-06-10",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "2026-05-31",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        ("2026-06-05", StatusCode::CONFLICT, "reading.day_counted"),
    ] {
        let body = assert_error(makeup(&app, &who, date).await, status, code).await;
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let window = "只能补签今天之前 7 天内、加入之后的日期";
            assert_eq!(body["details"]["fields"]["date"], json!([window]), "{body}");
        }
    }
    // Sent with an Idempotency-Key, as a retrying phone does: the retry replays the answer.
    let send = || {
        app.client
            .post(app.url("/api/v1/me/reading/makeup"))
            .bearer_auth(&who.access_token)
            .header("Idempotency-Key", "makeup-0608")
            .json(&json!({"date": "2026-06-08"}))
            .send()
    };
    let (status, restored) = app.json(send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    let (status, replayed) = app.json(send().await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a retry, not reading.day_counted: {replayed}"
    );
    assert_eq!(replayed, restored);
    assert_eq!(restored["current"], 8, "{restored}");
    assert_eq!(restored["today_done"], false);
    assert_eq!(restored["makeup_cards"], 0);
    assert_eq!(
        app.total_points(&who).await,
        points_before,
        "a make-up pays nothing"
    );
    let june = calendar(&app, &who, "2026-06").await;
    assert_eq!(june["makeup_days"], json!(["2026-06-08"]), "{june}");
    assert_eq!(june["days"].as_array().unwrap().len(), 8);

    let who = read_on(&app, openid, &article, (2026, 6, 9)).await;
    assert_eq!(streak(&app, &who).await["current"], 9);
    let (_, cards) = app
        .json(
            app.get("/api/v1/me/reading/makeup-cards", Some(&who.access_token))
                .await,
        )
        .await;
    assert_eq!(cards["items"][0]["earned_on"], "2026-06-07", "{cards}");
    assert_eq!(cards["items"][0]["spent_for"], "2026-06-08");

    // The filled day earns nothing: the next card takes 7 real days after it (the 15th), not a
    // run of 14.
    for d in 10..=14 {
        let who = read_on(&app, openid, &article, (2026, 6, d)).await;
        assert_eq!(streak(&app, &who).await["makeup_cards"], 0, "day {d}");
    }
    let who = read_on(&app, openid, &article, (2026, 6, 15)).await;
    let fifteen = streak(&app, &who).await;
    assert_eq!(fifteen["current"], 15, "{fifteen}");
    assert_eq!(fifteen["makeup_cards"], 1, "{fifteen}");

    // The 16th missed and filled on the 17th; the 18th missed, and no card is left for it.
    app.clock.set(shanghai(2026, 6, 17, 9, 0, 0));
    let who = app.dev_login(openid).await;
    let (status, body) = app.json(makeup(&app, &who, "2026-06-16").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    read_on(&app, openid, &article, (2026, 6, 17)).await;
    app.clock.set(shanghai(2026, 6, 19, 9, 0, 0));
    let who = app.dev_login(openid).await;
    let held = streak(&app, &who).await;
    assert_eq!(held["current"], 0, "{held}");
    assert_eq!(held["longest"], 17);
    assert_eq!(held["makeup_cards"], 0, "{held}");
    assert_error(
        makeup(&app, &who, "2026-06-18").await,
        StatusCode::CONFLICT,
        "reading.no_makeup_card",
    )
    .await;
    assert_error(
        makeup(&app, &who, "2026-06-14").await,
        StatusCode::CONFLICT,
        "reading.day_counted",
    )
    .await;
    // More than 7 days back is refused.
    assert_error(
        makeup(&app, &who, "2026-06-11").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A member who joined today cannot fill yesterday.
    let newcomer = app.dev_login("o-newcomer").await;
    assert_error(
        makeup(&app, &newcomer, "2026-06-18").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn articles_are_sanitized_scheduled_and_ordered_in_their_series() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let (status, series) = app
        .json(
            app.post(
                "/api/v1/admin/series",
                &json!({"title": "党史百年 天天读"}),
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{series}");
    let dirty = r#"<p onclick="steal()">南湖<script>alert(1)</script></p><img src="javascript:x">"#;
    let first = article(
        &app,
        &root,
        30,
        json!({"series_id": series["id"], "series_position": 1, "body": dirty}),
    )
    .await;
    assert_eq!(first["body"], "<p>南湖</p><img>", "{first}");
    let second = article(
        &app,
        &root,
        30,
        json!({"series_id": series["id"], "series_position": 2, "title": "第二章"}),
    )
    .await;
    let later = (app.clock_now() + Duration::days(1)).to_rfc3339();
    article(
        &app,
        &root,
        30,
        json!({"series_id": series["id"], "series_position": 3, "published_at": later}),
    )
    .await;
    article(&app, &root, 30, json!({"status": "draft", "title": "草稿"})).await;

    // The same place twice, a place without a series, media without its kind.
    for (fields, field, message) in [
        (
            json!({"series_id": series["id"], "series_position": 2}),
            "series_position",
            "该系列的这个位置已有文章",
        ),
        (
            json!({"series_id": series["id"]}),
            "series_position",
            "必填",
        ),
        (
            json!({"media_url": "https://v.example.cn/a.mp3"}),
            "media_url",
            "media_url 与 media_kind 须同时提供",
        ),
        (
            json!({"series_id": 999999, "series_position": 1}),
            "series_id",
            "无效",
        ),
    ] {
        let mut body =
            json!({"title": "x", "body": "<p>x</p>", "category": "党史", "status": "published"});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app
            .post("/api/v1/admin/articles", &body, Some(&root.access_token))
            .await;
        let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(err["details"]["fields"][field], json!([message]), "{err}");
    }
    // Without a minimum, one follows from the length.
    let long = article(
        &app,
        &root,
        30,
        json!({"min_read_seconds": null, "body": format!("<p>{}</p>", "字".repeat(2000))}),
    )
    .await;
    assert_eq!(long["min_read_seconds"], 300, "{long}");

    let reader = app.dev_login("o-series").await;
    let (_, listed) = app
        .json(
            app.get("/api/v1/articles", Some(&reader.access_token))
                .await,
        )
        .await;
    let titles: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "no draft, nothing scheduled: {listed}");
    assert!(!titles.contains(&"草稿"));

    let url = format!("/api/v1/series/{}", series["id"]);
    let (_, view) = app
        .json(app.get(&url, Some(&reader.access_token)).await)
        .await;
    assert_eq!(view["article_count"], 2, "{view}");
    assert_eq!(view["next_article_id"], first["id"]);
    beat(&app, &reader, &first, 0).await;
    app.clock.advance(Duration::seconds(30));
    beat(&app, &reader, &first, 30).await;
    let (_, view) = app
        .json(app.get(&url, Some(&reader.access_token)).await)
        .await;
    assert_eq!(view["completed_count"], 1, "{view}");
    assert_eq!(view["next_article_id"], second["id"]);
    assert_eq!(view["chapters"][0]["my"]["completed"], true);

    // A scheduled article cannot be read before its time; a draft never.
    let (_, all) = app
        .json(
            app.get("/api/v1/admin/articles", Some(&root.access_token))
                .await,
        )
        .await;
    for a in all["items"].as_array().unwrap() {
        if a["status"] == "draft" || a["series_position"] == 3 {
            let res = app
                .post(
                    &format!("/api/v1/articles/{}/reading", a["id"]),
                    &json!({"seconds": 0}),
                    Some(&reader.access_token),
                )
                .await;
            assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
        }
    }
    let (_, stats) = app
        .json(
            app.get(
                &format!("/api/v1/admin/series/{}/stats", series["id"]),
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(stats["figures"]["unique_readers"], 1, "{stats}");
    assert_eq!(stats["figures"]["completions"], 1);
    assert_eq!(stats["chapters"].as_array().unwrap().len(), 3);

    // Org admins see the figures of what members see; drafts and scheduled ones stay hidden.
    let tree = app.tree(&root).await;
    let admin = app.org_admin_of(&root, "o-reading-admin", tree.org_a).await;
    let (_, scoped) = app
        .json(
            app.get(
                &format!("/api/v1/admin/series/{}/stats", series["id"]),
                Some(&admin.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(scoped["chapters"].as_array().unwrap().len(), 2, "{scoped}");
    assert_eq!(
        scoped["figures"]["unique_readers"], 0,
        "the reader is in no org of theirs"
    );
    let scheduled = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["series_position"] == 3)
        .unwrap()
        .clone();
    let draft = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "draft")
        .unwrap()
        .clone();
    for hidden in [&scheduled, &draft] {
        let res = app
            .get(
                &format!("/api/v1/admin/articles/{}/stats", hidden["id"]),
                Some(&admin.access_token),
            )
            .await;
        assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }

    // Editing the scheduled chapter without a publish time keeps its schedule.
    let edit = json!({
        "title": "第三章", "body": "<p>三</p>", "category": "党史", "status": "published",
        "series_id": series["id"], "series_position": 3,
    });
    let (status, edited) = app
        .json(
            app.put(
                &format!("/api/v1/admin/articles/{}", scheduled["id"]),
                &edit,
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["published_at"], scheduled["published_at"]);

    // A body that is nothing once sanitized is refused.
    let empty = json!({"title": "x", "body": "<script>alert(1)</script>", "category": "党史", "status": "published"});
    let res = app
        .post("/api/v1/admin/articles", &empty, Some(&root.access_token))
        .await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["body"].is_array(), "{err}");
    let res = app
        .get("/api/v1/articles?category=", Some(&reader.access_token))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn study_time_pays_per_its_rule_unit_up_to_the_daily_cap() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let rule = json!({"points": 1, "daily_cap": 2, "weekly_cap": null, "unit_seconds": 60});
    let (status, saved) = app
        .json(
            app.put(
                "/api/v1/admin/point-rules/reading_time",
                &rule,
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["unit_seconds"], 60);
    // A rule paid per event takes no unit.
    let res = app
        .put(
            "/api/v1/admin/point-rules/checkin",
            &rule,
            Some(&root.access_token),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let long = article(&app, &root, 3600, json!({})).await;
    let reader = app.dev_login("o-time").await;
    beat(&app, &reader, &long, 0).await;
    let mut paid = Vec::new();
    for _ in 0..3 {
        app.clock.advance(Duration::seconds(60));
        let credit = beat(&app, &reader, &long, 60).await;
        paid.push((
            credit["points_awarded"].clone(),
            credit["points_capped"].clone(),
        ));
    }
    assert_eq!(
        paid,
        [
            (json!(1), json!(false)),
            (json!(1), json!(false)),
            (json!(0), json!(true)),
        ]
    );
    assert_eq!(app.total_points(&reader).await, 2);

    // A longer unit mid-day: the unit reached next was paid already, and says so.
    let rule = json!({"points": 1, "daily_cap": null, "weekly_cap": null, "unit_seconds": 120});
    let root = app.root_again().await;
    let res = app
        .put(
            "/api/v1/admin/point-rules/reading_time",
            &rule,
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.clock.advance(Duration::seconds(60));
    let credit = beat(&app, &reader, &long, 60).await;
    assert_eq!(credit["counted_seconds"], 240, "{credit}");
    assert_eq!(credit["points_awarded"], 0, "unit 2 paid before: {credit}");
    assert_eq!(app.total_points(&reader).await, 2);
}

#[tokio::test]
async fn a_heartbeat_that_waited_for_a_later_one_does_not_turn_the_day_back() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let article = article(&app, &root, 600, json!({})).await;
    app.clock.set(shanghai(2026, 6, 10, 23, 59, 0));
    let reader = app.dev_login("o-late-beat").await;
    beat(&app, &reader, &article, 0).await;
    app.clock.set(shanghai(2026, 6, 11, 0, 0, 30));
    let after = beat(&app, &reader, &article, 30).await;
    assert_eq!(after["counted_seconds"], 30, "on the 11th: {after}");
    // A heartbeat stamped 23:59:59 that reached the database after the one above.
    app.clock.set(shanghai(2026, 6, 10, 23, 59, 59));
    let stale = beat(&app, &reader, &article, 30).await;
    assert_eq!(stale["counted_seconds"], 35, "still the 11th: {stale}");
}

#[tokio::test]
async fn a_long_body_fits_a_draft_published_later_moves_to_now_and_archived_figures_stay() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    // 30,000 characters of Chinese: about 90 KB, past the usual 64 KiB request limit.
    let long = format!("<p>{}</p>", "党".repeat(30_000));
    let draft = article(
        &app,
        &root,
        30,
        json!({"status": "draft", "body": long, "min_read_seconds": null}),
    )
    .await;
    assert_eq!(draft["body"], long, "stored whole");
    assert_eq!(draft["min_read_seconds"], 1800);

    app.clock.advance(Duration::days(3));
    let root = app.root_again().await;
    let edit = json!({"title": "红船精神", "body": "<p>南湖</p>", "category": "党史", "status": "published"});
    let url = format!("/api/v1/admin/articles/{}", draft["id"]);
    let (status, published) = app
        .json(app.put(&url, &edit, Some(&root.access_token)).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let now = app
        .clock_now()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(
        published["published_at"], now,
        "published when it was published"
    );

    let tree = app.tree(&root).await;
    let admin = app.org_admin_of(&root, "o-archive-admin", tree.org_a).await;
    let mut archived = edit.clone();
    archived["status"] = json!("archived");
    let res = app.put(&url, &archived, Some(&root.access_token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .get(&format!("{url}/stats"), Some(&admin.access_token))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "an archived article was read: its figures stay"
    );
}
