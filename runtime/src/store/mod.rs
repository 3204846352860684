//! The control plane: repositories over SQLite (`sluice.db` in the data
//! directory, the default) or PostgreSQL (`SLUICE_DATABASE_URL`, for a
//! cluster). Migrations in `migrations/<dialect>/` run at start.

pub mod actions;
pub mod apps;
pub mod authorization_codes;
pub mod connections;
pub mod consumers;
pub mod cronjobs;
pub mod device_codes;
pub mod events;
pub mod identity_providers;
pub mod ip_rules;
pub mod mcp_sessions;
pub mod oauth2;
pub mod operations;
pub mod outbox;
pub mod prompts;
pub mod rate_limits;
pub mod request_log;
pub mod roles;
pub mod schemas;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
pub mod statistics;
pub mod users;

mod types;

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Executor};

pub use types::{Flag, Json, MaybeFlag, Placeholders};

/// The control-plane pool: SQLite or PostgreSQL behind sqlx's `Any` driver,
/// so one set of repositories serves both. SQL in the repositories is
/// written in the dialect both accept (numbered `$1` placeholders,
/// `TRUE`/`FALSE`, `ON CONFLICT … DO UPDATE`, `RETURNING`).
pub type Pool = sqlx::AnyPool;

/// One control-plane connection (e.g. inside a transaction).
pub type Conn = sqlx::AnyConnection;

/// A control-plane transaction.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Which database holds the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `<data dir>/sluice.db`, the embedded default.
    Sqlite,
    /// A `postgres://` URL in `SLUICE_DATABASE_URL`, shared by a cluster.
    Postgres,
}

/// The dialect of `pool`, read from the URL it was opened with.
pub fn dialect(pool: &Pool) -> Dialect {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    }
}

/// Opens the control plane: the PostgreSQL database at `database_url` when
/// it is given (a `postgres://` or `postgresql://` URL), otherwise (creating
/// if missing) `<data_dir>/sluice.db` in WAL mode.
///
/// # Errors
/// When the URL is not a PostgreSQL URL, the data directory cannot be
/// created, or the database cannot be reached or opened.
pub async fn open(data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<Pool> {
    sqlx::any::install_default_drivers();
    // Also on PostgreSQL: SQLite connections with a relative path live here.
    // Only the server's user may enter it: it holds password hashes, keys
    // and the request log.
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    }
    if let Some(url) = database_url {
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "SLUICE_DATABASE_URL must be a postgres:// URL (unset it to use SQLite in the data directory)"
        );
        return AnyPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await
            .context("connecting to the control plane at SLUICE_DATABASE_URL");
    }
    let path = data_dir.join(CONTROL_PLANE_FILE);
    // WAL is a property of the file: set once here, with the native driver.
    let url = sqlite_url(&path, "");
    // Created here, owner-only, rather than by SQLite with the umask's
    // 0644 (and a file an older version made is narrowed); SQLite gives the
    // -wal and -shm files the mode of this one.
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .and_then(|file| file.set_permissions(std::fs::Permissions::from_mode(0o600)))
            .with_context(|| format!("creating {}", path.display()))?;
    }
    SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    AnyPoolOptions::new()
        .max_connections(8)
        // Per connection: the `Any` driver opens SQLite from the URL alone.
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// The control plane's SQLite file in the data directory.
pub const CONTROL_PLANE_FILE: &str = "sluice.db";

/// The files of the data directory that hold the platform's own state and
/// secrets; no connection may open them.
pub const PLATFORM_FILES: &[&str] = &[
    "sluice.db",
    "sluice.db-wal",
    "sluice.db-shm",
    "sluice.db-journal",
    "secret.key",
    "jwt.key",
    "admin-password",
];

/// The sqlx URL of the SQLite file at `path`, then `query` (empty, or
/// `?mode=rwc` …). The path is percent-encoded, `%` and `?` included, so a
/// file named `a?b%41.db` opens as itself (sqlx decodes the path of a
/// `sqlite://` URL and ends it at the first `?`); the `Any` driver opens
/// SQLite from a URL alone, so the control plane needs one.
pub fn sqlite_url(path: &Path, query: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, percent_encode};
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    let encoded = percent_encode(path.as_os_str().as_encoded_bytes(), PATH);
    format!("sqlite://{encoded}{query}")
}

/// The settings of every control-plane connection to SQLite: foreign keys
/// enforced, a writer waits up to 5 s for the lock, and WAL commits are
/// not synced to disk one by one (`synchronous = NORMAL`, safe in WAL
/// mode against application crashes).
const SQLITE_PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL";

/// A connection of sqlx's own SQLite driver to the SQLite control plane
/// `pool` was opened on, outside the pool and with the pool's settings
/// ([`SQLITE_PRAGMAS`]): for a writer that keeps one connection and binds
/// many values, which the `Any` driver would copy one by one.
///
/// # Errors
/// When the database cannot be opened.
pub async fn sqlite_connection(pool: &Pool) -> sqlx::Result<sqlx::SqliteConnection> {
    let url = &pool.connect_options().database_url;
    let mut conn = SqliteConnectOptions::from_str(url.as_str())?
        .connect()
        .await?;
    conn.execute(SQLITE_PRAGMAS).await?;
    Ok(conn)
}

/// Applies the migrations of the pool's dialect (`migrations/sqlite/` or
/// `migrations/postgres/`) that have not run yet. On PostgreSQL sqlx holds an
/// advisory lock meanwhile, so nodes starting together migrate once.
///
/// # Errors
/// When a migration fails or the database has migrations this build lacks.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let result = match dialect(pool) {
        Dialect::Sqlite => sqlx::migrate!("../migrations/sqlite").run(pool).await,
        Dialect::Postgres => sqlx::migrate!("../migrations/postgres").run(pool).await,
    };
    result.context("running migrations")
}

/// The current time as RFC 3339 text in UTC, the format of every `*_at` column.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Unix milliseconds as RFC 3339 text in UTC (empty when out of range).
pub fn ms_to_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The current time in Unix milliseconds, the unit of every `*_ms` column.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// Begins a write transaction. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred one that reads first could not upgrade
/// while another connection writes, and would fail instead of waiting.
/// PostgreSQL locks rows as they are written.
///
/// # Errors
/// When no connection is free or the lock is not had within the busy timeout.
pub async fn begin_write(pool: &Pool) -> sqlx::Result<Tx> {
    match dialect(pool) {
        Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Dialect::Postgres => pool.begin().await,
    }
}

/// True when `e` is a violation of a UNIQUE or PRIMARY KEY constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The first items of `rows` whose list holds `item`. Lists of names are
/// short JSON arrays: matching them here keeps the SQL free of a dialect's
/// JSON functions (SQLite's `json_each`, PostgreSQL's `jsonb_array_elements`).
pub(crate) fn holding(rows: Vec<(String, Json<Vec<String>>)>, item: &str) -> Vec<String> {
    rows.into_iter()
        .filter(|(_, list)| list.iter().any(|x| x == item))
        .map(|(name, _)| name)
        .collect()
}

/// Which of `names` are not rows of `table` (a name column `name`); for
/// the fixed tables `scopes` and `roles`.
///
/// # Errors
/// On database failure.
pub(crate) async fn missing_names<'e>(
    db: impl sqlx::AnyExecutor<'e>,
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
