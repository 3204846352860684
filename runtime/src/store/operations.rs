//! Operations: `METHOD /path/:param` → action.

use crate::store::Json;
use serde::Serialize;
use sqlx::{AnyConnection, AnyExecutor, Connection};

use crate::contract::Contract;

/// One row of `operations`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OperationRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template with `:param` segments, e.g. `/hello/:name`.
    pub path: String,
    /// Method and path with parameter names erased; unique.
    #[serde(skip)]
    pub route_key: String,
    /// The action it invokes.
    pub action: String,
    /// A pinned version of the action, or `None` for the latest.
    pub action_version: Option<i64>,
    /// Free text.
    pub description: String,
    /// `experimental`, `stable`, `deprecated` or `legacy` (Fusio's stabilities).
    pub stability: String,
    /// Inactive operations are not routed.
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// Callable without a token.
    #[sqlx(try_from = "crate::store::Flag")]
    pub public: bool,
    /// Scopes any one of which lets a token call it; empty: any valid token.
    pub scopes: Json<Vec<String>>,
    /// Whether the action's answers carry `Content-Security-Policy:
    /// sandbox`, so a page they make runs in an opaque origin (default
    /// true; see [`crate::gateway::invoke::harden`]).
    #[sqlx(try_from = "crate::store::Flag")]
    pub sandbox: bool,
    /// The operation's own CORS policy; `None` inherits `SLUICE_CORS_ORIGINS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<Json<crate::cors_policy::CorsPolicy>>,
    /// Its exposure as an MCP tool; `None` follows the project's default
    /// (`SLUICE_MCP_TOOLS_BY_DEFAULT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp: Option<Json<crate::tool::Exposure>>,
    /// Parameters, schemas and throws (shown flattened into the operation).
    #[serde(flatten)]
    pub contract: Json<Contract>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All operations, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<OperationRow>> {
    sqlx::query_as("SELECT * FROM operations ORDER BY name")
        .fetch_all(db)
        .await
}

/// The operation called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<OperationRow>> {
    sqlx::query_as("SELECT * FROM operations WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Names of the operations that invoke `action`.
///
/// # Errors
/// On database failure.
pub async fn names_using<'e>(db: impl AnyExecutor<'e>, action: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM operations WHERE action = $1 ORDER BY name")
        .bind(action)
        .fetch_all(db)
        .await
}

/// Inserts `row`; when `replace` names an existing operation, that row is
/// replaced instead (renames included).
///
/// # Errors
/// On database failure; a unique violation means the name or the
/// method + path is taken.
pub async fn save(
    conn: &mut AnyConnection,
    row: &OperationRow,
    replace: Option<&str>,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    if let Some(old) = replace {
        sqlx::query("DELETE FROM operations WHERE name = $1")
            .bind(old)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO operations (name, method, path, route_key, action, action_version,
         description, stability, active, public, scopes, contract, cors, created_at, updated_at,
         sandbox, mcp)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&row.name)
    .bind(&row.method)
    .bind(&row.path)
    .bind(&row.route_key)
    .bind(&row.action)
    .bind(row.action_version)
    .bind(&row.description)
    .bind(&row.stability)
    .bind(row.active)
    .bind(row.public)
    .bind(&row.scopes)
    .bind(&row.contract)
    .bind(&row.cors)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(row.sandbox)
    .bind(&row.mcp)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM operations WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
