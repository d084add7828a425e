//! Acting on what WeChat pushes.
use crate::submissions::service::Ctx;

use crate::db::Db;
use crate::error::ApiError;
use crate::media::service::{self as media, Holder};
use crate::wechat::{PushMessage, Suggest};

/// Applies an image check's verdict; other pushes are acknowledged and ignored. Safe to
/// receive twice (WeChat retries): the first verdict for a trace id decides.
pub async fn receive(db: &Db, message: &PushMessage, ctx: Ctx<'_>) -> Result<(), ApiError> {
    let now = ctx.now;
    let Some((trace_id, suggest)) = message.media_verdict() else {
        return Ok(());
    };
    let (risky, label) = match &suggest {
        Suggest::Risky(label) => (true, Some(label.as_str())),
        // `review` on an image: a person will see it where it is shown; keep it.
        _ => (false, None),
    };
    let trace_id = trace_id.as_str();
    db.write(|tx| async move {
        let Some(hidden) = media::record_verdict(&tx, trace_id, risky, now).await? else {
            return Ok(());
        };
        tracing::info!(
            medium = hidden.id,
            "WeChat found an image risky; it is hidden"
        );
        match Holder::of(&hidden) {
            Some(Holder::Submission(id)) => {
                crate::submissions::service::send_back(&tx, id, label, ctx).await
            }
            Some(Holder::Avatar(member_id)) => {
                crate::members::service::drop_avatar(&tx, member_id).await
            }
            _ => Ok(()),
        }
    })
    .await
}
