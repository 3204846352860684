//! Roles: named sets of scopes given to users.

use serde::Serialize;
use sqlx::SqliteExecutor;
use sqlx::types::Json;

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
pub async fn list<'e>(db: impl SqliteExecutor<'e>) -> sqlx::Result<Vec<RoleRow>> {
    sqlx::query_as("SELECT * FROM roles ORDER BY name")
        .fetch_all(db)
        .await
}

/// The role called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl SqliteExecutor<'e>, name: &str) -> sqlx::Result<Option<RoleRow>> {
    sqlx::query_as("SELECT * FROM roles WHERE name = ?")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl SqliteExecutor<'e>, row: &RoleRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO roles (name, description, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
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
    db: impl SqliteExecutor<'e>,
    roles: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT s.value FROM roles r, json_each(r.scopes) s
         WHERE r.name IN (SELECT value FROM json_each(?)) ORDER BY s.value",
    )
    .bind(Json(roles))
    .fetch_all(db)
    .await
}

/// Which of `names` are not roles.
///
/// # Errors
/// On database failure.
pub async fn missing<'e>(
    db: impl SqliteExecutor<'e>,
    names: &[String],
) -> sqlx::Result<Vec<String>> {
    super::missing_names(db, "roles", names).await
}

/// Names of the users holding role `name`.
///
/// # Errors
/// On database failure.
pub async fn holders<'e>(db: impl SqliteExecutor<'e>, name: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.name FROM users u, json_each(u.roles) r WHERE r.value = ? ORDER BY u.name",
    )
    .bind(name)
    .fetch_all(db)
    .await
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl SqliteExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM roles WHERE name = ?")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
