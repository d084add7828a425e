//! Submissions: writing and editing them (with WeChat's content check), the feed, likes, and
//! review in one or two stages with a version deciding races. The final approval pays through
//! the ledger, adds volunteer hours, turns a site proposal into a hidden site, and the author
//! hears of every outcome in their inbox.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use entity::time::UtcTime;
use entity::{media, members, org_members, orgs, submission_likes, submissions};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::Admin;
use crate::auth::roles::Role;
use crate::auth::scope::{AdminScope, in_subtree};
use crate::clock::local_date;
use crate::db::{Db, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::media::service::{self as media_service, Holder};
use crate::notifications::service::{self as subscribe, Message, notify};
use crate::notifications::template::{data, fit};
use crate::points::dto::Source;
use crate::points::service::{Payout, award};
use crate::sites::dto::{NewSite, SiteCategory, SiteStatus};
use crate::wechat::WechatClient;
use crate::wechat::moderation::{SCENE_FORUM, SCENE_SOCIAL_LOG, Verdict, moderate};

use super::dto::{
    Author, FeedFilter, Likes, Moderation, NewSubmission, ProposedSite, ReviewDecision,
    ReviewFilter, ReviewStage, ServiceReport, Submission, SubmissionKind, SubmissionStatus,
};
use super::machine::{self, Decision, Stage, Status};

/// Images one submission holds at most.
const MAX_IMAGES: usize = 9;
/// A service report may be filed this long after the day.
const SERVICE_AGE: Days = Days::new(366);
/// The first background retry of an unchecked text waits this long; each next one twice as
/// long, up to an hour.
const RECHECK_FIRST: chrono::Duration = chrono::Duration::minutes(1);
/// Background checks of one text before it is left to a person (about a day of tries).
const RECHECK_TRIES: i32 = 30;

fn moderation_of(verdict: &Verdict) -> Moderation {
    match verdict {
        Verdict::Pass => Moderation::Pass,
        Verdict::Review(_) => Moderation::Review,
        Verdict::Risky(_) => Moderation::Risky,
        Verdict::Unchecked => Moderation::Unchecked,
        Verdict::Manual => Moderation::Manual,
        Verdict::Off => Moderation::Off,
    }
}

pub fn moderation_str(m: Moderation) -> &'static str {
    match m {
        Moderation::Pass => "pass",
        Moderation::Review => "review",
        Moderation::Risky => "risky",
        Moderation::Unchecked => "unchecked",
        Moderation::Manual => "manual",
        Moderation::Off => "off",
    }
}

fn parse_moderation(s: &str) -> Moderation {
    [
        Moderation::Pass,
        Moderation::Review,
        Moderation::Risky,
        Moderation::Unchecked,
        Moderation::Manual,
        Moderation::Off,
    ]
    .into_iter()
    .find(|m| moderation_str(*m) == s)
    .unwrap_or(Moderation::Manual)
}

fn status_dto(s: Status) -> SubmissionStatus {
    match s {
        Status::Pending => SubmissionStatus::Pending,
        Status::Approved => SubmissionStatus::Approved,
        Status::Featured => SubmissionStatus::Featured,
        Status::Rejected => SubmissionStatus::Rejected,
        Status::Withdrawn => SubmissionStatus::Withdrawn,
    }
}

pub fn status_of(s: SubmissionStatus) -> Status {
    match s {
        SubmissionStatus::Pending => Status::Pending,
        SubmissionStatus::Approved => Status::Approved,
        SubmissionStatus::Featured => Status::Featured,
        SubmissionStatus::Rejected => Status::Rejected,
        SubmissionStatus::Withdrawn => Status::Withdrawn,
    }
}

fn stage_of(s: ReviewStage) -> Stage {
    match s {
        ReviewStage::First => Stage::First,
        ReviewStage::Final => Stage::Final,
    }
}

/// WeChat's scene for the content check: a forum post, or a social log for picture posts.
fn scene(kind: SubmissionKind) -> u8 {
    match kind {
        SubmissionKind::PhotoStory | SubmissionKind::Video => SCENE_SOCIAL_LOG,
        _ => SCENE_FORUM,
    }
}

/// [`moderate`] for a submission's title and body.
pub async fn moderate_submission(
    wechat: &WechatClient,
    enabled: bool,
    openid: Option<&str>,
    new: &NewSubmission,
) -> Verdict {
    let scene = scene(new.kind);
    moderate(
        wechat,
        enabled,
        openid,
        scene,
        Some(&new.title),
        &checked_text(new),
    )
    .await
}

/// The wait before the next background check after `tries` failed ones: 1, 2, 4... minutes, at
/// most an hour.
fn recheck_delay(tries: i32) -> chrono::Duration {
    let minutes = RECHECK_FIRST.num_minutes() << tries.clamp(0, 6);
    chrono::Duration::minutes(std::cmp::min(minutes, 60))
}

