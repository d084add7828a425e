use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ErrorBody, Lang};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{AdminOnly, IdempotencyHeader, InScope, JsonBodyErrors, NeedsLogin};
use crate::state::{AppState, State};

use super::dto::{
    BulkOutcome, BulkReview, FeedFilter, Likes, NewSubmission, ReviewFilter, ReviewOutcome,
    Submission, SubmissionReview,
};
use super::service::{self, Ctx, Decided, Writer};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_submission)
        .service(feed)
        .service(my_submissions)
        .service(get_submission)
        .service(edit_submission)
        .service(withdraw_submission)
        .service(like_submission)
        .service(unlike_submission)
        .service(review_queue)
        .service(bulk_review)
        .service(get_for_review)
        .service(review_submission);
}

fn ctx(state: &AppState) -> Ctx<'_> {
    Ctx::of(&state.settings, state.now())
}

/// Post a reflection (心得体会), photo story or video; volunteers also a site proposal or a
/// volunteer-service report. The title and body go through WeChat's content check first:
/// `risky` is stored `rejected` at once with the reason (edit and resubmit); `review` waits
/// for a person with the flag shown to reviewers; if WeChat cannot be reached the submission is
/// kept all the same and checked again in the background. Everything waits for review; under
/// a two-stage campaign, two. Send an `Idempotency-Key`: a retry answers the first.
#[utoipa::path(
    tag = "submissions",
    params(IdempotencyHeader),
    request_body = NewSubmission,
    responses(
        (status = 201, description = "Stored: `pending`, or `rejected` by the content check", body = Submission),
        (status = 403, description = "`forbidden`: site proposals and service reports are for volunteers", body = ErrorBody),
        (status = 404, description = "`not_found`: no such campaign for my org", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `site` / `service` missing or not for the kind (`needed_for_kind`, `not_for_kind`); `media_ids` not mine or in use (`media_unusable`) or not fitting the kind (`media_kinds`); a campaign not running (`campaign_closed`), a theme not its (`unknown_theme`) or without one (`needs_campaign`); a service date in the future or over a year ago (`date_range`); `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/submissions")]
async fn create_submission(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<NewSubmission>,
) -> Result<HttpResponse, ApiError> {
    let (new, ctx) = (&*body, ctx(&state));
    let openid = caller.member.openid.as_deref();
    let verdict =
        service::moderate_submission(&state.wechat, state.settings.content_check, openid, new)
            .await;
    let writer = Writer {
        member_id: caller.member_id,
        roles: &caller.roles,
    };
    let (writer, verdict) = (&writer, &verdict);
    idempotency::once(
        &state.db,
        caller.member_id,
        &key,
        body.fingerprint(),
        ctx.now,
        StatusCode::CREATED,
        |tx| async move { service::create(&tx, writer, new, verdict, ctx).await },
    )
    .await
}

/// The public feed (all members): approved and featured submissions, newest first, with their
/// likes and whether I like each.
#[utoipa::path(
    tag = "submissions",
    params(FeedFilter, PageQuery),
    responses((status = 200, description = "A page of the feed", body = Page<Submission>), NeedsLogin)
)]
#[get("/submissions")]
async fn feed(
    state: State,
    caller: Caller,
    filter: Query<FeedFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<Submission>> {
    let url = &state.settings.media.public_url;
    Ok(Json(
        service::feed(state.db.conn(), caller.member_id, &filter, &page, url).await?,
    ))
}

/// My submissions in every status, newest first.
#[utoipa::path(
    tag = "submissions",
    params(PageQuery),
    responses((status = 200, description = "A page of my submissions", body = Page<Submission>), NeedsLogin)
)]
#[get("/me/submissions")]
async fn my_submissions(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<Submission>> {
    let url = &state.settings.media.public_url;
    Ok(Json(
        service::mine(state.db.conn(), caller.member_id, &page, url).await?,
    ))
}

/// One submission: an approved or featured one, or one of mine.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "The submission", body = Submission),
        (status = 404, description = "`not_found`: no such public submission of anyone's, or of mine", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/submissions/{id}")]
async fn get_submission(state: State, caller: Caller, id: Path<i64>) -> Reply<Submission> {
    let url = &state.settings.media.public_url;
    Ok(Json(
        service::get(state.db.conn(), caller.member_id, *id, url).await?,
    ))
}

/// Replace my pending or rejected submission with the full edited one (PUT: `wx.request` has
/// no PATCH). It is checked again and goes back to the start of review, with a new `version`.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    request_body = NewSubmission,
    responses(
        (status = 200, description = "Saved: `pending` again (or `rejected` by the content check)", body = Submission),
        (status = 403, description = "`forbidden`: site proposals and service reports are for volunteers", body = ErrorBody),
        (status = 404, description = "`not_found`: no such submission of mine, or campaign of my org", body = ErrorBody),
        (status = 409, description = "`submission.not_editable`: approved, featured or withdrawn, or (paid once, then sent back) a change of kind, place, hours or date; `conflict.stale_version`: a review decided it meanwhile", body = ErrorBody),
        (status = 422, description = "`validation_failed`, as for posting", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[put("/submissions/{id}")]
async fn edit_submission(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<NewSubmission>,
) -> Reply<Submission> {
    let (new, ctx) = (&*body, ctx(&state));
    let openid = caller.member.openid.as_deref();
    let verdict =
        service::moderate_submission(&state.wechat, state.settings.content_check, openid, new)
            .await;
    let writer = Writer {
        member_id: caller.member_id,
        roles: &caller.roles,
    };
    Ok(Json(
        service::update(&state.db, &writer, *id, new, &verdict, ctx).await?,
    ))
}

/// Take my submission back (from any status; again is harmless). It leaves the feed; points
/// already paid stay paid.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "Withdrawn", body = Submission),
        (status = 404, description = "`not_found`: no such submission of mine", body = ErrorBody),
        (status = 409, description = "`conflict.stale_version`: a review decided it at that very moment; send again", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/submissions/{id}/withdraw")]
async fn withdraw_submission(state: State, caller: Caller, id: Path<i64>) -> Reply<Submission> {
    Ok(Json(
        service::withdraw(&state.db, caller.member_id, *id, ctx(&state)).await?,
    ))
}

/// Like an approved or featured submission: once per member (again is harmless).
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "Liked", body = Likes),
        (status = 404, description = "`not_found`: no such public submission", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/submissions/{id}/like")]
async fn like_submission(state: State, caller: Caller, id: Path<i64>) -> Reply<Likes> {
    Ok(Json(
        service::like(&state.db, caller.member_id, *id, true, state.now()).await?,
    ))
}

/// Take my like back (again is harmless).
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "Not liked", body = Likes),
        (status = 404, description = "`not_found`: no such public submission", body = ErrorBody),
        NeedsLogin,
    )
)]
#[delete("/submissions/{id}/like")]
async fn unlike_submission(state: State, caller: Caller, id: Path<i64>) -> Reply<Likes> {
    Ok(Json(
        service::like(&state.db, caller.member_id, *id, false, state.now()).await?,
    ))
}

/// Submissions by members in my scope, newest first, with the content check's verdict:
/// `?status=pending` is the review queue, `&stage=final` the final-selection queue. A platform
/// admin also sees those of members in no org.
#[utoipa::path(
    tag = "admin",
    params(ReviewFilter, PageQuery),
    responses(
        (status = 200, description = "A page of submissions", body = Page<Submission>),
        AdminOnly, InScope,
    )
)]
#[get("/admin/submissions")]
async fn review_queue(
    state: State,
    admin: Admin,
    filter: Query<ReviewFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<Submission>> {
    let url = &state.settings.media.public_url;
    Ok(Json(
        service::review_queue(state.db.conn(), &admin.scope, &filter, &page, url).await?,
    ))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Submission id")),
    responses((status = 200, description = "The submission", body = Submission), AdminOnly, InScope)
)]
#[get("/admin/submissions/{id}")]
async fn get_for_review(state: State, admin: Admin, id: Path<i64>) -> Reply<Submission> {
    let url = &state.settings.media.public_url;
    Ok(Json(
        service::review_get(state.db.conn(), &admin.scope, *id, url).await?,
    ))
}

/// Decide a submission: `approve`, `reject` (with a `reason` for the author) or `feature`,
/// naming the `version` I saw. Under two-stage review the first approval passes it to the
/// final stage, for an admin of an org above the author's (or a platform admin) other than
/// me. The final approval pays the author (`points_awarded`), adds a service report's hours to
/// the volunteer's total and makes a proposed site a hidden site for a platform admin to
/// publish. The author hears of every outcome. Audited.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Submission id")),
    request_body = SubmissionReview,
    responses(
        (status = 200, description = "Decided", body = Submission),
        (status = 403, description = "`forbidden.own_item`: my own submission; `forbidden.review_stage`: the final stage is not mine to decide", body = ErrorBody),
        (status = 409, description = "`conflict.stale_version`: it changed since the version I saw (another reviewer, an edit); `submission.not_reviewable`: the decision does not apply to it now", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` missing to reject", body = ErrorBody),
        AdminOnly, InScope, JsonBodyErrors,
    )
)]
#[post("/admin/submissions/{id}/review")]
async fn review_submission(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<SubmissionReview>,
) -> Reply<Submission> {
    let decided = Decided {
        decision: body.decision,
        reason: body.reason.as_deref(),
        version: body.version,
    };
    Ok(Json(
        service::review(&state.db, &admin, *id, &decided, ctx(&state)).await?,
    ))
}

