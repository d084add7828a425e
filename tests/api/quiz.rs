//! Quiz study through the API: daily quiz, practice, challenge, saving and submitting, grading
//! of every type, the no-leak rule and the wrong-answer book.
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app, spawn_app_with};

/// The bank's questions by type, with what answers them right.
pub struct Bank {
    pub single: i64,
    pub multiple: i64,
    pub judge: i64,
    pub fill: i64,
}

pub const SINGLE_RIGHT: &str = "1925年";
pub const MULTIPLE_RIGHT: [&str; 2] = ["线下徒步", "线上打卡"];
pub const FILL_ANSWERS: [&str; 3] = ["市桥", "CPC", "中国共产党"];
pub const EXPLANATION: &str = "据番禺区档案记载";

pub async fn add_question(app: &TestApp, root: &Session, body: Value) -> i64 {
    let (status, q) = app
        .json(
            app.post("/api/v1/admin/questions", &body, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    q["id"].as_i64().unwrap()
}

pub fn single_body(stem: &str) -> Value {
    json!({
        "type": "single", "stem": stem, "category": "党史", "difficulty": 2,
        "explanation": EXPLANATION,
        "options": [
            {"text": "1921年", "correct": false},
            {"text": SINGLE_RIGHT, "correct": true},
            {"text": "1938年", "correct": false},
            {"text": "1949年", "correct": false},
        ],
    })
}

/// One question of each type.
pub async fn bank(app: &TestApp, root: &Session) -> Bank {
    let single = add_question(app, root, single_body("番禺最早的党组织成立于哪一年？")).await;
    let multiple = add_question(
        app,
        root,
        json!({
            "type": "multiple", "stem": "“红色足迹”活动的形式有哪些？", "category": "活动", "difficulty": 1,
            "explanation": EXPLANATION,
            "options": [
                {"text": MULTIPLE_RIGHT[0], "correct": true},
                {"text": "线上竞猜", "correct": false},
                {"text": MULTIPLE_RIGHT[1], "correct": true},
            ],
        }),
    )
    .await;
    let judge = add_question(
        app,
        root,
        json!({"type": "judge", "stem": "中共番禺县工委旧址在广州市番禺区。", "category": "党史", "difficulty": 1, "answer": true, "explanation": EXPLANATION}),
    )
    .await;
    let fill = add_question(
        app,
        root,
        json!({
            "type": "fill", "stem": "工委旧址位于番禺（ ）街，由（ ）领导。", "category": "党史", "difficulty": 3,
            "explanation": EXPLANATION,
            "blanks": [[FILL_ANSWERS[0]], [FILL_ANSWERS[1], FILL_ANSWERS[2]]],
        }),
    )
    .await;
    Bank {
        single,
        multiple,
        judge,
        fill,
    }
}

/// The question `id` of an attempt (as asked).
pub fn asked(attempt: &Value, id: i64) -> &Value {
    attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id} is not in {attempt}"))
}

/// The keys of the options showing these texts.
pub fn keys_of(question: &Value, texts: &[&str]) -> Vec<String> {
    question["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| texts.contains(&o["text"].as_str().unwrap()))
        .map(|o| o["key"].as_str().unwrap().to_owned())
        .collect()
}

/// Right answers to every question of `bank` in `attempt`.
fn right_answers(attempt: &Value, bank: &Bank) -> Value {
    json!([
        {"question_id": bank.single, "keys": keys_of(asked(attempt, bank.single), &[SINGLE_RIGHT])},
        {"question_id": bank.multiple, "keys": keys_of(asked(attempt, bank.multiple), &MULTIPLE_RIGHT)},
        {"question_id": bank.judge, "keys": keys_of(asked(attempt, bank.judge), &["正确"])},
        // Full-width, surrounding spaces and another case: all the same answer.
        {"question_id": bank.fill, "blanks": [" 市桥 ", "ｃｐｃ"]},
    ])
}

pub async fn practice(app: &TestApp, who: &Session, body: Value) -> Value {
    let (status, attempt) = app
        .json(
            app.post("/api/v1/quiz/practice", &body, Some(&who.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{attempt}");
    attempt
}

pub async fn submit(app: &TestApp, who: &Session, id: i64, answers: Value) -> (StatusCode, Value) {
    app.json(
        app.post(
            &format!("/api/v1/quiz/attempts/{id}/submit"),
            &json!({ "answers": answers }),
            Some(&who.access_token),
        )
        .await,
    )
    .await
}

fn result_of(result: &Value, id: i64) -> &Value {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["question_id"] == id)
        .unwrap()
}

/// Every key anywhere in `value` that could carry an answer, and every string it holds.
fn leaks(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if [
                    "answer",
                    "answer_key",
                    "correct",
                    "explanation",
                    "accepted",
                    "earned",
                ]
                .contains(&k.as_str())
                {
                    found.push(format!("key {k}"));
                }
                leaks(v, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| leaks(v, found)),
        Value::String(s) => {
            for secret in [
                EXPLANATION,
                FILL_ANSWERS[0],
                FILL_ANSWERS[1],
                FILL_ANSWERS[2],
            ] {
                if s.contains(secret) {
                    found.push(format!("text {s}"));
                }
            }
        }
        _ => {}
    }
}

fn assert_no_leak(what: &str, value: &Value) {
    let mut found = Vec::new();
    leaks(value, &mut found);
    assert!(found.is_empty(), "{what} leaks {found:?}: {value}");
}

#[tokio::test]
async fn every_question_type_is_graded_on_the_server_with_fill_answers_normalised() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-grading").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();

    let (status, result) = submit(&app, &member, id, right_answers(&attempt, &bank)).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["score"], 4, "{result}");
    assert_eq!(result["max_score"], 4);
    assert_eq!(result["correct_count"], 4);
    for q in [bank.single, bank.multiple, bank.judge, bank.fill] {
        let graded = result_of(&result, q);
        assert_eq!(graded["correct"], true, "{graded}");
        assert_eq!(graded["explanation"], EXPLANATION);
    }
    // The answer comes back in the attempt's own keys, and the fill's accepted answers.
    let single = result_of(&result, bank.single);
    assert_eq!(
        single["answer"]["keys"],
        json!(keys_of(asked(&attempt, bank.single), &[SINGLE_RIGHT]))
    );
    assert_eq!(
        result_of(&result, bank.fill)["answer"]["blanks"],
        json!([[FILL_ANSWERS[0]], [FILL_ANSWERS[1], FILL_ANSWERS[2]]])
    );
    // Practice pays by its rule: a point per right answer.
    assert_eq!(result["points_awarded"], 4);
    assert_eq!(app.total_points(&member).await, 4);
}

#[tokio::test]
async fn wrong_answers_of_each_type_score_nothing_and_a_multiple_subset_earns_no_credit_by_default()
{
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-wrong").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();
    let multiple = asked(&attempt, bank.multiple);
    let answers = json!([
        {"question_id": bank.single, "keys": keys_of(asked(&attempt, bank.single), &["1921年"])},
        // One of the two right options: a strict subset.
        {"question_id": bank.multiple, "keys": keys_of(multiple, &[MULTIPLE_RIGHT[0]])},
        {"question_id": bank.judge, "keys": keys_of(asked(&attempt, bank.judge), &["错误"])},
        // One blank right, one wrong.
        {"question_id": bank.fill, "blanks": ["市桥", "国民党"]},
    ]);
    let (status, result) = submit(&app, &member, id, answers).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["score"], 0, "{result}");
    assert_eq!(result["correct_count"], 0);
    for q in [bank.single, bank.multiple, bank.judge, bank.fill] {
        assert_eq!(result_of(&result, q)["correct"], false);
        assert_eq!(result_of(&result, q)["earned"], 0);
    }
    assert_eq!(result["points_awarded"], 0);
}

