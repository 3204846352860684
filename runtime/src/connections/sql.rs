//! `sql` connections: SQLite (a file), PostgreSQL and MySQL/MariaDB, reached
//! each through its own sqlx driver (the connection test uses sqlx `Any`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use url::Url;

/// The database behind a `sql` connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlDriver {
    /// A SQLite file (`path`, relative to the data directory, or `url`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

/// TLS to the database server (PostgreSQL `sslmode`, MySQL `ssl-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Never use TLS.
    Disable,
    /// Use TLS when the server offers it.
    Prefer,
    /// Refuse to connect without TLS.
    Require,
}

/// Config of a `sql` connection: either `url`, or the separate fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlConfig {
    /// `sqlite`, `postgres` or `mysql`.
    pub driver: SqlDriver,
    /// A full URL (`postgres://user:pass@host:5432/db`); overrides the fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// SQLite: the database file; a relative path is under the data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Server host name or address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Server port (default 5432 for PostgreSQL, 3306 for MySQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Password: write-only, never shown by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Database name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// TLS mode (default: the driver's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_mode: Option<TlsMode>,
    /// Most connections the pool opens (default 8, at most 100).
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// Longest a statement may run, ms (default 5000); the guest gets `timeout`.
    #[serde(default = "default_statement_timeout_ms")]
    pub statement_timeout_ms: u64,
    /// Most bytes one query may return to the guest, counted while rows
    /// are decoded (text and blob lengths, 8 per number; default 16 MiB,
    /// 1 KiB to 1 GiB); beyond it the guest gets `query-failed` with
    /// SQLSTATE 54000. On SQLite it also bounds every single value and
    /// row, read or written (`SQLITE_LIMIT_LENGTH`), so that no value is
    /// allocated whole before it is counted.
    #[serde(default = "default_max_result_bytes")]
    pub max_result_bytes: u64,
}

/// The default of [`SqlConfig::max_result_bytes`]: 16 MiB.
pub const DEFAULT_MAX_RESULT_BYTES: u64 = 16 << 20;

fn default_max_result_bytes() -> u64 {
    DEFAULT_MAX_RESULT_BYTES
}

fn default_pool_size() -> u32 {
    8
}

fn default_statement_timeout_ms() -> u64 {
    5_000
}