/// Checks again, in the background, texts kept `unchecked` while WeChat was down: up to
/// `limit` whose time has come. Answers how many were looked at. Each is settled in its own
/// transaction, conditional on the version it was read at (an author's edit meanwhile ran its
/// own check).
pub async fn recheck_due(
    db: &Db,
    wechat: &WechatClient,
    ctx: Ctx<'_>,
    limit: u64,
) -> Result<usize, ApiError> {
    let due = submissions::Entity::find()
        .filter(submissions::Column::Moderation.eq(moderation_str(Moderation::Unchecked)))
        .filter(submissions::Column::ModerationNextAt.lte(UtcTime::from(ctx.now)))
        .order_by_asc(submissions::Column::ModerationNextAt)
        .limit(limit)
        .all(db.conn())
        .await?;
    // (The generated `Related<members>` of submissions runs through likes: ask by id.)
    let openids: HashMap<i64, String> = members::Entity::find()
        .filter(members::Column::Id.is_in(due.iter().map(|s| s.member_id)))
        .all(db.conn())
        .await?
        .into_iter()
        .filter_map(|m| Some((m.id, m.openid?)))
        .collect();
    let count = due.len();
    for row in due {
        let openid = openids.get(&row.member_id).cloned();
        let kind = SubmissionKind::parse(&row.kind);
        let text = row_text(&row);
        let verdict = moderate(
            wechat,
            true,
            openid.as_deref(),
            scene(kind),
            Some(&row.title),
            &text,
        )
        .await;
        if let Err(e) = settle(db, &row, &verdict, ctx).await {
            tracing::warn!(submission = row.id, error = %e, "settling a content re-check failed");
        }
    }
    Ok(count)
}

/// Writes a background check's verdict. Risky text is rejected if still pending, and sent back
/// to review if a reviewer approved it meanwhile; either way the author is told.
async fn settle(
    db: &Db,
    row: &submissions::Model,
    verdict: &Verdict,
    ctx: Ctx<'_>,
) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let mut update = submissions::Entity::update_many()
            .col_expr(
                submissions::Column::Moderation,
                Expr::value(moderation_str(moderation_of(verdict))),
            )
            .col_expr(
                submissions::Column::ModerationLabel,
                Expr::value(verdict.label()),
            );
        let status = Status::parse(&row.status);
        let mut outcome = None;
        match verdict {
            Verdict::Unchecked if row.moderation_tries + 1 >= RECHECK_TRIES => {
                // Given up: a person decides, as for any text WeChat cannot judge.
                update = update
                    .col_expr(
                        submissions::Column::Moderation,
                        Expr::value(moderation_str(Moderation::Manual)),
                    )
                    .col_expr(
                        submissions::Column::ModerationNextAt,
                        Expr::value(Option::<UtcTime>::None),
                    );
            }
            Verdict::Unchecked => {
                let next = UtcTime::from(ctx.now + recheck_delay(row.moderation_tries + 1));
                update = update
                    .col_expr(
                        submissions::Column::ModerationTries,
                        Expr::value(row.moderation_tries + 1),
                    )
                    .col_expr(submissions::Column::ModerationNextAt, Expr::value(next));
            }
            Verdict::Risky(label) if status != Status::Rejected && status != Status::Withdrawn => {
                let (status, stage, told) = if status == Status::Pending {
                    (Status::Rejected, None, "submission.rejected")
                } else {
                    (
                        Status::Pending,
                        Stage::entry(row.two_stage),
                        "submission.returned",
                    )
                };
                let reason = (status == Status::Rejected).then(|| risky_reason(Some(label)));
                update = update
                    .col_expr(submissions::Column::Status, Expr::value(status.as_str()))
                    .col_expr(
                        submissions::Column::Stage,
                        Expr::value(stage.map(|s| s.as_str())),
                    )
                    .col_expr(submissions::Column::RejectReason, Expr::value(reason))
                    .col_expr(submissions::Column::Version, Expr::value(row.version + 1))
                    .col_expr(
                        submissions::Column::ModerationNextAt,
                        Expr::value(Option::<UtcTime>::None),
                    )
                    .col_expr(
                        submissions::Column::UpdatedAt,
                        Expr::value(UtcTime::from(ctx.now)),
                    );
                outcome = Some(told);
            }
            _ => {
                update = update.col_expr(
                    submissions::Column::ModerationNextAt,
                    Expr::value(Option::<UtcTime>::None),
                );
            }
        }
        let done = update
            .filter(submissions::Column::Id.eq(row.id))
            .filter(submissions::Column::Version.eq(row.version))
            .filter(submissions::Column::Moderation.eq(moderation_str(Moderation::Unchecked)))
            .exec(tx.as_ref())
            .await?;
        if done.rows_affected == 1
            && let Some(outcome) = outcome
        {
            let saved = submissions::Entity::find_by_id(row.id)
                .one(tx.as_ref())
                .await?
                .ok_or(ApiError::NotFound)?;
            tell(&tx, &saved, outcome, ctx).await?;
        }
        Ok(())
    })
    .await
}

/// An image of the submission was found risky after the fact (WeChat's verdict arrives later):
/// the image is already hidden; the submission goes back to review, out of the feed, with the
/// flag shown to reviewers, and its author is told. Points already paid stay paid (once).
pub async fn send_back(
    tx: &DatabaseTransaction,
    id: i64,
    label: Option<&str>,
    ctx: Ctx<'_>,
) -> Result<(), ApiError> {
    let now = ctx.now;
    let Some(row) = submissions::Entity::find_by_id(id).one(tx).await? else {
        return Ok(());
    };
    let status = Status::parse(&row.status);
    if matches!(status, Status::Rejected | Status::Withdrawn) {
        return Ok(());
    }
    let label = format!("image:{}", label.unwrap_or(""));
    if status == Status::Pending {
        // Still waiting for a person: the image is gone and the flag shows; nothing returns.
        submissions::Entity::update_many()
            .col_expr(
                submissions::Column::Moderation,
                Expr::value(moderation_str(Moderation::Risky)),
            )
            .col_expr(submissions::Column::ModerationLabel, Expr::value(label))
            .filter(submissions::Column::Id.eq(id))
            .exec(tx)
            .await?;
        return Ok(());
    }
    let stage = Stage::entry(row.two_stage);
    let version = bump(tx, &row).await?;
    let mut back: submissions::ActiveModel = row.into();
    back.status = Set(Status::Pending.as_str().to_owned());
    back.stage = Set(stage.map(|s| s.as_str().to_owned()));
    back.version = Set(version);
    back.moderation = Set(moderation_str(Moderation::Risky).to_owned());
    back.moderation_label = Set(Some(label));
    back.published_at = Set(None);
    back.updated_at = Set(now.into());
    let saved = back.update(tx).await?;
    tell(tx, &saved, "submission.returned", ctx).await
}

