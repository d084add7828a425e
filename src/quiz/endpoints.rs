use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{IdempotencyHeader, JsonBodyErrors, NeedsLogin};
use crate::state::State;

use super::dto::{
    AnswerInput, Answers, AttemptResult, AttemptView, ChallengeStarted, ChallengeStep, NewPractice,
    OpenAttempt, Saved, WrongQuestion,
};
use super::service::{self, Rules};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(daily_quiz)
        .service(start_practice)
        .service(start_challenge)
        .service(get_attempt)
        .service(save_answers)
        .service(submit_attempt)
        .service(answer_challenge)
        .service(my_wrong_questions);
}

/// What every attempt operation takes: the rules, the member, the moment.
fn turn<'a>(state: &'a State, caller: &Caller) -> (Rules<'a>, i64, chrono::DateTime<chrono::Utc>) {
    (Rules::of(&state.settings), caller.member_id, state.now())
}

/// Today's daily quiz (每日答题): get or create, so always 200 — the unfinished attempt, or a
/// new one of
/// `REDTRAIL_QUIZ_DAILY_COUNT` questions — due questions of my wrong-answer book first, then
/// ones I never saw, then the least recently seen; never one held by another open attempt of
/// mine — with options shuffled for this attempt.
/// Calling it again shows the same questions in the same order. Submit by `deadline` (the end
/// of the local day). No answer is in it.
#[utoipa::path(
    tag = "quiz",
    responses(
        (status = 200, description = "Today's attempt, open", body = OpenAttempt),
        (status = 409, description = "`quiz.daily_done`: today's is submitted; `quiz.no_questions`: the bank is empty", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/quiz/daily")]
async fn daily_quiz(state: State, caller: Caller) -> Reply<OpenAttempt> {
    let attempt = service::daily(
        &state.db,
        Rules::of(&state.settings),
        caller.member_id,
        state.now(),
    )
    .await?;
    Ok(Json(attempt))
}

/// Start a practice attempt (专项练习): any number, by category or from my wrong-answer book.
/// Pays by the `quiz_practice` rule. Send an `Idempotency-Key`: phones retry.
#[utoipa::path(
    tag = "quiz",
    params(IdempotencyHeader),
    request_body = NewPractice,
    responses(
        (status = 201, description = "The attempt, open", body = OpenAttempt),
        (status = 409, description = "`quiz.no_questions`: nothing to practise", body = ErrorBody),
        (status = 422, description = "`validation_failed`; `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/quiz/practice")]
async fn start_practice(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<NewPractice>,
) -> Result<HttpResponse, ApiError> {
    let ((rules, member_id, now), new) = (turn(&state, &caller), &*body);
    idempotency::once(
        &state.db,
        member_id,
        &key,
        body.fingerprint(),
        now,
        StatusCode::CREATED,
        |tx| async move { service::practice(&tx, rules, member_id, new, now).await },
    )
    .await
}

/// Start a challenge run (挑战答题): one question at a time, each to be answered within
/// `REDTRAIL_QUIZ_CHALLENGE_SECONDS` (plus at most 5 s for the network); the run ends at the first mistake or after
/// `max_questions`. Pays by run length (`quiz_challenge` rule, daily cap). Send an
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "quiz",
    params(IdempotencyHeader),
    responses(
        (status = 201, description = "The run and its first question", body = ChallengeStarted),
        (status = 409, description = "`quiz.no_questions`", body = ErrorBody),
        (status = 422, description = "`idempotency.key_reused`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/quiz/challenge")]
async fn start_challenge(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
) -> Result<HttpResponse, ApiError> {
    let (rules, member_id, now) = turn(&state, &caller);
    idempotency::once(
        &state.db,
        member_id,
        &key,
        "",
        now,
        StatusCode::CREATED,
        |tx| async move { service::challenge(&tx, rules, member_id, now).await },
    )
    .await
}

/// One of my attempts: `status: open` with its questions as asked (a challenge: the current
/// one), or `submitted` / `expired` with the graded result. One left open past its deadline
/// and grace is graded from its saved answers first.
#[utoipa::path(
    tag = "quiz",
    params(("id" = i64, Path, description = "Attempt id")),
    responses(
        (status = 200, description = "The attempt", body = AttemptView),
        (status = 404, description = "`not_found`: no such attempt of mine", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/quiz/attempts/{id}")]
async fn get_attempt(state: State, caller: Caller, id: Path<i64>) -> Reply<AttemptView> {
    let (rules, member_id, now) = turn(&state, &caller);
    Ok(Json(
        service::get(&state.db, rules, member_id, *id, now).await?,
    ))
}

/// Save answers so far, so that a crash or a backgrounded mini-program loses nothing: each
/// named question's saved answer is replaced (`keys: []`, blank text or no answer field clears
/// it), others keep theirs. Accepted until the deadline plus the grace. Not for challenges.
#[utoipa::path(
    tag = "quiz",
    params(("id" = i64, Path, description = "Attempt id")),
    request_body = Answers,
    responses(
        (status = 200, description = "Saved", body = Saved),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`quiz.expired` (graded from what was saved before); `quiz.finished`; `quiz.wrong_kind` (a challenge)", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a question outside the attempt, twice, or an answer of the wrong shape", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[put("/quiz/attempts/{id}/answers")]
async fn save_answers(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<Answers>,
) -> Reply<Saved> {
    let (rules, member_id, now) = turn(&state, &caller);
    Ok(Json(
        service::save(&state.db, rules, member_id, *id, &body, now).await?,
    ))
}

/// Submit and grade: `answers` over what was saved (a question without one scores nothing and
/// stays out of the wrong-answer book).
/// Answers, right or wrong flags and explanations are in this response, never before. A second
/// submit replays the first result. Past the deadline plus `REDTRAIL_QUIZ_GRACE_SECONDS`: 409
/// `quiz.expired`, and the attempt is graded from its saved answers. Not for challenges.
#[utoipa::path(
    tag = "quiz",
    params(("id" = i64, Path, description = "Attempt id")),
    request_body = Answers,
    responses(
        (status = 200, description = "Graded", body = AttemptResult),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`quiz.expired`; `quiz.wrong_kind` (a challenge)", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a question outside the attempt, twice, or an answer of the wrong shape", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/quiz/attempts/{id}/submit")]
async fn submit_attempt(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<Answers>,
) -> Reply<AttemptResult> {
    let (rules, member_id, now) = turn(&state, &caller);
    Ok(Json(
        service::submit(&state.db, rules, member_id, *id, &body, now).await?,
    ))
}

/// Answer the challenge's current question: right or wrong, the answer and explanation, and
/// the next question unless the run is over. Answering an answered question again replays how
/// it went.
#[utoipa::path(
    tag = "quiz",
    params(("id" = i64, Path, description = "Attempt id")),
    request_body = AnswerInput,
    responses(
        (status = 200, description = "How it went", body = ChallengeStep),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`quiz.expired` (too slow: the run ended); `quiz.finished`; `quiz.wrong_kind` (not a challenge)", body = ErrorBody),
        (status = 422, description = "`validation_failed`: not the question being asked, or an answer of the wrong shape", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/quiz/attempts/{id}/answer")]
async fn answer_challenge(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<AnswerInput>,
) -> Reply<ChallengeStep> {
    let (rules, member_id, now) = turn(&state, &caller);
    Ok(Json(
        service::answer(&state.db, rules, member_id, *id, &body, now).await?,
    ))
}

/// My wrong-answer book (错题本): due first. A wrongly answered question is due the next day;
/// each review (an answer on or after the due day, in the daily quiz it leads or in practice
/// with `from_wrong_book: true`) climbs a rung of 1, 3 and 7 days, a mistake brings it back the
/// next day, and two right reviews in a row take it out.
#[utoipa::path(
    tag = "quiz",
    params(PageQuery),
    responses((status = 200, description = "A page of the book", body = Page<WrongQuestion>), NeedsLogin)
)]
#[get("/me/wrong-questions")]
async fn my_wrong_questions(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<WrongQuestion>> {
    let book = service::wrong_book(
        state.db.conn(),
        Rules::of(&state.settings),
        caller.member_id,
        &page,
        state.now(),
    )
    .await?;
    Ok(Json(book))
}
