//! Quiz study: the question bank, attempts (daily, practice, challenge, exam) with their
//! questions fixed as they were when the attempt began, the wrong-answer book, exams, the
//! challenge's point rule, and leases for periodic jobs.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    Kind,
    Stem,
    /// sha256 of the normalised stem: (kind, stem_key) is unique, so a re-import of the same
    /// question updates it and two admins cannot add it twice.
    StemKey,
    /// The typed body as JSON: options with their correct flags, or blanks with their accepted
    /// answers.
    Content,
    Explanation,
    Category,
    Tags,
    Difficulty,
    Source,
    Status,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
    Title,
    Description,
    StartsAt,
    EndsAt,
    DurationS,
    Selection,
    PassScore,
    MaxAttempts,
    PartialCredit,
    CampaignId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ExamOrgs {
    Table,
    ExamId,
    OrgId,
}

#[derive(DeriveIden)]
enum QuizAttempts {
    Table,
    Id,
    MemberId,
    Kind,
    ExamId,
    AttemptNo,
    /// Set only for the daily quiz: (member_id, daily_on) is unique, one a local day.
    DailyOn,
    Category,
    LocalDate,
    Status,
    StartedAt,
    Deadline,
    FinishedAt,
    QuestionCount,
    MaxScore,
    Score,
    CorrectCount,
    PointsAwarded,
    PointsCapped,
    TooFast,
    /// Exams: the terms the attempt was started under, so grading needs nothing else.
    PartialCredit,
    PassScore,
    /// The graded answer as first sent, replayed by a second submit.
    Result,
}

