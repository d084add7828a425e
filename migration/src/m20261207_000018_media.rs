//! Uploaded media: images (re-encoded, with a thumbnail), video and audio. A medium belongs to
//! its uploader until it is attached to one thing (a check-in, an avatar, a submission); WeChat's
//! image check is matched back to it by `check_trace_id`.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    OwnerId,
    /// `image`, `video` or `audio`.
    Kind,
    ContentType,
    Size,
    /// Random, unguessable: the name the file is stored and served under.
    Token,
    /// The stored file's extension (`jpg`, `png`, `mp4`, ...).
    Ext,
    HasThumb,
    Width,
    Height,
    /// `ready` or `hidden` (a risky verdict, or an admin); hidden media are not served.
    Status,
    /// WeChat's image check: null (not checked), `pending`, `pass`, `review` or `risky`.
    CheckStatus,
    CheckTraceId,
    /// What it is attached to: `checkin`, `avatar` or `submission`, with that thing's id.
    AttachedKind,
    AttachedId,
    /// Its place among the thing's media.
    AttachedPos,
    CreatedAt,
    HiddenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(big_pk_auto(Media::Id))
                    .col(big_integer(Media::OwnerId))
                    .col(string_len(Media::Kind, 8))
                    .col(string_len(Media::ContentType, 64))
                    .col(big_integer(Media::Size))
                    .col(string_len(Media::Token, 32))
                    .col(string_len(Media::Ext, 8))
                    .col(boolean(Media::HasThumb))
                    .col(integer_null(Media::Width))
                    .col(integer_null(Media::Height))
                    .col(string_len(Media::Status, 16))
                    .col(string_len_null(Media::CheckStatus, 16))
                    .col(string_len_null(Media::CheckTraceId, 64))
                    .col(string_len_null(Media::AttachedKind, 16))
                    .col(big_integer_null(Media::AttachedId))
                    .col(integer_null(Media::AttachedPos))
                    .col(utc(db, Media::CreatedAt))
                    .col(utc_null(db, Media::HiddenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_owner")
                            .from(Media::Table, Media::OwnerId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Check-in photo ids were stored unchecked before media existed: none can be trusted
        // to name the uploader's own photo, so none is kept.
        manager
            .get_connection()
            .execute_unprepared("UPDATE checkins SET photo_media_id = NULL")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_media_token")
                    .table(Media::Table)
                    .col(Media::Token)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_media_trace")
                    .table(Media::Table)
                    .col(Media::CheckTraceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_media_attached")
                    .table(Media::Table)
                    .col(Media::AttachedKind)
                    .col(Media::AttachedId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}
