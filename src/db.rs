//! The database handle: connecting to SQLite, PostgreSQL or MySQL by URL, and the one way to run
//! a write transaction.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::error::ApiError;

/// A transaction handed to the body of [`Db::write`]. Owned, so the body's future can borrow
/// whatever else it likes; it must not outlive the body.
pub type Tx = Arc<DatabaseTransaction>;

/// How many times a write is attempted when the database reports a deadlock.
const WRITE_ATTEMPTS: u32 = 5;

#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// Every statement sent, for `/metrics` (`redtrail_db_statements_total`): the number that
    /// says whether a request's queries grow with its data.
    statements: prometheus::IntCounter,
    /// SQLite only: the one writer (see [`Writer`]).
    writer: Option<Arc<Writer>>,
}

/// SQLite's writer. Writers take turns on `turn`, in arrival order (tokio's mutex is fair),
/// instead of sleeping in SQLite's busy handler, whose back-off sleeps were most of the write
/// p99; and they write through a connection of their own, whose page cache stays warm, while
/// readers use the pool (WAL: they never wait for the writer). Another process writing to the
/// file still meets the busy timeout.
struct Writer {
    turn: tokio::sync::Mutex<()>,
    /// `None` for an in-memory database, where another connection would be another database.
    conn: Option<DatabaseConnection>,
}

/// Connections in the pool when the settings name none (SQLite's are readers; the writer has
/// its own). Each query waits for a hand-off to the connection (a thread of sqlx's for SQLite, a
/// server process for the others), so throughput comes from many in flight: measured on two
/// cores, 4 SQLite readers served `/me` at half the rate of 16, and 32 were no faster than 16
/// (BENCHMARKS.md).
const DEFAULT_POOL_SIZE: u32 = 16;

/// SQLite connections are opened again after this long: a connection reads the planner's
/// statistics when it loads the schema, and `ANALYZE` does not make it load them again.
const READER_LIFETIME: Duration = Duration::from_secs(3600);

/// How many connections, and how long a request waits for one.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// None: [`DEFAULT_POOL_SIZE`].
    pub size: Option<u32>,
    /// A request that gets no connection within this answers 503 `service_unavailable`: a
    /// database that is down (or a pool that is exhausted) fails requests fast instead of
    /// holding them.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            size: None,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
}

pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

fn options(url: &str, max_connections: u32, acquire_timeout: Duration) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(acquire_timeout.min(Duration::from_secs(5)))
        .acquire_timeout(acquire_timeout)
        .max_connections(max_connections);
    if url.starts_with("sqlite:") {
        opts.max_lifetime(READER_LIFETIME);
    }
    opts.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
    });
    opts
}

/// Counts a statement, and traces its SQL at debug level under `redtrail::sql`
/// (`REDTRAIL_LOG=info,redtrail::sql=debug`): the text with its placeholders, never the values,
/// which may be phone numbers or password hashes. The scale benchmark collects these to
/// `EXPLAIN` the hot paths.
fn sent(counted: &prometheus::IntCounter, info: &sea_orm::metric::Info<'_>) {
    counted.inc();
    tracing::debug!(
        target: "redtrail::sql",
        elapsed_us = info.elapsed.as_micros() as u64,
        failed = info.failed,
        sql = %info.statement.sql,
        "statement"
    );
}

impl Db {
    /// Connects by URL with the default pool size.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// Connects by URL, with `pool_size` connections at most (`None`: the backend's default).
    /// For SQLite: creates the file's directory, turns on WAL, foreign keys and a busy timeout,
    /// and opens the writer's own connection beside the readers' pool.
    pub async fn connect_with(url: &str, pool: PoolSettings) -> Result<Self, DbErr> {
        if let Some(path) = sqlite_file(url)
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        let wait = pool.acquire_timeout;
        let size = pool.size.unwrap_or(DEFAULT_POOL_SIZE).max(1);
        let mut conn = Database::connect(options(url, size, wait)).await?;
        let backend = conn.get_database_backend();
        let statements = prometheus::IntCounter::new(
            "redtrail_db_statements_total",
            "SQL statements sent to the database",
        )
        .map_err(|e| DbErr::Custom(e.to_string()))?;
        let counted = statements.clone();
        conn.set_metric_callback(move |info| sent(&counted, info));
        let writer = match backend {
            DatabaseBackend::Sqlite => {
                let own = match sqlite_file(url) {
                    Some(_) => {
                        let mut own = Database::connect(options(url, 1, wait)).await?;
                        let counted = statements.clone();
                        own.set_metric_callback(move |info| sent(&counted, info));
                        Some(own)
                    }
                    None => None,
                };
                Some(Arc::new(Writer {
                    turn: tokio::sync::Mutex::new(()),
                    conn: own,
                }))
            }
            _ => None,
        };
        Ok(Self {
            conn,
            statements,
            writer,
        })
    }