#[derive(DeriveIden)]
enum QuizAttemptQuestions {
    Table,
    AttemptId,
    Position,
    QuestionId,
    QuestionVersion,
    Kind,
    Stem,
    /// As shown: `[{key, text}]` in the attempt's own order and letters; null for fill.
    Options,
    /// The answer in the attempt's letters (`["A","C"]`) or, for fill, the accepted answers
    /// per blank.
    AnswerKey,
    Explanation,
    Score,
    Response,
    Correct,
    Earned,
    AskedAt,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum WrongQuestions {
    Table,
    MemberId,
    QuestionId,
    Rung,
    RightStreak,
    WrongCount,
    DueOn,
    LastWrongAt,
    AddedAt,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum PointRules {
    Table,
    Source,
    Points,
    DailyCap,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    .col(big_pk_auto(Questions::Id))
                    .col(string_len(Questions::Kind, 16))
                    .col(text(Questions::Stem))
                    .col(string_len(Questions::StemKey, 64))
                    .col(text(Questions::Content))
                    .col(text_null(Questions::Explanation))
                    .col(string_len(Questions::Category, 64))
                    .col(text(Questions::Tags))
                    .col(small_integer(Questions::Difficulty))
                    .col(string_len_null(Questions::Source, 255))
                    .col(string_len(Questions::Status, 16))
                    .col(integer(Questions::Version))
                    .col(big_integer(Questions::CreatedBy))
                    .col(utc(db, Questions::CreatedAt))
                    .col(big_integer_null(Questions::UpdatedBy))
                    .col(utc_null(db, Questions::UpdatedAt))
                    // No key to members: `redtrail seed demo` writes as the system (actor 0),
                    // as the audit log records it.
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_questions_kind_stem")
                    .table(Questions::Table)
                    .col(Questions::Kind)
                    .col(Questions::StemKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Drawing a quiz reads the active questions, maybe of one category.
        manager
            .create_index(
                Index::create()
                    .name("ix_questions_status_category")
                    .table(Questions::Table)
                    .col(Questions::Status)
                    .col(Questions::Category)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Exams::Table)
                    .col(big_pk_auto(Exams::Id))
                    .col(string_len(Exams::Title, 128))
                    .col(text_null(Exams::Description))
                    .col(utc(db, Exams::StartsAt))
                    .col(utc(db, Exams::EndsAt))
                    .col(integer(Exams::DurationS))
                    .col(text(Exams::Selection))
                    .col(integer(Exams::PassScore))
                    .col(integer(Exams::MaxAttempts))
                    .col(boolean(Exams::PartialCredit))
                    .col(big_integer_null(Exams::CampaignId))
                    .col(big_integer(Exams::CreatedBy))
                    .col(utc(db, Exams::CreatedAt))
                    .col(utc_null(db, Exams::UpdatedAt))
                    .col(utc_null(db, Exams::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exams_campaign")
                            .from(Exams::Table, Exams::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExamOrgs::Table)
                    .col(big_integer(ExamOrgs::ExamId))
                    .col(big_integer(ExamOrgs::OrgId))
                    .primary_key(Index::create().col(ExamOrgs::ExamId).col(ExamOrgs::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exam_orgs_exam")
                            .from(ExamOrgs::Table, ExamOrgs::ExamId)
                            .to(Exams::Table, Exams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exam_orgs_org")
                            .from(ExamOrgs::Table, ExamOrgs::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_exam_orgs_org")
                    .table(ExamOrgs::Table)
                    .col(ExamOrgs::OrgId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuizAttempts::Table)
                    .col(big_pk_auto(QuizAttempts::Id))
                    .col(big_integer(QuizAttempts::MemberId))
                    .col(string_len(QuizAttempts::Kind, 16))
                    .col(big_integer_null(QuizAttempts::ExamId))
                    .col(integer_null(QuizAttempts::AttemptNo))
                    .col(date_null(QuizAttempts::DailyOn))
                    .col(string_len_null(QuizAttempts::Category, 64))
                    .col(date(QuizAttempts::LocalDate))
                    .col(string_len(QuizAttempts::Status, 16))
                    .col(utc(db, QuizAttempts::StartedAt))
                    .col(utc(db, QuizAttempts::Deadline))
                    .col(utc_null(db, QuizAttempts::FinishedAt))
                    .col(integer(QuizAttempts::QuestionCount))
                    .col(integer(QuizAttempts::MaxScore))
                    .col(integer_null(QuizAttempts::Score))
                    .col(integer_null(QuizAttempts::CorrectCount))
                    .col(integer_null(QuizAttempts::PointsAwarded))
                    .col(boolean(QuizAttempts::PointsCapped))
                    .col(boolean_null(QuizAttempts::TooFast))
                    .col(boolean(QuizAttempts::PartialCredit))
                    .col(integer_null(QuizAttempts::PassScore))
                    .col(text_null(QuizAttempts::Result))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quiz_attempts_member")
                            .from(QuizAttempts::Table, QuizAttempts::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quiz_attempts_exam")
                            .from(QuizAttempts::Table, QuizAttempts::ExamId)
                            .to(Exams::Table, Exams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // NULLs never collide in a unique index (on all three), so only daily attempts meet it.
        manager
            .create_index(
                Index::create()
                    .name("ux_quiz_attempts_daily")
                    .table(QuizAttempts::Table)
                    .col(QuizAttempts::MemberId)
                    .col(QuizAttempts::DailyOn)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // An exam's n-th attempt by a member exists once: concurrent starts cannot exceed the
        // allowed number.
        manager
            .create_index(
                Index::create()
                    .name("ux_quiz_attempts_exam_no")
                    .table(QuizAttempts::Table)
                    .col(QuizAttempts::ExamId)
                    .col(QuizAttempts::MemberId)
                    .col(QuizAttempts::AttemptNo)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quiz_attempts_member")
                    .table(QuizAttempts::Table)
                    .col(QuizAttempts::MemberId)
                    .col(QuizAttempts::Id)
                    .to_owned(),
            )
            .await?;
        // The expiry sweep looks for open attempts past their deadline.
        manager
            .create_index(
                Index::create()
                    .name("ix_quiz_attempts_open")
                    .table(QuizAttempts::Table)
                    .col(QuizAttempts::Status)
                    .col(QuizAttempts::Deadline)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuizAttemptQuestions::Table)
                    .col(big_integer(QuizAttemptQuestions::AttemptId))
                    .col(integer(QuizAttemptQuestions::Position))
                    .col(big_integer(QuizAttemptQuestions::QuestionId))
                    .col(integer(QuizAttemptQuestions::QuestionVersion))
                    .col(string_len(QuizAttemptQuestions::Kind, 16))
                    .col(text(QuizAttemptQuestions::Stem))
                    .col(text_null(QuizAttemptQuestions::Options))
                    .col(text(QuizAttemptQuestions::AnswerKey))
                    .col(text_null(QuizAttemptQuestions::Explanation))
                    .col(integer(QuizAttemptQuestions::Score))
                    .col(text_null(QuizAttemptQuestions::Response))
                    .col(boolean_null(QuizAttemptQuestions::Correct))
                    .col(integer_null(QuizAttemptQuestions::Earned))
                    .col(utc_null(db, QuizAttemptQuestions::AskedAt))
                    .col(utc_null(db, QuizAttemptQuestions::AnsweredAt))
                    .primary_key(
                        Index::create()
                            .col(QuizAttemptQuestions::AttemptId)
                            .col(QuizAttemptQuestions::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quiz_attempt_questions_attempt")
                            .from(QuizAttemptQuestions::Table, QuizAttemptQuestions::AttemptId)
                            .to(QuizAttempts::Table, QuizAttempts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quiz_attempt_questions_question")
                            .from(
                                QuizAttemptQuestions::Table,
                                QuizAttemptQuestions::QuestionId,
                            )
                            .to(Questions::Table, Questions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quiz_attempt_questions_question")
                    .table(QuizAttemptQuestions::Table)
                    .col(QuizAttemptQuestions::AttemptId)
                    .col(QuizAttemptQuestions::QuestionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Per-question accuracy, and when a member last saw a question.
        manager
            .create_index(
                Index::create()
                    .name("ix_quiz_attempt_questions_question")
                    .table(QuizAttemptQuestions::Table)
                    .col(QuizAttemptQuestions::QuestionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WrongQuestions::Table)
                    .col(big_integer(WrongQuestions::MemberId))
                    .col(big_integer(WrongQuestions::QuestionId))
                    .col(small_integer(WrongQuestions::Rung))
                    .col(small_integer(WrongQuestions::RightStreak))
                    .col(integer(WrongQuestions::WrongCount))
                    .col(date(WrongQuestions::DueOn))
                    .col(utc(db, WrongQuestions::LastWrongAt))
                    .col(utc(db, WrongQuestions::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(WrongQuestions::MemberId)
                            .col(WrongQuestions::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_wrong_questions_member")
                            .from(WrongQuestions::Table, WrongQuestions::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_wrong_questions_question")
                            .from(WrongQuestions::Table, WrongQuestions::QuestionId)
                            .to(Questions::Table, Questions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_wrong_questions_due")
                    .table(WrongQuestions::Table)
                    .col(WrongQuestions::MemberId)
                    .col(WrongQuestions::DueOn)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .col(string_len(JobLeases::Name, 64).primary_key())
                    .col(string_len(JobLeases::Holder, 64))
                    .col(utc(db, JobLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;

        // 挑战答题: a point per right answer in the run, at most 10 a day.
        let mut insert = Query::insert();
        insert
            .into_table(PointRules::Table)
            .columns([PointRules::Source, PointRules::Points, PointRules::DailyCap])
            .values_panic(["quiz_challenge".into(), 1.into(), 10.into()]);
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut delete = Query::delete();
        delete
            .from_table(PointRules::Table)
            .and_where(Expr::col(PointRules::Source).eq("quiz_challenge"));
        manager.exec_stmt(delete).await?;
        for table in [
            JobLeases::Table.into_iden(),
            WrongQuestions::Table.into_iden(),
            QuizAttemptQuestions::Table.into_iden(),
            QuizAttempts::Table.into_iden(),
            ExamOrgs::Table.into_iden(),
            Exams::Table.into_iden(),
            Questions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
