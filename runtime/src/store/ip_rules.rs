//! IP rules: allow or deny by network, globally or for one operation,
//! until an optional expiry; the brute-force bans are rules too.

use serde::{Serialize, Serializer};
use sqlx::AnyExecutor;

/// One row of `ip_rules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct IpRuleRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// The network, canonical CIDR notation (`203.0.113.0/24`, `::1/128`).
    pub cidr: String,
    /// `allow` or `deny`.
    pub effect: String,
    /// Only requests to this operation; `None`: every request but `/system`.
    pub operation: Option<String>,
    /// When the rule stops applying, Unix ms; shown as RFC 3339 `expires_at`.
    #[serde(rename = "expires_at", serialize_with = "rfc3339")]
    pub expires_ms: Option<i64>,
    /// `admin` (written through the API) or `ban` (added by the token
    /// endpoint's brute-force protection).
    pub source: String,
    /// Free text; a ban says why.
    pub description: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

fn rfc3339<S: Serializer>(ms: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => serializer.serialize_some(&crate::store::ms_to_rfc3339(*ms)),
        None => serializer.serialize_none(),
    }
}

/// All rules, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<IpRuleRow>> {
    sqlx::query_as("SELECT * FROM ip_rules ORDER BY name")
        .fetch_all(db)
        .await
}

/// The rule called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<IpRuleRow>> {
    sqlx::query_as("SELECT * FROM ip_rules WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or replaces `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &IpRuleRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ip_rules (name, cidr, effect, operation, expires_ms, source, description,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (name) DO UPDATE SET cidr = excluded.cidr, effect = excluded.effect,
             operation = excluded.operation, expires_ms = excluded.expires_ms,
             source = excluded.source, description = excluded.description,
             updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.cidr)
    .bind(&row.effect)
    .bind(&row.operation)
    .bind(row.expires_ms)
    .bind(&row.source)
    .bind(&row.description)
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
    let done = sqlx::query("DELETE FROM ip_rules WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes bans that expired before `now_ms`; how many.
///
/// # Errors
/// On database failure.
pub async fn delete_expired_bans<'e>(db: impl AnyExecutor<'e>, now_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM ip_rules WHERE source = 'ban' AND expires_ms < $1")
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Counts one failed token request of `network` (`ip_failures`, shared by
/// a cluster's nodes) and answers the count in its window: a window starts
/// at a network's first failure and lasts `window_ms`; a failure after it
/// starts a new one at 1. Opening a window also drops the rows of windows
/// that ended, so the table holds only live counts.
///
/// # Errors
/// On database failure.
pub async fn count_failure(
    db: &sqlx::AnyPool,
    network: &str,
    now_ms: i64,
    window_ms: i64,
) -> sqlx::Result<i64> {
    // One statement, so concurrent failures on several nodes each count:
    // the row is locked for the update (PostgreSQL) or the database is
    // (SQLite).
    let (count,): (i64,) = sqlx::query_as(
        "INSERT INTO ip_failures (network, failures, window_ends_ms) VALUES ($1, 1, $2)
         ON CONFLICT (network) DO UPDATE SET
             failures = CASE WHEN ip_failures.window_ends_ms <= $3 THEN 1
                             ELSE ip_failures.failures + 1 END,
             window_ends_ms = CASE WHEN ip_failures.window_ends_ms <= $3
                                   THEN excluded.window_ends_ms
                                   ELSE ip_failures.window_ends_ms END
         RETURNING failures",
    )
    .bind(network)
    .bind(now_ms.saturating_add(window_ms))
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    if count == 1 {
        sqlx::query("DELETE FROM ip_failures WHERE window_ends_ms <= $1")
            .bind(now_ms)
            .execute(db)
            .await?;
    }
    Ok(count)
}

/// Drops `network`'s failure count (it was banned).
///
/// # Errors
/// On database failure.
pub async fn forget_failures(db: &sqlx::AnyPool, network: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM ip_failures WHERE network = $1")
        .bind(network)
        .execute(db)
        .await?;
    Ok(())
}
