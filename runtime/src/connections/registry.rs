//! The open backends of every connection, by name: SQL pools, HTTP clients,
//! SMTP transports and key-value stores. Each opens on first use from the
//! sealed config in the control plane and stays open until the connection
//! is changed or deleted ([`Registry::close`]); the next use reopens it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sqlx::AnyPool;

use super::ConnectionConfig;
use super::http_client::HttpClient;
use super::kv::KvConfig;
use super::kv_store::KvStore;
use super::pools::SqlPool;
use super::smtp::SmtpConfig;
use crate::secrets::SecretBox;
use crate::store::connections;

/// A mail server's pooled transport and the sender messages go out as.
#[derive(Clone)]
pub struct SmtpClient {
    /// lettre's pooled transport.
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The parsed `from`.
    pub sender: Mailbox,
    /// The connection's config.
    pub config: SmtpConfig,
}

/// A key-value backend with its connection's settings.
#[derive(Debug, Clone)]
pub struct KvClient {
    /// The backend.
    pub store: KvStore,
    /// The connection's config (namespace, TTL, value limit).
    pub config: KvConfig,
    /// The connection's name, the first part of every stored key.
    pub connection: String,
}

/// One open connection backend.
#[derive(Clone)]
pub enum Backend {
    /// A `sql` connection's pool.
    Sql(SqlPool),
    /// An `http` connection's client.
    Http(Arc<HttpClient>),
    /// An `smtp` connection's transport.
    Smtp(Arc<SmtpClient>),
    /// A `kv` connection's store.
    Kv(Arc<KvClient>),
    /// A `files` connection's config (the root opens per call).
    Files(Arc<super::FilesConfig>),
    /// A `command` connection's config (the program starts per call).
    Command(Arc<super::CommandConfig>),
}

impl Backend {
    /// The class name as in the API.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Sql(_) => "sql",
            Self::Http(_) => "http",
            Self::Smtp(_) => "smtp",
            Self::Kv(_) => "kv",
            Self::Files(_) => "files",
            Self::Command(_) => "command",
        }
    }
}

/// The open backends, by connection name.
pub struct Registry {
    data_dir: PathBuf,
    db: AnyPool,
    secrets: SecretBox,
    open: Mutex<HashMap<String, Backend>>,
    oauth2: super::oauth2::OAuth2Tokens,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl crate::telemetry::metrics::PoolUsage for Registry {
    fn sql_pools(&self) -> Vec<(String, u64, u64)> {
        self.open()
            .iter()
            .filter_map(|(name, backend)| match backend {
                Backend::Sql(pool) => {
                    let (in_use, idle) = pool.pool.usage();
                    Some((name.clone(), in_use, idle))
                }
                _ => None,
            })
            .collect()
    }
}

impl Registry {
    /// An empty registry that loads configs from the control plane `db`,
    /// opened with `secrets`; relative SQLite paths resolve under `data_dir`.
    pub fn new(data_dir: PathBuf, db: AnyPool, secrets: SecretBox) -> Self {
        sqlx::any::install_default_drivers();
        Self {
            oauth2: super::oauth2::OAuth2Tokens::new(db.clone(), secrets.clone()),
            data_dir,
            db,
            secrets,
            open: Mutex::default(),
        }
    }

    /// The open backends; held only to look up or insert, never across an
    /// await, so a plain mutex serves every host call without queueing.
    fn open(&self) -> MutexGuard<'_, HashMap<String, Backend>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The backend of connection `name`, opened if need be, or `None` when
    /// no connection has that name.
    ///
    /// # Errors
    /// When the stored config cannot be read or the backend cannot be
    /// opened (e.g. Redis unreachable); the next call tries again.
    pub async fn get(&self, name: &str) -> anyhow::Result<Option<Backend>> {
        if let Some(backend) = self.open().get(name) {
            return Ok(Some(backend.clone()));
        }
        let Some(row) = connections::get(&self.db, name).await? else {
            return Ok(None);
        };
        let plain = self.secrets.open(&row.name, &row.config_sealed)?;
        let config: ConnectionConfig = serde_json::from_slice(&plain)?;
        // Opened outside the lock: a Redis connect may take a while.
        let backend = open_backend(name, config, &self.data_dir).await?;
        let mut open = self.open();
        Ok(Some(
            open.entry(name.to_string()).or_insert(backend).clone(),
        ))
    }

    /// The class of connection `name` (`sql`, `http` …), or `None` when no
    /// connection has that name; does not open anything.
    ///
    /// # Errors
    /// When the control plane cannot be read.
    pub async fn class_of(&self, name: &str) -> anyhow::Result<Option<String>> {
        if let Some(backend) = self.open().get(name) {
            return Ok(Some(backend.class().to_string()));
        }
        Ok(connections::get(&self.db, name).await?.map(|row| row.class))
    }

    /// Forgets every open backend (they reopen on next use); see
    /// [`Registry::close`].
    pub fn close_all(&self) {
        // Taken out first: the backends drop after the lock is released.
        let backends = std::mem::take(&mut *self.open());
        drop(backends);
    }

    /// Forgets the backend of `name`, if open, and its cached OAuth2 access
    /// token: the next call opens it anew. It is not closed here, since an
    /// invocation may hold it between lending and its first statement
    /// (closing a sqlx pool fails every later acquire with "closed pool");
    /// dropping its last clone closes its sockets (a pool's idle
    /// connections, pooled HTTP connections) and frees a memory store.
    pub fn close(&self, name: &str) {
        self.oauth2.drop_cached(name);
        let backend = self.open().remove(name);
        drop(backend);
    }

    /// The OAuth2 tokens of `http` connections.
    pub fn oauth2(&self) -> &super::oauth2::OAuth2Tokens {
        &self.oauth2
    }

    /// The data directory relative SQLite paths resolve under.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

async fn open_backend(
    name: &str,
    config: ConnectionConfig,
    data_dir: &Path,
) -> anyhow::Result<Backend> {
    Ok(match config {
        ConnectionConfig::Sql(c) => Backend::Sql(SqlPool::open(c, data_dir)?),
        ConnectionConfig::Http(c) => {
            Backend::Http(Arc::new(HttpClient::new(c).map_err(anyhow::Error::msg)?))
        }
        ConnectionConfig::Smtp(c) => Backend::Smtp(Arc::new(SmtpClient {
            transport: c.transport().map_err(anyhow::Error::msg)?,
            sender: c.sender().map_err(anyhow::Error::msg)?,
            config: c,
        })),
        ConnectionConfig::Kv(c) => Backend::Kv(Arc::new(KvClient {
            store: KvStore::open(&c).await?,
            config: c,
            connection: name.to_string(),
        })),
        ConnectionConfig::Files(c) => Backend::Files(Arc::new(c)),
        ConnectionConfig::Command(c) => Backend::Command(Arc::new(c)),
    })
}
