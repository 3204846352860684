//! Roles: named sets of scopes given to users.

use crate::store::Json;
use serde::Serialize;
use sqlx::AnyExecutor;

/// The role whose users may use the admin API; created by the migrations.
pub const ADMIN_ROLE: &str = "admin";

/// One row of `roles`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RoleRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The scopes a user with this role may obtain.
    pub scopes: Json<Vec<String>>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All roles, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<RoleRow>> {
    sqlx::query_as("SELECT * FROM roles ORDER BY name")
        .fetch_all(db)
        .await
}

/// The role called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<RoleRow>> {
    sqlx::query_as("SELECT * FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &RoleRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO roles (name, description, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description,
             scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.scopes)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The union of the scopes of `roles`, sorted.
///
/// # Errors
/// On database failure.
pub async fn scopes_of<'e>(
    db: impl AnyExecutor<'e>,
    roles: &[String],
) -> sqlx::Result<Vec<String>> {
    // Scope lists are short JSON arrays; merging them here keeps the SQL
    // free of a dialect's JSON functions.
    let rows: Vec<(String, Json<Vec<String>>)> = sqlx::query_as("SELECT name, scopes FROM roles")
        .fetch_all(db)
        .await?;
    let scopes: std::collections::BTreeSet<String> = rows
        .into_iter()
        .filter(|(name, _)| roles.contains(name))
        .flat_map(|(_, scopes)| scopes.0)
        .collect();
    Ok(scopes.into_iter().collect())
}

/// Which of `names` are not roles.
///
/// # Errors
/// On database failure.
pub async fn missing<'e>(db: impl AnyExecutor<'e>, names: &[String]) -> sqlx::Result<Vec<String>> {
    super::missing_names(db, "roles", names).await
}

/// Names of the users holding role `name`.
///
/// # Errors
/// On database failure.
pub async fn holders<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String, Json<Vec<String>>)> =
        sqlx::query_as("SELECT name, roles FROM users ORDER BY name")
            .fetch_all(db)
            .await?;
    Ok(super::holding(rows, name))
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM roles WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
