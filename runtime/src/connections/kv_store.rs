//! The two `kv` backends behind one API: a size-bounded moka cache with a
//! TTL per entry, and Redis through a reconnecting `ConnectionManager`.
//!
//! Values are bytes; `increment` treats them as decimal integer text, as
//! Redis `INCRBY` does, so both backends agree on what a counter looks like.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::kv::{KvBackend, KvConfig};

/// Why a key-value call failed.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// `increment` met a value that is not decimal integer text, or overflowed.
    #[error("{0}")]
    NotAnInteger(String),
    /// The stored value is larger than the reader's cap (given, bytes).
    #[error("the stored value is larger than {0} bytes")]
    TooLarge(u64),
    /// The backend failed or could not be reached.
    #[error("{0}")]
    Io(String),
}

impl From<redis::RedisError> for KvError {
    fn from(error: redis::RedisError) -> Self {
        if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError)
            && error.to_string().contains("not an integer")
        {
            return Self::NotAnInteger("the value is not an integer or out of range".into());
        }
        Self::Io(error.to_string())
    }
}

/// One memory entry: the value and when it stops being visible.
#[derive(Debug, Clone)]
pub struct Entry {
    value: Arc<[u8]>,
    expires_at: Option<Instant>,
}

/// Tells moka each entry's own lifetime.
struct EntryExpiry;

impl Expiry<String, Entry> for EntryExpiry {
    fn expire_after_create(&self, _key: &String, value: &Entry, now: Instant) -> Option<Duration> {
        value.expires_at.map(|at| at.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        value.expires_at.map(|at| at.saturating_duration_since(now))
    }
}

/// A `kv` connection's open backend.
#[derive(Clone)]
pub enum KvStore {
    /// This node's memory.
    Memory(Cache<String, Entry>),
    /// A Redis server.
    Redis(ConnectionManager),
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Memory(_) => "KvStore::Memory",
            Self::Redis(_) => "KvStore::Redis",
        })
    }
}

/// Parses a stored counter.
fn parse_counter(bytes: &[u8]) -> Result<i64, KvError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| KvError::NotAnInteger("the value is not an integer or out of range".into()))
}

impl KvStore {
    /// Opens the backend of `config`: memory at once, Redis by connecting.
    ///
    /// # Errors
    /// [`KvError::Io`] when Redis cannot be reached.
    pub async fn open(config: &KvConfig) -> Result<Self, KvError> {
        match config.backend {
            KvBackend::Memory => Ok(Self::Memory(
                Cache::builder()
                    .max_capacity(config.max_bytes)
                    .weigher(|key: &String, entry: &Entry| {
                        u32::try_from(key.len() + entry.value.len() + 64).unwrap_or(u32::MAX)
                    })
                    .expire_after(EntryExpiry)
                    .build(),
            )),
            KvBackend::Redis => {
                let url = config.url.as_deref().unwrap_or_default();
                let client = redis::Client::open(url)?;
                let timeout = Duration::from_millis(config.timeout_ms);
                let manager_config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(2);
                let manager = ConnectionManager::new_with_config(client, manager_config).await?;
                Ok(Self::Redis(manager))
            }
        }
    }

