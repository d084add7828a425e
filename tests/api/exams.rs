//! Exams and competitions (竞赛): windows, durations, attempts, partial credit, expiry and
//! results for admins.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};
use crate::quiz::{
    MULTIPLE_RIGHT, SINGLE_RIGHT, add_question, asked, bank, keys_of, single_body, submit,
};

/// An exam over `org_ids` open from an hour ago for a day, of `body`'s other fields.
pub async fn exam(app: &TestApp, root: &Session, org_ids: &[i64], fields: Value) -> Value {
    let now = app.clock_now();
    let mut body = json!({
        "title": "党史知识竞赛",
        "starts_at": (now - Duration::hours(1)).to_rfc3339(),
        "ends_at": (now + Duration::days(1)).to_rfc3339(),
        "duration_s": 600,
        "pass_score": 10,
        "org_ids": org_ids,
    });
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, exam) = app
        .json(
            app.post("/api/v1/admin/exams", &body, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{exam}");
    exam
}

async fn start(app: &TestApp, who: &Session, exam: &Value) -> (StatusCode, Value) {
    app.json(
        app.post(
            &format!("/api/v1/exams/{}/attempts", exam["id"]),
            &json!({}),
            Some(&who.access_token),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn an_exam_attempt_has_a_server_deadline_and_is_graded_from_saved_answers_when_it_passes() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let selection = json!({"fixed": [
        {"question_id": bank.single, "score": 10},
        {"question_id": bank.multiple, "score": 10},
    ]});
    let exam = exam(
        &app,
        &root,
        &[tree.committee],
        json!({"selection": selection}),
    )
    .await;
    assert_eq!(exam["max_score"], 20);
    assert_eq!(exam["question_count"], 2);
    let member = app.member_in(&root, "o-examinee", tree.branch_a).await;

    let (_, listed) = app
        .json(app.get("/api/v1/exams", Some(&member.access_token)).await)
        .await;
    assert_eq!(listed["items"][0]["id"], exam["id"], "{listed}");
    assert_eq!(listed["items"][0]["open"], true);
    assert_eq!(listed["items"][0]["attempts_used"], 0);

    let (status, attempt) = start(&app, &member, &exam).await;
    assert_eq!(status, StatusCode::CREATED, "{attempt}");
    assert_eq!(attempt["remaining_s"], 600);
    let deadline = (app.clock_now() + Duration::seconds(600))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(attempt["deadline"], deadline);
    assert_eq!(
        attempt["questions"][0]["id"], bank.single,
        "a fixed list keeps its order"
    );
    // Starting again while it is open gives the same attempt back.
    let (_, again) = start(&app, &member, &exam).await;
    assert_eq!(again["id"], attempt["id"]);
    assert_eq!(again["questions"], attempt["questions"]);

    let id = attempt["id"].as_i64().unwrap();
    let right = keys_of(asked(&attempt, bank.single), &[SINGLE_RIGHT]);
    let res = app
        .put(
            &format!("/api/v1/quiz/attempts/{id}/answers"),
            &json!({"answers": [{"question_id": bank.single, "keys": right}]}),
            Some(&member.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Eleven minutes later the attempt is past its deadline and grace: opening it grades it.
    app.clock.advance(Duration::minutes(11));
    let member = app.dev_login("o-examinee").await;
    let (_, view) = app
        .json(
            app.get(
                &format!("/api/v1/quiz/attempts/{id}"),
                Some(&member.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(view["status"], "expired", "{view}");
    assert_eq!(view["score"], 10);
    // It took until its deadline, not until it was found.
    assert_eq!(view["duration_s"], 600);
    assert_eq!(view["finished_at"], deadline);
    assert_eq!(view["passed"], true);
    assert_eq!(
        view["points_awarded"], 10,
        "quiz_exam pays its 10 for a pass"
    );
    // One attempt allowed, and it is used.
    assert_error(
        app.post(
            &format!("/api/v1/exams/{}/attempts", exam["id"]),
            &json!({}),
            Some(&member.access_token),
        )
        .await,
        StatusCode::CONFLICT,
        "exam.no_attempts_left",
    )
    .await;
}

#[tokio::test]
async fn a_strict_subset_of_a_multiple_earns_half_only_where_the_exam_allows_partial_credit() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let selection = json!({"fixed": [{"question_id": bank.multiple, "score": 10}]});
    let member = app.member_in(&root, "o-partial", tree.branch_a).await;
    let mut attempts = Vec::new();
    for (partial, earned) in [(true, 5), (false, 0)] {
        let exam = exam(
            &app,
            &root,
            &[tree.org_a],
            json!({"selection": selection, "partial_credit": partial, "pass_score": 5}),
        )
        .await;
        let (_, attempt) = start(&app, &member, &exam).await;
        let one = keys_of(asked(&attempt, bank.multiple), &[MULTIPLE_RIGHT[1]]);
        let (status, result) = submit(
            &app,
            &member,
            attempt["id"].as_i64().unwrap(),
            json!([{"question_id": bank.multiple, "keys": one}]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["score"], earned, "partial {partial}");
        assert_eq!(result["passed"], partial);
        // While the exam is open its answers reach nobody: the score alone.
        assert_eq!(result["results"], json!([]));
        // From the close and its 30 s of grace, when no attempt can still be submitted.
        let ends: chrono::DateTime<chrono::Utc> =
            exam["ends_at"].as_str().unwrap().parse().unwrap();
        let from =
            (ends + Duration::seconds(30)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        assert_eq!(result["answers_from"], from);
        // Nor does the wrong-answer book say which were missed.
        let (_, book) = app
            .json(
                app.get("/api/v1/me/wrong-questions", Some(&member.access_token))
                    .await,
            )
            .await;
        assert_eq!(book["items"], json!([]), "{book}");
        attempts.push((result["id"].as_i64().unwrap(), earned));
    }
    // Once the exams close, the answers and the half credit show.
    app.clock.advance(Duration::days(2));
    let member = app.dev_login("o-partial").await;
    for (id, earned) in attempts {
        let (_, view) = app
            .json(
                app.get(
                    &format!("/api/v1/quiz/attempts/{id}"),
                    Some(&member.access_token),
                )
                .await,
            )
            .await;
        assert_eq!(view["results"][0]["correct"], false, "{view}");
        assert_eq!(view["results"][0]["earned"], earned);
        assert!(view["results"][0]["answer"]["keys"].is_array());
    }
}

#[tokio::test]
async fn an_exam_opens_only_in_its_window_to_its_orgs_and_no_attempt_outlives_the_close() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let q = add_question(&app, &root, single_body("窗口题")).await;
    let selection = json!({"fixed": [{"question_id": q, "score": 10}]});
    let now = app.clock_now();
    let later = exam(
        &app,
        &root,
        &[tree.org_a],
        json!({"selection": selection, "starts_at": (now + Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    let closing = exam(
        &app,
        &root,
        &[tree.org_a],
        json!({"selection": selection, "ends_at": (now + Duration::minutes(5)).to_rfc3339()}),
    )
    .await;
    let inside = app.member_in(&root, "o-inside", tree.branch_a).await;
    let outside = app.member_in(&root, "o-outside", tree.branch_b).await;

    assert_error(
        app.post(
            &format!("/api/v1/exams/{}/attempts", later["id"]),
            &json!({}),
            Some(&inside.access_token),
        )
        .await,
        StatusCode::CONFLICT,
        "exam.closed",
    )
    .await;
    let (_, attempt) = start(&app, &inside, &closing).await;
    assert_eq!(
        attempt["remaining_s"], 300,
        "the close comes before the duration's end"
    );

    let (_, listed) = app
        .json(app.get("/api/v1/exams", Some(&outside.access_token)).await)
        .await;
    assert_eq!(listed["items"], json!([]), "not for org B");
    let (status, _) = start(&app, &outside, &closing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_read_standings_with_shared_ranks_pass_rate_and_accuracy_in_their_scope() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let selection = json!({"fixed": [
        {"question_id": bank.single, "score": 10},
        {"question_id": bank.judge, "score": 10},
    ]});
    let exam = exam(
        &app,
        &root,
        &[tree.committee],
        json!({"selection": selection, "pass_score": 20}),
    )
    .await;
    // a1 and b1 both score 10 (a tie), a2 scores 20.
    let mut ids = Vec::new();
    for (openid, branch, both) in [
        ("o-a1", tree.branch_a, false),
        ("o-a2", tree.branch_a, true),
        ("o-b1", tree.branch_b, false),
    ] {
        let member = app.member_in(&root, openid, branch).await;
        ids.push(member.member_id);
        let (_, attempt) = start(&app, &member, &exam).await;
        let judge = if both { "正确" } else { "错误" };
        let answers = json!([
            {"question_id": bank.single, "keys": keys_of(asked(&attempt, bank.single), &[SINGLE_RIGHT])},
            {"question_id": bank.judge, "keys": keys_of(asked(&attempt, bank.judge), &[judge])},
        ]);
        let (status, _) = submit(&app, &member, attempt["id"].as_i64().unwrap(), answers).await;
        assert_eq!(status, StatusCode::OK);
    }
    let path = format!("/api/v1/admin/exams/{}/results", exam["id"]);
    let (status, results) = app
        .json(app.get(&path, Some(&root.access_token)).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{results}");
    let standings: Vec<(i64, u64, i64)> = results["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["member_id"].as_i64().unwrap(),
                s["rank"].as_u64().unwrap(),
                s["score"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(standings[0], (ids[1], 1, 20));
    assert_eq!(
        [standings[1].1, standings[2].1],
        [2, 2],
        "a tie shares its rank"
    );
    assert_eq!(results["summary"]["participants"], 3);
    assert_eq!(results["summary"]["passed"], 1);
    let pass_rate = results["summary"]["pass_rate"].as_f64().unwrap();
    assert!((pass_rate - 1.0 / 3.0).abs() < 1e-9, "{pass_rate}");
    let judge = results["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question_id"] == bank.judge)
        .unwrap();
    assert_eq!(
        (judge["answered"].as_i64(), judge["correct"].as_i64()),
        (Some(3), Some(1))
    );

    // The admin of org B sees only B's member.
    let admin_b = app.org_admin_of(&root, "o-admin-b", tree.org_b).await;
    let (_, scoped) = app
        .json(app.get(&path, Some(&admin_b.access_token)).await)
        .await;
    let only: Vec<i64> = scoped["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["member_id"].as_i64().unwrap())
        .collect();
    assert_eq!(only, [ids[2]]);
    assert_eq!(scoped["standings"][0]["rank"], 1);
    // The exam is the committee's: org B's admin sees no org id outside their scope.
    let (_, seen) = app
        .json(
            app.get(
                &format!("/api/v1/admin/exams/{}", exam["id"]),
                Some(&admin_b.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(seen["org_ids"], json!([]), "{seen}");

    // Exported: a CSV with a BOM and a header, or an XLSX workbook. A nickname Excel would run
    // as a formula is written as text.
    let a1 = app.dev_login("o-a1").await;
    let res = app
        .put(
            "/api/v1/me",
            &json!({"nickname": "=HYPERLINK(1)"}),
            Some(&a1.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = app
        .get(
            &format!("{path}/export?format=csv"),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBFrank,member_id,"));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains(",'=HYPERLINK(1),"), "{text}");
    assert_eq!(
        body.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        4
    );
    let xlsx = app
        .get(
            &format!("{path}/export?format=xlsx"),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
}

#[tokio::test]
async fn an_exam_refuses_an_empty_selection_an_unknown_question_and_an_unreachable_pass_score() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let q = add_question(&app, &root, single_body("校验题")).await;
    let now = app.clock_now();
    let base = json!({
        "title": "校验", "starts_at": now.to_rfc3339(), "ends_at": (now + Duration::days(1)).to_rfc3339(),
        "duration_s": 600, "pass_score": 10, "org_ids": [tree.org_a],
    });
    for (selection, pass, field) in [
        (json!({"fixed": []}), 0, "selection.fixed"),
        (
            json!({"fixed": [{"question_id": q + 100, "score": 10}]}),
            10,
            "selection.fixed",
        ),
        (
            json!({"fixed": [{"question_id": q, "score": 10}]}),
            11,
            "pass_score",
        ),
        (
            json!({"random": [{"count": 0, "score": 1}]}),
            0,
            "selection.random[0].count",
        ),
    ] {
        let mut body = base.clone();
        body["selection"] = selection;
        body["pass_score"] = json!(pass);
        let error = assert_error(
            app.post("/api/v1/admin/exams", &body, Some(&root.access_token))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(error["details"]["fields"][field].is_array(), "{error}");
    }
}

#[tokio::test]
async fn random_rules_draw_per_attempt_and_a_fixed_exam_waits_for_an_open_attempt_holding_its_questions()
 {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let member = app.member_in(&root, "o-rules", tree.branch_a).await;
    // More of 党史 than the bank holds: an attempt could not reach its pass score.
    let greedy = json!({"random": [{"category": "党史", "count": 5, "score": 5}]});
    let short = exam(
        &app,
        &root,
        &[tree.org_a],
        json!({"selection": greedy, "pass_score": 5}),
    )
    .await;
    let (status, body) = start(&app, &member, &short).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "quiz.no_questions");
    let rules = json!({"random": [
        {"type": "judge", "count": 1, "score": 5},
        {"category": "党史", "count": 2, "score": 5},
    ]});
    let drawn = exam(
        &app,
        &root,
        &[tree.org_a],
        json!({"selection": rules, "pass_score": 5}),
    )
    .await;
    let (status, attempt) = start(&app, &member, &drawn).await;
    assert_eq!(status, StatusCode::CREATED, "{attempt}");
    let ids: Vec<i64> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    // The judge first; then what is left of 党史 (single and fill), none twice.
    assert_eq!(ids[0], bank.judge);
    let mut rest = ids[1..].to_vec();
    rest.sort_unstable();
    let mut expected = vec![bank.single, bank.fill];
    expected.sort_unstable();
    assert_eq!(rest, expected);
    assert_eq!(attempt["max_score"], 15);

    // While that attempt is open, an exam fixed on one of its questions must wait.
    let fixed = json!({"fixed": [{"question_id": bank.judge, "score": 10}]});
    let waiting = exam(&app, &root, &[tree.org_a], json!({"selection": fixed})).await;
    let body = assert_error(
        app.post(
            &format!("/api/v1/exams/{}/attempts", waiting["id"]),
            &json!({}),
            Some(&member.access_token),
        )
        .await,
        StatusCode::CONFLICT,
        "quiz.attempt_open",
    )
    .await;
    assert_eq!(body["details"]["attempt_id"], attempt["id"]);
    submit(&app, &member, attempt["id"].as_i64().unwrap(), json!([])).await;
    let (status, _) = start(&app, &member, &waiting).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn practice_and_the_daily_quiz_leave_an_open_exams_questions_alone() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let bank = bank(&app, &root).await;
    let selection = json!({"fixed": [
        {"question_id": bank.single, "score": 10},
        {"question_id": bank.judge, "score": 10},
    ]});
    exam(&app, &root, &[tree.org_a], json!({"selection": selection})).await;
    let member = app.member_in(&root, "o-crib", tree.branch_a).await;
    let (_, practice) = app
        .json(
            app.post(
                "/api/v1/quiz/practice",
                &json!({"count": 10}),
                Some(&member.access_token),
            )
            .await,
        )
        .await;
    let mut ids: Vec<i64> = practice["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    let mut free = vec![bank.multiple, bank.fill];
    free.sort_unstable();
    assert_eq!(ids, free, "{practice}");
}

#[tokio::test]
async fn a_random_rule_short_of_questions_because_an_open_attempt_holds_them_names_that_attempt() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    bank(&app, &root).await;
    let member = app.member_in(&root, "o-held", tree.branch_a).await;
    let (_, daily) = app
        .json(
            app.post("/api/v1/quiz/daily", &json!({}), Some(&member.access_token))
                .await,
        )
        .await;
    let rules = json!({"random": [{"type": "judge", "count": 1, "score": 5}]});
    let drawn = exam(
        &app,
        &root,
        &[tree.org_a],
        json!({"selection": rules, "pass_score": 5}),
    )
    .await;
    let (status, body) = start(&app, &member, &drawn).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "quiz.attempt_open");
    assert_eq!(body["details"]["attempt_id"], daily["id"]);
}
