//! Members (WeChat users and admin accounts), refresh tokens and the admin-login failure log
//! that drives the lockout.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Members {
    Table,
    Id,
    Openid,
    Unionid,
    SessionKey,
    Username,
    PasswordHash,
    Nickname,
    AvatarUrl,
    RealName,
    PoliticalStatus,
    IsMobileMember,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    MemberId,
    TokenHash,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Username,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(big_pk_auto(Members::Id))
                    // NULL for admin accounts; unique indexes allow many NULLs on all backends.
                    .col(string_len_null(Members::Openid, 64).unique_key())
                    .col(string_len_null(Members::Unionid, 64))
                    .col(string_len_null(Members::SessionKey, 64))
                    .col(string_len_null(Members::Username, 64).unique_key())
                    .col(string_len_null(Members::PasswordHash, 255))
                    .col(string_len_null(Members::Nickname, 64))
                    .col(string_len_null(Members::AvatarUrl, 512))
                    .col(string_len_null(Members::RealName, 64))
                    .col(string_len_null(Members::PoliticalStatus, 32))
                    .col(boolean(Members::IsMobileMember).default(false))
                    .col(utc_null(db, Members::LastLoginAt))
                    .col(utc(db, Members::CreatedAt))
                    .col(utc(db, Members::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(big_integer(RefreshTokens::MemberId))
                    // SHA-256 hex of the token: a leaked table does not yield usable tokens.
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(utc(db, RefreshTokens::ExpiresAt))
                    .col(utc_null(db, RefreshTokens::RevokedAt))
                    .col(utc(db, RefreshTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_member")
                            .from(RefreshTokens::Table, RefreshTokens::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_member")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::MemberId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(big_pk_auto(LoginFailures::Id))
                    .col(string_len(LoginFailures::Username, 64))
                    .col(utc(db, LoginFailures::FailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_failures_username_time")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Username)
                    .col(LoginFailures::FailedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginFailures::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Members::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