#[tokio::test]
async fn nothing_sent_for_an_unsubmitted_attempt_carries_an_answer() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-leak").await;
    let t = Some(member.access_token.as_str());

    let daily = app.post("/api/v1/quiz/daily", &json!({}), t).await;
    assert_eq!(daily.status(), StatusCode::OK);
    let daily: Value = daily.json().await.unwrap();
    assert_no_leak("POST /quiz/daily", &daily);
    let id = daily["id"].as_i64().unwrap();
    let path = format!("/api/v1/quiz/attempts/{id}");
    assert_no_leak("GET attempt", &app.json(app.get(&path, t).await).await.1);
    let saved = app
        .put(
            &format!("{path}/answers"),
            &json!({"answers": [{"question_id": bank.fill, "blanks": ["市"]}]}),
            t,
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert_no_leak("PUT answers", &saved.json().await.unwrap());
    assert_no_leak(
        "GET attempt after saving",
        &app.json(app.get(&path, t).await).await.1,
    );
    // The daily quiz holds the four; a practice and a challenge need questions of their own.
    for i in 0..2 {
        add_question(&app, &root, single_body(&format!("另一题{i}"))).await;
    }
    assert_no_leak(
        "POST /quiz/practice",
        &practice(&app, &member, json!({"count": 1})).await,
    );
    let (_, run) = app
        .json(app.post("/api/v1/quiz/challenge", &json!({}), t).await)
        .await;
    assert_no_leak("POST /quiz/challenge", &run);
    let run_path = format!("/api/v1/quiz/attempts/{}", run["id"]);
    assert_no_leak(
        "GET challenge",
        &app.json(app.get(&run_path, t).await).await.1,
    );
    // Every option of a choice question is lettered in shown order: A, B, C…
    let single = asked(&daily, bank.single);
    let keys: Vec<&str> = single["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["A", "B", "C", "D"]);
}

#[tokio::test]
async fn the_daily_quiz_keeps_its_questions_and_shuffle_across_refreshes() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    bank(&app, &root).await;
    let member = app.dev_login("o-refresh").await;
    let t = Some(member.access_token.as_str());
    let first: Value = app
        .post("/api/v1/quiz/daily", &json!({}), t)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .post("/api/v1/quiz/daily", &json!({}), t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["questions"], again["questions"]);
    let (_, view) = app
        .json(
            app.get(&format!("/api/v1/quiz/attempts/{}", first["id"]), t)
                .await,
        )
        .await;
    assert_eq!(view["status"], "open");
    assert_eq!(view["questions"], first["questions"]);
    assert_eq!(first["questions"].as_array().unwrap().len(), 4);
}

