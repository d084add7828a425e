//! Exams keep their answers to themselves: an exam attempt's answers are shown only once the
//! exam closes (`reveal_at`), and a fixed exam's questions (`exam_questions`) are not drawn into
//! practice, the daily quiz or a challenge while the exam is open or upcoming.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuizAttempts {
    Table,
    RevealAt,
}

#[derive(DeriveIden)]
enum ExamQuestions {
    Table,
    ExamId,
    QuestionId,
}

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter()
                    .table(QuizAttempts::Table)
                    .add_column(utc_null(db, QuizAttempts::RevealAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExamQuestions::Table)
                    .col(big_integer(ExamQuestions::ExamId))
                    .col(big_integer(ExamQuestions::QuestionId))
                    .primary_key(
                        Index::create()
                            .col(ExamQuestions::ExamId)
                            .col(ExamQuestions::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exam_questions_exam")
                            .from(ExamQuestions::Table, ExamQuestions::ExamId)
                            .to(Exams::Table, Exams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exam_questions_question")
                            .from(ExamQuestions::Table, ExamQuestions::QuestionId)
                            .to(Questions::Table, Questions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_exam_questions_question")
                    .table(ExamQuestions::Table)
                    .col(ExamQuestions::QuestionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExamQuestions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QuizAttempts::Table)
                    .drop_column(QuizAttempts::RevealAt)
                    .to_owned(),
            )
            .await
    }
}
