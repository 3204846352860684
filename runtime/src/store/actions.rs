//! Actions and their versions. An action's bytes are stored per version with
//! their SHA-256; uploading bytes identical to the latest version creates
//! nothing.

use serde::Serialize;
use sqlx::{AnyConnection, AnyExecutor, Connection};

use crate::engine::Limits;

/// One row of `actions`: the settings shared by all versions.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Fuel per invocation.
    pub fuel: i64,
    /// Linear memory ceiling per invocation, bytes.
    pub memory_bytes: i64,
    /// Wall-clock deadline per invocation, ms.
    pub timeout_ms: i64,
    /// JSON object handed to the guest in its context.
    pub config: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// The built-in it is made from (`sql-table` …), or `None` for an
    /// uploaded component.
    pub builtin: Option<String>,
}

impl ActionRow {
    /// The row's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            fuel: self.fuel as u64,
            memory_bytes: self.memory_bytes as u64,
            timeout_ms: self.timeout_ms as u64,
        }
    }
}

/// One uploaded version of an action (without its bytes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct VersionRow {
    /// 1, 2, … in upload order.
    pub version: i64,
    /// Hex SHA-256 of the component bytes.
    pub sha256: String,
    /// Size of the component, bytes.
    pub size_bytes: i64,
    /// The tools and languages that made it (its `producers` sections).
    pub producers: crate::store::Json<Vec<crate::producers::Producer>>,
    /// RFC 3339 upload time.
    pub created_at: String,
}

/// What an upload did.
#[derive(Debug, Clone)]
pub enum Upload {
    /// The bytes differ from the latest version: a new version was stored.
    Created(VersionRow),
    /// The bytes equal the latest version: nothing changed.
    Unchanged(VersionRow),
}

const VERSION_COLUMNS: &str = "version, sha256, size_bytes, producers, created_at";

/// All actions, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<ActionRow>> {
    sqlx::query_as("SELECT * FROM actions ORDER BY name")
        .fetch_all(db)
        .await
}

/// The action called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<ActionRow>> {
    sqlx::query_as("SELECT * FROM actions WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The newest version of `name`, if it has any.
///
/// # Errors
/// On database failure.
pub async fn latest_version<'e>(
    db: impl AnyExecutor<'e>,
    name: &str,
) -> sqlx::Result<Option<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM action_versions WHERE action = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(name)
    .fetch_optional(db)
    .await
}

/// Version `version` of `name`, if it exists.
///
/// # Errors
/// On database failure.
pub async fn version<'e>(
    db: impl AnyExecutor<'e>,
    name: &str,
    version: i64,
) -> sqlx::Result<Option<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM action_versions WHERE action = $1 AND version = $2"
    ))
    .bind(name)
    .bind(version)
    .fetch_optional(db)
    .await
}

/// Every version of `name`, oldest first.
///
/// # Errors
/// On database failure.
pub async fn versions<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Vec<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM action_versions WHERE action = $1 ORDER BY version"
    ))
    .bind(name)
    .fetch_all(db)
    .await
}

/// The component bytes with this SHA-256, from whichever version holds them.
///
/// # Errors
/// On database failure.
pub async fn wasm_by_sha<'e>(
    db: impl AnyExecutor<'e>,
    sha256: &str,
) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT wasm FROM action_versions WHERE sha256 = $1 LIMIT 1")
        .bind(sha256)
        .fetch_optional(db)
        .await
}

