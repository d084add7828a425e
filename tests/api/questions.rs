//! The question bank: what a question must be, and who may write it.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};
use crate::quiz::{add_question, single_body};

#[tokio::test]
async fn a_question_must_have_the_answers_its_type_takes() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = Some(root.access_token.as_str());
    let cases = [
        (
            json!({"type": "single", "stem": "两个对", "category": "党史", "difficulty": 1,
                   "options": [{"text": "甲", "correct": true}, {"text": "乙", "correct": true}]}),
            "options",
        ),
        (
            json!({"type": "multiple", "stem": "只有一个对", "category": "党史", "difficulty": 1,
                   "options": [{"text": "甲", "correct": true}, {"text": "乙", "correct": false}]}),
            "options",
        ),
        (
            json!({"type": "single", "stem": "只有一个选项", "category": "党史", "difficulty": 1,
                   "options": [{"text": "甲", "correct": true}]}),
            "options",
        ),
        (
            json!({"type": "single", "stem": "重复的选项", "category": "党史", "difficulty": 1,
                   "options": [{"text": "甲", "correct": true}, {"text": " 甲 ", "correct": false}]}),
            "options",
        ),
        (
            json!({"type": "judge", "stem": "没有答案", "category": "党史", "difficulty": 1}),
            "answer",
        ),
        (
            json!({"type": "fill", "stem": "填空带选项（ ）", "category": "党史", "difficulty": 1,
                   "blanks": [["甲"]], "options": [{"text": "甲", "correct": true}, {"text": "乙", "correct": false}]}),
            "options",
        ),
        (
            json!({"type": "fill", "stem": "空的空（ ）", "category": "党史", "difficulty": 1, "blanks": [[]]}),
            "blanks",
        ),
        (
            json!({"type": "judge", "stem": "难度", "category": "党史", "difficulty": 6, "answer": true}),
            "difficulty",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/admin/questions", &body, t).await;
        let error = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(
            error["details"]["fields"][field].is_array(),
            "{body} → {error}"
        );
    }
    let (_, page) = app.json(app.get("/api/v1/admin/questions", t).await).await;
    assert_eq!(page["items"], json!([]), "nothing was written");
}

#[tokio::test]
async fn admins_keep_the_bank_versioned_and_one_stem_per_type() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = Some(root.access_token.as_str());
    let id = add_question(&app, &root, single_body("番禺最早的党组织成立于哪一年？")).await;
    let (status, q) = app
        .json(app.get(&format!("/api/v1/admin/questions/{id}"), t).await)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(q["version"], 1);
    assert_eq!(q["options"][1]["correct"], true, "admins see the answer");
    assert_eq!(q["status"], "active");

    // The same stem again, with other spacing and full-width punctuation: a duplicate.
    let body = assert_error(
        app.post(
            "/api/v1/admin/questions",
            &single_body(" 番禺最早的党组织成立于哪一年? "),
            t,
        )
        .await,
        StatusCode::CONFLICT,
        "question.duplicate",
    )
    .await;
    assert_eq!(body["details"]["question_id"], id);

    // Saving it unchanged keeps the version; a change makes the next one.
    let res = app
        .put(
            &format!("/api/v1/admin/questions/{id}"),
            &single_body("番禺最早的党组织成立于哪一年？"),
            t,
        )
        .await;
    let same: Value = res.json().await.unwrap();
    assert_eq!(same["version"], 1);
    let mut edited = single_body("番禺最早的党组织成立于哪一年？");
    edited["difficulty"] = json!(4);
    let res = app
        .put(&format!("/api/v1/admin/questions/{id}"), &edited, t)
        .await;
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["difficulty"], 4);

    // Retired: kept, but never drawn.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/admin/questions/{id}")))
        .bearer_auth(&root.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let member = app.dev_login("o-retired").await;
    assert_error(
        app.post("/api/v1/quiz/daily", &json!({}), Some(&member.access_token))
            .await,
        StatusCode::CONFLICT,
        "quiz.no_questions",
    )
    .await;
    let (_, audit) = app
        .json(
            app.get("/api/v1/admin/audit-log?entity_type=question", t)
                .await,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["question.retire", "question.update", "question.create"]
    );
}