/// Decide a page of submissions at once (the Sunday-evening queue): each item is decided or
/// refused on its own, exactly as `POST /admin/submissions/{id}/review` would, and answered
/// in order with the status and body it would have had.
#[utoipa::path(
    tag = "admin",
    request_body = BulkReview,
    responses(
        (status = 200, description = "One outcome per item", body = BulkOutcome),
        AdminOnly, JsonBodyErrors,
    )
)]
#[post("/admin/submissions/review")]
async fn bulk_review(
    state: State,
    admin: Admin,
    req: HttpRequest,
    body: ValidJson<BulkReview>,
) -> Reply<BulkOutcome> {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut results = Vec::with_capacity(body.items.len());
    for item in &body.items {
        let decided = Decided {
            decision: item.decision,
            reason: item.reason.as_deref(),
            version: item.version,
        };
        let outcome = service::review(&state.db, &admin, item.id, &decided, ctx(&state)).await;
        results.push(match outcome {
            Ok(submission) => ReviewOutcome {
                id: item.id,
                status: 200,
                submission: Some(submission),
                error: None,
            },
            Err(err) => {
                use actix_web::ResponseError;
                ReviewOutcome {
                    id: item.id,
                    status: err.status_code().as_u16(),
                    submission: None,
                    error: Some(err.body(lang)),
                }
            }
        });
    }
    Ok(Json(BulkOutcome { results }))
}
