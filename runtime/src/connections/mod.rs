//! Connection configs: what an admin stores under a name and the host uses
//! to reach a backend on a guest's behalf — `sql`, `http`, `smtp`, `kv`,
//! `files` and `command`.
//!
//! Secrets (passwords, tokens, API keys, credentials in URLs) are
//! write-only: [`redacted`] is all the admin API ever shows, and an update
//! that omits a secret keeps the stored one.

pub mod command;
pub mod files;
pub mod http;
pub mod http_client;
pub mod kv;
pub mod kv_store;
pub mod oauth2;
pub mod pools;
pub mod redact;
pub mod registry;
pub mod smtp;
pub mod sql;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use command::CommandConfig;
pub use files::FilesConfig;
pub use http::HttpConfig;
pub use kv::KvConfig;
pub use registry::Registry;
pub use smtp::SmtpConfig;
pub use sql::SqlConfig;

/// The members of a connection's `config` that hold secrets (besides a
/// password inside a `url`): write-only in the admin API, and in a deploy
/// file only ever `${VAR}`.
pub const SECRET_FIELDS: [&[&str]; 5] = [
    &["password"],
    &["auth", "token"],
    &["auth", "password"],
    &["auth", "value"],
    &["auth", "client_secret"],
];

/// A connection's class and class-specific config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "class", content = "config", rename_all = "lowercase")]
pub enum ConnectionConfig {
    /// A SQL database: SQLite, PostgreSQL or MySQL/MariaDB.
    Sql(SqlConfig),
    /// An HTTP API under a base URL.
    Http(HttpConfig),
    /// A mail server.
    Smtp(SmtpConfig),
    /// Key-value storage in memory or Redis.
    Kv(KvConfig),
    /// A directory on the host.
    Files(FilesConfig),
    /// A program on the host with a fixed argument template.
    Command(CommandConfig),
}

impl ConnectionConfig {
    /// The class name as in the API (`sql`, `http`, `smtp`, `kv`).
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

    /// Checks the fields.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Sql(c) => c.validate(),
            Self::Http(c) => c.validate(),
            Self::Smtp(c) => c.validate(),
            Self::Kv(c) => c.validate(),
            Self::Files(c) => c.validate(),
            Self::Command(c) => c.validate(),
        }
    }

    /// Keeps secrets from `old` that this config leaves out (write-only
    /// fields); nothing is kept across a change of class.
    ///
    /// A secret is kept only where it went before: when a field that says
    /// where it is sent changed (a host, port, URL, token endpoint, a
    /// weaker TLS mode, another trusted CA), the update must restate it,
    /// or a stolen admin token could send the stored password to a server
    /// of its choosing (the connection test would deliver it at once).
    ///
    /// # Errors
    /// A message naming the field that moved and the secret to restate,
    /// for a 422; `self` is then unchanged.
    pub fn keep_secrets_from(&mut self, old: &ConnectionConfig) -> Result<(), String> {
        match (self, old) {
            (Self::Sql(new), Self::Sql(old)) => new.keep_secrets_from(old),
            (Self::Http(new), Self::Http(old)) => new.keep_secrets_from(old),
            (Self::Smtp(new), Self::Smtp(old)) => new.keep_secrets_from(old),
            (Self::Kv(new), Self::Kv(old)) => new.keep_secrets_from(old),
            (Self::Command(new), Self::Command(old)) => new.keep_secrets_from(old),
            _ => Ok(()),
        }
    }

    /// The document a JSON merge patch (RFC 7396) applies to: the stored
    /// config without its separate secret fields, nor a command's `env`
    /// (whose values are secrets; a patch gives it whole or not at all),
    /// which [`Self::keep_secrets_from`] restores unless the patch sets
    /// them.
    pub fn patch_base(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let (Self::Command(_), Some(config)) = (self, value["config"].as_object_mut()) {
            config.remove("env");
        }
        for path in SECRET_FIELDS {
            let (field, parents) = path.split_last().expect("a field path is not empty");
            let mut member = value.get_mut("config");
            for parent in parents {
                member = member.and_then(|m| m.get_mut(*parent));
            }
            if let Some(object) = member.and_then(Value::as_object_mut) {
                object.remove(*field);
            }
        }
        value
    }

    /// Tries to reach the backend: `SELECT 1`, an HTTP `HEAD` of the base
    /// URL, an SMTP `NOOP`, a Redis `PING`; for `files`, opens the root;
    /// for `command`, checks the program is an executable file.
    ///
    /// # Errors
    /// The backend's message when it cannot be reached or refuses.
    pub async fn test(&self, data_dir: &Path) -> Result<(), String> {
        match self {
            Self::Sql(c) => c.test(data_dir).await,
            Self::Http(c) => c.test().await,
            Self::Smtp(c) => c.test().await,
            Self::Kv(c) => {
                let store = kv_store::KvStore::open(c)
                    .await
                    .map_err(|e| e.to_string())?;
                store.ping().await.map_err(|e| e.to_string())
            }
            Self::Files(c) => c
                .open_root()
                .map(drop)
                .map_err(|e| format!("root {:?}: {e}", c.root)),
            Self::Command(c) => c.test(),
        }
    }
}

/// Why an update that moved a secret's destination (`moved`, e.g.
/// `config.host`) without restating the secret (`secret`, e.g.
/// `config.password`) is refused.
fn restate(moved: &str, secret: &str) -> String {
    format!(
        "{moved} changes where the stored secret is sent: restate {secret} in the same update \
         (or leave {moved} as it is to keep the stored secret)"
    )
}

/// The config as the admin API shows it: secrets removed, `password_set`
/// or `secret_set` saying whether one is stored.
pub fn redacted(config: &ConnectionConfig) -> Value {
    match config {
        ConnectionConfig::Sql(c) => c.redacted(),
        ConnectionConfig::Http(c) => c.redacted(),
        ConnectionConfig::Smtp(c) => c.redacted(),
        ConnectionConfig::Kv(c) => c.redacted(),
        ConnectionConfig::Files(c) => serde_json::to_value(c).unwrap_or(Value::Null),
        ConnectionConfig::Command(c) => c.redacted(),
    }
}
