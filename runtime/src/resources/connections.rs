//! Connections: named, sealed configs of the backends actions reach
//! (SQL databases, HTTP APIs, SMTP, key-value stores …).

use crate::cluster::Change;
use crate::connections::ConnectionConfig;
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
use crate::secrets::SecretBox;
use crate::store::connections::{self, ConnectionRow};
use serde::Deserialize;
use sqlx::AnyConnection;

/// Body of `POST /admin/connections`.
#[derive(Debug, Deserialize)]
pub struct ConnectionInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Class and config: `"class": "sql", "config": {"driver": ..., "url": ...}`.
    #[serde(flatten)]
    pub config: ConnectionConfig,
}

/// Opens the sealed config of `row`.
///
/// # Errors
/// 500 when the secret key does not open it.
pub fn open_config(secrets: &SecretBox, row: &ConnectionRow) -> ApiResult<ConnectionConfig> {
    let plain = secrets.open(&row.name, &row.config_sealed)?;
    Ok(serde_json::from_slice(&plain).map_err(anyhow::Error::from)?)
}

/// Validates and, unless skipped, tries the config; `data_dir` is where
/// file-backed connections (SQLite) live.
///
/// # Errors
/// 400 for an invalid config, 422 when the backend cannot be reached.
pub async fn check(
    data_dir: &std::path::Path,
    config: &ConnectionConfig,
    skip_test: bool,
) -> ApiResult<()> {
    config.validate().map_err(ApiError::BadRequest)?;
    if skip_test {
        return Ok(());
    }
    config.test(data_dir).await.map_err(|e| {
        ApiError::Unprocessable(format!(
            "the connection test failed ({e}); fix the config or pass ?skip_test=true"
        ))
    })
}

/// Validates `config`, seals it and stores it as connection `name`
/// through `conn`, replacing `existing` when given. Trying the backend is
/// the caller's part ([`check`]); replacing one closes its pool after
/// commit (`effects`).
///
/// # Errors
/// 400 for an invalid config, 409 when a new connection's name is taken.
pub async fn write(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    name: &str,
    config: &ConnectionConfig,
    existing: Option<ConnectionRow>,
    effects: &mut Effects,
) -> ApiResult<ConnectionRow> {
    check_name("connection", name)?;
    config.validate().map_err(ApiError::BadRequest)?;
    let plain = serde_json::to_vec(config).map_err(anyhow::Error::from)?;
    let sealed = secrets.seal(name, &plain)?;
    if existing.is_some() {
        connections::update(&mut *conn, name, config.class(), &sealed).await?;
        effects.change(Change::Connection(name.to_string()));
    }
    effects.change(Change::Routes);
    let now = crate::store::now();
    let row = ConnectionRow {
        name: name.to_string(),
        class: config.class().to_string(),
        config_sealed: sealed,
        created_at: existing
            .as_ref()
            .map_or_else(|| now.clone(), |e| e.created_at.clone()),
        updated_at: now,
    };
    if existing.is_none() {
        connections::insert(&mut *conn, &row).await.map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                ApiError::Conflict(format!("a connection named {name:?} already exists"))
            } else {
                e.into()
            }
        })?;
    }
    Ok(row)
}

/// Deletes connection `name` through `conn`.
///
/// # Errors
/// 409 while an action is granted it.
pub async fn remove(conn: &mut AnyConnection, name: &str, effects: &mut Effects) -> ApiResult<()> {
    let grantees = connections::grantees(&mut *conn, name).await?;
    if !grantees.is_empty() {
        return Err(ApiError::Conflict(format!(
            "connection {name:?} is granted to actions {}; revoke the grants first",
            grantees.join(", ")
        )));
    }
    connections::delete(&mut *conn, name).await?;
    // Its OAuth2 tokens go with it: a new connection of the same name
    // must not inherit them.
    crate::store::oauth2::forget(&mut *conn, name).await?;
    effects.change(Change::Connection(name.to_string()));
    effects.change(Change::Routes);
    Ok(())
}
