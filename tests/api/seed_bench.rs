//! `redtrail seed bench`: the scale benchmark's data set, generated small here and read back
//! through the API: the points add up (`points verify`), boards, streaks, quizzes, badges,
//! review queues and statistics see what the rows say.
use chrono_tz::Asia::Shanghai;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, session_from, spawn_app};

fn small() -> redtrail::seed::bench::Plan {
    redtrail::seed::bench::Plan {
        members: 60,
        orgs: 12,
        sites: 30,
        checkins: 600,
        questions: 12,
        quiz_attempts: 90,
        articles: 15,
        reading_days: 150,
        submissions: 80,
        days: 40,
        seed: 7,
    }
}

/// One integer from the test's own connection to the database.
async fn scalar(db: &redtrail::db::Db, sql: &str) -> i64 {
    let conn = db.conn();
    let backend = conn.get_database_backend();
    // One integer type on every backend (MySQL sums to DECIMAL, SQLite's COUNT to i32-sized).
    let sql = format!(
        "SELECT CAST(({sql}) AS {}) AS v",
        redtrail::db::int_type(backend)
    );
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn member(app: &TestApp, n: u64) -> String {
    let login = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": format!("bench-member-{n}")}),
            None,
        )
        .await;
    session_from(login).await.access_token
}

/// Every item of a paged admin list.
async fn all_items(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=100&cursor={c}"),
            None => format!("{path}{sep}limit=100"),
        };
        let page = get(app, &url, token).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