/// Every text of a submission the feed shows, for the content check: the body, and a proposed
/// site's name and address or a service report's place.
fn checked_text(new: &NewSubmission) -> String {
    let mut text = new.body.clone();
    let extra = [
        new.site.as_ref().map(|s| s.name.as_str()),
        new.site.as_ref().and_then(|s| s.address.as_deref()),
        new.service.as_ref().map(|s| s.place.as_str()),
    ];
    for part in extra.into_iter().flatten() {
        text.push('\n');
        text.push_str(part);
    }
    text
}

/// [`checked_text`] of a stored submission.
fn row_text(row: &submissions::Model) -> String {
    let mut text = row.body.clone();
    for part in [&row.site_name, &row.address, &row.place]
        .into_iter()
        .flatten()
    {
        text.push('\n');
        text.push_str(part);
    }
    text
}

/// Why a risky text was refused, for its author.
fn risky_reason(label: Option<&str>) -> String {
    match label {
        Some(label) => format!("内容安全检测未通过（{label}）"),
        None => "内容安全检测未通过".to_owned(),
    }
}

/// The checks of a new or edited submission that need the database: who may post the kind,
/// the campaign and theme, the service date. Answers whether it takes two reviews.
async fn check(
    tx: &DatabaseTransaction,
    member_id: i64,
    roles: &[crate::auth::roles::RoleGrant],
    new: &NewSubmission,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<bool, ApiError> {
    let volunteers_only = matches!(
        new.kind,
        SubmissionKind::SiteProposal | SubmissionKind::VolunteerService
    );
    if volunteers_only && !roles.iter().any(|g| g.role == Role::Volunteer) {
        return Err(ApiError::Forbidden);
    }
    let kind_field = |field: &str, needed: bool, given: bool| match (needed, given) {
        (true, false) => Err(ApiError::field(field, FieldIssue::new("needed_for_kind"))),
        (false, true) => Err(ApiError::field(field, FieldIssue::new("not_for_kind"))),
        _ => Ok(()),
    };
    kind_field(
        "site",
        new.kind == SubmissionKind::SiteProposal,
        new.site.is_some(),
    )?;
    kind_field(
        "service",
        new.kind == SubmissionKind::VolunteerService,
        new.service.is_some(),
    )?;
    if let Some(service) = &new.service {
        let today = local_date(now, tz);
        if service.date > today || service.date < today - SERVICE_AGE {
            return Err(ApiError::field(
                "service.date",
                FieldIssue::new("date_range"),
            ));
        }
    }
    let Some(campaign_id) = new.campaign_id else {
        if new.theme.is_some() {
            return Err(ApiError::field("theme", FieldIssue::new("needs_campaign")));
        }
        return Ok(false);
    };
    // Another org's campaign is `not_found`, as if it did not exist.
    let campaign = crate::campaigns::service::get(tx, member_id, campaign_id, now).await?;
    if !campaign.active {
        return Err(ApiError::field(
            "campaign_id",
            FieldIssue::new("campaign_closed"),
        ));
    }
    if let Some(theme) = &new.theme
        && !campaign.themes.iter().any(|t| t == theme.trim())
    {
        return Err(ApiError::field("theme", FieldIssue::new("unknown_theme")));
    }
    Ok(campaign.two_stage_review)
}

/// Attaches the media and checks they fit the kind: up to 9 images, and a video exactly when
/// the kind is `video`; a photo story has at least one image.
async fn attach_media(
    tx: &DatabaseTransaction,
    member_id: i64,
    id: i64,
    new: &NewSubmission,
) -> Result<(), ApiError> {
    let taken = media_service::attach(
        tx,
        member_id,
        &new.media_ids,
        Holder::Submission(id),
        false,
        "media_ids",
    )
    .await?;
    let count = |kind: &str| taken.iter().filter(|m| m.kind == kind).count();
    let (images, videos) = (count("image"), count("video"));
    let fits = images + videos == taken.len()
        && images <= MAX_IMAGES
        && match new.kind {
            SubmissionKind::Video => videos == 1,
            SubmissionKind::PhotoStory => videos == 0 && images >= 1,
            _ => videos == 0,
        };
    if !fits {
        return Err(ApiError::field("media_ids", FieldIssue::new("media_kinds")));
    }
    Ok(())
}

/// The row's content columns from `new`, and the state a (re)submission enters with.
fn fill(
    row: &mut submissions::ActiveModel,
    new: &NewSubmission,
    verdict: &Verdict,
    two_stage: bool,
    now: DateTime<Utc>,
) {
    let site = new.site.as_ref();
    let service = new.service.as_ref();
    row.kind = Set(new.kind.as_str().to_owned());
    row.title = Set(new.title.trim().to_owned());
    row.body = Set(new.body.trim().to_owned());
    row.campaign_id = Set(new.campaign_id);
    row.theme = Set(new.theme.as_deref().map(|t| t.trim().to_owned()));
    row.site_name = Set(site.map(|s| s.name.trim().to_owned()));
    row.lat = Set(site.map(|s| s.lat));
    row.lng = Set(site.map(|s| s.lng));
    row.address = Set(site.and_then(|s| s.address.clone()));
    row.service_date = Set(service.map(|s| s.date));
    row.place = Set(service.map(|s| s.place.trim().to_owned()));
    row.service_minutes = Set(service.map(|s| (s.hours * 60.0).round() as i32));
    let risky = matches!(verdict, Verdict::Risky(_));
    let status = if risky {
        Status::Rejected
    } else {
        Status::Pending
    };
    row.status = Set(status.as_str().to_owned());
    row.stage = Set((!risky)
        .then(|| Stage::entry(two_stage))
        .flatten()
        .map(|s| s.as_str().to_owned()));
    row.two_stage = Set(two_stage);
    row.moderation = Set(moderation_str(moderation_of(verdict)).to_owned());
    row.moderation_label = Set(verdict.label());
    row.moderation_tries = Set(0);
    row.moderation_next_at =
        Set((*verdict == Verdict::Unchecked).then(|| (now + RECHECK_FIRST).into()));
    row.reject_reason = Set(risky.then(|| risky_reason(verdict.label().as_deref())));
    // A (re)submission starts a new review: no decision of an earlier round stands.
    row.first_reviewed_by = Set(None);
    row.first_reviewed_at = Set(None);
    row.reviewed_by = Set(None);
    row.reviewed_at = Set(None);
    row.updated_at = Set(now.into());
}

/// Who is writing: the member, their roles, their org.
pub struct Writer<'a> {
    pub member_id: i64,
    pub roles: &'a [crate::auth::roles::RoleGrant],
}

