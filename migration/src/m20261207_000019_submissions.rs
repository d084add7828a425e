//! Submissions (reflections, photo stories, video, site proposals, volunteer-service reports)
//! with their moderation and review state and a version for optimistic locking; likes; the
//! themes and two-stage review of campaigns; volunteer hours; the in-app inbox.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Submissions {
    Table,
    Id,
    MemberId,
    /// The author's org when they submitted: whose admins review it.
    OrgId,
    /// `reflection`, `photo_story`, `video`, `site_proposal` or `volunteer_service`.
    Kind,
    Title,
    Body,
    CampaignId,
    Theme,
    /// A site proposal's place.
    SiteName,
    Lat,
    Lng,
    Address,
    /// A volunteer-service report's day, place and length.
    ServiceDate,
    Place,
    ServiceMinutes,
    /// `pending`, `approved`, `featured`, `rejected` or `withdrawn`.
    Status,
    /// While pending under two-stage review: `first` or `final`.
    Stage,
    TwoStage,
    /// Bumped by every change; a review names the version it saw.
    Version,
    /// The content check: `pass`, `review`, `risky`, `unchecked` (WeChat was down: retried),
    /// `manual` (video: a person looks) or `off`.
    Moderation,
    ModerationLabel,
    ModerationTries,
    ModerationNextAt,
    RejectReason,
    FirstReviewedBy,
    FirstReviewedAt,
    ReviewedBy,
    ReviewedAt,
    PointsAwarded,
    /// When the final approval's effects (points, hours, a site) were applied: once per
    /// submission, whatever it becomes afterwards.
    PaidAt,
    Likes,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubmissionLikes {
    Table,
    SubmissionId,
    MemberId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignThemes {
    Table,
    CampaignId,
    Theme,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    TwoStageReview,
}

#[derive(DeriveIden)]
enum MembersExtra {
    #[sea_orm(iden = "members")]
    Table,
    VolunteerMinutes,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    MemberId,
    /// `submission.approved`, `submission.first_passed`, `submission.featured`,
    /// `submission.rejected`, `submission.returned`.
    Kind,
    Title,
    Body,
    SubjectKind,
    SubjectId,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orgs {
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
                    .table(Submissions::Table)
                    .col(big_pk_auto(Submissions::Id))
                    .col(big_integer(Submissions::MemberId))
                    .col(big_integer_null(Submissions::OrgId))
                    .col(string_len(Submissions::Kind, 24))
                    .col(string_len(Submissions::Title, 128))
                    .col(text(Submissions::Body))
                    .col(big_integer_null(Submissions::CampaignId))
                    .col(string_len_null(Submissions::Theme, 32))
                    .col(string_len_null(Submissions::SiteName, 128))
                    .col(double_null(Submissions::Lat))
                    .col(double_null(Submissions::Lng))
                    .col(string_len_null(Submissions::Address, 256))
                    .col(date_null(Submissions::ServiceDate))
                    .col(string_len_null(Submissions::Place, 128))
                    .col(integer_null(Submissions::ServiceMinutes))
                    .col(string_len(Submissions::Status, 16))
                    .col(string_len_null(Submissions::Stage, 8))
                    .col(boolean(Submissions::TwoStage))
                    .col(integer(Submissions::Version))
                    .col(string_len(Submissions::Moderation, 16))
                    .col(string_len_null(Submissions::ModerationLabel, 32))
                    .col(integer(Submissions::ModerationTries))
                    .col(utc_null(db, Submissions::ModerationNextAt))
                    .col(string_len_null(Submissions::RejectReason, 200))
                    .col(big_integer_null(Submissions::FirstReviewedBy))
                    .col(utc_null(db, Submissions::FirstReviewedAt))
                    .col(big_integer_null(Submissions::ReviewedBy))
                    .col(utc_null(db, Submissions::ReviewedAt))
                    .col(integer(Submissions::PointsAwarded))
                    .col(utc_null(db, Submissions::PaidAt))
                    .col(integer(Submissions::Likes))
                    .col(utc_null(db, Submissions::PublishedAt))
                    .col(utc(db, Submissions::CreatedAt))
                    .col(utc(db, Submissions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_member")
                            .from(Submissions::Table, Submissions::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_org")
                            .from(Submissions::Table, Submissions::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_campaign")
                            .from(Submissions::Table, Submissions::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // The public feed and the review queue: by status, newest first.
            (
                "ix_submissions_status",
                vec![Submissions::Status, Submissions::Id],
            ),
            (
                "ix_submissions_member",
                vec![Submissions::MemberId, Submissions::Id],
            ),
            // A reviewer's queue: their orgs' submissions in one status.
            (
                "ix_submissions_org",
                vec![Submissions::OrgId, Submissions::Status, Submissions::Id],
            ),
            // A campaign's feed.
            (
                "ix_submissions_campaign",
                vec![
                    Submissions::CampaignId,
                    Submissions::Status,
                    Submissions::Id,
                ],
            ),
            // The content-check retry: unchecked ones, due first.
            (
                "ix_submissions_moderation",
                vec![Submissions::Moderation, Submissions::ModerationNextAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Submissions::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SubmissionLikes::Table)
                    .col(big_integer(SubmissionLikes::SubmissionId))
                    .col(big_integer(SubmissionLikes::MemberId))
                    .col(utc(db, SubmissionLikes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(SubmissionLikes::SubmissionId)
                            .col(SubmissionLikes::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submission_likes_submission")
                            .from(SubmissionLikes::Table, SubmissionLikes::SubmissionId)
                            .to(Submissions::Table, Submissions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submission_likes_member")
                            .from(SubmissionLikes::Table, SubmissionLikes::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignThemes::Table)
                    .col(big_integer(CampaignThemes::CampaignId))
                    .col(string_len(CampaignThemes::Theme, 32))
                    .primary_key(
                        Index::create()
                            .col(CampaignThemes::CampaignId)
                            .col(CampaignThemes::Theme),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_themes_campaign")
                            .from(CampaignThemes::Table, CampaignThemes::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(boolean(Campaigns::TwoStageReview).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MembersExtra::Table)
                    .add_column(big_integer(MembersExtra::VolunteerMinutes).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::MemberId))
                    .col(string_len(Notifications::Kind, 32))
                    .col(string_len(Notifications::Title, 64))
                    .col(string_len(Notifications::Body, 256))
                    .col(string_len(Notifications::SubjectKind, 16))
                    .col(big_integer(Notifications::SubjectId))
                    .col(utc_null(db, Notifications::ReadAt))
                    .col(utc(db, Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_member")
                            .from(Notifications::Table, Notifications::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_member")
                    .table(Notifications::Table)
                    .col(Notifications::MemberId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notifications::Table.into_iden(),
            SubmissionLikes::Table.into_iden(),
            CampaignThemes::Table.into_iden(),
            Submissions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(MembersExtra::Table)
                    .drop_column(MembersExtra::VolunteerMinutes)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .drop_column(Campaigns::TwoStageReview)
                    .to_owned(),
            )
            .await
    }
}