async fn import(
    app: &crate::helpers::TestApp,
    token: &str,
    file: Vec<u8>,
    name: &str,
    dry_run: bool,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name(name.to_owned()),
    );
    app.client
        .post(app.url(&format!("/api/v1/admin/questions/import?dry_run={dry_run}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn download(app: &crate::helpers::TestApp, token: &str, path: &str) -> Vec<u8> {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap().to_vec()
}

async fn bank_size(app: &crate::helpers::TestApp, token: &str) -> usize {
    let (_, page) = app
        .json(
            app.get("/api/v1/admin/questions?limit=100", Some(token))
                .await,
        )
        .await;
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_template_imports_as_csv_and_xlsx_after_a_dry_run_that_writes_nothing() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    let csv = download(
        &app,
        t,
        "/api/v1/admin/questions/import-template?format=csv",
    )
    .await;
    assert!(csv.starts_with(b"\xEF\xBB\xBFtype,stem,option_a,"));

    let (status, dry) = app
        .json(import(&app, t, csv.clone(), "t.csv", true).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["created"], 4);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(bank_size(&app, t).await, 0, "a dry run writes nothing");

    let (status, done) = app.json(import(&app, t, csv, "t.csv", false).await).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["created"].as_i64(), done["updated"].as_i64()),
        (Some(4), Some(0))
    );
    let (_, page) = app
        .json(app.get("/api/v1/admin/questions?type=fill", Some(t)).await)
        .await;
    assert_eq!(
        page["items"][0]["blanks"],
        json!([["松露小学"], ["中国共产党", "中共"]])
    );
    assert_eq!(page["items"][0]["status"], "draft");

    // The XLSX template is the same four questions: all there already, unchanged.
    let xlsx = download(
        &app,
        t,
        "/api/v1/admin/questions/import-template?format=xlsx",
    )
    .await;
    assert!(xlsx.starts_with(b"PK"));
    let (status, again) = app.json(import(&app, t, xlsx, "t.xlsx", false).await).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (again["created"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(bank_size(&app, t).await, 4);
}

#[tokio::test]
async fn a_reimport_updates_the_question_of_the_same_type_and_stem_and_an_export_round_trips() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    let header = "type,stem,option_a,option_b,option_c,answer,explanation,category,difficulty\n";
    let first = format!(
        "{header}single,哪一年？,1921,1925,1949,B,旧解析,党史,2\njudge,对吗？,,,,对,,党史,1\n"
    );
    let (_, done) = app
        .json(import(&app, t, first.into_bytes(), "a.csv", false).await)
        .await;
    assert_eq!(done["created"], 2, "{done}");
    let second = format!(
        "{header}single,哪一年？,1921,1925,1949,B,新解析,党史,2\njudge,对吗？,,,,对,,党史,1\n"
    );
    let (_, done) = app
        .json(import(&app, t, second.into_bytes(), "a.csv", false).await)
        .await;
    assert_eq!(
        (
            done["created"].as_i64(),
            done["updated"].as_i64(),
            done["unchanged"].as_i64()
        ),
        (Some(0), Some(1), Some(1))
    );
    let (_, page) = app
        .json(
            app.get("/api/v1/admin/questions?type=single", Some(t))
                .await,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["explanation"], "新解析");
    assert_eq!(page["items"][0]["version"], 2);

    for format in ["csv", "xlsx"] {
        let file = download(
            &app,
            t,
            &format!("/api/v1/admin/questions/export?format={format}"),
        )
        .await;
        let (status, done) = app
            .json(import(&app, t, file, &format!("bank.{format}"), false).await)
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["unchanged"], 2, "{format}: {done}");
    }
}

#[tokio::test]
async fn an_import_lists_every_problem_by_row_and_column_and_writes_nothing() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    let file = "type,stem,option_a,option_b,option_c,option_d,answer,category,difficulty\n\
        single,好题,甲,乙,丙,丁,A,党史,2\n\
        essay,题型不对,,,,,,党史,\n\
        single,没有这个选项,甲,乙,丙,丁,E,党史,\n\
        judge,判断不清,,,,,也许,党史,\n\
        multiple,多选只有一个对,甲,乙,丙,,B,党史,\n\
        single,太难,甲,乙,,,A,党史,9\n\
        single,好题,甲,乙,,,A,党史,2\n\
        single,两处错,甲,乙,,,E,党史,0\n";
    for dry_run in [true, false] {
        let res = import(&app, t, file.as_bytes().to_vec(), "bad.csv", dry_run).await;
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let rows: Vec<(i64, &str, &str)> = body["details"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["row"].as_i64().unwrap(),
                    r["column"].as_str().unwrap(),
                    r["code"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (3, "type", "invalid"),
                (4, "answer", "unknown_option"),
                (5, "answer", "invalid"),
                (6, "answer", "two_right"),
                (7, "difficulty", "range"),
                (8, "stem", "duplicate"),
                (9, "answer", "unknown_option"),
                (9, "difficulty", "range"),
            ],
            "{body}"
        );
        assert!(
            body["details"]["rows"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert_eq!(bank_size(&app, t).await, 0, "all or nothing");

    // The same question twice in one file is named too, by its second row.
    let twice = "type,stem,option_a,option_b,answer,category\nsingle,同一题,甲,乙,A,党史\nsingle,同一题,甲,乙,B,党史\n";
    let body = assert_error(
        import(&app, t, twice.as_bytes().to_vec(), "twice.csv", false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["details"]["rows"][0]["row"], 3);
    assert_eq!(body["details"]["rows"][0]["column"], "stem");
    assert_eq!(body["details"]["rows"][0]["code"], "duplicate");
    // A header the template does not have.
    let body = assert_error(
        import(
            &app,
            t,
            b"type,stem,answer,category,colour\n".to_vec(),
            "h.csv",
            false,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["details"]["rows"][0]["column"], "colour");
}

#[tokio::test]
async fn an_import_needs_a_multipart_file() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let url = app.url("/api/v1/admin/questions/import");
    let res = app
        .client
        .post(&url)
        .bearer_auth(&root.access_token)
        .header("content-type", "text/csv")
        .body("type,stem,answer,category\n")
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let form = reqwest::multipart::Form::new().text("other", "x");
    let res = app
        .client
        .post(&url)
        .bearer_auth(&root.access_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["details"]["fields"]["file"].is_array(), "{body}");
}

#[tokio::test]
async fn an_exported_csv_keeps_formulas_as_text_and_reads_back_unchanged() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    for stem in ["=1+1 等于几？", "'引号开头的题"] {
        let body = json!({"type": "judge", "stem": stem, "category": "党史", "difficulty": 1, "answer": true});
        let res = app.post("/api/v1/admin/questions", &body, Some(t)).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let csv = download(&app, t, "/api/v1/admin/questions/export?format=csv").await;
    let text = String::from_utf8_lossy(&csv);
    assert!(text.contains("judge,'=1+1 等于几？,"), "{text}");
    assert!(text.contains("judge,''引号开头的题,"), "{text}");
    let (status, done) = app
        .json(import(&app, t, csv, "bank.csv", false).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["unchanged"], 2, "{done}");
}