/// Context every read and write of submissions needs.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub public_url: &'a str,
    pub tz: Tz,
    pub now: DateTime<Utc>,
    /// The subscribe-message template review outcomes are also sent with, if any.
    pub review_template: Option<&'a str>,
}

impl<'a> Ctx<'a> {
    pub fn of(settings: &'a crate::config::Settings, now: DateTime<Utc>) -> Self {
        Ctx {
            public_url: &settings.media.public_url,
            tz: settings.timezone,
            now,
            review_template: settings.wechat.review_template.as_deref(),
        }
    }
}

/// A new submission, inside the caller's transaction (with its idempotency key). A risky text
/// is stored rejected at once, with the reason, so the author sees why and can edit it.
pub async fn create(
    tx: &DatabaseTransaction,
    writer: &Writer<'_>,
    new: &NewSubmission,
    verdict: &Verdict,
    ctx: Ctx<'_>,
) -> Result<Submission, ApiError> {
    let two_stage = check(tx, writer.member_id, writer.roles, new, ctx.now, ctx.tz).await?;
    let org_id = org_members::Entity::find_by_id(writer.member_id)
        .one(tx)
        .await?
        .map(|m| m.org_id);
    let mut row = submissions::ActiveModel {
        member_id: Set(writer.member_id),
        org_id: Set(org_id),
        version: Set(1),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        points_awarded: Set(0),
        likes: Set(0),
        published_at: Set(None),
        created_at: Set(ctx.now.into()),
        local_date: Set(Some(crate::clock::local_date(ctx.now, ctx.tz))),
        ..Default::default()
    };
    fill(&mut row, new, verdict, two_stage, ctx.now);
    let saved = row.insert(tx).await?;
    attach_media(tx, writer.member_id, saved.id, new).await?;
    if let Verdict::Risky(_) = verdict {
        tell(tx, &saved, "submission.rejected", ctx).await?;
    }
    one_view(tx, saved, Some(writer.member_id), false, ctx.public_url).await
}

/// The author replaces a pending or rejected submission (the full submission, as `PUT`
/// takes it): it is checked again and goes back to the start of review.
pub async fn update(
    db: &Db,
    writer: &Writer<'_>,
    id: i64,
    new: &NewSubmission,
    verdict: &Verdict,
    ctx: Ctx<'_>,
) -> Result<Submission, ApiError> {
    db.write(|tx| async move {
        let current = own(tx.as_ref(), writer.member_id, id).await?;
        if !machine::editable(Status::parse(&current.status)) {
            return Err(ApiError::NotEditable);
        }
        // Paid once (then sent back), it keeps what it was paid for.
        if current.paid_at.is_some() && !same_facts(&current, new) {
            return Err(ApiError::NotEditable);
        }
        let two_stage = check(&tx, writer.member_id, writer.roles, new, ctx.now, ctx.tz).await?;
        let version = bump(&tx, &current).await?;
        let mut row: submissions::ActiveModel = current.into();
        fill(&mut row, new, verdict, two_stage, ctx.now);
        row.version = Set(version);
        let saved = row.update(tx.as_ref()).await?;
        attach_media(&tx, writer.member_id, id, new).await?;
        if let Verdict::Risky(_) = verdict {
            tell(&tx, &saved, "submission.rejected", ctx).await?;
        }
        one_view(
            tx.as_ref(),
            saved,
            Some(writer.member_id),
            false,
            ctx.public_url,
        )
        .await
    })
    .await
}