/// A bank much larger than a quiz: each day's quiz asks questions the member never saw (drawn by
/// probing random ids, then from the whole bank as the unseen ones run out) until every one
/// was asked, and only then the least recently seen again.
#[tokio::test]
async fn daily_quizzes_from_a_large_bank_ask_unseen_questions_until_none_are_left() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let mut ids = std::collections::BTreeSet::new();
    for k in 0..60 {
        ids.insert(
            add_question(
                &app,
                &root,
                single_body(&format!("第{k}题：番禺最早的党组织成立于哪一年？")),
            )
            .await,
        );
    }
    let mut asked = Vec::new();
    let mut days = Vec::new();
    for _ in 0..13 {
        let member = app.dev_login("o-large-bank").await;
        let t = Some(member.access_token.as_str());
        let (status, daily) = app
            .json(app.post("/api/v1/quiz/daily", &json!({}), t).await)
            .await;
        assert_eq!(status, StatusCode::OK, "{daily}");
        let today: Vec<i64> = daily["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_i64().unwrap())
            .collect();
        assert_eq!(today.len(), 5);
        days.push(today.clone());
        asked.extend(today);
        // Submitted (all right: no wrong-answer book to lead later quizzes), so no open
        // attempt holds its questions on later days.
        let answers: Vec<Value> = daily["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| json!({"question_id": q["id"], "keys": keys_of(q, &[SINGLE_RIGHT])}))
            .collect();
        let path = format!("/api/v1/quiz/attempts/{}/submit", daily["id"]);
        let submitted = app.post(&path, &json!({"answers": answers}), t).await;
        assert_eq!(submitted.status(), StatusCode::OK);
        app.clock.advance(Duration::days(1));
    }
    let first_twelve: std::collections::BTreeSet<i64> = asked[..60].iter().copied().collect();
    assert_eq!(first_twelve, ids, "twelve days ask each of the 60 once");
    let day_one: std::collections::BTreeSet<i64> = days[0].iter().copied().collect();
    let day_thirteen: std::collections::BTreeSet<i64> = days[12].iter().copied().collect();
    assert_eq!(
        day_thirteen, day_one,
        "then the least recently seen come back first"
    );
}

#[tokio::test]
async fn options_are_shuffled_per_attempt() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let options: Vec<Value> = (1..=8)
        .map(|i| json!({"text": format!("选项{i}"), "correct": i == 1}))
        .collect();
    add_question(
        &app,
        &root,
        json!({"type": "single", "stem": "八个选项", "category": "党史", "difficulty": 1, "options": options}),
    )
    .await;
    let member = app.dev_login("o-shuffle").await;
    let mut orders = std::collections::HashSet::new();
    for _ in 0..6 {
        let attempt = practice(&app, &member, json!({"count": 1})).await;
        // Submitted, so the next attempt may hold the question again.
        submit(&app, &member, attempt["id"].as_i64().unwrap(), json!([])).await;
        let texts: Vec<String> = attempt["questions"][0]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"].as_str().unwrap().to_owned())
            .collect();
        orders.insert(texts);
    }
    // Six attempts in the authored (or any one) order: a chance of 1 in 40320^5.
    assert!(orders.len() > 1, "the options were never shuffled");
}