impl SqlConfig {
    /// Checks the fields.
    ///
    /// # Errors
    /// A message naming the field that is missing or out of range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.pool_size) {
            return Err("config.pool_size must be between 1 and 100".into());
        }
        if !(1..=600_000).contains(&self.statement_timeout_ms) {
            return Err("config.statement_timeout_ms must be between 1 and 600000".into());
        }
        if !(1 << 10..=1 << 30).contains(&self.max_result_bytes) {
            return Err(
                "config.max_result_bytes must be between 1024 (1 KiB) and 1073741824 (1 GiB)"
                    .into(),
            );
        }
        if let Some(url) = &self.url {
            let parsed = Url::parse(url).map_err(|e| format!("config.url is not a URL: {e}"))?;
            let ok = match self.driver {
                SqlDriver::Sqlite => parsed.scheme() == "sqlite",
                SqlDriver::Postgres => matches!(parsed.scheme(), "postgres" | "postgresql"),
                SqlDriver::Mysql => matches!(parsed.scheme(), "mysql" | "mariadb"),
            };
            if !ok {
                return Err(format!(
                    "config.url scheme {:?} does not match driver {:?}",
                    parsed.scheme(),
                    self.driver
                ));
            }
            return Ok(());
        }
        match self.driver {
            SqlDriver::Sqlite if self.path.as_deref().is_none_or(str::is_empty) => {
                Err("a sqlite connection needs config.path (or config.url)".into())
            }
            SqlDriver::Postgres | SqlDriver::Mysql if self.host.is_none() => {
                Err("config.host is required (or give config.url)".into())
            }
            _ => Ok(()),
        }
    }

    /// The sqlx connection URL; relative SQLite paths resolve under `data_dir`.
    ///
    /// # Errors
    /// When the fields cannot form a URL.
    pub fn connect_url(&self, data_dir: &Path) -> Result<String, String> {
        let url = self.base_url(data_dir)?;
        if self.driver != SqlDriver::Postgres {
            return Ok(url);
        }
        // The server cancels statements past the timeout too, so a query the
        // host gave up on does not keep running there.
        let mut parsed = Url::parse(&url).map_err(|e| e.to_string())?;
        if !parsed.query_pairs().any(|(k, _)| k.starts_with("options")) {
            parsed.query_pairs_mut().append_pair(
                "options[statement_timeout]",
                &self.statement_timeout_ms.to_string(),
            );
        }
        Ok(parsed.to_string())
    }

    fn base_url(&self, data_dir: &Path) -> Result<String, String> {
        if self.driver == SqlDriver::Sqlite {
            let options = self.sqlite_options(data_dir)?;
            if let Some(url) = &self.url {
                return Ok(url.clone());
            }
            return Ok(crate::store::sqlite_url(
                options.get_filename(),
                "?mode=rwc",
            ));
        }
        if let Some(url) = &self.url {
            return Ok(url.clone());
        }
        let (scheme, port, tls_key) = match self.driver {
            SqlDriver::Postgres => ("postgres", 5432, "sslmode"),
            _ => ("mysql", 3306, "ssl-mode"),
        };
        let mut url = Url::parse(&format!("{scheme}://placeholder")).map_err(|e| e.to_string())?;
        url.set_host(self.host.as_deref())
            .map_err(|e| format!("config.host: {e}"))?;
        url.set_port(Some(self.port.unwrap_or(port)))
            .map_err(|()| "config.port is invalid")?;
        if let Some(user) = &self.user {
            url.set_username(user)
                .map_err(|()| "config.user cannot be used")?;
        }
        if let Some(password) = &self.password {
            url.set_password(Some(password))
                .map_err(|()| "config.password cannot be used")?;
        }
        if let Some(db) = &self.database {
            url.set_path(&format!("/{db}"));
        }
        if let Some(mode) = self.tls_mode {
            let value = match (self.driver, mode) {
                (_, TlsMode::Disable) if self.driver == SqlDriver::Mysql => "DISABLED",
                (_, TlsMode::Prefer) if self.driver == SqlDriver::Mysql => "PREFERRED",
                (_, TlsMode::Require) if self.driver == SqlDriver::Mysql => "REQUIRED",
                (_, TlsMode::Disable) => "disable",
                (_, TlsMode::Prefer) => "prefer",
                (_, TlsMode::Require) => "require",
            };
            url.query_pairs_mut().append_pair(tls_key, value);
        }
        Ok(url.to_string())
    }

    /// The options a SQLite connection opens its file with: `url` as
    /// given, or `path` (relative to `data_dir`) created if missing, taken
    /// as a file name whatever characters it holds (`?`, `%` …).
    ///
    /// # Errors
    /// When `url` is not a SQLite URL, or the file is one of the
    /// platform's own ([`crate::store::PLATFORM_FILES`]): the control
    /// plane's `sluice.db` holds every password hash and role, so no
    /// connection may open it, by any path or link.
    pub fn sqlite_options(&self, data_dir: &Path) -> Result<SqliteConnectOptions, String> {
        let options = match &self.url {
            Some(url) => SqliteConnectOptions::from_str(url)
                .map_err(|e| format!("config.url is not a SQLite URL: {e}"))?,
            None => {
                let path = Path::new(self.path.as_deref().unwrap_or_default());
                SqliteConnectOptions::new()
                    .filename(data_dir.join(path))
                    .create_if_missing(true)
            }
        };
        refuse_platform_file(options.get_filename(), data_dir)?;
        Ok(options)
    }

    /// Keeps the stored password when this config omits it and still
    /// sends it where `old` did (see
    /// [`super::ConnectionConfig::keep_secrets_from`]).
    ///
    /// # Errors
    /// When the driver, host, port or a weaker TLS mode moved the password.
    pub fn keep_secrets_from(&mut self, old: &SqlConfig) -> Result<(), String> {
        if self.password.is_some() || self.url.is_some() || old.password.is_none() {
            return Ok(());
        }
        if let Some(moved) = self.moved_from(old) {
            return Err(super::restate(moved, "config.password"));
        }
        self.password.clone_from(&old.password);
        Ok(())
    }

    /// The first field that sends the password somewhere other than `old`
    /// did, or over a weaker channel.
    fn moved_from(&self, old: &SqlConfig) -> Option<&'static str> {
        let tls_rank = |config: &SqlConfig| match config.tls_mode {
            Some(TlsMode::Disable) => 0,
            // Both drivers prefer TLS when no mode is given.
            None | Some(TlsMode::Prefer) => 1,
            Some(TlsMode::Require) => 2,
        };
        if self.driver != old.driver {
            Some("config.driver")
        } else if self.host != old.host {
            Some("config.host")
        } else if self.port_or_default() != old.port_or_default() {
            Some("config.port")
        } else if tls_rank(self) < tls_rank(old) {
            Some("config.tls_mode")
        } else {
            None
        }
    }

    fn port_or_default(&self) -> Option<u16> {
        match self.driver {
            SqlDriver::Sqlite => self.port,
            SqlDriver::Postgres => Some(self.port.unwrap_or(5432)),
            SqlDriver::Mysql => Some(self.port.unwrap_or(3306)),
        }
    }

    /// The config without secrets: no `password`, a URL without its
    /// password, and `password_set`.
    pub fn redacted(&self) -> Value {
        let mut shown = self.clone();
        let mut password_set = shown.password.take().is_some();
        if let Some(url) = shown.url.as_mut()
            && let Ok(mut parsed) = Url::parse(url)
            && parsed.password().is_some()
        {
            let _ = parsed.set_password(None);
            password_set = true;
            *url = parsed.to_string();
        }
        let mut value = serde_json::to_value(&shown).unwrap_or(Value::Null);
        value["password_set"] = json!(password_set);
        value
    }

    /// Opens a one-connection pool and runs `SELECT 1`.
    ///
    /// # Errors
    /// The driver's message when the database cannot be reached or refuses.
    pub async fn test(&self, data_dir: &Path) -> Result<(), String> {
        let url = self.connect_url(data_dir)?;
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let result = sqlx::query("SELECT 1").execute(&pool).await;
        pool.close().await;
        result
            .map(|_| ())
            .map_err(|e| format!("the test query failed: {e}"))
    }
}

