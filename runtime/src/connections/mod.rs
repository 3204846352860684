//! Connection configs: what an admin stores under a name and the host uses
//! to reach a backend on a guest's behalf. Only the `sql` class exists so
//! far; `http`, `smtp` and `kv` follow the same shape.
//!
//! Secrets (passwords, credentials in URLs) are write-only: [`redacted`]
//! is all the admin API ever shows, and an update that omits the password
//! keeps the stored one.

pub mod pools;
pub mod sql;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use sql::SqlConfig;

/// A connection's class and class-specific config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "class", content = "config", rename_all = "lowercase")]
pub enum ConnectionConfig {
    /// A SQL database: SQLite, PostgreSQL or MySQL/MariaDB.
    Sql(SqlConfig),
}

impl ConnectionConfig {
    /// The class name as in the API (`sql`).
    pub fn class(&self) -> &'static str {
        match self {
            Self::Sql(_) => "sql",
        }
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Sql(c) => c.validate(),
        }
    }

    /// Keeps secrets from `old` that this config leaves out (write-only fields).
    pub fn keep_secrets_from(&mut self, old: &ConnectionConfig) {
        match (self, old) {
            (Self::Sql(new), Self::Sql(old)) => new.keep_secrets_from(old),
        }
    }
}

/// The config as the admin API shows it: secrets removed, `password_set`
/// saying whether one is stored.
pub fn redacted(config: &ConnectionConfig) -> Value {
    match config {
        ConnectionConfig::Sql(c) => c.redacted(),
    }
}
