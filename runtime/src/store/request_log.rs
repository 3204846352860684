//! The request log: one row per request the gateway served.

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteExecutor, SqlitePool};

/// One request as logged.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LogRow {
    /// Increasing id; the cursor of `GET /admin/logs`.
    pub id: i64,
    /// When the request arrived, Unix milliseconds.
    pub at_ms: i64,
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// The operation it was routed to, if any.
    pub operation: Option<String>,
    /// The app of its token, if any.
    pub app: Option<String>,
    /// The user of its token, if any.
    pub user: Option<String>,
    /// The client IP address.
    pub ip: String,
    /// HTTP method.
    pub method: String,
    /// Request path without the query.
    pub path: String,
    /// Response status code.
    pub status: i64,
    /// Time to the response, microseconds.
    pub duration_us: i64,
    /// Fuel the action consumed, when it ran.
    pub fuel_used: Option<i64>,
    /// The problem detail, for error responses.
    pub error: Option<String>,
}

/// Filters of `GET /admin/logs`; every set field must match.
#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    /// Operation name.
    pub operation: Option<String>,
    /// App name.
    pub app: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Exact status code.
    pub status: Option<i64>,
    /// Only rows with (`true`) or without (`false`) an error.
    pub failed: Option<bool>,
    /// At or after, Unix ms.
    pub from_ms: Option<i64>,
    /// Before, Unix ms.
    pub to_ms: Option<i64>,
    /// Only ids below this (the cursor of the previous page).
    pub before_id: Option<i64>,
}

/// Rows per insert statement: a fixed size keeps one prepared statement
/// in the connection's cache for full chunks.
const CHUNK_ROWS: usize = 100;

/// Appends `rows` (ids are assigned) in one transaction, in multi-row
/// inserts of [`CHUNK_ROWS`].
///
/// # Errors
/// On database failure.
pub async fn insert_batch(pool: &SqlitePool, rows: &[LogRow]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for chunk in rows.chunks(CHUNK_ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO request_log (at_ms, request_id, operation, app, user, ip, method, path,
                                      status, duration_us, fuel_used, error) ",
        );
        query.push_values(chunk, |mut b, row| {
            b.push_bind(row.at_ms)
                .push_bind(&row.request_id)
                .push_bind(&row.operation)
                .push_bind(&row.app)
                .push_bind(&row.user)
                .push_bind(&row.ip)
                .push_bind(&row.method)
                .push_bind(&row.path)
                .push_bind(row.status)
                .push_bind(row.duration_us)
                .push_bind(row.fuel_used)
                .push_bind(&row.error);
        });
        query.build().persistent(true).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Up to `limit` rows matching `filter`, newest first.
///
/// # Errors
/// On database failure.
pub async fn search<'e>(
    db: impl SqliteExecutor<'e>,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let mut query: QueryBuilder<Sqlite> =
        QueryBuilder::new("SELECT * FROM request_log WHERE 1 = 1");
    let text = [
        ("operation", &filter.operation),
        ("app", &filter.app),
        ("user", &filter.user),
        ("ip", &filter.ip),
    ];
    for (column, value) in text {
        if let Some(v) = value {
            query.push(format_args!(" AND {column} = ")).push_bind(v);
        }
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status);
    }
    match filter.failed {
        Some(true) => {
            query.push(" AND error IS NOT NULL");
        }
        Some(false) => {
            query.push(" AND error IS NULL");
        }
        None => {}
    }
    if let Some(from) = filter.from_ms {
        query.push(" AND at_ms >= ").push_bind(from);
    }
    if let Some(to) = filter.to_ms {
        query.push(" AND at_ms < ").push_bind(to);
    }
    if let Some(before) = filter.before_id {
        query.push(" AND id < ").push_bind(before);
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// Deletes rows that arrived before `cutoff_ms`; returns how many.
///
/// # Errors
/// On database failure.
pub async fn delete_before<'e>(db: impl SqliteExecutor<'e>, cutoff_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM request_log WHERE at_ms < ?")
        .bind(cutoff_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
