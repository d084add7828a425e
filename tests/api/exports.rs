//! Exports: the rows of each dataset are the ones its figure counts, CSV and XLSX are what a
//! spreadsheet expects (a BOM, typed cells, no formulas smuggled in text), phones are masked
//! for org admins, the scope holds, and each export is in the audit log.
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use entity::members;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::Value;

use crate::helpers::{Session, TestApp, spawn_app};
use crate::stats::{Rows, world};

const PERIOD: &str = "from=2026-05-30&to=2026-05-31";

async fn export(app: &TestApp, who: &Session, dataset: &str, query: &str) -> (StatusCode, Vec<u8>) {
    let res = app
        .get(
            &format!("/api/v1/admin/exports/{dataset}?{query}"),
            Some(&who.access_token),
        )
        .await;
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

/// A CSV export: its BOM checked and removed, then the header and the records.
fn csv_table(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM: {bytes:?}");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn csv_rows(app: &TestApp, who: &Session, dataset: &str, query: &str) -> Vec<Vec<String>> {
    let (status, bytes) = export(app, who, dataset, query).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    csv_table(&bytes).1
}

async fn json(app: &TestApp, who: &Session, path: &str) -> Value {
    let res = app.get(path, Some(&who.access_token)).await;
    let (status, body) = app.json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn col(rows: &[Vec<String>], i: usize) -> Vec<&str> {
    rows.iter().map(|r| r[i].as_str()).collect()
}

#[tokio::test]
async fn each_export_has_the_rows_its_figure_counts() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let committee = w.tree.committee;
    let q = format!("org_id={committee}&{PERIOD}");
    let overview = json(&app, &w.root, &format!("/api/v1/admin/stats/overview?{q}")).await;
    let t = &overview["totals"];

    let checkins = csv_rows(&app, &w.root, "checkins", &q).await;
    // Every status is there; the accepted ones are the overview's figure.
    assert_eq!(checkins.len(), 5);
    let accepted = col(&checkins, 7)
        .iter()
        .filter(|s| **s == "accepted")
        .count();
    assert_eq!(accepted as i64, t["checkins"].as_i64().unwrap());

    let quiz = csv_rows(&app, &w.root, "quiz_results", &q).await;
    assert_eq!(quiz.len() as i64, t["quiz_attempts"].as_i64().unwrap());
    let exams = csv_rows(&app, &w.root, "exam_results", &q).await;
    assert_eq!(exams.len() as i64, t["exam_attempts"].as_i64().unwrap());
    let reading = csv_rows(&app, &w.root, "reading", &q).await;
    let completed = col(&reading, 7).iter().filter(|s| !s.is_empty()).count();
    assert_eq!(completed as i64, t["articles_completed"].as_i64().unwrap());
    let classes = csv_rows(&app, &w.root, "classes", &q).await;
    let attended = col(&classes, 7).iter().filter(|s| !s.is_empty()).count();
    assert_eq!(attended as i64, t["class_attendances"].as_i64().unwrap());
    let submissions = csv_rows(&app, &w.root, "submissions", &q).await;
    let by_status: i64 = t["submissions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(submissions.len() as i64, by_status);
    let ledger = csv_rows(&app, &w.root, "ledger", &q).await;
    let points: i64 = col(&ledger, 7)
        .iter()
        .map(|p| p.parse::<i64>().unwrap())
        .sum();
    assert_eq!(points, t["points_paid"].as_i64().unwrap());
    // Numbers are not escaped: the adjustment is plain -3.
    assert!(col(&ledger, 7).contains(&"-3"), "{ledger:?}");

    let days = csv_rows(&app, &w.root, "overview", &q).await;
    assert_eq!(days.len(), overview["by_day"].as_array().unwrap().len());
    assert_eq!(days[0][0], "2026-05-30");
    assert_eq!(days[1][2], overview["by_day"][1]["checkins"].to_string());

    let profile = json(
        &app,
        &w.root,
        &format!("/api/v1/admin/orgs/{committee}/profile"),
    )
    .await;
    let members = csv_rows(&app, &w.root, "members", &format!("org_id={committee}")).await;
    assert_eq!(members.len() as i64, profile["members"].as_i64().unwrap());

    let report = json(
        &app,
        &w.root,
        &format!("/api/v1/admin/campaigns/{}/report", w.campaign),
    )
    .await;
    let people = csv_rows(
        &app,
        &w.root,
        "campaign_report",
        &format!("campaign_id={}", w.campaign),
    )
    .await;
    assert_eq!(
        people.len() as i64,
        report["participating_members"].as_i64().unwrap()
    );
    assert_eq!(people[0][0], w.a1.member_id.to_string());

    // Each of the ten exports is in the audit log with the rows the file held.
    let sent = [
        ("checkins", checkins.len()),
        ("quiz_results", quiz.len()),
        ("exam_results", exams.len()),
        ("reading", reading.len()),
        ("classes", classes.len()),
        ("submissions", submissions.len()),
        ("ledger", ledger.len()),
        ("overview", days.len()),
        ("members", members.len()),
        ("campaign_report", people.len()),
    ];
    let entries = exports_audited(&app, &w.root, sent.len()).await;
    for (dataset, rows) in sent {
        let entry = entries
            .iter()
            .find(|e| e["after"]["dataset"] == dataset)
            .unwrap_or_else(|| panic!("no audit entry for {dataset}: {entries:?}"));
        assert_eq!(entry["after"]["rows"], rows as u64, "{dataset}");
        assert_eq!(entry["after"]["complete"], true, "{dataset}");
    }
}

/// The audit log's export entries, once `n` of them are complete (each is completed just
/// after its last byte is sent).
async fn exports_audited(app: &TestApp, who: &Session, n: usize) -> Vec<Value> {
    let mut entries = Vec::new();
    for _ in 0..200 {
        let log = json(
            app,
            who,
            "/api/v1/admin/audit-log?entity_type=export&limit=100",
        )
        .await;
        entries = log["items"].as_array().cloned().unwrap_or_default();
        if entries.len() >= n && entries.iter().all(|e| e["after"]["rows"].is_number()) {
            return entries;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the exports were not all audited: {entries:?}");
}

#[tokio::test]
async fn csv_has_a_bom_chinese_headers_escaped_formulas_and_masked_phones() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let rows = Rows::new(&app, w.root.member_id).await;
    members::ActiveModel {
        id: Set(w.a1.member_id),
        nickname: Set(Some("=HYPERLINK(\"http://evil\",\"点我\")".into())),
        phone: Set(Some("13812345678".into())),
        ..Default::default()
    }
    .update(&rows.conn)
    .await
    .unwrap();
    members::ActiveModel {
        id: Set(w.a2.member_id),
        nickname: Set(Some("@SUM(1+1)".into())),
        ..Default::default()
    }
    .update(&rows.conn)
    .await
    .unwrap();

    let admin_a = app
        .org_admin_of(&w.root, "export-admin-a", w.tree.org_a)
        .await;
    let (status, bytes) = export(&app, &admin_a, "members", "").await;
    assert_eq!(status, StatusCode::OK);
    let (header, members) = csv_table(&bytes);
    assert_eq!(&header[..4], ["成员ID", "昵称", "姓名", "手机号"]);
    // a1, a2 and the admin; nobody of org B.
    assert_eq!(members.len(), 3);
    let a1 = members
        .iter()
        .find(|r| r[0] == w.a1.member_id.to_string())
        .unwrap();
    assert_eq!(a1[1], "'=HYPERLINK(\"http://evil\",\"点我\")");
    assert_eq!(a1[3], "138****5678");
    assert_eq!(a1[4], "party_member");
    assert_eq!(a1[5], "是");
    let a2 = members
        .iter()
        .find(|r| r[0] == w.a2.member_id.to_string())
        .unwrap();
    assert_eq!(a2[1], "'@SUM(1+1)");
    // A platform admin sees them masked too, unless they ask for whole numbers.
    let a1_of = |members: &[Vec<String>]| {
        members
            .iter()
            .find(|r| r[0] == w.a1.member_id.to_string())
            .unwrap()[3]
            .clone()
    };
    let members = csv_rows(&app, &w.root, "members", "").await;
    assert_eq!(a1_of(&members), "138****5678");
    let members = csv_rows(&app, &w.root, "members", "phones=full").await;
    assert_eq!(a1_of(&members), "13812345678");
    // Which nobody else may.
    let (status, _) = export(&app, &admin_a, "members", "phones=full").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn xlsx_reads_back_with_typed_cells_and_text_that_stays_text() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let rows = Rows::new(&app, w.root.member_id).await;
    members::ActiveModel {
        id: Set(w.a1.member_id),
        nickname: Set(Some("=1+1".into())),
        ..Default::default()
    }
    .update(&rows.conn)
    .await
    .unwrap();
    let (status, bytes) = export(
        &app,
        &w.root,
        "checkins",
        &format!("format=xlsx&org_id={}&{PERIOD}", w.tree.committee),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows[0][0], Data::String("打卡ID".into()));
    assert_eq!(rows[0][1], Data::String("日期".into()));
    assert_eq!(rows.len(), 1 + 5);
    let first = rows[1];
    assert!(
        matches!(first[0], Data::Float(_) | Data::Int(_)),
        "{first:?}"
    );
    let Data::DateTime(day) = &first[1] else {
        panic!("the day is a date cell: {first:?}");
    };
    // Excel counts days from 1899-12-30.
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    let may30 = chrono::NaiveDate::from_ymd_opt(2026, 5, 30).unwrap();
    assert_eq!(day.as_f64(), (may30 - epoch).num_days() as f64);
    assert_eq!(first[3], Data::String("=1+1".into()));
    assert!(matches!(first[8], Data::Float(d) if d == 5.0), "{first:?}");
    assert!(matches!(first[10], Data::DateTime(_)), "{first:?}");
    // No cell holds a formula, and the formula-looking text carries Excel's quote prefix, so
    // that editing the cell keeps it text.
    let formulas = book.worksheet_formula("Sheet1").unwrap();
    assert!(formulas.cells().all(|(_, _, f)| f.is_empty()));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut styles = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
    assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
}

#[tokio::test]
async fn every_export_is_audited_with_its_filters_and_row_count() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let q = format!("org_id={}&{PERIOD}", w.tree.org_b);
    let rows = csv_rows(&app, &w.root, "checkins", &q).await;
    assert_eq!(rows.len(), 1);
    let entry = exports_audited(&app, &w.root, 1).await[0].clone();
    assert_eq!(entry["action"], "data.export", "{entry}");
    assert_eq!(entry["actor_id"], w.root.member_id);
    let after = &entry["after"];
    assert_eq!(after["dataset"], "checkins");
    assert_eq!(after["format"], "csv");
    assert_eq!(after["org_id"], w.tree.org_b);
    assert_eq!(after["from"], "2026-05-30");
    assert_eq!(after["rows"], 1);
    assert_eq!(after["complete"], true);
}

#[tokio::test]
async fn a_sibling_admin_exports_none_of_our_rows_and_bad_requests_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin_x = app.org_admin_of(&w.root, "export-admin-x", w.other).await;
    let rows = csv_rows(&app, &admin_x, "checkins", PERIOD).await;
    assert_eq!(col(&rows, 2), [w.x.member_id.to_string()]);
    let (status, _) = export(
        &app,
        &admin_x,
        "members",
        &format!("org_id={}", w.tree.org_a),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = export(&app, &admin_x, "campaign_report", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = export(
        &app,
        &admin_x,
        "campaign_report",
        &format!("campaign_id={}", w.campaign),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = export(&app, &w.root, "everything", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = export(&app, &w.root, "checkins", "format=pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = export(&app, &w.a1, "checkins", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
