//! Statistics, 一企一档 and campaign reports, checked figure by figure against a dataset
//! built by hand (rows written straight to the database with known days and statuses), and
//! against activity made through the API.
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::*;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::{Value, json};

use crate::fixtures::Tree;
use crate::helpers::{Session, TestApp, assert_error, spawn_app};

fn day(d: u32) -> NaiveDate {
    // The test clock stands at 2026-06-01 10:00 in Shanghai.
    if d == 1 {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    } else {
        NaiveDate::from_ymd_opt(2026, 5, d).unwrap()
    }
}

/// Noon (Shanghai) of `day(d)`, in UTC.
fn at(d: u32) -> DateTime<Utc> {
    let day = day(d);
    Utc.from_utc_datetime(&day.and_hms_opt(4, 0, 0).unwrap())
}

/// Builds rows with their required columns filled.
pub struct Rows {
    pub conn: DatabaseConnection,
    pub admin: i64,
}

impl Rows {
    pub async fn new(app: &TestApp, admin: i64) -> Self {
        let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
        Rows {
            conn: db.conn().clone(),
            admin,
        }
    }

    pub async fn site(&self, name: &str) -> i64 {
        sites::ActiveModel {
            name: Set(name.into()),
            category: Set("memorial".into()),
            lat: Set(23.0),
            lng: Set(113.0),
            radius_m: Set(200),
            status: Set("active".into()),
            created_at: Set(at(30).into()),
            updated_at: Set(at(30).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id
    }

    pub async fn route(&self, name: &str, sites: &[i64]) -> i64 {
        let id = routes::ActiveModel {
            name: Set(name.into()),
            ordered: Set(false),
            created_at: Set(at(30).into()),
            updated_at: Set(at(30).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id;
        for (i, site) in sites.iter().enumerate() {
            route_sites::ActiveModel {
                route_id: Set(id),
                position: Set(i as i32),
                site_id: Set(*site),
            }
            .insert(&self.conn)
            .await
            .unwrap();
        }
        id
    }

    pub async fn checkin(&self, member: i64, site: i64, d: u32, status: &str) -> i64 {
        checkins::ActiveModel {
            member_id: Set(member),
            site_id: Set(site),
            lat: Set(23.0),
            lng: Set(113.0),
            accuracy_m: Set(10.0),
            distance_m: Set(5.0),
            local_date: Set(day(d)),
            captured_at: Set(at(d).into()),
            status: Set(status.into()),
            points_awarded: Set(0),
            created_at: Set(at(d).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id
    }

    pub async fn completion(&self, route: i64, member: i64, checkin: i64, d: u32) {
        route_completions::ActiveModel {
            route_id: Set(route),
            member_id: Set(member),
            checkin_id: Set(checkin),
            completed_at: Set(at(d).into()),
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    pub async fn exam(&self, title: &str, campaign: Option<i64>) -> i64 {
        exams::ActiveModel {
            title: Set(title.into()),
            starts_at: Set(at(28).into()),
            ends_at: Set(at(1).into()),
            duration_s: Set(600),
            selection: Set("{}".into()),
            pass_score: Set(60),
            max_attempts: Set(3),
            partial_credit: Set(false),
            campaign_id: Set(campaign),
            created_by: Set(self.admin),
            created_at: Set(at(28).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id
    }

    /// An attempt; `exam` makes it an exam attempt, else `kind` says which.
    #[allow(clippy::too_many_arguments)]
    pub async fn attempt(
        &self,
        member: i64,
        kind: &str,
        exam: Option<(i64, i32)>,
        d: u32,
        status: &str,
        score: i32,
    ) {
        quiz_attempts::ActiveModel {
            member_id: Set(member),
            kind: Set(kind.into()),
            exam_id: Set(exam.map(|e| e.0)),
            attempt_no: Set(exam.map(|e| e.1)),
            daily_on: Set((kind == "daily").then(|| day(d))),
            local_date: Set(day(d)),
            status: Set(status.into()),
            started_at: Set(at(d).into()),
            deadline: Set(at(d).into()),
            finished_at: Set((status != "open").then(|| at(d).into())),
            question_count: Set(5),
            max_score: Set(100),
            score: Set((status != "open").then_some(score)),
            points_capped: Set(false),
            partial_credit: Set(false),
            pass_score: Set(exam.map(|_| 60)),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    pub async fn article(&self, title: &str) -> i64 {
        articles::ActiveModel {
            title: Set(title.into()),
            body: Set("<p>正文</p>".into()),
            category: Set("history".into()),
            published_at: Set(at(28).into()),
            status: Set("published".into()),
            min_read_seconds: Set(60),
            created_by: Set(self.admin),
            created_at: Set(at(28).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id
    }

    pub async fn read(&self, member: i64, article: i64, d: u32, seconds: i32, done: bool) {
        article_reads::ActiveModel {
            member_id: Set(member),
            article_id: Set(article),
            local_date: Set(day(d)),
            credited_seconds: Set(seconds),
            completed_at: Set(done.then(|| at(d).into())),
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    pub async fn class(&self, title: &str, campaign: Option<i64>) -> i64 {
        classes::ActiveModel {
            title: Set(title.into()),
            starts_at: Set(at(31).into()),
            ends_at: Set(at(31).into()),
            attend_min_seconds: Set(600),
            campaign_id: Set(campaign),
            created_by: Set(self.admin),
            created_at: Set(at(28).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap()
        .id
    }

    pub async fn attend(&self, class: i64, member: i64, d: u32, seconds: i32, attended: bool) {
        class_attendance::ActiveModel {
            class_id: Set(class),
            member_id: Set(member),
            org_id: Set(None),
            credited_seconds: Set(seconds),
            first_beat_at: Set(at(d).into()),
            attended_at: Set(attended.then(|| at(d).into())),
            local_date: Set(Some(day(d))),
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    /// A submission made on day `d`; `service` makes it a paid volunteer-service report
    /// (service day, minutes); `two_stage` names who decided the first stage and who the last
    /// (the same admin when the first stage rejected it).
    #[allow(clippy::too_many_arguments)]
    pub async fn submission(
        &self,
        member: i64,
        d: u32,
        status: &str,
        campaign: Option<(i64, &str)>,
        service: Option<(u32, i32)>,
        two_stage: Option<(i64, Option<i64>)>,
    ) {
        submissions::ActiveModel {
            member_id: Set(member),
            kind: Set(if service.is_some() {
                "volunteer_service"
            } else {
                "reflection"
            }
            .into()),
            title: Set("心得".into()),
            body: Set("重温入党誓词".into()),
            campaign_id: Set(campaign.map(|c| c.0)),
            theme: Set(campaign.map(|c| c.1.to_owned())),
            service_date: Set(service.map(|s| day(s.0))),
            service_minutes: Set(service.map(|s| s.1)),
            status: Set(status.into()),
            two_stage: Set(two_stage.is_some()),
            version: Set(1),
            moderation: Set("off".into()),
            moderation_tries: Set(0),
            first_reviewed_by: Set(two_stage.map(|t| t.0)),
            first_reviewed_at: Set(two_stage.map(|_| at(d).into())),
            reviewed_by: Set(two_stage.and_then(|t| t.1)),
            reviewed_at: Set(two_stage.and_then(|t| t.1).map(|_| at(d).into())),
            points_awarded: Set(0),
            paid_at: Set(service.map(|_| at(d).into())),
            likes: Set(0),
            created_at: Set(at(d).into()),
            updated_at: Set(at(d).into()),
            local_date: Set(Some(day(d))),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    pub async fn pay(&self, member: i64, source: &str, source_id: &str, points: i32, d: u32) {
        points_ledger::ActiveModel {
            member_id: Set(member),
            source: Set(source.into()),
            source_id: Set(source_id.into()),
            points: Set(points),
            local_date: Set(day(d)),
            created_at: Set(at(d).into()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .unwrap();
    }

    pub async fn person(&self, member: i64, political: Option<&str>, mobile: bool) {
        members::ActiveModel {
            id: Set(member),
            political_status: Set(political.map(str::to_owned)),
            is_mobile_member: Set(mobile),
            ..Default::default()
        }
        .update(&self.conn)
        .await
        .unwrap();
    }
}

/// The hand-built world: the fixture tree, members a1 and a2 in branch A1, b1 in branch B1,
/// and x in another committee's org; activity on 30 and 31 May (the period asked for) and
/// some on 29 May and 1 June (outside it).
pub struct World {
    pub root: Session,
    pub tree: Tree,
    pub other: i64,
    pub a1: Session,
    pub a2: Session,
    pub b1: Session,
    pub x: Session,
    pub sites: [i64; 3],
    pub route: i64,
    pub campaign: i64,
}

pub async fn world(app: &TestApp) -> World {
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let other = app
        .create_org(
            &root.access_token,
            json!({"name": "另一行业党委", "kind": "industry_committee"}),
        )
        .await;
    let a1 = app.member_in(&root, "stats-a1", tree.branch_a).await;
    let a2 = app.member_in(&root, "stats-a2", tree.branch_a).await;
    let b1 = app.member_in(&root, "stats-b1", tree.branch_b).await;
    let x = app.member_in(&root, "stats-x", other).await;
    let rows = Rows::new(app, root.member_id).await;
    let (a1i, a2i, b1i, xi) = (a1.member_id, a2.member_id, b1.member_id, x.member_id);
    rows.person(a1i, Some("party_member"), true).await;
    rows.person(a2i, Some("probationary"), false).await;
    rows.person(b1i, Some("masses"), false).await;

    let s = [
        rows.site("S1").await,
        rows.site("S2").await,
        rows.site("S3").await,
    ];
    let route = rows.route("R1", &[s[0], s[1]]).await;
    // Check-ins: 4 accepted in the period among the tree's members.
    rows.checkin(a1i, s[0], 30, "accepted").await;
    let done = rows.checkin(a1i, s[1], 31, "accepted").await;
    rows.checkin(a2i, s[0], 30, "accepted").await;
    rows.checkin(a2i, s[1], 30, "flagged").await;
    rows.checkin(b1i, s[0], 31, "accepted").await;
    rows.checkin(b1i, s[2], 1, "accepted").await;
    rows.checkin(b1i, s[2], 29, "accepted").await;
    rows.checkin(xi, s[0], 30, "accepted").await;
    rows.completion(route, a1i, done, 31).await;

    // The campaign: the committee's, with route R1, a theme, an exam and a class.
    let res = app
        .post(
            "/api/v1/admin/campaigns",
            &json!({
                "title": "百家网企 网心向党",
                "starts_at": "2026-05-30T00:00:00+08:00",
                "ends_at": "2026-05-31T23:59:59+08:00",
                "org_ids": [tree.committee],
                "route_ids": [route],
                "themes": ["网络文明"],
                "two_stage_review": true
            }),
            Some(&root.access_token),
        )
        .await;
    let (status, body) = app.json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let campaign = body["id"].as_i64().unwrap();

    let exam = rows.exam("知识竞赛", Some(campaign)).await;
    exam_orgs::ActiveModel {
        exam_id: Set(exam),
        org_id: Set(tree.org_a),
    }
    .insert(&rows.conn)
    .await
    .unwrap();
    rows.attempt(a1i, "daily", None, 30, "submitted", 80).await;
    rows.attempt(a2i, "daily", None, 30, "expired", 60).await;
    rows.attempt(a2i, "daily", None, 31, "open", 0).await;
    rows.attempt(a1i, "practice", None, 30, "submitted", 100)
        .await;
    rows.attempt(b1i, "exam", Some((exam, 1)), 31, "submitted", 70)
        .await;
    rows.attempt(a1i, "exam", Some((exam, 1)), 31, "submitted", 50)
        .await;
    rows.attempt(xi, "daily", None, 30, "submitted", 100).await;

    let art = [rows.article("一").await, rows.article("二").await];
    rows.read(a1i, art[0], 30, 300, true).await;
    rows.read(a1i, art[1], 31, 120, false).await;
    rows.read(b1i, art[0], 31, 200, true).await;
    rows.read(xi, art[0], 31, 999, true).await;

    let class = rows.class("云课堂", Some(campaign)).await;
    class_orgs::ActiveModel {
        class_id: Set(class),
        org_id: Set(tree.org_a),
    }
    .insert(&rows.conn)
    .await
    .unwrap();
    rows.attend(class, a2i, 31, 1800, true).await;
    rows.attend(class, b1i, 31, 100, false).await;

    let theme = Some((campaign, "网络文明"));
    // First stage passed on the 30th, final approval on the 31st.
    rows.submission(a1i, 30, "approved", theme, None, Some((30, Some(31))))
        .await;
    // Waiting for the final stage.
    rows.submission(a2i, 31, "pending", theme, None, Some((31, None)))
        .await;
    // Rejected in the first stage (both stamps in one update).
    rows.submission(a1i, 31, "rejected", theme, None, Some((31, Some(31))))
        .await;
    rows.submission(b1i, 31, "approved", None, Some((30, 90)), None)
        .await;
    rows.submission(b1i, 31, "withdrawn", None, None, None)
        .await;

    rows.pay(a1i, "checkin", "c1", 5, 30).await;
    rows.pay(a1i, "checkin", "c2", 5, 31).await;
    rows.pay(a2i, "checkin", "c3", 5, 30).await;
    rows.pay(b1i, "quiz", "q1", 10, 31).await;
    rows.pay(a1i, "adjustment", "1", -3, 31).await;
    rows.pay(b1i, "checkin", "c4", 5, 29).await;
    rows.pay(xi, "checkin", "c5", 5, 30).await;

    World {
        root,
        tree,
        other,
        a1,
        a2,
        b1,
        x,
        sites: s,
        route,
        campaign,
    }
}

const PERIOD: &str = "from=2026-05-30&to=2026-05-31";

async fn overview(app: &TestApp, who: &Session, query: &str) -> (StatusCode, Value) {
    let res = app
        .get(
            &format!("/api/v1/admin/stats/overview?{query}"),
            Some(&who.access_token),
        )
        .await;
    app.json(res).await
}

fn figures(v: &Value, keys: &[&str]) -> Vec<i64> {
    keys.iter()
        .map(|k| v[*k].as_i64().unwrap_or_else(|| panic!("{k} in {v}")))
        .collect()
}

const COUNTS: [&str; 10] = [
    "active_members",
    "checkins",
    "distinct_sites",
    "route_completions",
    "quiz_attempts",
    "quiz_participants",
    "exam_attempts",
    "exam_passed",
    "articles_completed",
    "study_seconds",
];

#[tokio::test]
async fn the_overview_counts_every_figure_of_a_hand_built_dataset() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (status, body) = overview(
        &app,
        &w.root,
        &format!("org_id={}&{PERIOD}", w.tree.committee),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["org_id"], w.tree.committee);
    assert_eq!(body["from"], "2026-05-30");
    assert_eq!(body["to"], "2026-05-31");
    let t = &body["totals"];
    // a1, a2, b1 were active; x is another committee's.
    assert_eq!(figures(t, &COUNTS), [3, 4, 2, 1, 2, 2, 2, 1, 2, 2520]);
    assert_eq!(t["quiz_average_score"], 70.0);
    assert_eq!(t["exam_pass_rate"], 0.5);
    assert_eq!(t["class_attendances"], 1);
    assert_eq!(t["volunteer_minutes"], 90);
    assert_eq!(t["volunteer_hours"], 1.5);
    assert_eq!(t["points_paid"], 22);
    assert_eq!(
        t["points_by_source"],
        json!({"adjustment": -3, "checkin": 15, "quiz": 10})
    );
    assert_eq!(
        t["submissions"],
        json!({"pending": 1, "approved": 2, "featured": 0, "rejected": 1, "withdrawn": 1})
    );

    let days = body["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["date"], "2026-05-30");
    assert_eq!(figures(&days[0], &COUNTS), [2, 2, 1, 0, 2, 2, 0, 0, 1, 300]);
    assert_eq!(days[0]["volunteer_minutes"], 90);
    assert_eq!(days[0]["points_paid"], 10);
    assert_eq!(days[1]["date"], "2026-05-31");
    assert_eq!(
        figures(&days[1], &COUNTS),
        [3, 2, 2, 1, 0, 0, 2, 1, 1, 2220]
    );
    assert_eq!(days[1]["points_paid"], 12);
    // Counted figures add up over the days.
    for key in [
        "checkins",
        "quiz_attempts",
        "articles_completed",
        "study_seconds",
        "points_paid",
    ] {
        let sum: i64 = days.iter().map(|d| d[key].as_i64().unwrap()).sum();
        assert_eq!(sum, t[key].as_i64().unwrap(), "{key}");
    }

    let children = body["children"].as_array().unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0]["org_id"], w.tree.org_a);
    assert_eq!(
        figures(&children[0], &COUNTS),
        [2, 3, 2, 1, 2, 2, 1, 0, 1, 2220]
    );
    assert_eq!(children[1]["org_id"], w.tree.org_b);
    assert_eq!(
        figures(&children[1], &COUNTS),
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 300]
    );
    assert_eq!(children[1]["volunteer_hours"], 1.5);

    // Sorted by a figure, smallest first.
    let (_, sorted) = overview(
        &app,
        &w.root,
        &format!(
            "org_id={}&{PERIOD}&sort=checkins&order=asc",
            w.tree.committee
        ),
    )
    .await;
    assert_eq!(sorted["children"][0]["org_id"], w.tree.org_b);
    let (_, sorted) = overview(
        &app,
        &w.root,
        &format!("org_id={}&{PERIOD}&sort=checkins", w.tree.committee),
    )
    .await;
    assert_eq!(sorted["children"][0]["org_id"], w.tree.org_a);

    // The whole platform: both committees side by side, x's activity included.
    let (_, all) = overview(&app, &w.root, PERIOD).await;
    assert!(all["org_id"].is_null());
    assert_eq!(all["totals"]["checkins"], 5);
    assert_eq!(all["totals"]["active_members"], 4);
    let roots: Vec<i64> = all["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["org_id"].as_i64().unwrap())
        .collect();
    assert_eq!(roots, [w.tree.committee, w.other]);
    assert_eq!(all["children"][1]["checkins"], 1);
    let _ = (&w.a1, &w.a2, &w.b1, &w.x, &w.sites, &w.route, &w.campaign);
}

#[tokio::test]
async fn an_org_admin_sees_only_their_subtree_and_a_sibling_sees_none_of_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin_b = app
        .org_admin_of(&w.root, "stats-admin-b", w.tree.org_b)
        .await;
    let (status, body) = overview(&app, &admin_b, PERIOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        figures(&body["totals"], &COUNTS),
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 300]
    );
    assert_eq!(body["children"][0]["org_id"], w.tree.org_b);
    // Another org's id is answered as if it did not exist.
    let (status, body) = overview(&app, &admin_b, &format!("org_id={}", w.tree.org_a)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");
    // The other committee's admin sees nothing of ours.
    let admin_x = app.org_admin_of(&w.root, "stats-admin-x", w.other).await;
    let (_, body) = overview(&app, &admin_x, PERIOD).await;
    assert_eq!(body["totals"]["checkins"], 1);
    assert_eq!(body["totals"]["active_members"], 1);
    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}/profile", w.tree.org_a),
            Some(&admin_x.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .get(
            &format!("/api/v1/admin/campaigns/{}/report", w.campaign),
            Some(&admin_x.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // A member is no admin.
    let (status, _) = overview(&app, &w.a1, PERIOD).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_period_backwards_or_over_a_year_is_refused() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let (status, body) = overview(&app, &root, "from=2026-05-31&to=2026-05-30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["details"]["fields"]["from"][0], "不能晚于结束日期",
        "{body}"
    );
    let (status, body) = overview(&app, &root, "from=2025-05-30&to=2026-05-31").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["details"]["fields"]["to"].is_array(), "{body}");
    // Days far outside any use are refused rather than computed with.
    for query in [
        "from=1999-12-31&to=2000-01-05",
        "to=2101-01-01",
        "to=-262144-01-05",
    ] {
        let (status, body) = overview(&app, &root, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
    }
    // 366 days is the most.
    let (status, body) = overview(&app, &root, "from=2025-05-31&to=2026-05-31").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["by_day"].as_array().unwrap().len(), 366);
    // The default is the last 30 days, today included.
    let (status, body) = overview(&app, &root, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from"], "2026-05-03");
    assert_eq!(body["to"], "2026-06-01");
    assert_eq!(body["by_day"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn a_profile_shows_the_record_as_entered_beside_the_counted_figures() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let res = app
        .patch(
            &format!("/api/v1/admin/orgs/{}", w.tree.org_a),
            &json!({"enterprise": {
                "name": "甲网络科技有限公司", "staff_count": 120, "party_member_count": 2,
                "branch_count": 1, "joint_branch_count": 0, "output_value": "3.2亿元"
            }}),
            Some(&w.root.access_token),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let res = app
        .patch(
            &format!("/api/v1/admin/orgs/{}", w.tree.org_b),
            &json!({"enterprise": {"name": "乙数据有限公司", "staff_count": 80, "party_member_count": 9}}),
            Some(&w.root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}/profile", w.tree.org_a),
            Some(&w.root.access_token),
        )
        .await;
    let (status, a) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["enterprise"]["output_value"], "3.2亿元");
    assert_eq!(a["enterprise"]["party_member_count"], 2);
    assert_eq!(a["members"], 2);
    assert_eq!(a["staff"], json!({"entered": 120, "counted": 2}));
    // a1 is a party member, a2 a probationary one: the record is current.
    assert_eq!(a["party_members"], json!({"entered": 2, "counted": 2}));
    assert_eq!(a["branches"], json!({"entered": 1, "counted": 1}));
    assert_eq!(a["stale"], false);
    assert_eq!(a["mobile_members"], 1);
    assert_eq!(a["members_by_political_status"]["party_member"], 1);
    assert_eq!(a["members_by_political_status"]["probationary"], 1);
    assert_eq!(a["members_by_political_status"]["unknown"], 0);
    // a1: 5 + 5 - 3, a2: 5, over two members.
    assert_eq!(a["points_per_member"], 6.0);
    assert_eq!(a["last_active_on"], "2026-05-31");
    // This month (June) only b1's check-in on the 1st happened, in org B.
    assert_eq!(a["month"]["from"], "2026-06-01");
    assert_eq!(a["month"]["active_members"], 0);
    assert_eq!(a["month"]["active_rate"], 0.0);
    assert_eq!(a["children"][0]["org_id"], w.tree.branch_a);
    assert_eq!(a["children"][0]["members"], 2);

    // The committee rolls up its enterprises: org B's record says 9 Party members, the data 0.
    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}/profile", w.tree.committee),
            Some(&w.root.access_token),
        )
        .await;
    let (_, c) = app.json(res).await;
    assert!(c["enterprise"].is_null());
    assert_eq!(c["enterprises"], 2);
    assert_eq!(c["members"], 3);
    assert_eq!(c["staff"], json!({"entered": 200, "counted": 3}));
    assert_eq!(c["party_members"], json!({"entered": 11, "counted": 2}));
    assert_eq!(c["branches"], json!({"entered": 1, "counted": 2}));
    assert_eq!(c["stale"], true);
    assert_eq!(c["month"]["active_members"], 1);
    assert_eq!(c["month"]["checkin_members"], 1);
    assert_eq!(c["month"]["active_rate"], 0.3333);
    let b = &c["children"][1];
    assert_eq!(b["org_id"], w.tree.org_b);
    assert_eq!(b["party_members"], json!({"entered": 9, "counted": 0}));
    assert_eq!(b["stale"], true);
    assert_eq!(b["last_active_on"], "2026-06-01");
    assert_eq!(b["members_by_political_status"]["masses"], 1);
}

#[tokio::test]
async fn a_campaign_report_counts_who_took_part_and_each_figure() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let res = app
        .get(
            &format!("/api/v1/admin/campaigns/{}/report", w.campaign),
            Some(&w.root.access_token),
        )
        .await;
    let (status, r) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["from"], "2026-05-30");
    assert_eq!(r["to"], "2026-05-31");
    // a1 (check-ins, exam, submissions), a2 (check-in, class, submission), b1 (check-in on
    // S1, exam); x is outside the campaign's orgs.
    assert_eq!(r["participating_members"], 3);
    assert_eq!(r["participating_orgs"], 2);
    assert_eq!(
        r["orgs"],
        json!([
            {"org_id": w.tree.org_a, "name": "甲公司党委", "kind": "party_org", "members": 2},
            {"org_id": w.tree.org_b, "name": "乙公司党委", "kind": "party_org", "members": 1}
        ])
    );
    // Accepted check-ins on the 30th and 31st at S1 and S2 (R1's sites), not S3.
    assert_eq!(r["checkins"], 4);
    assert_eq!(r["checkin_members"], 3);
    assert_eq!(r["sites"][0]["site_id"], w.sites[0]);
    assert_eq!(r["sites"][0]["checkins"], 3);
    assert_eq!(r["sites"][1]["checkins"], 1);
    assert_eq!(r["route_completions"], 1);
    assert_eq!(r["routes"][0]["route_id"], w.route);
    let exam = &r["exams"][0];
    assert_eq!(
        (
            exam["attempts"].clone(),
            exam["members"].clone(),
            exam["passed_members"].clone()
        ),
        (json!(2), json!(2), json!(1))
    );
    assert_eq!(exam["pass_rate"], 0.5);
    assert_eq!(r["submissions"], 3);
    let theme = &r["themes"][0];
    assert_eq!(theme["theme"], "网络文明");
    assert_eq!(theme["total"], 3);
    assert_eq!(theme["pending"], 1);
    assert_eq!(theme["approved"], 1);
    assert_eq!(theme["rejected"], 1);
    assert_eq!(theme["passed_first_stage"], 2);
    assert_eq!(theme["passed_final"], 1);
    assert_eq!(r["reads"], 2);
    assert_eq!(r["study_seconds"], 620);
    assert_eq!(r["class_attendances"], 1);
    let ids: Vec<i64> = r["participants"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["member_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [w.a1.member_id, w.a2.member_id, w.b1.member_id]);

    // Paged: two, then the rest.
    let res = app
        .get(
            &format!("/api/v1/admin/campaigns/{}/report?limit=2", w.campaign),
            Some(&w.root.access_token),
        )
        .await;
    let (_, r) = app.json(res).await;
    assert_eq!(r["participants"]["items"].as_array().unwrap().len(), 2);
    let cursor = r["participants"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .get(
            &format!(
                "/api/v1/admin/campaigns/{}/report?limit=2&cursor={cursor}",
                w.campaign
            ),
            Some(&w.root.access_token),
        )
        .await;
    let (_, r) = app.json(res).await;
    assert_eq!(r["participants"]["items"][0]["member_id"], w.b1.member_id);
    assert!(r["participants"]["next_cursor"].is_null());

    // Org B's admin sees org B's part only.
    let admin_b = app
        .org_admin_of(&w.root, "stats-admin-b", w.tree.org_b)
        .await;
    let res = app
        .get(
            &format!("/api/v1/admin/campaigns/{}/report", w.campaign),
            Some(&admin_b.access_token),
        )
        .await;
    let (status, r) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["participating_members"], 1);
    assert_eq!(r["checkins"], 1);
    assert_eq!(r["submissions"], 0);
    // The exam and the class were given to org A: org B's admin is not told of them.
    assert_eq!(r["exams"], json!([]));
    assert_eq!(r["classes"], json!([]));

    // A branch's admin is not told the name of the enterprise above the branch.
    let admin_a1 = app
        .org_admin_of(&w.root, "stats-admin-a1", w.tree.branch_a)
        .await;
    let res = app
        .get(
            &format!("/api/v1/admin/campaigns/{}/report", w.campaign),
            Some(&admin_a1.access_token),
        )
        .await;
    let (status, r) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["orgs"][0]["org_id"], w.tree.branch_a);
    assert_eq!(r["orgs"][0]["kind"], "branch");
    assert_eq!(r["orgs"][0]["members"], 2);
    assert_eq!(r["exams"][0]["members"], 1);
}

#[tokio::test]
async fn activity_made_through_the_api_is_counted_on_its_local_day() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let member = app.member_in(&root, "stats-writer", tree.branch_a).await;
    // 23:30 on 31 May in Shanghai is 15:30 UTC: the submission belongs to the 31st.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 5, 31, 15, 30, 0).unwrap());
    let res = app
        .post(
            "/api/v1/submissions",
            &json!({"kind": "reflection", "title": "夜读", "body": "重走长征路的心得"}),
            Some(&member.access_token),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let root = app.root_again().await;
    let (_, body) = overview(&app, &root, "from=2026-05-30&to=2026-06-01").await;
    assert_eq!(body["totals"]["submissions"]["pending"], 1, "{body}");
    assert_eq!(body["totals"]["active_members"], 1);
    assert_eq!(body["by_day"][1]["submissions"]["pending"], 1);
    assert_eq!(body["by_day"][2]["submissions"]["pending"], 0);
}
