//! Scopes: named permissions that guard operations (`operations.scopes`),
//! are granted to apps (`apps.scopes`) and grouped into roles
//! (`roles.scopes`).

use crate::store::Json;
use serde::Serialize;
use sqlx::AnyExecutor;

/// The scope the admin API requires; it cannot be deleted.
pub const ADMIN_SCOPE: &str = "admin";

/// The scope that reads `GET /system/metrics` (as `admin` does); it cannot
/// be deleted.
pub const METRICS_SCOPE: &str = "metrics";

/// One row of `scopes`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ScopeRow {
    /// Unique name, `[A-Za-z0-9_.:-]{1,64}` (e.g. `todo`, `todo:write`).
    pub name: String,
    /// Free text shown in the OpenAPI document.
    pub description: String,
    /// Whether consumers (who sign up in the portal) may ask for it.
    #[sqlx(try_from = "crate::store::Flag")]
    pub consumers: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All scopes, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<ScopeRow>> {
    sqlx::query_as("SELECT * FROM scopes ORDER BY name")
        .fetch_all(db)
        .await
}

/// The scope called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<ScopeRow>> {
    sqlx::query_as("SELECT * FROM scopes WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &ScopeRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scopes (name, description, created_at, updated_at, consumers)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description,
             updated_at = excluded.updated_at, consumers = excluded.consumers",
    )
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(row.consumers)
    .execute(db)
    .await?;
    Ok(())
}

/// The scopes the admin opened to consumers, by name.
///
/// # Errors
/// On database failure.
pub async fn open_to_consumers<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<ScopeRow>> {
    sqlx::query_as("SELECT * FROM scopes WHERE consumers = TRUE ORDER BY name")
        .fetch_all(db)
        .await
}

/// Which of `names` are not scopes.
///
/// # Errors
/// On database failure.
pub async fn missing<'e>(db: impl AnyExecutor<'e>, names: &[String]) -> sqlx::Result<Vec<String>> {
    super::missing_names(db, "scopes", names).await
}

/// What refers to scope `name`: `"operation X"`, `"app Y"`, `"role Z"`.
///
/// # Errors
/// On database failure.
pub async fn users_of<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String, Json<Vec<String>>)> = sqlx::query_as(
        "SELECT 'operation ' || name, scopes FROM operations
         UNION ALL SELECT 'app ' || name, scopes FROM apps
         UNION ALL SELECT 'role ' || name, scopes FROM roles",
    )
    .fetch_all(db)
    .await?;
    Ok(super::holding(rows, name))
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM scopes WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