#[tokio::test]
async fn seed_bench_writes_a_data_set_the_api_reads_as_real_use() {
    let app = spawn_app().await;
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    let plan = small();
    let report = redtrail::seed::bench::bench(&db, &plan, app.clock_now(), Shanghai)
        .await
        .unwrap();
    assert_eq!(report.members, 60);
    assert_eq!(report.checkins, 600);
    assert_eq!(report.submissions, 80);
    assert!(
        redtrail::points::service::verify(db.conn())
            .await
            .unwrap()
            .is_empty(),
        "every counter and total equals the ledger"
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM checkins").await,
        600,
        "one row per check-in asked for"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM (SELECT member_id, site_id, local_date FROM checkins \
             GROUP BY member_id, site_id, local_date HAVING COUNT(*) > 1) d"
        )
        .await,
        0
    );
    // Every accepted check-in was paid, and no daily cap was passed.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM checkins WHERE status = 'accepted'"
        )
        .await,
        scalar(
            &db,
            "SELECT COUNT(*) FROM points_ledger WHERE source = 'checkin'"
        )
        .await
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM point_day_source c JOIN point_rules r ON r.source = c.source \
             WHERE r.daily_cap IS NOT NULL AND c.points > r.daily_cap"
        )
        .await,
        0
    );

    // A member sees their points, their place and their badges as the ledger has them.
    let first = redtrail::seed::bench::OPENID_PREFIX;
    assert_eq!(first, "bench-member-");
    let token = member(&app, 1).await;
    let me = get(&app, "/api/v1/me", &token).await;
    let id = me["id"].as_i64().unwrap();
    let total = scalar(
        &db,
        &format!("SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE member_id = {id}"),
    )
    .await;
    assert!(total > 0);
    let points = get(&app, "/api/v1/me/points", &token).await;
    assert_eq!(points["total"].as_i64().unwrap(), total);
    let board = get(
        &app,
        "/api/v1/leaderboards?scope=global&period=all&limit=100",
        &token,
    )
    .await;
    let top = scalar(
        &db,
        "SELECT MAX(points) FROM point_totals WHERE period = 'all'",
    )
    .await;
    assert_eq!(board["items"][0]["points"].as_i64().unwrap(), top);
    assert_eq!(board["items"].as_array().unwrap().len(), 60);
    let badges = get(&app, "/api/v1/me/badges", &token).await;
    assert!(badges.to_string().contains("first_checkin"), "{badges}");

    // A seeded quiz reads back graded, with what it paid.
    let attempt = scalar(
        &db,
        &format!("SELECT MIN(id) FROM quiz_attempts WHERE member_id = {id}"),
    )
    .await;
    let result = get(&app, &format!("/api/v1/quiz/attempts/{attempt}"), &token).await;
    assert_eq!(result["status"], "submitted", "{result}");
    assert_eq!(result["correct_count"], 5);
    assert_eq!(
        result["points_awarded"].as_i64().unwrap(),
        scalar(
            &db,
            &format!(
                "SELECT points FROM points_ledger WHERE source = 'quiz_daily' \
                 AND source_id = '{attempt}'"
            )
        )
        .await
    );

    // A reader whose run reaches today has that run as their streak.
    let today = app.clock_now().format("%Y-%m-%d");
    let reader = scalar(
        &db,
        &format!("SELECT MIN(member_id) FROM streak_days WHERE local_date = '{today}'"),
    )
    .await;
    let run = scalar(
        &db,
        &format!(
            "SELECT run FROM streak_days WHERE member_id = {reader} AND local_date = '{today}'"
        ),
    )
    .await;
    // Members were written in openid order: bench-member-N has member 1's id + N - 1.
    let n = reader - id + 1;
    let streak = get(
        &app,
        "/api/v1/me/reading/streak",
        &member(&app, n as u64).await,
    )
    .await;
    assert_eq!(streak["current"].as_i64().unwrap(), run, "{streak}");
    assert_eq!(streak["today_done"], true);

    // The committee's admin sees every pending submission; a branch's, only its own.
    let committee = session_from(
        app.admin_login(
            redtrail::seed::bench::COMMITTEE_ADMIN,
            redtrail::seed::bench::PASSWORD,
        )
        .await,
    )
    .await
    .access_token;
    let pending = all_items(&app, "/api/v1/admin/submissions?status=pending", &committee).await;
    assert_eq!(
        pending.len() as i64,
        scalar(
            &db,
            "SELECT COUNT(*) FROM submissions WHERE status = 'pending'"
        )
        .await
    );
    assert!(!pending.is_empty());
    let branch = session_from(
        app.admin_login(
            redtrail::seed::bench::BRANCH_ADMIN,
            redtrail::seed::bench::PASSWORD,
        )
        .await,
    )
    .await
    .access_token;
    let own = all_items(&app, "/api/v1/admin/submissions?status=pending", &branch).await;
    assert_eq!(
        own.len() as i64,
        scalar(
            &db,
            &format!(
                "SELECT COUNT(*) FROM submissions WHERE status = 'pending' AND org_id = {}",
                report.branch_id
            )
        )
        .await
    );
    assert!(own.len() < pending.len());

    // Statistics count the seeded activity of the whole tree.
    let from = (app.clock_now() - chrono::Duration::days(39)).format("%Y-%m-%d");
    let overview = get(
        &app,
        &format!("/api/v1/admin/stats/overview?from={from}&to={today}"),
        &committee,
    )
    .await;
    assert_eq!(
        overview["totals"]["checkins"].as_i64().unwrap(),
        scalar(
            &db,
            "SELECT COUNT(*) FROM checkins WHERE status = 'accepted'"
        )
        .await
    );

    // A second run finds the data there and writes nothing.
    let again = redtrail::seed::bench::bench(&db, &plan, app.clock_now(), Shanghai).await;
    assert!(matches!(again, Err(redtrail::error::ApiError::Conflict)));
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM members").await, 62);
}

#[tokio::test]
async fn seed_bench_command_loads_a_fresh_database_once_and_points_verify_passes() {
    let app = spawn_app().await;
    let out = app.run_cli(&["seed", "bench", "--scale", "0.0005"], "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("50 members") && said.contains("500 check-ins"),
        "{said}"
    );
    let verify = app.run_cli(&["points", "verify"], "");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let again = app.run_cli(&["seed", "bench", "--scale", "0.0005"], "");
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("fresh database"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let bad = app.run_cli(&["seed", "bench", "--orgs", "2"], "");
    assert!(!bad.status.success());
}
