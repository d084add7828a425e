//! Reading and online classes: articles and their series, counted study time (sessions of
//! heartbeats and one study clock per member), per-day reads, online classes with their orgs
//! and attendance, streak days (one row per member per counted day), make-up cards, and the
//! time unit of a point rule ("1 point per 2 minutes").
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ArticleSeries {
    Table,
    Id,
    Title,
    Description,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Title,
    Summary,
    /// Sanitized HTML, as the mini-program's rich-text component renders it.
    Body,
    CoverUrl,
    Category,
    SeriesId,
    SeriesPosition,
    Author,
    Source,
    PublishedAt,
    Status,
    MinReadSeconds,
    MediaUrl,
    MediaKind,
    MediaSeconds,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ArticleReads {
    Table,
    MemberId,
    ArticleId,
    LocalDate,
    CreditedSeconds,
    CompletedAt,
}

#[derive(DeriveIden)]
enum StudySessions {
    Table,
    Id,
    MemberId,
    /// `article` or `class`.
    ItemKind,
    ItemId,
    StartedAt,
    LastBeatAt,
    CreditedSeconds,
}

#[derive(DeriveIden)]
enum StudyClocks {
    Table,
    MemberId,
    /// Study time is credited up to here and no further: heartbeats on two items share it.
    CreditedUntil,
    Day,
    DaySeconds,
}

#[derive(DeriveIden)]
enum StreakDays {
    Table,
    MemberId,
    LocalDate,
    /// `article`, `class` or `makeup`.
    Via,
    /// The length of the run of consecutive days ending on this one.
    Run,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MakeupCards {
    Table,
    Id,
    MemberId,
    /// The day whose streak earned it: unique per member, so one run of 7 earns one card.
    EarnedOn,
    SpentFor,
    SpentAt,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
    Title,
    Speaker,
    Description,
    StartsAt,
    EndsAt,
    StreamUrl,
    ReplayUrl,
    AttendMinSeconds,
    CampaignId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ClassOrgs {
    Table,
    ClassId,
    OrgId,
}

#[derive(DeriveIden)]
enum ClassAttendance {
    Table,
    ClassId,
    MemberId,
    /// The member's org when they first joined the class.
    OrgId,
    CreditedSeconds,
    FirstBeatAt,
    AttendedAt,
}

#[derive(DeriveIden)]
enum PointRules {
    Table,
    Source,
    /// For time-paid sources: seconds of study per unit.
    UnitSeconds,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

fn to_member(table: impl IntoIden, col: impl IntoIden, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Members::Table, Members::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(ArticleSeries::Table)
                    .col(big_pk_auto(ArticleSeries::Id))
                    .col(string_len(ArticleSeries::Title, 128))
                    .col(text_null(ArticleSeries::Description))
                    .col(big_integer(ArticleSeries::CreatedBy))
                    .col(utc(db, ArticleSeries::CreatedAt))
                    .col(utc_null(db, ArticleSeries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .col(big_pk_auto(Articles::Id))
                    .col(string_len(Articles::Title, 128))
                    .col(text_null(Articles::Summary))
                    .col(text(Articles::Body))
                    .col(string_len_null(Articles::CoverUrl, 512))
                    .col(string_len(Articles::Category, 64))
                    .col(big_integer_null(Articles::SeriesId))
                    .col(integer_null(Articles::SeriesPosition))
                    .col(string_len_null(Articles::Author, 64))
                    .col(string_len_null(Articles::Source, 128))
                    .col(utc(db, Articles::PublishedAt))
                    .col(string_len(Articles::Status, 16))
                    .col(integer(Articles::MinReadSeconds))
                    .col(string_len_null(Articles::MediaUrl, 512))
                    .col(string_len_null(Articles::MediaKind, 16))
                    .col(integer_null(Articles::MediaSeconds))
                    .col(big_integer(Articles::CreatedBy))
                    .col(utc(db, Articles::CreatedAt))
                    .col(utc_null(db, Articles::UpdatedAt))
                    .col(utc_null(db, Articles::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_articles_series")
                            .from(Articles::Table, Articles::SeriesId)
                            .to(ArticleSeries::Table, ArticleSeries::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The member list: published, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_articles_status_published")
                    .table(Articles::Table)
                    .col(Articles::Status)
                    .col(Articles::PublishedAt)
                    .to_owned(),
            )
            .await?;
        // One chapter per place in a series (NULLs never collide: articles outside a series).
        manager
            .create_index(
                Index::create()
                    .name("ux_articles_series_position")
                    .table(Articles::Table)
                    .col(Articles::SeriesId)
                    .col(Articles::SeriesPosition)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArticleReads::Table)
                    .col(big_integer(ArticleReads::MemberId))
                    .col(big_integer(ArticleReads::ArticleId))
                    .col(date(ArticleReads::LocalDate))
                    .col(integer(ArticleReads::CreditedSeconds))
                    .col(utc_null(db, ArticleReads::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(ArticleReads::MemberId)
                            .col(ArticleReads::ArticleId)
                            .col(ArticleReads::LocalDate),
                    )
                    .foreign_key(&mut to_member(
                        ArticleReads::Table,
                        ArticleReads::MemberId,
                        "fk_article_reads_member",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_article_reads_article")
                            .from(ArticleReads::Table, ArticleReads::ArticleId)
                            .to(Articles::Table, Articles::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_article_reads_article")
                    .table(ArticleReads::Table)
                    .col(ArticleReads::ArticleId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StudySessions::Table)
                    .col(big_pk_auto(StudySessions::Id))
                    .col(big_integer(StudySessions::MemberId))
                    .col(string_len(StudySessions::ItemKind, 16))
                    .col(big_integer(StudySessions::ItemId))
                    .col(utc(db, StudySessions::StartedAt))
                    .col(utc(db, StudySessions::LastBeatAt))
                    .col(integer(StudySessions::CreditedSeconds))
                    .foreign_key(&mut to_member(
                        StudySessions::Table,
                        StudySessions::MemberId,
                        "fk_study_sessions_member",
                    ))
                    .to_owned(),
            )
            .await?;
        // A heartbeat finds the member's latest session on the item.
        manager
            .create_index(
                Index::create()
                    .name("ix_study_sessions_member_item")
                    .table(StudySessions::Table)
                    .col(StudySessions::MemberId)
                    .col(StudySessions::ItemKind)
                    .col(StudySessions::ItemId)
                    .col(StudySessions::Id)
                    .to_owned(),
            )
            .await?;
        // Stats and a class's peak read an item's sessions.
        manager
            .create_index(
                Index::create()
                    .name("ix_study_sessions_item")
                    .table(StudySessions::Table)
                    .col(StudySessions::ItemKind)
                    .col(StudySessions::ItemId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StudyClocks::Table)
                    .col(big_integer(StudyClocks::MemberId).primary_key())
                    .col(utc(db, StudyClocks::CreditedUntil))
                    .col(date(StudyClocks::Day))
                    .col(integer(StudyClocks::DaySeconds))
                    .foreign_key(&mut to_member(
                        StudyClocks::Table,
                        StudyClocks::MemberId,
                        "fk_study_clocks_member",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StreakDays::Table)
                    .col(big_integer(StreakDays::MemberId))
                    .col(date(StreakDays::LocalDate))
                    .col(string_len(StreakDays::Via, 16))
                    .col(integer(StreakDays::Run))
                    .col(utc(db, StreakDays::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(StreakDays::MemberId)
                            .col(StreakDays::LocalDate),
                    )
                    .foreign_key(&mut to_member(
                        StreakDays::Table,
                        StreakDays::MemberId,
                        "fk_streak_days_member",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MakeupCards::Table)
                    .col(big_pk_auto(MakeupCards::Id))
                    .col(big_integer(MakeupCards::MemberId))
                    .col(date(MakeupCards::EarnedOn))
                    .col(date_null(MakeupCards::SpentFor))
                    .col(utc_null(db, MakeupCards::SpentAt))
                    .foreign_key(&mut to_member(
                        MakeupCards::Table,
                        MakeupCards::MemberId,
                        "fk_makeup_cards_member",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_makeup_cards_earned")
                    .table(MakeupCards::Table)
                    .col(MakeupCards::MemberId)
                    .col(MakeupCards::EarnedOn)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Classes::Table)
                    .col(big_pk_auto(Classes::Id))
                    .col(string_len(Classes::Title, 128))
                    .col(string_len_null(Classes::Speaker, 64))
                    .col(text_null(Classes::Description))
                    .col(utc(db, Classes::StartsAt))
                    .col(utc(db, Classes::EndsAt))
                    .col(string_len_null(Classes::StreamUrl, 512))
                    .col(string_len_null(Classes::ReplayUrl, 512))
                    .col(integer(Classes::AttendMinSeconds))
                    .col(big_integer_null(Classes::CampaignId))
                    .col(big_integer(Classes::CreatedBy))
                    .col(utc(db, Classes::CreatedAt))
                    .col(utc_null(db, Classes::UpdatedAt))
                    .col(utc_null(db, Classes::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_classes_campaign")
                            .from(Classes::Table, Classes::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClassOrgs::Table)
                    .col(big_integer(ClassOrgs::ClassId))
                    .col(big_integer(ClassOrgs::OrgId))
                    .primary_key(
                        Index::create()
                            .col(ClassOrgs::ClassId)
                            .col(ClassOrgs::OrgId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_class_orgs_class")
                            .from(ClassOrgs::Table, ClassOrgs::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_class_orgs_org")
                            .from(ClassOrgs::Table, ClassOrgs::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_class_orgs_org")
                    .table(ClassOrgs::Table)
                    .col(ClassOrgs::OrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClassAttendance::Table)
                    .col(big_integer(ClassAttendance::ClassId))
                    .col(big_integer(ClassAttendance::MemberId))
                    .col(big_integer_null(ClassAttendance::OrgId))
                    .col(integer(ClassAttendance::CreditedSeconds))
                    .col(utc(db, ClassAttendance::FirstBeatAt))
                    .col(utc_null(db, ClassAttendance::AttendedAt))
                    .primary_key(
                        Index::create()
                            .col(ClassAttendance::ClassId)
                            .col(ClassAttendance::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_class_attendance_class")
                            .from(ClassAttendance::Table, ClassAttendance::ClassId)
                            .to(Classes::Table, Classes::Id),
                    )
                    .foreign_key(&mut to_member(
                        ClassAttendance::Table,
                        ClassAttendance::MemberId,
                        "fk_class_attendance_member",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(PointRules::Table)
                    .add_column(integer_null(PointRules::UnitSeconds))
                    .to_owned(),
            )
            .await?;
        // 1 point per 2 minutes of counted study, as before capped at 6 a day.
        let mut update = Query::update();
        update
            .table(PointRules::Table)
            .value(PointRules::UnitSeconds, 120)
            .and_where(Expr::col(PointRules::Source).eq("reading_time"));
        manager.exec_stmt(update).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PointRules::Table)
                    .drop_column(PointRules::UnitSeconds)
                    .to_owned(),
            )
            .await?;
        for table in [
            ClassAttendance::Table.into_iden(),
            ClassOrgs::Table.into_iden(),
            Classes::Table.into_iden(),
            MakeupCards::Table.into_iden(),
            StreakDays::Table.into_iden(),
            StudyClocks::Table.into_iden(),
            StudySessions::Table.into_iden(),
            ArticleReads::Table.into_iden(),
            Articles::Table.into_iden(),
            ArticleSeries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