#[tokio::test]
async fn one_daily_quiz_a_local_day_across_midnight_in_shanghai() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    // 23:58 in Shanghai.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 15, 58, 0).unwrap());
    let member = app.dev_login("o-midnight").await;
    let t = Some(member.access_token.as_str());
    let first: Value = app
        .post("/api/v1/quiz/daily", &json!({}), t)
        .await
        .json()
        .await
        .unwrap();
    let deadline = first["deadline"].as_str().unwrap();
    assert_eq!(deadline, "2026-06-01T16:00:00Z", "the end of the local day");
    let id = first["id"].as_i64().unwrap();
    let (status, result) = submit(&app, &member, id, right_answers(&first, &bank)).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        result["points_awarded"], 4,
        "quiz_daily pays a point per right answer"
    );
    assert_error(
        app.post("/api/v1/quiz/daily", &json!({}), t).await,
        StatusCode::CONFLICT,
        "quiz.daily_done",
    )
    .await;
    // 00:01 the next day: a new daily quiz.
    app.clock.advance(Duration::minutes(3));
    let next = app.post("/api/v1/quiz/daily", &json!({}), t).await;
    assert_eq!(next.status(), StatusCode::OK);
    let next: Value = next.json().await.unwrap();
    assert_ne!(next["id"], first["id"]);
}

