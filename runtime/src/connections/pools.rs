//! One bounded sqlx pool per `sql` connection, opened lazily on first use,
//! closed when the connection is changed or deleted (the next use reopens it
//! with the new config).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgPool;
use tokio::sync::Mutex;

use sqlx::SqlitePool;

use super::sql::SqlDriver;
use super::{ConnectionConfig, SqlConfig};
use crate::secrets::SecretBox;
use crate::store::connections;

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

/// Pool settings from a connection's config, the same for every driver.
fn pool_options<DB: sqlx::Database>(config: &SqlConfig) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(config.pool_size)
        .acquire_timeout(Duration::from_millis(config.statement_timeout_ms))
        .idle_timeout(Duration::from_secs(300))
}

/// The open pools, by connection name.
#[derive(Debug)]
pub struct Pools {
    data_dir: PathBuf,
    db: SqlitePool,
    secrets: SecretBox,
    open: Mutex<HashMap<String, SqlPool>>,
}

impl Pools {
    /// An empty registry that loads configs from the control plane `db`,
    /// opened with `secrets`; relative SQLite paths resolve under `data_dir`.
    pub fn new(data_dir: PathBuf, db: SqlitePool, secrets: SecretBox) -> Self {
        sqlx::any::install_default_drivers();
        Self {
            data_dir,
            db,
            secrets,
            open: Mutex::default(),
        }
    }

    /// The pool of `sql` connection `name`, or `None` when no `sql`
    /// connection has that name. Opening is lazy: no database connection is
    /// made until a statement runs.
    ///
    /// # Errors
    /// When the stored config cannot be read or does not form a valid URL.
    pub async fn sql(&self, name: &str) -> anyhow::Result<Option<SqlPool>> {
        let mut open = self.open.lock().await;
        if let Some(pool) = open.get(name) {
            return Ok(Some(pool.clone()));
        }
        let Some(row) = connections::get(&self.db, name).await? else {
            return Ok(None);
        };
        let plain = self.secrets.open(&row.name, &row.config_sealed)?;
        let ConnectionConfig::Sql(config) = serde_json::from_slice(&plain)?;
        let url = config
            .connect_url(&self.data_dir)
            .map_err(anyhow::Error::msg)?;
        let pool = match config.driver {
            SqlDriver::Sqlite => DbPool::Sqlite(pool_options(&config).connect_lazy(&url)?),
            SqlDriver::Postgres => DbPool::Postgres(pool_options(&config).connect_lazy(&url)?),
            SqlDriver::Mysql => DbPool::MySql(pool_options(&config).connect_lazy(&url)?),
        };
        let entry = SqlPool { pool, config };
        open.insert(name.to_string(), entry.clone());
        Ok(Some(entry))
    }

    /// Closes and forgets the pool of `name`, if open.
    pub async fn close(&self, name: &str) {
        let pool = self.open.lock().await.remove(name);
        if let Some(entry) = pool {
            entry.pool.close().await;
        }
    }

    /// The data directory relative SQLite paths resolve under.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }
}
