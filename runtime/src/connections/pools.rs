//! One bounded sqlx pool per `sql` connection, opened lazily on first use,
//! closed when the connection is changed or deleted (the next use reopens it
//! with the new config).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tokio::sync::Mutex;

use super::SqlConfig;

/// The open pools, by connection name.
#[derive(Debug)]
pub struct Pools {
    data_dir: PathBuf,
    open: Mutex<HashMap<String, AnyPool>>,
}

impl Pools {
    /// An empty registry; relative SQLite paths resolve under `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        sqlx::any::install_default_drivers();
        Self {
            data_dir,
            open: Mutex::default(),
        }
    }

    /// The pool for connection `name`, opening it with `config` if needed.
    /// Opening is lazy: no database connection is made until a query.
    ///
    /// # Errors
    /// When the config does not form a valid URL.
    pub async fn get(&self, name: &str, config: &SqlConfig) -> Result<AnyPool, String> {
        let mut open = self.open.lock().await;
        if let Some(pool) = open.get(name) {
            return Ok(pool.clone());
        }
        let url = config.connect_url(&self.data_dir)?;
        let pool = AnyPoolOptions::new()
            .max_connections(config.pool_size)
            .acquire_timeout(Duration::from_millis(config.statement_timeout_ms))
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy(&url)
            .map_err(|e| format!("invalid connection config: {e}"))?;
        open.insert(name.to_string(), pool.clone());
        Ok(pool)
    }

    /// Closes and forgets the pool of `name`, if open.
    pub async fn close(&self, name: &str) {
        let pool = self.open.lock().await.remove(name);
        if let Some(pool) = pool {
            pool.close().await;
        }
    }

    /// The data directory relative SQLite paths resolve under.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }
}