#[tokio::test]
async fn concurrent_first_calls_make_one_daily_quiz() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    bank(&app, &root).await;
    let member = app.dev_login("o-race").await;
    let empty = json!({});
    let calls = (0..6).map(|_| app.post("/api/v1/quiz/daily", &empty, Some(&member.access_token)));
    let mut ids = std::collections::HashSet::new();
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), StatusCode::OK);
        let attempt: Value = res.json().await.unwrap();
        ids.insert(attempt["id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn a_second_submit_replays_the_first_result_and_pays_once() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-replay").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();
    let (_, first) = submit(&app, &member, id, right_answers(&attempt, &bank)).await;
    // A different body the second time changes nothing.
    let (status, second) = submit(&app, &member, id, json!([])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(app.total_points(&member).await, 4);
}

#[tokio::test]
async fn answers_outside_the_attempt_are_refused_and_attempts_belong_to_their_member() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let extra = add_question(&app, &root, single_body("不在本次练习中的题")).await;
    let member = app.dev_login("o-owner").await;
    let attempt = practice(&app, &member, json!({"count": 4, "category": "党史"})).await;
    let id = attempt["id"].as_i64().unwrap();
    // `category` 党史 holds single, judge, fill and `extra`; multiple is not in it.
    let asked_ids: Vec<i64> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    assert!(!asked_ids.contains(&bank.multiple));
    assert!(asked_ids.contains(&extra) && asked_ids.contains(&bank.fill));
    let body = assert_error(
        submit_raw(
            &app,
            &member,
            id,
            json!([{"question_id": bank.multiple, "keys": ["A"]}]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["details"]["fields"]["answers[0].question_id"].is_array(),
        "{body}"
    );
    // A key the question does not have, keys for a fill-in, text for a choice, a repeat.
    for answers in [
        json!([{"question_id": extra, "keys": ["Z"]}]),
        json!([{"question_id": bank.fill, "keys": ["A"]}]),
        json!([{"question_id": extra, "text": "1925年"}]),
        json!([{"question_id": extra, "keys": ["A"]}, {"question_id": extra, "keys": ["B"]}]),
    ] {
        assert_error(
            submit_raw(&app, &member, id, answers).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    // Nothing was graded by the refused submits.
    let (_, view) = app
        .json(
            app.get(
                &format!("/api/v1/quiz/attempts/{id}"),
                Some(&member.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(view["status"], "open");

    let other = app.dev_login("o-other").await;
    let path = format!("/api/v1/quiz/attempts/{id}");
    assert_error(
        app.get(&path, Some(&other.access_token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        submit_raw(&app, &other, id, json!([])).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn submit_raw(app: &TestApp, who: &Session, id: i64, answers: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/quiz/attempts/{id}/submit"),
        &json!({ "answers": answers }),
        Some(&who.access_token),
    )
    .await
}

#[tokio::test]
async fn saved_answers_survive_and_are_graded_when_the_deadline_passes() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-saved").await;
    let t = Some(member.access_token.as_str());
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();
    let judge_right = keys_of(asked(&attempt, bank.judge), &["正确"]);
    let res = app
        .put(
            &format!("/api/v1/quiz/attempts/{id}/answers"),
            &json!({"answers": [
                {"question_id": bank.judge, "keys": judge_right},
                {"question_id": bank.fill, "blanks": ["错的"]},
            ]}),
            t,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["saved_count"], 2);
    // A crash later, the attempt still holds them.
    let (_, view) = app
        .json(app.get(&format!("/api/v1/quiz/attempts/{id}"), t).await)
        .await;
    assert_eq!(
        asked(&view, bank.judge)["saved"],
        json!({"keys": judge_right})
    );
    assert_eq!(
        asked(&view, bank.fill)["saved"],
        json!({"blanks": ["错的"]})
    );

    // Past the deadline (2 h for practice) and the 30 s grace: too late to submit.
    app.clock
        .advance(Duration::hours(2) + Duration::seconds(31));
    let member = app.dev_login("o-saved").await;
    let t = Some(member.access_token.as_str());
    assert_error(
        submit_raw(&app, &member, id, right_answers(&attempt, &bank)).await,
        StatusCode::CONFLICT,
        "quiz.expired",
    )
    .await;
    let (_, view) = app
        .json(app.get(&format!("/api/v1/quiz/attempts/{id}"), t).await)
        .await;
    assert_eq!(view["status"], "expired", "{view}");
    assert_eq!(view["score"], 1, "graded from what was saved: {view}");
    assert_eq!(result_of(&view, bank.judge)["correct"], true);
    assert_eq!(result_of(&view, bank.single)["given"], Value::Null);
    assert_eq!(app.total_points(&member).await, 1);
}

#[tokio::test]
async fn a_submit_within_the_grace_after_the_deadline_still_counts() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-grace").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    app.clock
        .advance(Duration::hours(2) + Duration::seconds(20));
    let member = app.dev_login("o-grace").await;
    let (status, result) = submit(
        &app,
        &member,
        attempt["id"].as_i64().unwrap(),
        right_answers(&attempt, &bank),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["status"], "submitted");
    assert_eq!(result["score"], 4);
}

#[tokio::test]
async fn attempts_left_past_their_deadline_are_graded_by_the_periodic_task() {
    let app = spawn_app_with(vec![("REDTRAIL_QUIZ_EXPIRY_EVERY_MS", "50".into())]).await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-sweep").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();
    let judge_right = keys_of(asked(&attempt, bank.judge), &["正确"]);
    app.put(
        &format!("/api/v1/quiz/attempts/{id}/answers"),
        &json!({"answers": [{"question_id": bank.judge, "keys": judge_right}]}),
        Some(&member.access_token),
    )
    .await;
    app.clock.advance(Duration::hours(3));
    let member = app.dev_login("o-sweep").await;
    // Nobody opens the attempt: only the periodic task can grade it (and pay its point).
    let mut paid = 0;
    for _ in 0..100 {
        paid = app.total_points(&member).await;
        if paid > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(paid, 1, "the saved right answer was graded and paid");
    let (_, ledger) = app
        .json(
            app.get("/api/v1/me/points/ledger", Some(&member.access_token))
                .await,
        )
        .await;
    assert_eq!(ledger["items"][0]["source"], "quiz_practice");
    assert_eq!(ledger["items"][0]["source_id"], id.to_string());
}

#[tokio::test]
async fn an_attempt_grades_the_question_as_it_was_when_the_attempt_began() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let stem = "番禺最早的党组织成立于哪一年？";
    let id = add_question(&app, &root, single_body(stem)).await;
    let member = app.dev_login("o-edit").await;
    let attempt = practice(&app, &member, json!({"count": 1})).await;
    let old_right = keys_of(asked(&attempt, id), &[SINGLE_RIGHT]);

    // The admin moves the right answer to another option and rewrites the explanation.
    let mut edited = single_body(stem);
    edited["options"][1]["correct"] = json!(false);
    edited["options"][2]["correct"] = json!(true);
    edited["explanation"] = json!("改过的解析");
    let res = app
        .put(
            &format!("/api/v1/admin/questions/{id}"),
            &edited,
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["version"], 2);

    let (status, result) = submit(
        &app,
        &member,
        attempt["id"].as_i64().unwrap(),
        json!([{"question_id": id, "keys": old_right}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result_of(&result, id)["correct"], true);
    assert_eq!(result_of(&result, id)["explanation"], EXPLANATION);

    // A new attempt asks the new version.
    let attempt = practice(&app, &member, json!({"count": 1})).await;
    let new_right = keys_of(asked(&attempt, id), &["1938年"]);
    let (_, result) = submit(
        &app,
        &member,
        attempt["id"].as_i64().unwrap(),
        json!([{"question_id": id, "keys": new_right}]),
    )
    .await;
    assert_eq!(result_of(&result, id)["correct"], true);
}

async fn challenge_answer(
    app: &TestApp,
    who: &Session,
    run: i64,
    body: Value,
) -> (StatusCode, Value) {
    app.json(
        app.post(
            &format!("/api/v1/quiz/attempts/{run}/answer"),
            &body,
            Some(&who.access_token),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_challenge_run_sends_one_question_at_a_time_and_ends_at_the_first_mistake() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    for i in 0..4 {
        add_question(&app, &root, single_body(&format!("挑战题{i}"))).await;
    }
    let member = app.dev_login("o-challenge").await;
    let t = Some(member.access_token.as_str());
    let (status, run) = app
        .json(app.post("/api/v1/quiz/challenge", &json!({}), t).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    assert_eq!(run["max_questions"], 4);
    let id = run["id"].as_i64().unwrap();
    let first = run["question"].clone();
    let (_, view) = app
        .json(app.get(&format!("/api/v1/quiz/attempts/{id}"), t).await)
        .await;
    assert_eq!(
        view["questions"].as_array().unwrap().len(),
        1,
        "only the current one"
    );
    assert_eq!(view["questions"][0]["id"], first["id"]);

    // Submit is not how a challenge is answered.
    assert_error(
        submit_raw(&app, &member, id, json!([])).await,
        StatusCode::CONFLICT,
        "quiz.wrong_kind",
    )
    .await;

    let right = json!({"question_id": first["id"], "keys": keys_of(&first, &[SINGLE_RIGHT])});
    let (status, step) = challenge_answer(&app, &member, id, right.clone()).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(step["correct"], true);
    assert_eq!(step["streak"], 1);
    assert_eq!(step["finished"], false);
    assert_eq!(step["explanation"], EXPLANATION);
    let second = step["next_question"].clone();
    assert_ne!(second["id"], first["id"]);
    // A retry of the same answer replays it.
    let (_, again) = challenge_answer(&app, &member, id, right).await;
    assert_eq!(again["correct"], true);
    assert_eq!(again["next_question"]["id"], second["id"]);

    let wrong = json!({"question_id": second["id"], "keys": keys_of(&second, &["1949年"])});
    let (_, step) = challenge_answer(&app, &member, id, wrong).await;
    assert_eq!(step["correct"], false, "{step}");
    assert_eq!(step["finished"], true);
    assert_eq!(step["streak"], 1);
    assert_eq!(step["next_question"], Value::Null);
    assert_eq!(
        step["points_awarded"], 1,
        "a point per right answer of the run"
    );
    assert_eq!(
        step["answer"]["keys"],
        json!(keys_of(&second, &[SINGLE_RIGHT]))
    );
    let (_, view) = app
        .json(app.get(&format!("/api/v1/quiz/attempts/{id}"), t).await)
        .await;
    assert_eq!(view["status"], "submitted");
    assert_eq!(
        view["results"].as_array().unwrap().len(),
        2,
        "only what was asked"
    );
    assert_eq!(app.total_points(&member).await, 1);
    // The run is over: another answer is refused.
    let (status, finished) = challenge_answer(
        &app,
        &member,
        id,
        json!({"question_id": view["results"][0]["question_id"], "keys": ["A"]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an answered question replays: {finished}"
    );
    assert_eq!(finished["finished"], true);
}

#[tokio::test]
async fn a_challenge_refuses_a_question_not_yet_asked_and_ends_when_too_slow() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let ids = [
        add_question(&app, &root, single_body("慢题一")).await,
        add_question(&app, &root, single_body("慢题二")).await,
    ];
    let member = app.dev_login("o-slow").await;
    let (_, run) = app
        .json(
            app.post(
                "/api/v1/quiz/challenge",
                &json!({}),
                Some(&member.access_token),
            )
            .await,
        )
        .await;
    let id = run["id"].as_i64().unwrap();
    let current = run["question"]["id"].as_i64().unwrap();
    let later = ids.into_iter().find(|q| *q != current).unwrap();
    let (status, body) = challenge_answer(
        &app,
        &member,
        id,
        json!({"question_id": later, "keys": ["A"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["details"]["fields"]["question_id"].is_array());
    // 30 s a question, plus 30 s of grace.
    app.clock.advance(Duration::seconds(61));
    let (status, body) = challenge_answer(
        &app,
        &member,
        id,
        json!({"question_id": current, "keys": keys_of(&run["question"], &[SINGLE_RIGHT])}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "quiz.expired");
}

async fn book_of(app: &TestApp, openid: &str) -> Vec<Value> {
    let who = app.dev_login(openid).await;
    let (_, page) = app
        .json(
            app.get("/api/v1/me/wrong-questions", Some(&who.access_token))
                .await,
        )
        .await;
    page["items"].as_array().unwrap().clone()
}

/// Today's daily quiz, answering `question` right or wrong and the rest wrong.
async fn daily_with(app: &TestApp, openid: &str, question: i64, right: bool) -> Value {
    let who = &app.dev_login(openid).await;
    let (status, attempt) = app
        .json(
            app.post("/api/v1/quiz/daily", &json!({}), Some(&who.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    let text = if right { SINGLE_RIGHT } else { "1949年" };
    let keys = keys_of(asked(&attempt, question), &[text]);
    let (status, result) = submit(
        app,
        who,
        attempt["id"].as_i64().unwrap(),
        json!([{"question_id": question, "keys": keys}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    attempt
}

#[tokio::test]
async fn the_wrong_answer_book_brings_questions_back_after_1_3_and_7_days_until_right_twice() {
    let app = spawn_app_with(vec![("REDTRAIL_QUIZ_DAILY_COUNT", "1".into())]).await;
    let root = app.platform_admin().await;
    let target = add_question(&app, &root, single_body("错题本的题")).await;
    let member = "o-book";

    // 06-01: wrong. It enters the book, due tomorrow.
    daily_with(&app, member, target, false).await;
    let book = book_of(&app, member).await;
    assert_eq!(book.len(), 1);
    assert_eq!(book[0]["question_id"], target);
    assert_eq!(book[0]["due_on"], "2026-06-02");
    assert_eq!(book[0]["due"], false);

    // Other questions exist; the due one still leads the daily quiz.
    for i in 0..5 {
        add_question(&app, &root, single_body(&format!("其他题{i}"))).await;
    }
    // 06-02: right at the review: the next one in 3 days.
    app.clock.advance(Duration::days(1));
    let attempt = daily_with(&app, member, target, true).await;
    assert_eq!(attempt["questions"][0]["id"], target, "due questions lead");
    let book = book_of(&app, member).await;
    assert_eq!(book[0]["due_on"], "2026-06-05");
    assert_eq!(book[0]["right_streak"], 1);

    // 06-03: practising it early, right, is not a review.
    app.clock.advance(Duration::days(1));
    let who = app.dev_login(member).await;
    let early = practice(&app, &who, json!({"count": 1, "from_wrong_book": true})).await;
    assert_eq!(early["questions"][0]["id"], target);
    let keys = keys_of(asked(&early, target), &[SINGLE_RIGHT]);
    let (status, _) = submit(
        &app,
        &who,
        early["id"].as_i64().unwrap(),
        json!([{"question_id": target, "keys": keys}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(book_of(&app, member).await[0]["due_on"], "2026-06-05");

    // 06-05: wrong at the review: the run is over, back tomorrow.
    app.clock.advance(Duration::days(2));
    daily_with(&app, member, target, false).await;
    let book = book_of(&app, member).await;
    assert_eq!(book[0]["due_on"], "2026-06-06");
    assert_eq!(book[0]["right_streak"], 0);
    assert_eq!(book[0]["wrong_count"], 2);

    // 06-06: right: the ladder's top rung, 7 days.
    app.clock.advance(Duration::days(1));
    daily_with(&app, member, target, true).await;
    let book = book_of(&app, member).await;
    assert_eq!(book[0]["due_on"], "2026-06-13");
    assert_eq!(book[0]["right_streak"], 1);

    // 06-13: right again, twice in a row: out of the book.
    app.clock.advance(Duration::days(7));
    daily_with(&app, member, target, true).await;
    assert!(book_of(&app, member).await.is_empty());
}

#[tokio::test]
async fn unanswered_questions_stay_out_of_the_book_and_an_empty_answer_clears_a_saved_one() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-skip").await;
    let attempt = practice(&app, &member, json!({"count": 4})).await;
    let id = attempt["id"].as_i64().unwrap();
    let path = format!("/api/v1/quiz/attempts/{id}/answers");
    let t = Some(member.access_token.as_str());
    let judge = keys_of(asked(&attempt, bank.judge), &["错误"]);
    app.put(
        &path,
        &json!({"answers": [{"question_id": bank.judge, "keys": judge}]}),
        t,
    )
    .await;
    let res = app
        .put(
            &path,
            &json!({"answers": [{"question_id": bank.judge, "keys": []}]}),
            t,
        )
        .await;
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["saved_count"], 0, "cleared");
    // One wrong answer given, three left blank: only the wrong one enters the book.
    let single = keys_of(asked(&attempt, bank.single), &["1921年"]);
    let (_, result) = submit(
        &app,
        &member,
        id,
        json!([{"question_id": bank.single, "keys": single}]),
    )
    .await;
    assert_eq!(result["score"], 0);
    let book = book_of(&app, "o-skip").await;
    let ids: Vec<&Value> = book.iter().map(|w| &w["question_id"]).collect();
    assert_eq!(ids, [&json!(bank.single)]);
}

#[tokio::test]
async fn a_new_attempt_never_draws_a_question_another_open_attempt_holds() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let bank = bank(&app, &root).await;
    let member = app.dev_login("o-harvest").await;
    let t = Some(member.access_token.as_str());
    // The daily quiz holds all four; a practice then has nothing to draw.
    let daily: Value = app
        .post("/api/v1/quiz/daily", &json!({}), t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(daily["questions"].as_array().unwrap().len(), 4);
    assert_error(
        app.post("/api/v1/quiz/practice", &json!({"count": 10}), t)
            .await,
        StatusCode::CONFLICT,
        "quiz.no_questions",
    )
    .await;
    // With a fifth question, the practice gets only that one.
    let fifth = add_question(&app, &root, single_body("第五题")).await;
    let attempt = practice(&app, &member, json!({"count": 10})).await;
    let ids: Vec<&Value> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["id"])
        .collect();
    assert_eq!(ids, [&json!(fifth)]);
    let _ = bank;
}

#[tokio::test]
async fn a_periodic_jobs_lease_is_held_by_one_instance_until_it_runs_out() {
    let app = spawn_app().await;
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    let now = app.clock_now();
    let minute = Duration::minutes(1);
    let take = |holder: &'static str, at| {
        let db = db.clone();
        async move {
            redtrail::db::take_lease(&db, "test.job", holder, at, minute)
                .await
                .unwrap()
        }
    };
    assert!(take("instance-a", now).await, "the first takes it");
    assert!(
        !take("instance-b", now).await,
        "a second waits while it is held"
    );
    assert!(take("instance-a", now).await, "the holder renews it");
    let later = now + Duration::seconds(61);
    assert!(
        take("instance-b", later).await,
        "a lease that ran out passes on"
    );
    assert!(!take("instance-a", later).await);
    db.close().await.unwrap();
}