/// The author takes a submission back (from any status but withdrawn; again is harmless). It
/// leaves the feed; points already paid stay paid.
pub async fn withdraw(
    db: &Db,
    member_id: i64,
    id: i64,
    ctx: Ctx<'_>,
) -> Result<Submission, ApiError> {
    db.write(|tx| async move {
        let current = own(tx.as_ref(), member_id, id).await?;
        if Status::parse(&current.status) == Status::Withdrawn {
            return one_view(tx.as_ref(), current, Some(member_id), false, ctx.public_url).await;
        }
        let version = bump(&tx, &current).await?;
        let mut row: submissions::ActiveModel = current.into();
        row.status = Set(Status::Withdrawn.as_str().to_owned());
        row.stage = Set(None);
        row.version = Set(version);
        row.updated_at = Set(ctx.now.into());
        let saved = row.update(tx.as_ref()).await?;
        one_view(tx.as_ref(), saved, Some(member_id), false, ctx.public_url).await
    })
    .await
}

/// Whether `new` keeps the kind and the facts a payout was reckoned on.
fn same_facts(row: &submissions::Model, new: &NewSubmission) -> bool {
    let site = new.site.as_ref();
    let service = new.service.as_ref();
    row.kind == new.kind.as_str()
        && row.lat == site.map(|s| s.lat)
        && row.lng == site.map(|s| s.lng)
        && row.service_date == service.map(|s| s.date)
        && row.service_minutes == service.map(|s| (s.hours * 60.0).round() as i32)
}

/// Moves `row` to its next version if it is still at the one read: the conditional update
/// that decides between an author's edit and a reviewer's decision racing it (409
/// `conflict.stale_version` for the loser). Answers the new version.
async fn bump(tx: &DatabaseTransaction, row: &submissions::Model) -> Result<i32, ApiError> {
    let done = submissions::Entity::update_many()
        .col_expr(submissions::Column::Version, Expr::value(row.version + 1))
        .filter(submissions::Column::Id.eq(row.id))
        .filter(submissions::Column::Version.eq(row.version))
        .exec(tx)
        .await?;
    if done.rows_affected != 1 {
        return Err(ApiError::StaleVersion);
    }
    Ok(row.version + 1)
}

