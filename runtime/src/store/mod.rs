//! The control plane: repositories over the SQLite database `sluice.db` in
//! the data directory. Migrations in `migrations/` run at start.

pub mod actions;
pub mod apps;
pub mod connections;
pub mod cronjobs;
pub mod events;
pub mod operations;
pub mod outbox;
pub mod rate_limits;
pub mod request_log;
pub mod roles;
pub mod schemas;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod users;

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Opens (creating if missing) `<data_dir>/sluice.db` in WAL mode.
///
/// # Errors
/// When the directory cannot be created or the database cannot be opened.
pub async fn open(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let path = data_dir.join("sluice.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// Applies the migrations in `migrations/` that have not run yet.
///
/// # Errors
/// When a migration fails or the database has migrations this build lacks.
pub async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("running migrations")
}

/// The current time as RFC 3339 text in UTC, the format of every `*_at` column.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The current time in Unix milliseconds, the unit of every `*_ms` column.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// Begins a write transaction that takes SQLite's write lock at once
/// (`BEGIN IMMEDIATE`): a deferred one that reads first could not upgrade
/// while another connection writes, and would fail instead of waiting.
///
/// # Errors
/// When no connection is free or the lock is not had within the busy timeout.
pub async fn begin_write(
    pool: &SqlitePool,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// True when `e` is a violation of a UNIQUE or PRIMARY KEY constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Which of `names` are not rows of `table` (a name column `name`); for
/// the fixed tables `scopes` and `roles`.
///
/// # Errors
/// On database failure.
pub(crate) async fn missing_names<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    table: &'static str,
    names: &[String],
) -> sqlx::Result<Vec<String>> {
    let known: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM {table}"))
        .fetch_all(db)
        .await?;
    Ok(names
        .iter()
        .filter(|n| !known.contains(n))
        .cloned()
        .collect())
}
