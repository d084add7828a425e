//! Check-ins: what the phone reported, what the server decided, and the review of flagged ones.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Checkins {
    Table,
    Id,
    MemberId,
    SiteId,
    Lat,
    Lng,
    AccuracyM,
    DistanceM,
    LocalDate,
    CapturedAt,
    Status,
    FlagReason,
    PhotoMediaId,
    Note,
    PointsAwarded,
    ReviewedBy,
    ReviewedAt,
    ReviewReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Checkins::Table)
                    .col(big_pk_auto(Checkins::Id))
                    .col(big_integer(Checkins::MemberId))
                    .col(big_integer(Checkins::SiteId))
                    .col(double(Checkins::Lat))
                    .col(double(Checkins::Lng))
                    .col(double(Checkins::AccuracyM))
                    .col(double(Checkins::DistanceM))
                    // The local day of `captured_at`: the day the member was there.
                    .col(date(Checkins::LocalDate))
                    .col(utc(db, Checkins::CapturedAt))
                    // `accepted`, `flagged` or `rejected`.
                    .col(string_len(Checkins::Status, 16))
                    .col(string_len_null(Checkins::FlagReason, 32))
                    .col(big_integer_null(Checkins::PhotoMediaId))
                    .col(string_len_null(Checkins::Note, 200))
                    .col(integer(Checkins::PointsAwarded).default(0))
                    .col(big_integer_null(Checkins::ReviewedBy))
                    .col(utc_null(db, Checkins::ReviewedAt))
                    .col(string_len_null(Checkins::ReviewReason, 200))
                    .col(utc(db, Checkins::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_checkins_member")
                            .from(Checkins::Table, Checkins::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_checkins_site")
                            .from(Checkins::Table, Checkins::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One check-in per member, site and local day, whatever its status: the index decides
        // races. A plain unique index, so MariaDB (no partial indexes) enforces it too.
        manager
            .create_index(
                Index::create()
                    .name("ux_checkins_member_site_day")
                    .table(Checkins::Table)
                    .col(Checkins::MemberId)
                    .col(Checkins::SiteId)
                    .col(Checkins::LocalDate)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_checkins_member_captured")
                    .table(Checkins::Table)
                    .col(Checkins::MemberId)
                    .col(Checkins::CapturedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_checkins_status")
                    .table(Checkins::Table)
                    .col(Checkins::Status)
                    .col(Checkins::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Checkins::Table).to_owned())
            .await
    }
}
