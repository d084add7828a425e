//! Statistics: the local day of the facts that had only a timestamp (a submission's, a class
//! attendance's first heartbeat), the enterprise record's entered figures (一企一档), and
//! indexes that let each figure be a range scan on its day.
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Submissions {
    Table,
    Id,
    /// The local day the submission was made.
    LocalDate,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClassAttendance {
    Table,
    ClassId,
    MemberId,
    /// The local day of the first heartbeat.
    LocalDate,
    FirstBeatAt,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    /// Party members, as the enterprise reports them.
    PartyMemberCount,
    /// Branches of its own (单独党支部) and joint branches shared with other enterprises
    /// (联合党支部), as reported.
    BranchCount,
    JointBranchCount,
    /// Annual output value, as entered (free text such as "3.2亿元").
    OutputValue,
}

/// Tables whose figures are read by day range, and the columns of their day index.
const DAY_INDEXES: [(&str, &str, [&str; 2]); 6] = [
    ("ix_checkins_day", "checkins", ["local_date", "member_id"]),
    (
        "ix_quiz_attempts_day",
        "quiz_attempts",
        ["local_date", "member_id"],
    ),
    (
        "ix_article_reads_day",
        "article_reads",
        ["local_date", "member_id"],
    ),
    (
        "ix_points_ledger_day",
        "points_ledger",
        ["local_date", "member_id"],
    ),
    (
        "ix_submissions_day",
        "submissions",
        ["local_date", "member_id"],
    ),
    (
        "ix_class_attendance_day",
        "class_attendance",
        ["local_date", "member_id"],
    ),
];

/// The timezone whose days the backfill uses: the server's setting when it is given in the
/// environment, else the default. (Only rows written before this migration need it.)
fn timezone() -> chrono_tz::Tz {
    std::env::var("REDTRAIL_TIMEZONE")
        .ok()
        .and_then(|tz| tz.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Sets `day_col` from `at_col` on every row that lacks it, one row at a time (the tables are
/// small when this runs; rows written later get their day when they are written).
async fn backfill(
    manager: &SchemaManager<'_>,
    table: &str,
    keys: &[&str],
    at_col: &str,
    day_col: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let tz = timezone();
    let select = format!(
        "SELECT {}, {at_col} FROM {table} WHERE {day_col} IS NULL",
        keys.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, select))
        .await?;
    let placeholder = |i: usize| match backend {
        DatabaseBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    };
    let condition = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = {}", placeholder(i + 2)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let update = format!(
        "UPDATE {table} SET {day_col} = {} WHERE {condition}",
        placeholder(1)
    );
    for row in rows {
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", at_col)?;
        let day = at.with_timezone(&tz).date_naive();
        let mut values: Vec<Value> = vec![day.into()];
        for key in keys {
            values.push(row.try_get::<i64>("", key)?.into());
        }
        db.execute_raw(Statement::from_sql_and_values(backend, &update, values))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // MySQL commits each statement of DDL: every step checks whether an earlier, failed run
    // already did it, so the migration can run again. SQLite adds one column per statement.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (
                "submissions",
                ColumnDef::new(Submissions::LocalDate)
                    .date()
                    .null()
                    .to_owned(),
            ),
            (
                "class_attendance",
                ColumnDef::new(ClassAttendance::LocalDate)
                    .date()
                    .null()
                    .to_owned(),
            ),
            (
                "orgs",
                ColumnDef::new(Orgs::PartyMemberCount)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                "orgs",
                ColumnDef::new(Orgs::BranchCount)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                "orgs",
                ColumnDef::new(Orgs::JointBranchCount)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                "orgs",
                ColumnDef::new(Orgs::OutputValue)
                    .string_len(64)
                    .null()
                    .to_owned(),
            ),
        ];
        for (table, mut col) in columns {
            let name = col.get_column_name();
            if !manager.has_column(table, &name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .add_column(&mut col)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        backfill(
            manager,
            "submissions",
            &[&Submissions::Id.to_string()],
            &Submissions::CreatedAt.to_string(),
            &Submissions::LocalDate.to_string(),
        )
        .await?;
        backfill(
            manager,
            "class_attendance",
            &[
                &ClassAttendance::ClassId.to_string(),
                &ClassAttendance::MemberId.to_string(),
            ],
            &ClassAttendance::FirstBeatAt.to_string(),
            &ClassAttendance::LocalDate.to_string(),
        )
        .await?;
        for (name, table, cols) in DAY_INDEXES {
            if manager.has_index(table, name).await? {
                continue;
            }
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(cols[0]))
                        .col(Alias::new(cols[1]))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in DAY_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        for col in [
            Orgs::PartyMemberCount,
            Orgs::BranchCount,
            Orgs::JointBranchCount,
            Orgs::OutputValue,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orgs::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ClassAttendance::Table)
                    .drop_column(ClassAttendance::LocalDate)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .drop_column(Submissions::LocalDate)
                    .to_owned(),
            )
            .await
    }
}
