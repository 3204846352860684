//! One bounded sqlx pool per `sql` connection, opened lazily (no database
//! connection until a statement runs); the registry lets go of it when the
//! connection is changed or deleted, and it closes once the last
//! invocation using it is done.

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::mysql::MySqlPool;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgPool;

use super::SqlConfig;
use super::sql::SqlDriver;

/// A pool of one driver; each driver's own types let the host map every
/// column type it knows (timestamps, JSON, numerics …).
#[derive(Debug, Clone)]
pub enum DbPool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    MySql(MySqlPool),
}

impl DbPool {
    /// Connections `(in use, idle)` right now.
    pub fn usage(&self) -> (u64, u64) {
        let (size, idle) = match self {
            Self::Sqlite(p) => (p.size(), p.num_idle()),
            Self::Postgres(p) => (p.size(), p.num_idle()),
            Self::MySql(p) => (p.size(), p.num_idle()),
        };
        let idle = u64::try_from(idle).unwrap_or(u64::MAX);
        (u64::from(size).saturating_sub(idle), idle)
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
            Self::MySql(p) => p.close().await,
        }
    }
}

/// An open pool with the config it was opened with.
#[derive(Debug, Clone)]
pub struct SqlPool {
    /// The pool.
    pub pool: DbPool,
    /// The connection's config (for its driver and statement timeout).
    pub config: SqlConfig,
}

fn server_url(config: &SqlConfig, data_dir: &Path) -> anyhow::Result<String> {
    config.connect_url(data_dir).map_err(anyhow::Error::msg)
}

/// Confines each new SQLite connection of a guest's pool before any
/// statement runs on it (`sluice_guard::sqlite`): no `ATTACH`, `VACUUM
/// INTO`, extensions or host paths, no value over `max_value_bytes`.
async fn confine(
    conn: &mut sqlx::SqliteConnection,
    max_value_bytes: i32,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    sluice_guard::sqlite::confine(handle.as_raw_handle(), max_value_bytes).map_err(|code| {
        sqlx::Error::Configuration(
            format!("SQLite refused the guest settings (result code {code})").into(),
        )
    })
}

/// Pool settings from a connection's config, the same for every driver.
fn pool_options<DB: sqlx::Database>(config: &SqlConfig) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(config.pool_size)
        .acquire_timeout(Duration::from_millis(config.statement_timeout_ms))
        .idle_timeout(Duration::from_secs(300))
}

impl SqlPool {
    /// A lazy pool for `config`; relative SQLite paths resolve under `data_dir`.
    ///
    /// # Errors
    /// When the config does not form a valid URL for its driver.
    pub fn open(config: SqlConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let pool = match config.driver {
            SqlDriver::Sqlite => {
                let options = config
                    .sqlite_options(data_dir)
                    .map_err(anyhow::Error::msg)?;
                let max_value_bytes = i32::try_from(config.max_result_bytes).unwrap_or(i32::MAX);
                DbPool::Sqlite(
                    pool_options(&config)
                        .after_connect(move |conn, _| Box::pin(confine(conn, max_value_bytes)))
                        .connect_lazy_with(options),
                )
            }
            SqlDriver::Postgres => DbPool::Postgres(
                pool_options(&config).connect_lazy(&server_url(&config, data_dir)?)?,
            ),
            SqlDriver::Mysql => {
                DbPool::MySql(pool_options(&config).connect_lazy(&server_url(&config, data_dir)?)?)
            }
        };
        Ok(Self { pool, config })
    }
}
