//! Users: people who obtain tokens with the `password` grant; their scopes
//! come from their roles.

use crate::store::Json;
use serde::Serialize;
use sqlx::AnyExecutor;

/// One row of `users`; `password_hash` is never serialised.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UserRow {
    /// UUID v7, the `sub` of the user's tokens.
    pub id: String,
    /// Unique login name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Contact address, if given.
    pub email: Option<String>,
    /// argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// Role names.
    pub roles: Json<Vec<String>>,
    /// Inactive users cannot obtain or use tokens.
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// `user` (managed by the admin) or `consumer` (signed up in the portal).
    #[serde(skip)]
    #[sqlx(default)]
    pub kind: String,
}

/// The `kind` of users who signed up in the portal.
pub const CONSUMER: &str = "consumer";

impl UserRow {
    /// Whether the user signed up in the portal (scopes come from what the
    /// admin opened to consumers, not from roles).
    pub fn is_consumer(&self) -> bool {
        self.kind == CONSUMER
    }
}

/// All users the admin manages (not consumers), by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE kind = 'user' ORDER BY name")
        .fetch_all(db)
        .await
}

/// The user (not consumer) called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn by_name<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE name = $1 AND kind = 'user'")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The user (not consumer) whose contact address is `email`, compared
/// without regard to case; the oldest when several share it.
///
/// # Errors
/// On database failure.
pub async fn user_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(
        "SELECT * FROM users WHERE kind = 'user' AND LOWER(email) = LOWER($1)
         ORDER BY created_at LIMIT 1",
    )
    .bind(email)
    .fetch_optional(db)
    .await
}

/// The user with id `id`, if any.
///
/// # Errors
/// On database failure.
pub async fn by_id<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Inserts `row`, or updates the row with its id.
///
/// # Errors
/// On database failure; a unique violation means the name is taken.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &UserRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, name, email, password_hash, roles, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
             password_hash = excluded.password_hash, roles = excluded.roles,
             active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.email)
    .bind(&row.password_hash)
    .bind(&row.roles)
    .bind(row.active)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether an active user holds role `role`.
///
/// # Errors
/// On database failure.
pub async fn any_active_with_role<'e>(db: impl AnyExecutor<'e>, role: &str) -> sqlx::Result<bool> {
    // Role lists are short JSON arrays; matching them here keeps the SQL
    // free of a dialect's JSON functions.
    let roles: Vec<Json<Vec<String>>> =
        sqlx::query_scalar("SELECT roles FROM users WHERE active = TRUE")
            .fetch_all(db)
            .await?;
    Ok(roles.iter().any(|r| r.iter().any(|n| n == role)))
}

/// Deletes the user `id`; returns whether it existed. Its sessions go with
/// it (foreign key cascade).
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
