//! `Idempotency-Key`, as API.md has it, for any POST that opts in: take an [`IdempotencyKey`]
//! and run the work through [`once`]. The same member and key within 24 h replay the first
//! successful answer and do nothing; a failed attempt is forgotten (the retry runs afresh); the
//! same key with another request is 422 `idempotency.key_reused`; while the first still runs,
//! 409 `idempotency.in_progress`.
//!
//! The claim is committed before the work, so a concurrent duplicate sees it. A process that
//! dies mid-work leaves a claim that goes stale after two minutes, so the phone's retry is not
//! blocked for a day; the features' own unique keys (one check-in per site and day, one payout
//! per source) keep that retry from doing anything twice.
use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_keys;
use futures_util::future::{Ready, ready};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::Digest;

use crate::db::{Db, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};

const REPLAY_WINDOW: Duration = Duration::hours(24);
const STALE_CLAIM: Duration = Duration::minutes(2);
const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

/// The request's `Idempotency-Key` (if any) and what it is attached to: method and path.
pub struct IdempotencyKey {
    key: Option<String>,
    target: String,
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| v.to_str().map(str::trim).unwrap_or_default().to_owned())
            .filter(|k| !k.is_empty());
        if key
            .as_ref()
            .is_some_and(|k| k.chars().count() > 128 || !k.is_ascii())
        {
            let issue = FieldIssue::new("length").with("max", 128);
            return ready(Err(ApiError::field("Idempotency-Key", issue)));
        }
        let target = format!("{} {}", req.method(), req.path());
        ready(Ok(IdempotencyKey { key, target }))
    }
}

enum Claim {
    Mine,
    Replay(StatusCode, Value),
}

/// Runs `work` (which answers a status and a JSON body) at most once for the key, or replays.
pub async fn once<F, Fut>(
    db: &Db,
    member_id: i64,
    key: &IdempotencyKey,
    body_fingerprint: &str,
    now: DateTime<Utc>,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let Some(k) = key.key.as_deref() else {
        let (status, body) = work().await?;
        return Ok(HttpResponse::build(status).json(body));
    };
    let fingerprint = hex::encode(sha2::Sha256::digest(format!(
        "{}\n{body_fingerprint}",
        key.target
    )));
    if let Claim::Replay(status, body) = claim(db, member_id, k, &fingerprint, now).await? {
        return Ok(HttpResponse::build(status)
            .insert_header(("idempotent-replayed", "true"))
            .json(body));
    }
    match work().await {
        Ok((status, body)) if status.is_success() => {
            let mut row = idempotency_keys::ActiveModel {
                member_id: Set(member_id),
                key: Set(k.to_owned()),
                ..Default::default()
            };
            row.state = Set(DONE.to_owned());
            row.response_status = Set(Some(i32::from(status.as_u16())));
            row.response_body = Set(Some(body.to_string()));
            row.update(db.conn()).await?;
            Ok(HttpResponse::build(status).json(body))
        }
        outcome => {
            forget(db, member_id, k).await;
            let (status, body) = outcome?;
            Ok(HttpResponse::build(status).json(body))
        }
    }
}

/// Claims the key for this request, or says what to answer instead.
async fn claim(
    db: &Db,
    member_id: i64,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, ApiError> {
    db.write(|tx| async move {
        // Expired keys of this member go first: the table holds a day of keys at most.
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::MemberId.eq(member_id))
            .filter(idempotency_keys::Column::CreatedAt.lte(now - REPLAY_WINDOW))
            .exec(tx.as_ref())
            .await?;
        let fresh = idempotency_keys::ActiveModel {
            member_id: Set(member_id),
            key: Set(key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            state: Set(IN_PROGRESS.to_owned()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
        };
        if insert_unless_duplicate(&tx, fresh.clone()).await?.is_some() {
            return Ok(Claim::Mine);
        }
        let held = idempotency_keys::Entity::find_by_id((member_id, key.to_owned()))
            .one(tx.as_ref())
            .await?
            .ok_or_else(|| anyhow::anyhow!("an idempotency key conflicted but is not there"))?;
        if held.fingerprint != fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        match (
            held.state.as_str(),
            held.response_status,
            held.response_body,
        ) {
            (DONE, Some(status), Some(body)) => {
                let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(200))
                    .unwrap_or(StatusCode::OK);
                Ok(Claim::Replay(
                    status,
                    serde_json::from_str(&body).unwrap_or(Value::Null),
                ))
            }
            _ if held.created_at <= now - STALE_CLAIM => {
                fresh.update(tx.as_ref()).await?;
                Ok(Claim::Mine)
            }
            _ => Err(ApiError::IdempotencyInProgress),
        }
    })
    .await
}

/// Drops a claim whose work failed, so a retry runs afresh. Best effort: if this fails too, the
/// claim goes stale in two minutes.
async fn forget(db: &Db, member_id: i64, key: &str) {
    let deleted = idempotency_keys::Entity::delete_by_id((member_id, key.to_owned()))
        .exec(db.conn())
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}