/// Refuses `file` when it is, or links to, one of the data directory's
/// platform files.
fn refuse_platform_file(file: &Path, data_dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let refused = || {
        Err(format!(
            "{} is one of the platform's own files; a connection cannot open it",
            file.display()
        ))
    };
    // The file may not exist yet: then its directory is resolved, links
    // and `..` included, and the name compared.
    let resolved = file.canonicalize().ok().or_else(|| {
        let parent = file.parent()?.canonicalize().ok()?;
        Some(parent.join(file.file_name()?))
    });
    let data_dir = data_dir.canonicalize().ok();
    if let (Some(resolved), Some(data_dir)) = (&resolved, &data_dir)
        && resolved.parent() == Some(data_dir.as_path())
        && resolved
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| crate::store::PLATFORM_FILES.contains(&n))
    {
        return refused();
    }
    // A hard link has another name but the same inode.
    let identity = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    if let Some(target) = identity(file)
        && crate::store::PLATFORM_FILES
            .iter()
            .filter_map(|name| identity(&data_dir.as_deref().unwrap_or(Path::new(".")).join(name)))
            .any(|platform| platform == target)
    {
        return refused();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Value) -> SqlConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn fields_form_a_url_with_escaped_credentials_tls_and_a_server_side_timeout() {
        let pg = config(json!({
            "driver": "postgres", "host": "db", "user": "app", "password": "p@ss/word",
            "database": "shop", "tls_mode": "require", "statement_timeout_ms": 1500
        }));
        assert_eq!(
            pg.connect_url(Path::new("/data")).unwrap(),
            "postgres://app:p%40ss%2Fword@db:5432/shop?sslmode=require&options%5Bstatement_timeout%5D=1500"
        );
        let my = config(json!({"driver": "mysql", "host": "db", "tls_mode": "disable"}));
        assert_eq!(
            my.connect_url(Path::new("/data")).unwrap(),
            "mysql://db:3306?ssl-mode=DISABLED"
        );
        let lite = config(json!({"driver": "sqlite", "path": "todo.db"}));
        assert_eq!(
            lite.connect_url(Path::new("/data")).unwrap(),
            "sqlite:///data/todo.db?mode=rwc"
        );
    }
}
