//! Until check-ins, quizzes and reading pay through the API (later steps), payouts are made by
//! calling `points::service::award` in a write transaction on the test's database, exactly as
//! those features will; everything is read back through the HTTP API.
use chrono::{NaiveDate, TimeZone, Utc};
use redtrail::clock::{Clock, local_date};
use redtrail::db::Db;
use redtrail::points::dto::Source;
use redtrail::points::service::{Awarded, Payout, award};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

pub async fn pay(
    db: &Db,
    app: &TestApp,
    member_id: i64,
    source: Source,
    source_id: &str,
    day: NaiveDate,
) -> Awarded {
    let now = app.clock.now();
    db.write(|tx| async move {
        let payout = Payout {
            member_id,
            source,
            source_id,
            units: 1,
            local_date: day,
            note: None,
        };
        award(&tx, payout, now).await
    })
    .await
    .expect("award")
}

pub fn today(app: &TestApp) -> NaiveDate {
    local_date(app.clock.now(), SHANGHAI)
}

async fn my_points(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me/points", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

fn paid_today(points: &Value, source: &str) -> (i64, Value) {
    let line = points["today"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == source)
        .cloned()
        .unwrap_or(Value::Null);
    (line["points"].as_i64().unwrap_or(0), line["cap"].clone())
}

#[tokio::test]
async fn adjustments_pay_through_the_ledger_with_their_reason() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-adjusted").await;
    let path = format!(
        "/api/v1/admin/members/{}/points-adjustments",
        member.member_id
    );

    let (status, entry) = app
        .json(
            app.post(
                &path,
                &json!({"points": 15, "reason": "线下活动补录"}),
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(
        (entry["source"].as_str(), entry["points"].as_i64()),
        (Some("adjustment"), Some(15))
    );
    assert_eq!(
        entry["points_awarded"], 15,
        "a paying response says what it paid"
    );
    app.post(
        &path,
        &json!({"points": -5, "reason": "重复录入"}),
        Some(&root.access_token),
    )
    .await;
    let zero = app
        .post(
            &path,
            &json!({"points": 0, "reason": "x"}),
            Some(&root.access_token),
        )
        .await;
    assert_error(zero, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let points = my_points(&app, &member.access_token).await;
    assert_eq!(points["total"], 10);
    assert_eq!(paid_today(&points, "adjustment").0, 10);
    let ledger: Value = app
        .get("/api/v1/me/points/ledger", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    let rows = ledger["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["points"].as_i64(), rows[0]["note"].as_str()),
        (Some(-5), Some("重复录入"))
    );
    assert_eq!(rows[1]["local_date"], today(&app).to_string());

    let audit: Value = app
        .get(
            "/api/v1/admin/audit-log?entity_type=member",
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["action"], "points.adjust");
}

#[tokio::test]
async fn a_daily_cap_cuts_the_payout_and_the_event_still_succeeds() {
    let app = spawn_app().await;
    let member = app.dev_login("o-capped").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);
    let mut paid = Vec::new();
    for site in 1..=5 {
        paid.push(
            pay(
                &db,
                &app,
                member.member_id,
                Source::Checkin,
                &format!("site-{site}"),
                day,
            )
            .await,
        );
    }
    let points: Vec<i32> = paid.iter().map(|a| a.points).collect();
    assert_eq!(points, [5, 5, 5, 5, 0], "5 a check-in, at most 20 a day");
    assert_eq!(
        paid.iter().map(|a| a.capped).collect::<Vec<_>>(),
        [false, false, false, false, true]
    );

    let mine = my_points(&app, &member.access_token).await;
    assert_eq!(mine["total"], 20);
    assert_eq!(paid_today(&mine, "checkin"), (20, json!(20)));
    assert_eq!(paid_today(&mine, "reading"), (0, json!(6)));
    let ledger: Value = app
        .get(
            "/api/v1/me/points/ledger?limit=100",
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ledger["items"].as_array().unwrap().len(),
        5,
        "the capped event is recorded too, for 0"
    );
}

#[tokio::test]
async fn caps_belong_to_the_local_day_in_shanghai_even_when_paid_later() {
    let app = spawn_app().await;
    // 23:59:59 on 1 June in Shanghai is 15:59:59 UTC.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 15, 59, 59).unwrap());
    let member = app.dev_login("o-midnight").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let june_1 = today(&app);
    assert_eq!(june_1.to_string(), "2026-06-01");
    for site in 1..=4 {
        pay(
            &db,
            &app,
            member.member_id,
            Source::Checkin,
            &format!("d1-{site}"),
            june_1,
        )
        .await;
    }
    assert_eq!(
        paid_today(&my_points(&app, &member.access_token).await, "checkin").0,
        20
    );

    app.clock.advance(chrono::Duration::seconds(1));
    let june_2 = today(&app);
    assert_eq!(june_2.to_string(), "2026-06-02");
    let mine = my_points(&app, &member.access_token).await;
    assert_eq!(
        (mine["today_date"].as_str(), paid_today(&mine, "checkin").0),
        (Some("2026-06-02"), 0)
    );
    assert_eq!(
        pay(&db, &app, member.member_id, Source::Checkin, "d2-1", june_2)
            .await
            .points,
        5,
        "a fresh cap"
    );

    // A check-in made on 1 June but paid now (approved late) counts against 1 June's cap.
    let late = pay(
        &db,
        &app,
        member.member_id,
        Source::Checkin,
        "d1-late",
        june_1,
    )
    .await;
    assert_eq!((late.points, late.capped), (0, true));
    assert_eq!(my_points(&app, &member.access_token).await["total"], 25);
}

#[tokio::test]
async fn one_source_never_pays_twice_even_when_requests_race() {
    let app = spawn_app().await;
    let member = app.dev_login("o-race").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);
    let attempts =
        (0..10).map(|_| pay(&db, &app, member.member_id, Source::Checkin, "site-7", day));
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(
        results.iter().filter(|a| !a.replayed).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|a| a.points == 5),
        "a replay reports what was paid: {results:?}"
    );
    assert_eq!(my_points(&app, &member.access_token).await["total"], 5);
    let ledger: Value = app
        .get("/api/v1/me/points/ledger", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn totals_equal_the_ledger_after_a_mixed_run_and_verify_finds_drift() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(app.dev_login(&format!("o-mixed-{i}")).await);
    }
    let start = today(&app);
    for (i, member) in members.iter().enumerate() {
        for d in 0..9u64 {
            let day = start - chrono::Days::new(d * 3 + i as u64);
            pay(
                &db,
                &app,
                member.member_id,
                Source::Checkin,
                &format!("c-{d}-a"),
                day,
            )
            .await;
            pay(
                &db,
                &app,
                member.member_id,
                Source::Reading,
                &format!("r-{d}"),
                day,
            )
            .await;
            pay(
                &db,
                &app,
                member.member_id,
                Source::Checkin,
                &format!("c-{d}-a"),
                day,
            )
            .await; // replay
        }
        let path = format!(
            "/api/v1/admin/members/{}/points-adjustments",
            member.member_id
        );
        app.post(
            &path,
            &json!({"points": -3 - i as i32, "reason": "更正"}),
            Some(&root.access_token),
        )
        .await;
    }
    for member in &members {
        let ledger: Value = app
            .get(
                "/api/v1/me/points/ledger?limit=100",
                Some(&member.access_token),
            )
            .await
            .json()
            .await
            .unwrap();
        let sum: i64 = ledger["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["points"].as_i64().unwrap())
            .sum();
        assert_eq!(my_points(&app, &member.access_token).await["total"], sum);
    }
    let ok = app.run_cli(&["points", "verify"], "");
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );

    db.conn()
        .execute_unprepared(&format!(
            "UPDATE point_totals SET points = points + 1 WHERE period = 'month' AND member_id = {}",
            members[1].member_id
        ))
        .await
        .unwrap();
    let drift = app.run_cli(&["points", "verify"], "");
    assert!(!drift.status.success());
    let report = String::from_utf8_lossy(&drift.stdout);
    assert!(
        report.contains(&format!("member {} month", members[1].member_id)),
        "{report}"
    );

    // A total of nobody (no foreign key holds totals to members) is drift too.
    db.conn()
        .execute_unprepared(
            "INSERT INTO point_totals (period, period_start, member_id, points) \
             VALUES ('all', '1970-01-01', 999999, 7)",
        )
        .await
        .unwrap();
    let orphan = app.run_cli(&["points", "verify"], "");
    let report = String::from_utf8_lossy(&orphan.stdout);
    assert!(
        report.contains("1 counters or totals of no member"),
        "{report}"
    );
}

#[tokio::test]
async fn rule_changes_apply_from_now_on_and_are_the_platforms_to_make() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let member = app.dev_login("o-rules").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);
    assert_eq!(
        pay(&db, &app, member.member_id, Source::Checkin, "before", day)
            .await
            .points,
        5
    );

    let change = json!({"points": 3, "daily_cap": 6, "weekly_cap": null});
    let res = app
        .put(
            "/api/v1/admin/point-rules/checkin",
            &change,
            Some(&admin_a.access_token),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, rule) = app
        .json(
            app.put(
                "/api/v1/admin/point-rules/checkin",
                &change,
                Some(&root.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rule}");
    assert_eq!(
        (rule["points"].as_i64(), rule["daily_cap"].as_i64()),
        (Some(3), Some(6))
    );
    let res = app
        .put(
            "/api/v1/admin/point-rules/no_such_source",
            &change,
            Some(&root.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // 5 already paid today; the new cap of 6 leaves 1.
    let after = pay(&db, &app, member.member_id, Source::Checkin, "after", day).await;
    assert_eq!((after.points, after.capped), (1, true));
    let ledger: Value = app
        .get("/api/v1/me/points/ledger", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    let points: Vec<i64> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["points"].as_i64().unwrap())
        .collect();
    assert_eq!(points, [1, 5], "the earlier payout is not rewritten");
    let rules: Value = app
        .get("/api/v1/admin/point-rules", Some(&admin_a.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "checkin" && r["points"] == 3)
    );
}
