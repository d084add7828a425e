use chrono::Days;
use redtrail::db::Db;
use redtrail::points::dto::Source;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};
use crate::points::{pay, today};

/// (member_id, rank, points) of each row, top first.
fn rows(board: &Value) -> Vec<(i64, i64, i64)> {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["member_id"].as_i64().unwrap(),
                r["rank"].as_i64().unwrap(),
                r["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn board(app: &TestApp, who: &Session, query: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/leaderboards?{query}"),
            Some(&who.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn checkins(
    db: &Db,
    app: &TestApp,
    member: &Session,
    tag: &str,
    count: usize,
    day: chrono::NaiveDate,
) {
    for i in 0..count {
        pay(
            db,
            app,
            member.member_id,
            Source::Checkin,
            &format!("{tag}-{i}"),
            day,
        )
        .await;
    }
}

#[tokio::test]
async fn ranks_share_ties_for_each_scope_and_period() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let a1 = app.member_in(&root, "o-a1", tree.branch_a).await;
    let a2 = app.member_in(&root, "o-a2", tree.branch_a).await;
    let b1 = app.member_in(&root, "o-b1", tree.branch_b).await;
    let b2 = app.member_in(&root, "o-b2", tree.branch_b).await;
    let idle = app.member_in(&root, "o-idle", tree.branch_b).await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app); // Monday 1 June 2026
    let yesterday = day - Days::new(1); // last week, last month
    checkins(&db, &app, &a1, "a1", 3, day).await;
    checkins(&db, &app, &a2, "a2", 3, day).await;
    checkins(&db, &app, &b1, "b1", 2, day).await;
    checkins(&db, &app, &b2, "b2", 1, day).await;
    checkins(&db, &app, &b2, "b2-old", 4, yesterday).await;

    let today_rows = vec![
        (a1.member_id, 1, 15),
        (a2.member_id, 1, 15),
        (b1.member_id, 3, 10),
        (b2.member_id, 4, 5),
    ];
    for period in ["day", "week", "month"] {
        let board = board(&app, &b2, &format!("period={period}")).await;
        assert_eq!(rows(&board), today_rows, "{period}");
        assert_eq!(board["me"], json!({"rank": 4, "points": 5}), "{period}");
    }
    let all = board(&app, &b2, "period=all").await;
    assert_eq!(
        rows(&all),
        [
            (b2.member_id, 1, 25),
            (a1.member_id, 2, 15),
            (a2.member_id, 2, 15),
            (b1.member_id, 4, 10)
        ]
    );
    assert_eq!(all["items"][1]["nickname"], Value::Null);
    assert_eq!(
        board(&app, &idle, "period=all").await["me"],
        json!({"rank": 5, "points": 0})
    );
    assert_eq!(rows(&board(&app, &a1, "period=all&limit=2").await).len(), 2);

    let org_b = board(
        &app,
        &a1,
        &format!("scope=org&org_id={}&period=day", tree.org_b),
    )
    .await;
    assert_eq!(rows(&org_b), [(b1.member_id, 1, 10), (b2.member_id, 2, 5)]);
    let mine = board(&app, &a2, "scope=org&period=day").await;
    assert_eq!(
        rows(&mine),
        [(a1.member_id, 1, 15), (a2.member_id, 1, 15)],
        "defaults to the caller's own org"
    );

    let loner = app.dev_login("o-loner").await;
    let res = app
        .get("/api/v1/leaderboards?scope=org", Some(&loner.access_token))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .get(
            "/api/v1/leaderboards?scope=org&org_id=999999",
            Some(&loner.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // The next local day starts a new day board; the week goes on.
    app.clock.advance(chrono::Duration::days(1));
    let b2 = app.dev_login("o-b2").await;
    let next_day = board(&app, &b2, "period=day").await;
    assert_eq!(rows(&next_day), []);
    assert_eq!(next_day["me"], json!({"rank": 1, "points": 0}));
    assert_eq!(rows(&board(&app, &b2, "period=week").await), today_rows);
}

#[tokio::test]
async fn orgs_are_ranked_by_average_points_per_member_counting_members_without_points() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let a1 = app.member_in(&root, "o-a1", tree.branch_a).await;
    let a2 = app.member_in(&root, "o-a2", tree.branch_a).await;
    let b1 = app.member_in(&root, "o-b1", tree.branch_b).await;
    let b2 = app.member_in(&root, "o-b2", tree.branch_b).await;
    app.member_in(&root, "o-b3", tree.branch_b).await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let day = today(&app);
    checkins(&db, &app, &a1, "a1", 2, day).await; // A: 10 + 5 over 2 members = 7.5
    checkins(&db, &app, &a2, "a2", 1, day).await;
    checkins(&db, &app, &b1, "b1", 4, day).await; // B: 20 + 20 over 3 members = 13.33
    checkins(&db, &app, &b2, "b2", 4, day).await;

    let res = app
        .get(
            &format!(
                "/api/v1/leaderboards/orgs?parent_id={}&period=day",
                tree.committee
            ),
            Some(&a1.access_token),
        )
        .await;
    let (status, body) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["items"],
        json!([
            {"rank": 1, "org_id": tree.org_b, "name": "乙公司党委", "member_count": 3, "average_points": 13.33},
            {"rank": 2, "org_id": tree.org_a, "name": "甲公司党委", "member_count": 2, "average_points": 7.5},
        ])
    );
    let res = app
        .get(
            "/api/v1/leaderboards/orgs?parent_id=999999",
            Some(&a1.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_org_board_costs_the_same_few_statements_for_three_or_thirty_children() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let committee = app
        .create_org(
            &root.access_token,
            json!({"name": "委员会", "kind": "industry_committee"}),
        )
        .await;
    let board = format!("/api/v1/leaderboards/orgs?parent_id={committee}&period=all");
    let mut cost = Vec::new();
    for wanted in [3, 30] {
        let existing = app
            .get(&board, Some(&root.access_token))
            .await
            .json::<Value>()
            .await
            .unwrap()["items"]
            .as_array()
            .unwrap()
            .len();
        for i in existing..wanted {
            app.create_org(
                &root.access_token,
                json!({"name": format!("企业{i}"), "kind": "party_org", "parent_id": committee}),
            )
            .await;
        }
        let before = app.statements_so_far().await;
        let (status, body) = app
            .json(app.get(&board, Some(&root.access_token)).await)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), wanted);
        cost.push(app.statements_so_far().await - before);
    }
    assert_eq!(
        cost[0], cost[1],
        "statements for 3 and 30 children: {cost:?}"
    );
}

