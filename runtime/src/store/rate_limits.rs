//! Rate-limit rules. A rule matches a request when every selector it sets
//! matches; among matching rules the highest `priority` applies (ties: the
//! name sorting first).

use serde::{Deserialize, Serialize};
use sqlx::AnyExecutor;

/// One row of `rate_limits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RateLimitRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Higher wins among matching rules.
    pub priority: i64,
    /// Only requests to this operation (name), when set.
    pub operation: Option<String>,
    /// Only requests with a token of this app (name), when set.
    pub app: Option<String>,
    /// Only requests with a token of this user (name), when set.
    pub user: Option<String>,
    /// `true`: only requests without a token (counted per client IP);
    /// `false`: only requests with one; unset: both.
    #[sqlx(try_from = "crate::store::MaybeFlag")]
    pub anonymous: Option<bool>,
    /// Requests each caller may make per window (the burst).
    pub requests: i64,
    /// Window length in seconds; the allowance refills evenly over it.
    pub window_seconds: i64,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All rules, highest priority first.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<RateLimitRow>> {
    sqlx::query_as("SELECT * FROM rate_limits ORDER BY priority DESC, name")
        .fetch_all(db)
        .await
}

/// The rule called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<RateLimitRow>> {
    sqlx::query_as("SELECT * FROM rate_limits WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or replaces `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &RateLimitRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rate_limits (name, priority, operation, app, \"user\", anonymous, requests,
                                  window_seconds, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (name) DO UPDATE SET priority = excluded.priority,
             operation = excluded.operation, app = excluded.app, \"user\" = excluded.\"user\",
             anonymous = excluded.anonymous, requests = excluded.requests,
             window_seconds = excluded.window_seconds, updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(row.priority)
    .bind(&row.operation)
    .bind(&row.app)
    .bind(&row.user)
    .bind(row.anonymous)
    .bind(row.requests)
    .bind(row.window_seconds)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM rate_limits WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
