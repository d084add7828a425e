use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediumKind {
    Image,
    Video,
    Audio,
}

/// An uploaded file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Medium {
    /// Media id: what `photo_media_id`, `avatar_media_id` and `media_ids` take.
    #[schema(example = 42)]
    pub id: i64,
    /// What the bytes are.
    pub kind: MediumKind,
    /// Where it is served, with no login needed (the mini-program's `<image>` sends none): a
    /// path on this server, or under `REDTRAIL_MEDIA_PUBLIC_URL` when that is set. The name is
    /// random and the content never changes, so it may be cached for ever.
    #[schema(example = "/api/v1/media/files/6f1c0d2e9a8b47d5b3e2f1a0c9d8e7f6.jpg")]
    pub url: String,
    /// A JPEG of at most 320×320 (images only).
    pub thumb_url: Option<String>,
    /// As stored: an image may change type when encoded again (WebP becomes JPEG or PNG).
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    /// Bytes, as stored.
    pub size: i64,
    /// Width in pixels, upright (images only).
    pub width: Option<i32>,
    /// Height in pixels, upright (images only).
    pub height: Option<i32>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// `POST /media`: `multipart/form-data` with the file in the field `file`.
#[derive(ToSchema)]
pub struct UploadForm {
    /// JPEG, PNG or WebP image (10 MB), MP4 video (50 MB), MP3 or M4A audio (20 MB): the
    /// limits are configuration; the type is read from the bytes.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