/// One of the member's own submissions; anyone else's is `not_found`.
async fn own(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
) -> Result<submissions::Model, ApiError> {
    submissions::Entity::find_by_id(id)
        .filter(submissions::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

fn public_statuses() -> Vec<&'static str> {
    vec![Status::Approved.as_str(), Status::Featured.as_str()]
}

/// Rows as the API shows them: their media (not hidden), authors and whether `viewer` likes
/// each, fetched once for the page. `reviewer` adds the moderation fields.
async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<submissions::Model>,
    viewer: Option<i64>,
    reviewer: bool,
    public_url: &str,
) -> Result<Vec<Submission>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let mut media_of: HashMap<i64, Vec<media::Model>> = HashMap::new();
    for m in media::Entity::find()
        .filter(media::Column::AttachedKind.eq("submission"))
        .filter(media::Column::AttachedId.is_in(ids.clone()))
        .filter(media::Column::Status.eq("ready"))
        .all(conn)
        .await?
    {
        if let Some(id) = m.attached_id {
            media_of.entry(id).or_default().push(m);
        }
    }
    let author_ids: HashSet<i64> = rows.iter().map(|s| s.member_id).collect();
    let authors: HashMap<i64, members::Model> = members::Entity::find()
        .filter(members::Column::Id.is_in(author_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let liked: HashSet<i64> = match viewer {
        Some(viewer) => submission_likes::Entity::find()
            .filter(submission_likes::Column::MemberId.eq(viewer))
            .filter(submission_likes::Column::SubmissionId.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|l| l.submission_id)
            .collect(),
        None => HashSet::new(),
    };
    Ok(rows
        .into_iter()
        .map(|s| {
            let mut media = media_of.remove(&s.id).unwrap_or_default();
            media.sort_by_key(|m| m.attached_pos);
            let author = authors.get(&s.member_id);
            Submission {
                kind: SubmissionKind::parse(&s.kind),
                media: media
                    .into_iter()
                    .map(|m| media_service::view(m, public_url))
                    .collect(),
                site: s.site_name.clone().map(|name| ProposedSite {
                    name,
                    lat: s.lat.unwrap_or_default(),
                    lng: s.lng.unwrap_or_default(),
                    address: s.address.clone(),
                }),
                service: s.service_date.map(|date| ServiceReport {
                    date,
                    place: s.place.clone().unwrap_or_default(),
                    hours: f64::from(s.service_minutes.unwrap_or_default()) / 60.0,
                }),
                status: status_dto(Status::parse(&s.status)),
                stage: Stage::parse(s.stage.as_deref()).map(|st| match st {
                    Stage::First => ReviewStage::First,
                    Stage::Final => ReviewStage::Final,
                }),
                liked: liked.contains(&s.id),
                author: Author {
                    member_id: s.member_id,
                    nickname: author.and_then(|a| a.nickname.clone()),
                    avatar_url: author.and_then(|a| a.avatar_url.clone()),
                },
                moderation: reviewer.then(|| parse_moderation(&s.moderation)),
                moderation_label: if reviewer { s.moderation_label } else { None },
                id: s.id,
                title: s.title,
                body: s.body,
                campaign_id: s.campaign_id,
                theme: s.theme,
                version: s.version,
                reject_reason: s.reject_reason,
                points_awarded: s.points_awarded,
                likes: s.likes,
                org_id: s.org_id,
                created_at: s.created_at.into(),
                updated_at: s.updated_at.into(),
                published_at: s.published_at.map(Into::into),
            }
        })
        .collect())
}

async fn one_view(
    conn: &impl ConnectionTrait,
    row: submissions::Model,
    viewer: Option<i64>,
    reviewer: bool,
    public_url: &str,
) -> Result<Submission, ApiError> {
    views(conn, vec![row], viewer, reviewer, public_url)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// My submissions, newest first, in every status.
pub async fn mine(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
    public_url: &str,
) -> Result<Page<Submission>, ApiError> {
    let query = submissions::Entity::find().filter(submissions::Column::MemberId.eq(member_id));
    paged(conn, query, page, Some(member_id), false, public_url).await
}

async fn paged(
    conn: &impl ConnectionTrait,
    query: sea_orm::Select<submissions::Entity>,
    page: &PageQuery,
    viewer: Option<i64>,
    reviewer: bool,
    public_url: &str,
) -> Result<Page<Submission>, ApiError> {
    let rows = page
        .window(query, submissions::Column::Id, sea_orm::Order::Desc)?
        .all(conn)
        .await?;
    let (rows, next_cursor) = crate::http::paging::cut(rows, page.limit(), |s| s.id);
    Ok(Page {
        items: views(conn, rows, viewer, reviewer, public_url).await?,
        next_cursor,
    })
}

/// The public feed: approved and featured submissions, newest first.
pub async fn feed(
    conn: &impl ConnectionTrait,
    viewer: i64,
    filter: &FeedFilter,
    page: &PageQuery,
    public_url: &str,
) -> Result<Page<Submission>, ApiError> {
    let mut query =
        submissions::Entity::find().filter(submissions::Column::Status.is_in(public_statuses()));
    if let Some(campaign) = filter.campaign_id {
        query = query.filter(submissions::Column::CampaignId.eq(campaign));
    }
    if let Some(theme) = &filter.theme {
        query = query.filter(submissions::Column::Theme.eq(theme.trim()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(submissions::Column::Kind.eq(kind.as_str()));
    }
    paged(conn, query, page, Some(viewer), false, public_url).await
}

/// One submission: a public one, or one of mine.
pub async fn get(
    conn: &impl ConnectionTrait,
    viewer: i64,
    id: i64,
    public_url: &str,
) -> Result<Submission, ApiError> {
    let row = submissions::Entity::find_by_id(id)
        .filter(
            Condition::any()
                .add(submissions::Column::Status.is_in(public_statuses()))
                .add(submissions::Column::MemberId.eq(viewer)),
        )
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    one_view(conn, row, Some(viewer), false, public_url).await
}

/// Likes a public submission (once per member: a unique key; again is harmless) or, with
/// `like` false, takes the like back.
pub async fn like(
    db: &Db,
    member_id: i64,
    id: i64,
    like: bool,
    now: DateTime<Utc>,
) -> Result<Likes, ApiError> {
    db.write(|tx| async move {
        // The row first, locked: the like's foreign-key check would otherwise share-lock it
        // and two likers' counter updates deadlock (MariaDB).
        let mut row = submissions::Entity::find_by_id(id)
            .filter(submissions::Column::Status.is_in(public_statuses()));
        if tx.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            row = row.lock_exclusive();
        }
        row.one(tx.as_ref()).await?.ok_or(ApiError::NotFound)?;
        let changed = if like {
            let row = submission_likes::ActiveModel {
                submission_id: Set(id),
                member_id: Set(member_id),
                created_at: Set(now.into()),
            };
            insert_unless_duplicate(&tx, row).await?.is_some()
        } else {
            submission_likes::Entity::delete_many()
                .filter(submission_likes::Column::SubmissionId.eq(id))
                .filter(submission_likes::Column::MemberId.eq(member_id))
                .exec(tx.as_ref())
                .await?
                .rows_affected
                == 1
        };
        if changed {
            let step = if like { 1 } else { -1 };
            submissions::Entity::update_many()
                .col_expr(
                    submissions::Column::Likes,
                    Expr::col(submissions::Column::Likes).add(step),
                )
                .filter(submissions::Column::Id.eq(id))
                .exec(tx.as_ref())
                .await?;
        }
        let likes = submissions::Entity::find_by_id(id)
            .one(tx.as_ref())
            .await?
            .map_or(0, |s| s.likes);
        Ok(Likes { likes, liked: like })
    })
    .await
}

/// The reviewers' list in their scope, newest first. A platform admin also sees submissions
/// of members in no org.
pub async fn review_queue(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    filter: &ReviewFilter,
    page: &PageQuery,
    public_url: &str,
) -> Result<Page<Submission>, ApiError> {
    let mut query = submissions::Entity::find();
    let under = match filter.org_id {
        Some(org) => Some(scope.find_org(conn, org).await?.path),
        None => None,
    };
    if !scope.is_platform() || under.is_some() {
        query = query
            .join(JoinType::InnerJoin, submissions::Relation::Orgs.def())
            .filter(scope.filter(orgs::Column::Path));
        if let Some(path) = &under {
            query = query.filter(in_subtree(orgs::Column::Path, path));
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(submissions::Column::Status.eq(status_of(status).as_str()));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(submissions::Column::Stage.eq(stage_of(stage).as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(submissions::Column::Kind.eq(kind.as_str()));
    }
    if let Some(campaign) = filter.campaign_id {
        query = query.filter(submissions::Column::CampaignId.eq(campaign));
    }
    if let Some(moderation) = filter.moderation {
        query = query.filter(submissions::Column::Moderation.eq(moderation_str(moderation)));
    }
    paged(conn, query, page, None, true, public_url).await
}

/// A submission inside the reviewer's scope, with the author's org; `not_found` outside it.
async fn in_scope(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<(submissions::Model, Option<orgs::Model>), ApiError> {
    let (row, org) = submissions::Entity::find_by_id(id)
        .find_also_related(orgs::Entity)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let covered = scope.is_platform() || org.as_ref().is_some_and(|o| scope.covers(&o.path));
    if !covered {
        return Err(ApiError::NotFound);
    }
    Ok((row, org))
}

pub async fn review_get(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    public_url: &str,
) -> Result<Submission, ApiError> {
    let (row, _) = in_scope(conn, scope, id).await?;
    one_view(conn, row, None, true, public_url).await
}

/// Whether the reviewer sits above the author's org: the final stage's condition.
fn above(scope: &AdminScope, org: Option<&orgs::Model>) -> bool {
    match (scope, org) {
        (AdminScope::Platform, _) => true,
        (AdminScope::Orgs(_), None) => false,
        (AdminScope::Orgs(roots), Some(org)) => roots
            .iter()
            .any(|root| org.path.starts_with(root.as_str()) && org.path != *root),
    }
}

/// One review decision.
pub struct Decided<'a> {
    pub decision: ReviewDecision,
    pub reason: Option<&'a str>,
    pub version: i32,
}

/// Decides a submission. The `version` must be the current one (409 `conflict.stale_version`
/// otherwise), and the update is conditional on it, so of two reviewers deciding at once one
/// wins and the other is told. Nobody reviews their own; the final stage of a two-stage review
/// is for an admin above the author's org who did not decide the first. The final approval
/// pays the author through the ledger (once per submission, whatever happens after), adds a
/// service report's hours, turns a site proposal into a hidden site; every outcome goes to the
/// author's inbox; every decision is audited.
pub async fn review(
    db: &Db,
    admin: &Admin,
    id: i64,
    decided: &Decided<'_>,
    ctx: Ctx<'_>,
) -> Result<Submission, ApiError> {
    let decision = match decided.decision {
        ReviewDecision::Approve => Decision::Approve,
        ReviewDecision::Reject => Decision::Reject,
        ReviewDecision::Feature => Decision::Feature,
    };
    if decision == Decision::Reject && decided.reason.is_none() {
        return Err(ApiError::field("reason", FieldIssue::new("required")));
    }
    db.write(|tx| async move {
        let (row, org) = in_scope(tx.as_ref(), &admin.scope, id).await?;
        if row.member_id == admin.member_id {
            return Err(ApiError::OwnItem);
        }
        if row.version != decided.version {
            return Err(ApiError::StaleVersion);
        }
        let (status, stage) = (
            Status::parse(&row.status),
            Stage::parse(row.stage.as_deref()),
        );
        let step = machine::review(status, stage, decision).ok_or(ApiError::NotReviewable)?;
        // The final stage, and featuring (a final decision too) under two-stage review.
        let final_stage =
            stage == Some(Stage::Final) || (row.two_stage && decision == Decision::Feature);
        if final_stage
            && (!above(&admin.scope, org.as_ref())
                || row.first_reviewed_by == Some(admin.member_id))
        {
            return Err(ApiError::ReviewStage);
        }
        let now = UtcTime::from(ctx.now);
        let mut update = submissions::Entity::update_many()
            .col_expr(
                submissions::Column::Status,
                Expr::value(step.status.as_str()),
            )
            .col_expr(
                submissions::Column::Stage,
                Expr::value(step.stage.map(|s| s.as_str())),
            )
            .col_expr(submissions::Column::Version, Expr::value(row.version + 1))
            .col_expr(submissions::Column::UpdatedAt, Expr::value(now));
        if stage == Some(Stage::First) {
            update = update
                .col_expr(
                    submissions::Column::FirstReviewedBy,
                    Expr::value(admin.member_id),
                )
                .col_expr(submissions::Column::FirstReviewedAt, Expr::value(now));
        }
        if step.stage.is_none() {
            update = update
                .col_expr(
                    submissions::Column::ReviewedBy,
                    Expr::value(admin.member_id),
                )
                .col_expr(submissions::Column::ReviewedAt, Expr::value(now));
        }
        if decision == Decision::Reject {
            update = update.col_expr(
                submissions::Column::RejectReason,
                Expr::value(decided.reason.map(|r| r.trim().to_owned())),
            );
        }
        if step.finally_approves {
            update = update.col_expr(submissions::Column::PublishedAt, Expr::value(now));
        }
        let done = update
            .filter(submissions::Column::Id.eq(id))
            .filter(submissions::Column::Version.eq(row.version))
            .exec(tx.as_ref())
            .await?;
        if done.rows_affected != 1 {
            return Err(ApiError::StaleVersion);
        }
        let mut saved = submissions::Entity::find_by_id(id)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        if step.finally_approves {
            saved.points_awarded = approve(&tx, admin.member_id, &saved, ctx).await?;
        }
        tell(&tx, &saved, step.outcome, ctx).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: admin.member_id,
                action: "submission.review",
                entity_type: "submission",
                entity_id: id,
                scope_path: org.as_ref().map(|o| o.path.as_str()),
                before: Some(
                    json!({"status": row.status, "stage": row.stage, "version": row.version}),
                ),
                after: Some(json!({
                    "status": saved.status, "stage": saved.stage, "version": saved.version,
                    "reason": decided.reason, "points_awarded": saved.points_awarded,
                })),
            },
            ctx.now,
        )
        .await?;
        one_view(tx.as_ref(), saved, None, true, ctx.public_url).await
    })
    .await
}

/// What the final approval does besides the status; answers the points paid. The ledger's
/// unique source id makes it once per submission: approved again after an image sent it back,
/// it pays nothing, adds no hours and makes no second site.
async fn approve(
    tx: &DatabaseTransaction,
    actor: i64,
    row: &submissions::Model,
    ctx: Ctx<'_>,
) -> Result<i32, ApiError> {
    // Once per submission, whatever its kind became: approved again after being sent back (and
    // maybe edited into another kind), it pays nothing, adds no hours, makes no site.
    let first = submissions::Entity::update_many()
        .col_expr(
            submissions::Column::PaidAt,
            Expr::value(UtcTime::from(ctx.now)),
        )
        .filter(submissions::Column::Id.eq(row.id))
        .filter(submissions::Column::PaidAt.is_null())
        .exec(tx)
        .await?;
    if first.rows_affected != 1 {
        return Ok(row.points_awarded);
    }
    // The member's row first: the payout's rows and the hours below all touch it, and two
    // approvals for one volunteer must queue rather than deadlock (MariaDB).
    crate::members::service::lock(tx, row.member_id).await?;
    let kind = SubmissionKind::parse(&row.kind);
    let (source, units) = match (kind, row.service_minutes) {
        (SubmissionKind::VolunteerService, Some(minutes)) => {
            (Source::VolunteerService, std::cmp::max(minutes / 60, 1))
        }
        _ => (Source::Submission, 1),
    };
    let source_id = row.id.to_string();
    let paid = award(
        tx,
        Payout {
            member_id: row.member_id,
            source,
            source_id: &source_id,
            units,
            local_date: local_date(ctx.now, ctx.tz),
            note: Some(&row.title),
        },
        ctx.now,
    )
    .await?;
    if let Some(minutes) = row.service_minutes {
        members::Entity::update_many()
            .col_expr(
                members::Column::VolunteerMinutes,
                Expr::col(members::Column::VolunteerMinutes).add(i64::from(minutes)),
            )
            .filter(members::Column::Id.eq(row.member_id))
            .exec(tx)
            .await?;
    }
    if kind == SubmissionKind::SiteProposal
        && let (Some(name), Some(lat), Some(lng)) = (&row.site_name, row.lat, row.lng)
    {
        let site = NewSite {
            name: name.clone(),
            description: Some(row.body.clone()),
            address: row.address.clone(),
            region: None,
            category: SiteCategory::Other,
            lat,
            lng,
            radius_m: None,
            opening_hours: None,
            cover_media_id: None,
            status: Some(SiteStatus::Hidden),
        };
        crate::sites::service::insert(tx, actor, &site, ctx.now).await?;
    }
    submissions::Entity::update_many()
        .col_expr(submissions::Column::PointsAwarded, Expr::value(paid.points))
        .filter(submissions::Column::Id.eq(row.id))
        .exec(tx)
        .await?;
    Ok(paid.points)
}

/// Tells the author what became of their submission: in the inbox, and by a WeChat subscribe
/// message if a review template is configured and they hold a credit for it.
async fn tell(
    tx: &DatabaseTransaction,
    row: &submissions::Model,
    outcome: &str,
    ctx: Ctx<'_>,
) -> Result<(), ApiError> {
    let title = &row.title;
    let (headline, body, phrase, note) = match outcome {
        "submission.first_passed" => (
            "投稿通过初选",
            format!("《{title}》已通过初选，等待终选。"),
            "初审通过",
            "等待终审".to_owned(),
        ),
        "submission.approved" => (
            "投稿已通过审核",
            format!(
                "《{title}》已通过审核并发布，获得 {} 积分。",
                row.points_awarded
            ),
            "已通过",
            format!("获得{}积分", row.points_awarded),
        ),
        "submission.featured" => (
            "投稿被评为优秀",
            format!("《{title}》被评为优秀作品。"),
            "优秀",
            "被评为优秀作品".to_owned(),
        ),
        "submission.returned" => (
            "投稿重新进入审核",
            format!("《{title}》的内容未通过安全检测，已退回重新审核。"),
            "重新审核",
            "内容未通过安全检测".to_owned(),
        ),
        _ => {
            let reason = row.reject_reason.as_deref().unwrap_or("");
            (
                "投稿未通过审核",
                format!("《{title}》未通过审核：{reason}。可修改后重新提交。"),
                "未通过",
                reason.to_owned(),
            )
        }
    };
    notify(
        tx,
        Message {
            member_id: row.member_id,
            kind: outcome,
            title: headline,
            body: &body,
            subject_kind: "submission",
            subject_id: row.id,
        },
        ctx.now,
    )
    .await?;
    let Some(template) = ctx.review_template else {
        return Ok(());
    };
    let when = ctx
        .now
        .with_timezone(&ctx.tz)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let fields = [
        ("thing1", fit(title, 20)),
        ("phrase2", phrase.to_owned()),
        ("time3", when),
        (
            "thing4",
            fit(
                if note.trim().is_empty() {
                    headline
                } else {
                    &note
                },
                20,
            ),
        ),
    ];
    match data(&fields) {
        Ok(data) => {
            let message = json!({
                "template_id": template,
                "page": format!("pages/submission/detail?id={}", row.id),
                "data": data,
            });
            subscribe::queue(tx, row.member_id, template, message, ctx.now).await?;
        }
        Err(key) => tracing::warn!(
            submission = row.id,
            field = key,
            "a subscribe message field does not fit its template; not sent"
        ),
    }
    Ok(())
}
