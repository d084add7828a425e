//! `Idempotency-Key`, as API.md has it, for any POST that opts in: take an [`IdempotencyKey`]
//! and run the work through [`once`]. The same member and key within 24 h replay the first
//! successful answer and do nothing; a failed attempt is forgotten (the retry runs afresh); the
//! same key with another request is 422 `idempotency.key_reused`.
//!
//! The key row, the work and the stored answer commit in one transaction, so no crash can leave
//! a key whose retry does the work twice, and a failed attempt leaves no key at all. A
//! concurrent duplicate waits on the key's unique index until the first commits, then replays
//! its answer (or, if the first failed, runs afresh): it never sees a half-done request.
use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_keys;
use entity::time::UtcTime;
use futures_util::future::{LocalBoxFuture, ready};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;
use serde_json::Value;
use sha2::Digest;

use crate::db::{Db, Tx, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};

const REPLAY_WINDOW: Duration = Duration::hours(24);
const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

/// The request's `Idempotency-Key` (if any) and what it is attached to: method and path.
pub struct IdempotencyKey {
    key: Option<String>,
    target: String,
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A bad key is answered only after the auth extractor has decided (see `gate`).
        let auth_decided = super::gate::decided(req);
        let refused = || -> Self::Future {
            let issue = FieldIssue::new("idempotency_key").with("max", 128);
            Box::pin(async move {
                auth_decided.await;
                Err(ApiError::field("Idempotency-Key", issue))
            })
        };
        let key = match req.headers().get("idempotency-key").map(|v| v.to_str()) {
            None => None,
            // Not visible ASCII: refused, never silently ignored (a retry would then pay twice).
            Some(Err(_)) => return refused(),
            Some(Ok(k)) => Some(k.trim().to_owned()).filter(|k| !k.is_empty()),
        };
        if key.as_ref().is_some_and(|k| k.len() > 128) {
            return refused();
        }
        let target = format!("{} {}", req.method(), req.path());
        Box::pin(ready(Ok(IdempotencyKey { key, target })))
    }
}

/// Runs `work` in one write transaction, together with the key (if any): at most once for the
/// key, or a replay of the answer stored the first time. `work` answers the success status
/// and body; it may run more than once if the database asks for a retry (a deadlock), always in
/// a fresh transaction.
pub async fn once<T, F, Fut>(
    db: &Db,
    member_id: i64,
    key: &IdempotencyKey,
    body_fingerprint: &str,
    now: DateTime<Utc>,
    status: StatusCode,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: Fn(Tx) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let fingerprint = hex::encode(sha2::Sha256::digest(format!(
        "{}\n{body_fingerprint}",
        key.target
    )));
    let (fingerprint, work) = (&fingerprint, &work);
    let (status, body, replayed) = db
        .write(|tx| async move {
            if let Some(k) = key.key.as_deref()
                && let Some((status, body)) = claim(&tx, member_id, k, fingerprint, now).await?
            {
                return Ok((status, body, true));
            }
            let body =
                serde_json::to_value(work(tx.clone()).await?).map_err(anyhow::Error::from)?;
            if let Some(k) = key.key.as_deref() {
                store(&tx, member_id, k, status, &body).await?;
            }
            Ok((status, body, false))
        })
        .await?;
    let mut res = HttpResponse::build(status);
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    Ok(res.json(body))
}

/// Takes the key for this request inside its transaction, or returns the answer to replay. On
/// PostgreSQL and MySQL a concurrent first attempt holds the key's index entry until it
/// commits, so this waits for it; on SQLite the write lock already orders them.
async fn claim(
    tx: &DatabaseTransaction,
    member_id: i64,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<(StatusCode, Value)>, ApiError> {
    let fresh = idempotency_keys::ActiveModel {
        member_id: Set(member_id),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        state: Set(IN_PROGRESS.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now.into()),
    };
    if insert_unless_duplicate(tx, fresh.clone()).await?.is_some() {
        return Ok(None);
    }
    // An expired key is new again. Conditional, so that of two requests renewing it one wins
    // and the other (waiting on the row) finds it renewed and done, and replays.
    let renewed = idempotency_keys::Entity::update_many()
        .set(fresh)
        .filter(idempotency_keys::Column::MemberId.eq(member_id))
        .filter(idempotency_keys::Column::Key.eq(key))
        .filter(idempotency_keys::Column::CreatedAt.lte(UtcTime::from(now - REPLAY_WINDOW)))
        .exec(tx)
        .await?;
    if renewed.rows_affected == 1 {
        return Ok(None);
    }
    let held = idempotency_keys::Entity::find_by_id((member_id, key.to_owned()))
        .one(tx)
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
            let status = u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            let body = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
            Ok(Some((status, body)))
        }
        // Only a committed key is visible to another transaction, and it is committed done.
        _ => Err(anyhow::anyhow!("an idempotency key is visible but not done").into()),
    }
}

/// Deletes keys past the replay window; run now and then by the server (every instance may:
/// deleting what another deleted is harmless). A write of its own, not part of any request's,
/// where on MySQL it would wait on the member's in-flight keys.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<u64, ApiError> {
    db.write(|tx| async move {
        let gone = idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::CreatedAt.lte(UtcTime::from(now - REPLAY_WINDOW)))
            .exec(tx.as_ref())
            .await?;
        Ok(gone.rows_affected)
    })
    .await
}

/// Stores the answer beside the key, in the work's transaction.
async fn store(
    tx: &DatabaseTransaction,
    member_id: i64,
    key: &str,
    status: StatusCode,
    body: &Value,
) -> Result<(), ApiError> {
    idempotency_keys::ActiveModel {
        member_id: Set(member_id),
        key: Set(key.to_owned()),
        state: Set(DONE.to_owned()),
        response_status: Set(Some(i32::from(status.as_u16()))),
        response_body: Set(Some(body.to_string())),
        ..Default::default()
    }
    .update(tx)
    .await?;
    Ok(())
}