/// Stores `wasm` as the next version of `name`, creating the action with
/// `defaults` as its limits when it is new. Bytes equal to the latest
/// version give [`Upload::Unchanged`].
///
/// # Errors
/// On database failure; a unique violation means a concurrent upload of the
/// same action won the version number.
pub async fn upload(
    conn: &mut AnyConnection,
    name: &str,
    sha256: &str,
    wasm: &[u8],
    defaults: Limits,
) -> sqlx::Result<Upload> {
    let mut tx = conn.begin().await?;
    let now = super::now();
    sqlx::query(
        "INSERT INTO actions (name, fuel, memory_bytes, timeout_ms, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(name) DO NOTHING",
    )
    .bind(name)
    .bind(defaults.fuel as i64)
    .bind(defaults.memory_bytes as i64)
    .bind(defaults.timeout_ms as i64)
    .bind(&now)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let latest: Option<VersionRow> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM action_versions WHERE action = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(latest) = latest.as_ref().filter(|v| v.sha256 == sha256) {
        return Ok(Upload::Unchanged(latest.clone()));
    }
    let row = VersionRow {
        version: latest.map_or(1, |v| v.version + 1),
        sha256: sha256.to_string(),
        size_bytes: wasm.len() as i64,
        producers: crate::store::Json(crate::producers::of(wasm)),
        created_at: now.clone(),
    };
    sqlx::query(
        "INSERT INTO action_versions (action, version, sha256, size_bytes, producers, wasm, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(name)
    .bind(row.version)
    .bind(&row.sha256)
    .bind(row.size_bytes)
    .bind(&row.producers)
    .bind(wasm)
    .bind(&row.created_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE actions SET updated_at = $1 WHERE name = $2")
        .bind(&now)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Upload::Created(row))
}

/// Replaces the mutable settings of an existing action.
///
/// # Errors
/// On database failure.
pub async fn update<'e>(db: impl AnyExecutor<'e>, row: &ActionRow) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE actions SET description = $1, fuel = $2, memory_bytes = $3, timeout_ms = $4,
         config = $5, updated_at = $6 WHERE name = $7",
    )
    .bind(&row.description)
    .bind(row.fuel)
    .bind(row.memory_bytes)
    .bind(row.timeout_ms)
    .bind(&row.config)
    .bind(super::now())
    .bind(&row.name)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the built-in `name` is made from (`None`: an uploaded component).
///
/// # Errors
/// On database failure.
pub async fn set_builtin<'e>(
    db: impl AnyExecutor<'e>,
    name: &str,
    builtin: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE actions SET builtin = $1 WHERE name = $2")
        .bind(builtin)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes `name` and all its versions; returns whether it existed.
///
/// # Errors
/// On database failure, including a foreign-key violation when an
/// operation still uses the action.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM actions WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether bytes with this SHA-256 are stored, staged or in a version.
///
/// # Errors
/// On database failure.
pub async fn has_component<'e>(db: impl AnyExecutor<'e>, sha256: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, crate::store::Flag>(
        "SELECT EXISTS (SELECT 1 FROM components WHERE sha256 = $1)
             OR EXISTS (SELECT 1 FROM action_versions WHERE sha256 = $1)",
    )
    .bind(sha256)
    .fetch_one(db)
    .await
    .map(bool::from)
}

/// Stages component bytes under their SHA-256; storing them twice is a no-op.
///
/// # Errors
/// On database failure.
pub async fn stage_component<'e>(
    db: impl AnyExecutor<'e>,
    sha256: &str,
    wasm: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO components (sha256, wasm, size_bytes, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT(sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(wasm)
    .bind(wasm.len() as i64)
    .bind(super::now())
    .execute(db)
    .await?;
    Ok(())
}

/// The bytes with this SHA-256, staged or from a version.
///
/// # Errors
/// On database failure.
pub async fn component_bytes(
    conn: &mut AnyConnection,
    sha256: &str,
) -> sqlx::Result<Option<Vec<u8>>> {
    let staged: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT wasm FROM components WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut *conn)
            .await?;
    match staged {
        Some(bytes) => Ok(Some(bytes)),
        None => wasm_by_sha(&mut *conn, sha256).await,
    }
}

/// Drops staged bytes once a version holds them.
///
/// # Errors
/// On database failure.
pub async fn unstage_component<'e>(db: impl AnyExecutor<'e>, sha256: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM components WHERE sha256 = $1")
        .bind(sha256)
        .execute(db)
        .await?;
    Ok(())
}
