//! `kv` connections: key-value storage in this node's memory (moka) or in
//! Redis, shared between nodes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// Where the keys live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvBackend {
    /// In this process, bounded by `max_bytes`; lost on restart and on any
    /// change to the connection; not shared between nodes.
    Memory,
    /// A Redis server at `url`, shared between nodes.
    Redis,
}

/// Whose keys a guest sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvNamespace {
    /// Every action granted the connection shares one key space.
    Shared,
    /// Each action has its own key space inside the connection.
    Action,
}

/// Config of a `kv` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvConfig {
    /// `memory` or `redis`.
    pub backend: KvBackend,
    /// Redis: `redis://[user:password@]host:port[/db]` (`rediss://` for
    /// TLS); the password is write-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// TTL of values set without one, seconds; none means no expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
    /// `shared` (default) or `action`.
    #[serde(default = "default_namespace")]
    pub namespace: KvNamespace,
    /// Memory: the most bytes of keys and values kept (default 64 MiB); the
    /// least recently used entries go first.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Largest value one `set` may store, and one `get` may read, bytes
    /// (default 1 MiB, at most 64 MiB): a larger value in a shared Redis
    /// is refused (`value-too-large`) without being fetched.
    #[serde(default = "default_max_value_bytes")]
    pub max_value_bytes: u64,
    /// Longest a Redis command may take, ms (default 2000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_namespace() -> KvNamespace {
    KvNamespace::Shared
}

fn default_max_bytes() -> u64 {
    64 << 20
}

fn default_max_value_bytes() -> u64 {
    1 << 20
}

fn default_timeout_ms() -> u64 {
    2_000
}

impl KvConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        match (self.backend, &self.url) {
            (KvBackend::Redis, None) => return Err("url is required for backend redis".into()),
            (KvBackend::Redis, Some(url)) => {
                let parsed = Url::parse(url).map_err(|e| format!("url: {e}"))?;
                if !matches!(parsed.scheme(), "redis" | "rediss") {
                    return Err("url must be a redis:// or rediss:// URL".into());
                }
            }
            (KvBackend::Memory, Some(_)) => {
                return Err("url is only for backend redis".into());
            }
            (KvBackend::Memory, None) => {}
        }
        if self.ttl_seconds == Some(0) {
            return Err("ttl_seconds must be at least 1 (leave it out for no expiry)".into());
        }
        if self.max_bytes < 1024 {
            return Err("max_bytes must be at least 1024".into());
        }
        if !(1..=(64 << 20)).contains(&self.max_value_bytes) {
            return Err("max_value_bytes must be between 1 and 67108864".into());
        }
        if !(1..=60_000).contains(&self.timeout_ms) {
            return Err("timeout_ms must be between 1 and 60000".into());
        }
        Ok(())
    }

    /// Keeps the stored Redis password when an update's URL has none and
    /// names the same server (see
    /// [`super::ConnectionConfig::keep_secrets_from`]).
    ///
    /// # Errors
    /// When the URL's host or port changed, or `rediss` became `redis`.
    pub fn keep_secrets_from(&mut self, old: &KvConfig) -> Result<(), String> {
        let (Some(new), Some(old)) = (&self.url, &old.url) else {
            return Ok(());
        };
        let (Ok(mut new_url), Ok(old_url)) = (Url::parse(new), Url::parse(old)) else {
            return Ok(());
        };
        let Some(password) = old_url.password() else {
            return Ok(());
        };
        if new_url.password().is_some() {
            return Ok(());
        }
        if new_url.host() != old_url.host()
            || new_url.port_or_known_default() != old_url.port_or_known_default()
            || (old_url.scheme() == "rediss" && new_url.scheme() != "rediss")
        {
            return Err(super::restate(
                "config.url's server",
                "the password in config.url",
            ));
        }
        if new_url.set_password(Some(password)).is_ok() {
            self.url = Some(new_url.to_string());
        }
        Ok(())
    }

    /// The config without the Redis password, with `password_set`.
    pub fn redacted(&self) -> Value {
        let url = self.url.as_deref().and_then(|u| Url::parse(u).ok());
        let password_set = url.as_ref().is_some_and(|u| u.password().is_some());
        let shown = url.map(|mut u| {
            let _ = u.set_password(None);
            u.to_string()
        });
        let mut value = serde_json::to_value(Self {
            url: shown,
            ..self.clone()
        })
        .unwrap_or(Value::Null);
        if self.backend == KvBackend::Redis {
            value["password_set"] = json!(password_set);
        }
        value
    }
}
