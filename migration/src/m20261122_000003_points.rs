//! The points ledger: rules per source (data, not code), the append-only ledger with one payout
//! per (member, source, source id), per-day-per-source counters that enforce caps, and running
//! totals per local day, week, month and all time, so nothing ever sums the ledger to answer.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PointRules {
    Table,
    Source,
    Points,
    DailyCap,
    WeeklyCap,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    MemberId,
    Source,
    SourceId,
    Points,
    LocalDate,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PointDaySource {
    Table,
    MemberId,
    LocalDate,
    Source,
    Points,
}

#[derive(DeriveIden)]
enum PointTotals {
    Table,
    Period,
    PeriodStart,
    MemberId,
    Points,
}

/// Defaults modelled on what members know from 学习强国: (source, points per unit, daily cap).
const DEFAULT_RULES: [(&str, i32, Option<i32>); 9] = [
    ("checkin", 5, Some(20)),
    ("route", 20, None),
    ("quiz_daily", 1, Some(5)),
    ("quiz_exam", 10, None),
    ("quiz_practice", 1, Some(5)),
    ("reading", 1, Some(6)),
    ("reading_time", 1, Some(6)),
    ("submission", 10, None),
    ("volunteer_service", 2, None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(PointRules::Table)
                    .col(string_len(PointRules::Source, 32).primary_key())
                    .col(integer(PointRules::Points))
                    .col(integer_null(PointRules::DailyCap))
                    .col(integer_null(PointRules::WeeklyCap))
                    .col(big_integer_null(PointRules::UpdatedBy))
                    .col(utc_null(db, PointRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(PointRules::Table).columns([
            PointRules::Source,
            PointRules::Points,
            PointRules::DailyCap,
        ]);
        for (source, points, cap) in DEFAULT_RULES {
            insert.values_panic([source.into(), points.into(), cap.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsLedger::Table)
                    .col(big_pk_auto(PointsLedger::Id))
                    .col(big_integer(PointsLedger::MemberId))
                    .col(string_len(PointsLedger::Source, 32))
                    .col(string_len(PointsLedger::SourceId, 64))
                    .col(integer(PointsLedger::Points))
                    // The local day the event happened, which is the day whose cap it counts against.
                    .col(date(PointsLedger::LocalDate))
                    // Why, for adjustments.
                    .col(string_len_null(PointsLedger::Note, 200))
                    .col(utc(db, PointsLedger::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_points_ledger_member")
                            .from(PointsLedger::Table, PointsLedger::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_points_ledger_payout")
                    .table(PointsLedger::Table)
                    .col(PointsLedger::MemberId)
                    .col(PointsLedger::Source)
                    .col(PointsLedger::SourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_points_ledger_member_id")
                    .table(PointsLedger::Table)
                    .col(PointsLedger::MemberId)
                    .col(PointsLedger::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointDaySource::Table)
                    .col(big_integer(PointDaySource::MemberId))
                    .col(date(PointDaySource::LocalDate))
                    .col(string_len(PointDaySource::Source, 32))
                    .col(integer(PointDaySource::Points).default(0))
                    .primary_key(
                        Index::create()
                            .col(PointDaySource::MemberId)
                            .col(PointDaySource::LocalDate)
                            .col(PointDaySource::Source),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointTotals::Table)
                    // `day`, `week` (starting Monday), `month` or `all` (start 1970-01-01).
                    .col(string_len(PointTotals::Period, 8))
                    .col(date(PointTotals::PeriodStart))
                    .col(big_integer(PointTotals::MemberId))
                    .col(integer(PointTotals::Points).default(0))
                    .primary_key(
                        Index::create()
                            .col(PointTotals::Period)
                            .col(PointTotals::PeriodStart)
                            .col(PointTotals::MemberId),
                    )
                    .to_owned(),
            )
            .await?;
        // Leaderboards read the top of one period: an index in points order.
        manager
            .create_index(
                Index::create()
                    .name("ix_point_totals_rank")
                    .table(PointTotals::Table)
                    .col(PointTotals::Period)
                    .col(PointTotals::PeriodStart)
                    .col(PointTotals::Points)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PointTotals::Table.into_iden(),
            PointDaySource::Table.into_iden(),
            PointsLedger::Table.into_iden(),
            PointRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