    /// Connects, then applies pending migrations if `migrate`.
    pub async fn open(url: &str, migrate: bool, pool: PoolSettings) -> anyhow::Result<Self> {
        use anyhow::Context;
        use migration::{Migrator, MigratorTrait};
        let db = Self::connect_with(url, pool)
            .await
            .context("connecting to the database")?;
        if migrate {
            Migrator::up(db.conn(), None)
                .await
                .context("applying migrations")?;
        }
        Ok(db)
    }

    /// Keeps SQLite's query planner informed: `PRAGMA optimize` runs `ANALYZE` on the tables
    /// whose statistics are missing or stale (bounded work, as SQLite recommends for
    /// long-lived connections: at start, then now and then; readers pick the statistics up
    /// when they reconnect, see [`READER_LIFETIME`]). Without statistics the planner picks a
    /// board's rank index over the member list of a branch and reads every member's total
    /// (BENCHMARKS.md, scale). PostgreSQL and MySQL keep their own.
    pub async fn optimize(&self) -> Result<(), ApiError> {
        if self.backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        // 0x10002: every table, not only those this connection used; SQLite bounds the rows
        // each ANALYZE reads, and analyzes a table again only once it has grown much.
        self.write(|tx| async move {
            tx.execute_unprepared("PRAGMA optimize=0x10002").await?;
            Ok(())
        })
        .await
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn statements(&self) -> &prometheus::IntCounter {
        &self.statements
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// A read-only transaction for a request that reads many times (statistics), so that its
    /// figures come from one state of the data: REPEATABLE READ on PostgreSQL and MySQL, a
    /// deferred transaction (one WAL snapshot from its first read) on SQLite.
    pub async fn snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend() {
            DatabaseBackend::Sqlite => self.conn.begin().await,
            _ => {
                self.conn
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(sea_orm::AccessMode::ReadOnly),
                    )
                    .await
            }
        }
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(own) = self.writer.as_ref().and_then(|w| w.conn.clone()) {
            own.close().await?;
        }
        self.conn.close().await
    }

    /// Runs `body` in a write transaction and commits it.
    ///
    /// On SQLite writers take turns on the [`Writer`] (first come, first served) and the
    /// transaction is `BEGIN IMMEDIATE` on its connection: it takes the write lock up front, so a
    /// writer in another process waits on the busy timeout instead of one failing with "database
    /// is locked" when it upgrades from reading. Every write of this process must come through
    /// here, or it would poll for SQLite's lock against a writer that always has the next turn
    /// queued. On MySQL/PostgreSQL a deadlock or serialization failure rolls
    /// back and runs `body` again, a bounded number of times, so a race ends in the documented
    /// answer and not a 500. `body` may therefore run more than once: it must only touch the
    /// database through the transaction.
    pub async fn write<T, F, Fut>(&self, body: F) -> Result<T, ApiError>
    where
        F: Fn(Tx) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 1;
        loop {
            let turn = match &self.writer {
                Some(writer) => Some(writer.turn.lock().await),
                None => None,
            };
            let txn = Arc::new(self.begin_write().await?);
            let outcome = body(txn.clone()).await;
            let txn = Arc::try_unwrap(txn)
                .map_err(|_| anyhow::anyhow!("a write transaction handle outlived its body"))?;
            let result = match outcome {
                // A COMMIT that failed may still have been applied: never "unavailable, send it
                // again" (a client without an Idempotency-Key would do it twice), but 500.
                Ok(value) => txn
                    .commit()
                    .await
                    .map(|()| value)
                    .map_err(ApiError::Database),
                Err(err) => {
                    // The original error matters more than a failed rollback.
                    let _ = txn.rollback().await;
                    Err(err)
                }
            };
            match result {
                Err(err) if err.is_transient() && attempt < WRITE_ATTEMPTS => {
                    // Let the other writers on while this one backs off.
                    drop(turn);
                    tracing::warn!(attempt, "write transaction hit a deadlock; retrying");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        // READ COMMITTED on MySQL, as PostgreSQL has by default: after losing a unique-key race
        // the transaction must see the winner's row, which REPEATABLE READ's snapshot hides.
        let isolation_level =
            (self.backend() == DatabaseBackend::MySql).then_some(IsolationLevel::ReadCommitted);
        let conn = self
            .writer
            .as_ref()
            .and_then(|w| w.conn.as_ref())
            .unwrap_or(&self.conn);
        conn.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            isolation_level,
            ..Default::default()
        })
        .await
    }
}

