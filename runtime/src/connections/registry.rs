//! The open backends of every connection, by name: SQL pools, HTTP clients,
//! SMTP transports and key-value stores. Each opens on first use from the
//! sealed config in the control plane — once, however many callers ask at
//! the same moment — and stays open until the connection is changed or
//! deleted ([`Registry::close`], or [`Registry::reload`] after missed
//! changes); the next use reopens it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use tokio::sync::OnceCell;

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

/// A backend with the digest of the config it was opened from, so that a
/// reload can tell an unchanged connection from a changed one.
#[derive(Clone)]
struct Opened {
    backend: Backend,
    fingerprint: [u8; 32],
}

/// The slot of one connection: every concurrent first caller waits on the
/// same cell, so one backend (one pool) opens. [`Registry::close`] removes
/// the slot rather than emptying it: an opening already under way then
/// fills a slot nobody looks up any more, and the next caller opens from
/// the new config.
type Slot = Arc<OnceCell<Opened>>;

/// The open backends, by connection name.
pub struct Registry {
    data_dir: PathBuf,
    db: AnyPool,
    secrets: SecretBox,
    open: Mutex<HashMap<String, Slot>>,
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
            .filter_map(|(name, slot)| match slot.get().map(|o| &o.backend) {
                Some(Backend::Sql(pool)) => {
                    let (in_use, idle) = pool.pool.usage();
                    Some((name.clone(), in_use, idle))
                }
                _ => None,
            })
            .collect()
    }
}

/// Why [`Registry::get`] opened nothing.
enum NotOpened {
    /// No connection has the name.
    Missing,
    /// Reading the config or opening the backend failed.
    Failed(anyhow::Error),
}

impl NotOpened {
    fn failed(e: impl Into<anyhow::Error>) -> Self {
        Self::Failed(e.into())
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

    /// The slots; held only to look up, insert or remove, never across an
    /// await, so a plain mutex serves every host call without queueing.
    fn open(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The backend of connection `name`, opened if need be, or `None` when
    /// no connection has that name. Concurrent callers of a connection not
    /// yet open wait for one opening.
    ///
    /// # Errors
    /// When the stored config cannot be read or the backend cannot be
    /// opened (e.g. Redis unreachable); the next call tries again.
    pub async fn get(&self, name: &str) -> anyhow::Result<Option<Backend>> {
        let slot = Arc::clone(self.open().entry(name.to_string()).or_default());
        let opened = slot
            .get_or_try_init(|| async {
                let row = connections::get(&self.db, name)
                    .await
                    .map_err(NotOpened::failed)?
                    .ok_or(NotOpened::Missing)?;
                let plain = self
                    .secrets
                    .open(&row.name, &row.config_sealed)
                    .map_err(NotOpened::failed)?;
                let config: ConnectionConfig =
                    serde_json::from_slice(&plain).map_err(NotOpened::failed)?;
                Ok(Opened {
                    backend: open_backend(name, config, &self.data_dir)
                        .await
                        .map_err(NotOpened::failed)?,
                    fingerprint: Sha256::digest(&plain).into(),
                })
            })
            .await;
        match opened {
            Ok(opened) => Ok(Some(opened.backend.clone())),
            Err(not_opened) => {
                // An empty slot is not kept: names asked for in vain must
                // not pile up.
                self.forget_empty(name, &slot);
                match not_opened {
                    NotOpened::Missing => Ok(None),
                    NotOpened::Failed(e) => Err(e),
                }
            }
        }
    }

    /// Removes `slot` from the open ones if it is still `name`'s and empty.
    fn forget_empty(&self, name: &str, slot: &Slot) {
        let mut open = self.open();
        if open
            .get(name)
            .is_some_and(|s| Arc::ptr_eq(s, slot) && !s.initialized())
        {
            open.remove(name);
        }
    }

    /// The class of connection `name` (`sql`, `http` …), or `None` when no
    /// connection has that name; does not open anything.
    ///
    /// # Errors
    /// When the control plane cannot be read.
    pub async fn class_of(&self, name: &str) -> anyhow::Result<Option<String>> {
        let open = self.open().get(name).and_then(|slot| slot.get().cloned());
        if let Some(opened) = open {
            return Ok(Some(opened.backend.class().to_string()));
        }
        Ok(connections::get(&self.db, name).await?.map(|row| row.class))
    }

    /// Compares every open backend with the stored configs, for when
    /// changes may have been missed: a backend whose connection is gone or
    /// whose config differs from the one it was opened with is let go of
    /// (see [`Registry::close`]), and so is one still opening, which may
    /// have read the config before the change; the others, with their
    /// pools and `memory` key-value stores, stay as they are.
    ///
    /// # Errors
    /// When the stored configs cannot be read; nothing is closed then.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let mut current = HashMap::new();
        for row in connections::list(&self.db).await? {
            // A config that no longer opens (a changed key) counts as
            // changed: the next use reports the error.
            if let Ok(plain) = self.secrets.open(&row.name, &row.config_sealed) {
                let fingerprint: [u8; 32] = Sha256::digest(&plain).into();
                current.insert(row.name, fingerprint);
            }
        }
        let stale: Vec<String> = self
            .open()
            .iter()
            .filter(|(name, slot)| {
                slot.get().map(|o| o.fingerprint) != current.get(name.as_str()).copied()
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            self.close(&name);
        }
        Ok(())
    }

    /// Forgets the backend of `name`, if open, and its cached OAuth2 access
    /// token: the next call opens it anew. It is not closed here, since an
    /// invocation may hold it between lending and its first statement
    /// (closing a sqlx pool fails every later acquire with "closed pool");
    /// dropping its last clone closes its sockets (a pool's idle
    /// connections, pooled HTTP connections) and frees a memory store.
    pub fn close(&self, name: &str) {
        self.oauth2.drop_cached(name);
        let slot = self.open().remove(name);
        drop(slot);
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
