//! WeChat subscribe messages: the send credits members grant (one per consent in
//! `wx.requestSubscribeMessage`) and a durable outbox of messages to send, retried a bounded
//! number of times apart from the request that queued them.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SubscribeCredits {
    Table,
    MemberId,
    TemplateId,
    Credits,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    MemberId,
    TemplateId,
    /// The `subscribe/send` body but for `touser` (read from the member when sending).
    Payload,
    /// `pending`, `sent`, `refused` (43101: the member withdrew consent) or `failed`.
    Status,
    Attempts,
    NextAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(SubscribeCredits::Table)
                    .col(big_integer(SubscribeCredits::MemberId))
                    .col(string_len(SubscribeCredits::TemplateId, 64))
                    .col(integer(SubscribeCredits::Credits))
                    .col(utc(db, SubscribeCredits::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SubscribeCredits::MemberId)
                            .col(SubscribeCredits::TemplateId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscribe_credits_member")
                            .from(SubscribeCredits::Table, SubscribeCredits::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(big_integer(Outbox::MemberId))
                    .col(string_len(Outbox::TemplateId, 64))
                    .col(text(Outbox::Payload))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts))
                    .col(utc(db, Outbox::NextAt))
                    .col(string_len_null(Outbox::LastError, 200))
                    .col(utc(db, Outbox::CreatedAt))
                    .col(utc_null(db, Outbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_member")
                            .from(Outbox::Table, Outbox::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SubscribeCredits::Table).to_owned())
            .await
    }
}