    /// The value of `key`, unless absent or expired, when it is at most
    /// `max_bytes` long.
    ///
    /// A Redis value may have been written by anyone sharing the server
    /// (up to 512 MB), so it is never read whole before it is measured:
    /// one atomic `MULTI` asks its `STRLEN` and at most `max_bytes` of it
    /// (`GETRANGE`), and `EXISTS` tells an empty value from none.
    ///
    /// # Errors
    /// [`KvError::TooLarge`] past `max_bytes`; [`KvError::Io`] when Redis
    /// fails (a key holding a list or hash is Redis's `WRONGTYPE`).
    pub async fn get(&self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, KvError> {
        match self {
            Self::Memory(cache) => {
                let live = cache
                    .get(key)
                    .await
                    .filter(|e| e.expires_at.is_none_or(|at| at > Instant::now()));
                match live {
                    Some(e) if e.value.len() as u64 > max_bytes => {
                        Err(KvError::TooLarge(max_bytes))
                    }
                    live => Ok(live.map(|e| e.value.to_vec())),
                }
            }
            Self::Redis(conn) => {
                let last = i64::try_from(max_bytes.max(1) - 1).unwrap_or(i64::MAX);
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .cmd("STRLEN")
                    .arg(key)
                    .cmd("GETRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(last)
                    .cmd("EXISTS")
                    .arg(key);
                let (length, head, exists): (u64, Vec<u8>, bool) =
                    pipe.query_async(&mut conn.clone()).await?;
                if length > max_bytes {
                    return Err(KvError::TooLarge(max_bytes));
                }
                Ok(exists.then_some(head))
            }
        }
    }

    /// Stores `value` under `key`, expiring after `ttl` when given.
    ///
    /// # Errors
    /// [`KvError::Io`] when Redis fails.
    pub async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Result<(), KvError> {
        match self {
            Self::Memory(cache) => {
                let entry = Entry {
                    value: value.into(),
                    expires_at: ttl.map(|t| Instant::now() + t),
                };
                cache.insert(key.to_string(), entry).await;
                Ok(())
            }
            Self::Redis(conn) => {
                let mut conn = conn.clone();
                match ttl {
                    Some(ttl) => {
                        let _: () = conn.pset_ex(key, value, ttl_ms(ttl)).await?;
                    }
                    None => {
                        let _: () = conn.set(key, value).await?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes `key`; true when it held a live value.
    ///
    /// # Errors
    /// [`KvError::Io`] when Redis fails.
    pub async fn delete(&self, key: &str) -> Result<bool, KvError> {
        match self {
            Self::Memory(cache) => Ok(cache
                .remove(key)
                .await
                .is_some_and(|e| e.expires_at.is_none_or(|at| at > Instant::now()))),
            Self::Redis(conn) => {
                let removed: u64 = conn.clone().del(key).await?;
                Ok(removed > 0)
            }
        }
    }

    /// True when `key` holds a live value.
    ///
    /// # Errors
    /// [`KvError::Io`] when Redis fails.
    pub async fn exists(&self, key: &str) -> Result<bool, KvError> {
        match self {
            Self::Memory(_) => Ok(self.get(key).await?.is_some()),
            Self::Redis(conn) => Ok(conn.clone().exists(key).await?),
        }
    }

    /// Adds `delta` to the counter at `key` atomically; a new key starts at
    /// 0 and expires after `ttl` when given, an existing one keeps its expiry.
    ///
    /// # Errors
    /// [`KvError::NotAnInteger`] for a non-integer value or overflow;
    /// [`KvError::Io`] when Redis fails.
    pub async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, KvError> {
        match self {
            Self::Memory(cache) => {
                let result = cache
                    .entry(key.to_string())
                    .and_try_compute_with(|current| async move {
                        let now = Instant::now();
                        let live = current
                            .map(|e| e.into_value())
                            .filter(|e| e.expires_at.is_none_or(|at| at > now));
                        let (base, expires_at) = match live {
                            Some(e) => (parse_counter(&e.value)?, e.expires_at),
                            None => (0, ttl.map(|t| now + t)),
                        };
                        let sum = base.checked_add(delta).ok_or_else(|| {
                            KvError::NotAnInteger("the increment overflows a 64-bit integer".into())
                        })?;
                        Ok::<_, KvError>(Op::Put(Entry {
                            value: sum.to_string().into_bytes().into(),
                            expires_at,
                        }))
                    })
                    .await?;
                match result {
                    CompResult::Inserted(e) | CompResult::ReplacedWith(e) => {
                        parse_counter(&e.into_value().value)
                    }
                    _ => Err(KvError::Io("the counter was not stored".into())),
                }
            }
            Self::Redis(conn) => {
                let mut pipe = redis::pipe();
                pipe.atomic().incr(key, delta);
                if let Some(ttl) = ttl {
                    pipe.cmd("PEXPIRE")
                        .arg(key)
                        .arg(ttl_ms(ttl))
                        .arg("NX")
                        .ignore();
                }
                let (sum,): (i64,) = pipe.query_async(&mut conn.clone()).await?;
                Ok(sum)
            }
        }
    }

    /// Answers `PING` (Redis) or nothing to check (memory).
    ///
    /// # Errors
    /// [`KvError::Io`] when Redis does not answer.
    pub async fn ping(&self) -> Result<(), KvError> {
        if let Self::Redis(conn) = self {
            let _: String = redis::cmd("PING").query_async(&mut conn.clone()).await?;
        }
        Ok(())
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}