/// With the cache on, the top of a board may be a moment old, but "me" is always exact: a
/// member who just climbed sees their new points and rank at once.
#[tokio::test]
async fn a_cached_top_never_hides_my_own_exact_place() {
    let app =
        crate::helpers::spawn_app_with(vec![("REDTRAIL_LEADERBOARD_CACHE_MS", "60000".into())])
            .await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let (a, b) = (
        app.dev_login("o-cache-a").await,
        app.dev_login("o-cache-b").await,
    );
    let day = today(&app);
    checkins(&db, &app, &a, "a", 2, day).await;
    checkins(&db, &app, &b, "b", 1, day).await;
    let first = board(&app, &b, "scope=global&period=day").await;
    assert_eq!(
        rows(&first),
        vec![(a.member_id, 1, 10), (b.member_id, 2, 5)]
    );
    assert_eq!(first["me"], json!({"rank": 2, "points": 5}));

    checkins(&db, &app, &b, "b-more", 2, day).await;
    let second = board(&app, &b, "scope=global&period=day").await;
    assert_eq!(second["me"], json!({"rank": 1, "points": 15}));
    // The top is the one read a moment ago: that is all the cache may do.
    assert_eq!(second["items"], first["items"]);
    // Every limit is cut from the one kept top.
    let one = board(&app, &b, "scope=global&period=day&limit=1").await;
    assert_eq!(rows(&one), vec![(a.member_id, 1, 10)]);
    let other_period = board(&app, &b, "scope=global&period=all").await;
    assert_eq!(
        rows(&other_period),
        vec![(b.member_id, 1, 15), (a.member_id, 2, 10)]
    );
}
