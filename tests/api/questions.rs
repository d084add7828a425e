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
