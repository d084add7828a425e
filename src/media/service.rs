//! Receiving an upload into storage, recording it, serving it, and attaching media to the
//! things members make.
use std::collections::HashSet;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use entity::media;
use entity::time::UtcTime;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::Digest;
use tokio::sync::Semaphore;

use crate::config::MediaSettings;
use crate::db::Db;
use crate::error::{ApiError, FieldIssue};
use crate::storage::Storage;
use crate::wechat::moderation::SCENE_SOCIAL_LOG;
use crate::wechat::{WechatClient, WechatError};

use super::dto::{Medium, MediumKind};
use super::process::{self, CleanImage, ImageProblem, Kind, PixelLimits, SNIFF_BYTES, Sniffed};

const READY: &str = "ready";
/// Where served files live in the API.
const FILES_PATH: &str = "/api/v1/media/files/";
const THUMB_SUFFIX: &str = ".thumb.jpg";

/// Images decoded at once: decoding is CPU- and memory-heavy, so more uploads wait their turn
/// instead of all decoding together (a resource bound of this process, not an invariant).
static DECODES: Semaphore = Semaphore::const_new(2);

/// What a thing's media are attached as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Checkin(i64),
    Avatar(i64),
    Submission(i64),
}

impl Holder {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Holder::Checkin(id) => ("checkin", id),
            Holder::Avatar(id) => ("avatar", id),
            Holder::Submission(id) => ("submission", id),
        }
    }
}

/// A file in storage, not yet recorded.
pub struct Received {
    token: String,
    kind: Kind,
    content_type: &'static str,
    ext: &'static str,
    size: usize,
    dimensions: Option<(u32, u32)>,
    /// SHA-256 of the bytes as uploaded: an idempotent retry sends the same.
    pub fingerprint: String,
}

impl Received {
    fn name(&self) -> String {
        format!("{}.{}", self.token, self.ext)
    }