/// A hand-written statement for the few queries the query builder cannot say portably. `sql`
/// uses `?` placeholders (none inside string literals), numbered `$1, $2, …` for PostgreSQL.
pub fn raw(
    backend: DatabaseBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 8);
        for (i, part) in sql.split('?').enumerate() {
            if i > 0 {
                numbered.push_str(&format!("${i}"));
            }
            numbered.push_str(part);
        }
        numbered
    } else {
        sql.to_owned()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// The name of a double-precision float type in `CAST(… AS …)`.
pub fn float_type(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "DOUBLE PRECISION",
        DatabaseBackend::MySql => "DOUBLE",
        _ => "REAL",
    }
}

/// The name of a 64-bit integer type in `CAST(… AS …)` (a `SUM` is DECIMAL on MySQL).
pub fn int_type(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "BIGINT",
        DatabaseBackend::MySql => "SIGNED",
        _ => "INTEGER",
    }
}

/// The file path in a `sqlite://path?query` URL, unless it is an in-memory database.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

/// Inserts a row unless a unique key already holds its values: `Ok(None)` means the unique
/// constraint said no, and the surrounding transaction stays usable on every backend.
///
/// PostgreSQL and SQLite say it in one statement, `INSERT … ON CONFLICT DO NOTHING RETURNING *`
/// (no savepoint: a conflict is not an error there, so PostgreSQL does not abort the
/// transaction; a racing insert of the same key is waited for, as a plain insert would). MySQL's
/// nearest, `ON DUPLICATE KEY UPDATE pk = pk`, cannot say whether it inserted, so there the
/// insert runs in a savepoint and the duplicate error is caught.
pub async fn insert_unless_duplicate<A>(
    txn: &DatabaseTransaction,
    row: A,
) -> Result<Option<<A::Entity as sea_orm::EntityTrait>::Model>, ApiError>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    use sea_orm::{EntityTrait, sea_query::OnConflict};
    if txn.get_database_backend() != DatabaseBackend::MySql {
        // `_many`: no row back is a conflict here, which `exec_with_returning` calls "not found".
        let mut inserted = A::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_with_returning_many(txn)
            .await?;
        return Ok(inserted.pop());
    }
    let savepoint = txn.begin().await?;
    match row.insert(&savepoint).await {
        Ok(model) => {
            savepoint.commit().await?;
            Ok(Some(model))
        }
        Err(e) => {
            let err = ApiError::from(e);
            if err.is_unique_violation() {
                savepoint.rollback().await?;
                return Ok(None);
            }
            // A deadlock has already rolled the whole transaction back on MySQL, so the
            // savepoint is gone: the original error, which `write` retries, is what matters.
            let _ = savepoint.rollback().await;
            Err(err)
        }
    }
}

/// Takes (or renews) the lease on a periodic job named `name` for `holder` until `now + ttl`:
/// true when `holder` holds it now. The row in `job_leases` is the lock, so it holds across
/// instances on every backend; a holder that dies simply lets it run out.
pub async fn take_lease(
    db: &Db,
    name: &str,
    holder: &str,
    now: chrono::DateTime<chrono::Utc>,
    ttl: chrono::Duration,
) -> Result<bool, ApiError> {
    use entity::job_leases;
    use entity::time::UtcTime;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
    let until = UtcTime::from(now + ttl);
    db.write(|tx| async move {
        // The conditional update first: on MySQL a failed insert would leave a shared lock that
        // two instances then both try to upgrade (a deadlock).
        job_leases::Entity::update_many()
            .col_expr(job_leases::Column::Holder, Expr::value(holder))
            .col_expr(job_leases::Column::ExpiresAt, Expr::value(until))
            .filter(job_leases::Column::Name.eq(name))
            .filter(
                Condition::any()
                    .add(job_leases::Column::Holder.eq(holder))
                    .add(job_leases::Column::ExpiresAt.lte(UtcTime::from(now))),
            )
            .exec(tx.as_ref())
            .await?;
        // Read back rather than trust rows affected: MySQL counts a renewal that changes
        // nothing (a clock standing still) as no row.
        let lease = job_leases::Entity::find_by_id(name.to_owned())
            .one(tx.as_ref())
            .await?;
        if let Some(lease) = lease {
            return Ok(lease.holder == holder);
        }
        let row = job_leases::ActiveModel {
            name: Set(name.to_owned()),
            holder: Set(holder.to_owned()),
            expires_at: Set(until),
        };
        Ok(insert_unless_duplicate(&tx, row).await?.is_some())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn finds_the_sqlite_file_in_its_url() {
        assert_eq!(
            sqlite_file("sqlite://data/redtrail.db?mode=rwc"),
            Some("data/redtrail.db")
        );
        assert_eq!(sqlite_file("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/x"), None);
    }
}