    fn thumb_name(&self) -> Option<String> {
        (self.kind == Kind::Image).then(|| format!("{}{THUMB_SUFFIX}", self.token))
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Reads an upload as it streams in and stores it. The first bytes decide the type (415
/// otherwise) and so the size limit, which is counted as the bytes arrive (413 past it, with
/// nothing kept). Images are cleaned ([`process::clean_image`]) and stored with a thumbnail;
/// video and audio go to storage in parts as they arrive.
pub async fn receive(
    storage: &Storage,
    settings: &MediaSettings,
    chunks: impl Stream<Item = Result<Bytes, ApiError>> + Unpin,
) -> Result<Received, ApiError> {
    let mut chunks = chunks;
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES {
        match chunks.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    let sniffed = process::sniff(&head).ok_or(ApiError::UnsupportedFileType)?;
    let limit = match sniffed.kind {
        Kind::Image => settings.max_image_bytes,
        Kind::Video => settings.max_video_bytes,
        Kind::Audio => settings.max_audio_bytes,
    };
    if head.len() > limit {
        return Err(too_large(limit));
    }
    let mut hasher = sha2::Sha256::new();
    hasher.update(&head);
    let token = new_token();
    match sniffed.kind {
        Kind::Image => {
            let mut bytes = head;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                if bytes.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                hasher.update(&chunk);
                bytes.extend_from_slice(&chunk);
            }
            let limits = PixelLimits {
                max_pixels: settings.max_pixels,
                max_side: settings.max_side,
            };
            let clean = clean(bytes, sniffed, limits).await?;
            let received = Received {
                token,
                kind: Kind::Image,
                content_type: clean.content_type,
                ext: clean.ext,
                size: clean.bytes.len(),
                dimensions: Some((clean.width, clean.height)),
                fingerprint: hex::encode(hasher.finalize()),
            };
            storage.put(&received.name(), clean.bytes).await?;
            if let Some(thumb) = received.thumb_name()
                && let Err(e) = storage.put(&thumb, clean.thumb).await
            {
                storage.delete(&received.name()).await;
                return Err(e.into());
            }
            Ok(received)
        }
        kind => {
            let name = format!("{token}.{}", sniffed.ext);
            let mut upload = storage.upload(&name).await?;
            let mut size = 0usize;
            let mut next = Some(Ok(Bytes::from(head)));
            while let Some(chunk) = next {
                let step = match chunk {
                    Ok(chunk) => {
                        size += chunk.len();
                        if size > limit {
                            Err(too_large(limit))
                        } else {
                            hasher.update(&chunk);
                            upload.write(&chunk).await.map_err(ApiError::from)
                        }
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = step {
                    upload.abort().await;
                    return Err(e);
                }
                next = chunks.next().await;
            }
            upload.finish().await?;
            Ok(Received {
                token,
                kind,
                content_type: sniffed.content_type,
                ext: sniffed.ext,
                size,
                dimensions: None,
                fingerprint: hex::encode(hasher.finalize()),
            })
        }
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge { limit }
}

/// Cleans an image on the blocking pool, a few at a time.
async fn clean(
    bytes: Vec<u8>,
    sniffed: Sniffed,
    limits: PixelLimits,
) -> Result<CleanImage, ApiError> {
    let turn = DECODES
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("decode semaphore closed: {e}"))?;
    // The turn goes with the decoding itself: a request dropped meanwhile does not free it.
    let outcome = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        process::clean_image(&bytes, sniffed, limits)
    })
    .await
    .map_err(|_| ApiError::ImageUnreadable)?;
    outcome.map_err(|problem| match problem {
        ImageProblem::TooLarge => ApiError::ImageTooLarge {
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        },
        ImageProblem::Unreadable => ApiError::ImageUnreadable,
    })
}

/// Removes a received file that will not be recorded (a failed or replayed request).
pub async fn discard(storage: &Storage, received: &Received) {
    storage.delete(&received.name()).await;
    if let Some(thumb) = received.thumb_name() {
        storage.delete(&thumb).await;
    }
}

/// Records a received file as the member's medium.
/// With `to_check`, an image is recorded `unchecked` until WeChat takes it for checking (if
/// that never happens, the background re-check asks).
pub async fn record(
    tx: &DatabaseTransaction,
    owner_id: i64,
    received: &Received,
    to_check: bool,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Medium, ApiError> {
    let row = media::ActiveModel {
        owner_id: Set(owner_id),
        kind: Set(received.kind.as_str().to_owned()),
        content_type: Set(received.content_type.to_owned()),
        size: Set(received.size as i64),
        token: Set(received.token.clone()),
        ext: Set(received.ext.to_owned()),
        has_thumb: Set(received.thumb_name().is_some()),
        width: Set(received.dimensions.map(|(w, _)| w as i32)),
        height: Set(received.dimensions.map(|(_, h)| h as i32)),
        status: Set(READY.to_owned()),
        check_status: Set((to_check && received.kind == Kind::Image).then(|| UNCHECKED.to_owned())),
        check_trace_id: Set(None),
        attached_kind: Set(None),
        attached_id: Set(None),
        attached_pos: Set(None),
        created_at: Set(now.into()),
        hidden_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(view(row, public_url))
}

/// The URL a stored file is served at.
pub fn url(public_url: &str, name: &str) -> String {
    format!("{public_url}{FILES_PATH}{name}")
}

pub fn view(m: media::Model, public_url: &str) -> Medium {
    Medium {
        kind: match m.kind.as_str() {
            "video" => MediumKind::Video,
            "audio" => MediumKind::Audio,
            _ => MediumKind::Image,
        },
        url: url(public_url, &format!("{}.{}", m.token, m.ext)),
        thumb_url: m
            .has_thumb
            .then(|| url(public_url, &format!("{}{THUMB_SUFFIX}", m.token))),
        id: m.id,
        content_type: m.content_type,
        size: m.size,
        width: m.width,
        height: m.height,
        created_at: m.created_at.into(),
    }
}

/// A served file: what to answer with.
pub struct Served {
    pub content_type: String,
    pub etag: String,
    pub size: u64,
    pub body: BoxStream<'static, object_store::Result<Bytes>>,
}

/// The medium a served name belongs to, if it may be served: `{token}.{ext}` or
/// `{token}.thumb.jpg` of a medium that is not hidden.
pub async fn find_served(
    conn: &impl ConnectionTrait,
    name: &str,
) -> Result<(media::Model, bool), ApiError> {
    let (token, thumb) = match name.strip_suffix(THUMB_SUFFIX) {
        Some(token) => (token, true),
        None => (name.split('.').next().unwrap_or_default(), false),
    };
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
    }
    let medium = media::Entity::find()
        .filter(media::Column::Token.eq(token))
        .filter(media::Column::Status.eq(READY))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exact = if thumb {
        medium.has_thumb
    } else {
        name == format!("{}.{}", medium.token, medium.ext)
    };
    if !exact {
        return Err(ApiError::NotFound);
    }
    Ok((medium, thumb))
}

/// The ETag of a served name: its content never changes.
pub fn etag(medium: &media::Model, thumb: bool) -> String {
    format!("\"{}{}\"", medium.token, if thumb { "-t" } else { "" })
}

/// The bytes of a served name (see [`find_served`]).
pub async fn open(
    storage: &Storage,
    medium: media::Model,
    thumb: bool,
) -> Result<Served, ApiError> {
    let (name, content_type) = if thumb {
        (
            format!("{}{THUMB_SUFFIX}", medium.token),
            "image/jpeg".to_owned(),
        )
    } else {
        (
            format!("{}.{}", medium.token, medium.ext),
            medium.content_type.clone(),
        )
    };
    let (size, body) = storage.get(&name).await?.ok_or_else(|| {
        tracing::warn!(medium = medium.id, "a recorded medium's file is missing");
        ApiError::NotFound
    })?;
    Ok(Served {
        etag: etag(&medium, thumb),
        content_type,
        size,
        body,
    })
}

/// Attaches `ids` (in this order) to `holder`, and lets go of whatever else was attached to it.
/// Each must be the owner's, not hidden, and free or already `holder`'s; with `images_only`,
/// an image. Otherwise 422 on `field`, naming the id. A conditional update per medium decides,
/// so two requests cannot both take one medium.
pub async fn attach(
    tx: &DatabaseTransaction,
    owner_id: i64,
    ids: &[i64],
    holder: Holder,
    images_only: bool,
    field: &str,
) -> Result<Vec<media::Model>, ApiError> {
    let (kind, holder_id) = holder.parts();
    let unusable =
        |id: i64| ApiError::field(field, FieldIssue::new("media_unusable").with("id", id));
    let mut seen = HashSet::new();
    if let Some(id) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(ApiError::field(
            field,
            FieldIssue::new("duplicate").with("id", *id),
        ));
    }
    let held_here = Condition::all()
        .add(media::Column::AttachedKind.eq(kind))
        .add(media::Column::AttachedId.eq(holder_id));
    media::Entity::update_many()
        .col_expr(
            media::Column::AttachedKind,
            Expr::value(Option::<String>::None),
        )
        .col_expr(media::Column::AttachedId, Expr::value(Option::<i64>::None))
        .col_expr(media::Column::AttachedPos, Expr::value(Option::<i32>::None))
        .filter(held_here.clone())
        .filter(media::Column::Id.is_not_in(ids.to_vec()))
        .exec(tx)
        .await?;
    for (pos, id) in ids.iter().enumerate() {
        let mut free_or_here = Condition::any()
            .add(media::Column::AttachedKind.is_null())
            .add(held_here.clone());
        if images_only {
            free_or_here = Condition::all()
                .add(free_or_here)
                .add(media::Column::Kind.eq(Kind::Image.as_str()));
        }
        let taken = media::Entity::update_many()
            .col_expr(media::Column::AttachedKind, Expr::value(kind))
            .col_expr(media::Column::AttachedId, Expr::value(holder_id))
            .col_expr(media::Column::AttachedPos, Expr::value(pos as i32))
            .filter(media::Column::Id.eq(*id))
            .filter(media::Column::OwnerId.eq(owner_id))
            .filter(media::Column::Status.eq(READY))
            .filter(free_or_here)
            .exec(tx)
            .await?;
        if taken.rows_affected != 1 {
            return Err(unusable(*id));
        }
    }
    attached(tx, holder).await
}

/// What is attached to `holder`, in order (hidden media too: callers decide what to show).
pub async fn attached(
    conn: &impl ConnectionTrait,
    holder: Holder,
) -> Result<Vec<media::Model>, ApiError> {
    let (kind, id) = holder.parts();
    Ok(media::Entity::find()
        .filter(media::Column::AttachedKind.eq(kind))
        .filter(media::Column::AttachedId.eq(id))
        .order_by_asc(media::Column::AttachedPos)
        .all(conn)
        .await?)
}

const HIDDEN: &str = "hidden";

/// Asks WeChat to check a new image as its uploader sees it (WeChat fetches it from its URL,
/// so the media URLs must be public). The trace id is kept to match the verdict WeChat pushes
/// later. If WeChat cannot be reached the image is marked `unchecked` and asked about again by
/// [`recheck_images`]; if WeChat refuses the request itself, a person is left to judge.
pub async fn request_check(
    db: &Db,
    wechat: &WechatClient,
    received: &Received,
    openid: &str,
    public_url: &str,
) -> Result<(), ApiError> {
    if received.kind != Kind::Image {
        return Ok(());
    }
    ask(
        db,
        wechat,
        &received.token,
        &received.name(),
        openid,
        public_url,
    )
    .await
}

async fn ask(
    db: &Db,
    wechat: &WechatClient,
    token: &str,
    name: &str,
    openid: &str,
    public_url: &str,
) -> Result<(), ApiError> {
    let url = url(public_url, name);
    let (status, trace) = match wechat.check_image(openid, SCENE_SOCIAL_LOG, &url).await {
        Ok(trace) => ("pending", Some(trace)),
        Err(e @ WechatError::Api { .. }) => {
            tracing::warn!(error = %e, "WeChat would not check an image; a person will");
            ("manual", None)
        }
        Err(e) => {
            tracing::warn!(error = %e, "asking WeChat to check an image failed; asking later");
            (UNCHECKED, None)
        }
    };
    let trace = &trace;
    db.write(|tx| async move {
        media::Entity::update_many()
            .col_expr(media::Column::CheckStatus, Expr::value(status))
            .col_expr(media::Column::CheckTraceId, Expr::value(trace.clone()))
            .filter(media::Column::Token.eq(token))
            .exec(tx.as_ref())
            .await?;
        Ok(())
    })
    .await
}

const UNCHECKED: &str = "unchecked";

/// Asks WeChat again about images it could not be asked about at upload, up to `limit`.
/// Answers how many were asked about.
pub async fn recheck_images(
    db: &Db,
    wechat: &WechatClient,
    public_url: &str,
    limit: u64,
) -> Result<usize, ApiError> {
    let due = media::Entity::find()
        .filter(media::Column::CheckStatus.eq(UNCHECKED))
        .filter(media::Column::Status.eq(READY))
        .limit(limit)
        .all(db.conn())
        .await?;
    let openids: std::collections::HashMap<i64, String> = entity::members::Entity::find()
        .filter(entity::members::Column::Id.is_in(due.iter().map(|m| m.owner_id)))
        .all(db.conn())
        .await?
        .into_iter()
        .filter_map(|m| Some((m.id, m.openid?)))
        .collect();
    for m in &due {
        if let Some(openid) = openids.get(&m.owner_id) {
            let name = format!("{}.{}", m.token, m.ext);
            ask(db, wechat, &m.token, &name, openid, public_url).await?;
        }
    }
    Ok(due.len())
}

/// Records WeChat's verdict on the image it checked under `trace_id`, once (a repeated push
/// finds it decided). A risky image is hidden: no longer served, left out wherever it was
/// shown. Answers the medium when this verdict hid it.
pub async fn record_verdict(
    tx: &DatabaseTransaction,
    trace_id: &str,
    risky: bool,
    now: DateTime<Utc>,
) -> Result<Option<media::Model>, ApiError> {
    let mut update = media::Entity::update_many().col_expr(
        media::Column::CheckStatus,
        Expr::value(if risky { "risky" } else { "pass" }),
    );
    if risky {
        update = update
            .col_expr(media::Column::Status, Expr::value(HIDDEN))
            .col_expr(media::Column::HiddenAt, Expr::value(UtcTime::from(now)));
    }
    let done = update
        .filter(media::Column::CheckTraceId.eq(trace_id))
        .filter(media::Column::CheckStatus.eq("pending"))
        .exec(tx)
        .await?;
    if done.rows_affected == 0 || !risky {
        return Ok(None);
    }
    Ok(media::Entity::find()
        .filter(media::Column::CheckTraceId.eq(trace_id))
        .one(tx)
        .await?)
}

impl Holder {
    /// What a medium is attached to, if anything.
    pub fn of(medium: &media::Model) -> Option<Self> {
        match (medium.attached_kind.as_deref(), medium.attached_id) {
            (Some("checkin"), Some(id)) => Some(Holder::Checkin(id)),
            (Some("avatar"), Some(id)) => Some(Holder::Avatar(id)),
            (Some("submission"), Some(id)) => Some(Holder::Submission(id)),
            _ => None,
        }
    }
}

/// Uploads never attached within this long are removed (a member who gave up on a post).
const UNATTACHED_FOR: chrono::Duration = chrono::Duration::hours(24);

/// Removes media nobody attached within a day, files and rows, up to `limit` at a time. Safe
/// on every instance at once: a row goes only while still unattached, its files after.
pub async fn sweep_unattached(
    db: &Db,
    storage: &Storage,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<usize, ApiError> {
    // Site covers name a medium by id, and admins' uploads may sit in articles by URL: those
    // have no holder yet, so only members' plain uploads are swept.
    let covers = Query::select()
        .column(entity::sites::Column::CoverMediaId)
        .from(entity::sites::Entity)
        .and_where(Expr::col(entity::sites::Column::CoverMediaId).is_not_null())
        .to_owned();
    let admins = Query::select()
        .column(entity::member_roles::Column::MemberId)
        .from(entity::member_roles::Entity)
        .and_where(
            Expr::col(entity::member_roles::Column::Role).is_in(["org_admin", "platform_admin"]),
        )
        .to_owned();
    let stale = media::Entity::find()
        .filter(media::Column::AttachedKind.is_null())
        .filter(media::Column::CreatedAt.lt(UtcTime::from(now - UNATTACHED_FOR)))
        .filter(media::Column::Id.not_in_subquery(covers))
        .filter(media::Column::OwnerId.not_in_subquery(admins))
        .limit(limit)
        .all(db.conn())
        .await?;
    let mut removed = 0;
    for m in stale {
        let id = m.id;
        let gone = db
            .write(|tx| async move {
                let done = media::Entity::delete_many()
                    .filter(media::Column::Id.eq(id))
                    .filter(media::Column::AttachedKind.is_null())
                    .exec(tx.as_ref())
                    .await?;
                Ok(done.rows_affected == 1)
            })
            .await?;
        if gone {
            storage.delete(&format!("{}.{}", m.token, m.ext)).await;
            if m.has_thumb {
                storage.delete(&format!("{}{THUMB_SUFFIX}", m.token)).await;
            }
            removed += 1;
        }
    }
    Ok(removed)
}
