//! The request log: one row per request the gateway served.

use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::{AnyExecutor, Arguments, Connection as _};

use crate::store::{Dialect, Placeholders};

/// One request as logged.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LogRow {
    /// Increasing id; the cursor of `GET /admin/logs`.
    pub id: i64,
    /// When the request arrived, Unix milliseconds.
    pub at_ms: i64,
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// The W3C trace id, when the request had a trace.
    pub trace_id: Option<String>,
    /// How many requests this row stands for: 1, or the sampling interval
    /// for a successful request kept by sampling.
    pub weight: i64,
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
    /// Guest log records the action's run dropped past its caps
    /// (`SLUICE_MAX_LOG_MESSAGES`, `SLUICE_MAX_LOG_BYTES`); 0 when none.
    pub log_dropped_messages: i64,
    /// Their bytes (each message cut at 8 KiB first).
    pub log_dropped_bytes: i64,
    /// How the request came: `http`, or `mcp` for an MCP tool call.
    pub via: String,
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
    /// `http` or `mcp`.
    pub via: Option<String>,
}

/// Most rows per insert statement.
const CHUNK_ROWS: usize = 100;

/// Splits `rows` into chunks of [`CHUNK_ROWS`] and then of powers of two
/// (64, 32, … 1): eight sizes at most, so each connection prepares eight
/// statements once and finds them in its statement cache afterwards.
/// Preparing a multi-row insert costs SQLite about 18 000 instructions per
/// row (BENCHMARKS.md, issue 13); a statement per batch size was prepared
/// again for almost every batch of a lightly loaded server.
fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= CHUNK_ROWS {
            CHUNK_ROWS
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, after) = rest.split_at(size);
        rest = after;
        Some(chunk)
    })
}

/// The request log's multi-row insert statements, by rows per statement
/// (the sizes [`chunks`] gives), each written once per writer: writing a
/// 100-row statement's 1,600 placeholders cost as much as binding its
/// values (BENCHMARKS.md, issue 13).
#[derive(Debug)]
pub struct Inserts {
    dialect: Dialect,
    by_rows: std::collections::BTreeMap<usize, String>,
}

impl Inserts {
    /// No statement written yet, for a database of `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            by_rows: std::collections::BTreeMap::new(),
        }
    }

    fn sql(&mut self, rows: usize) -> &str {
        let dialect = self.dialect;
        self.by_rows.entry(rows).or_insert_with(|| {
            let mut marks = Placeholders::for_dialect(dialect);
            let values: Vec<String> = (0..rows).map(|_| marks.row(17)).collect();
            format!(
                "INSERT INTO request_log (at_ms, request_id, trace_id, weight, operation, app, \"user\",
                                          ip, method, path, status, duration_us, fuel_used, error,
                                          log_dropped_messages, log_dropped_bytes, via)
                 VALUES {}",
                values.join(", ")
            )
        })
    }
}

/// Appends `rows` (ids are assigned, in order) in one transaction on
/// `conn` — of any sqlx driver: the writer uses SQLite's own, whose
/// arguments borrow the rows' text where `Any` copies each value into its
/// own (BENCHMARKS.md, issue 13) — in multi-row inserts of the sizes
/// [`chunks`] gives, whose statements `inserts` keeps.
///
/// # Errors
/// On database failure.
pub async fn insert_batch<DB>(
    conn: &mut DB::Connection,
    inserts: &mut Inserts,
    rows: &[LogRow],
) -> sqlx::Result<()>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    for chunk in chunks(rows) {
        let mut query = sqlx::query::<DB>(inserts.sql(chunk.len()));
        for row in chunk {
            query = query
                .bind(row.at_ms)
                .bind(row.request_id.as_str())
                .bind(row.trace_id.as_deref())
                .bind(row.weight)
                .bind(row.operation.as_deref())
                .bind(row.app.as_deref())
                .bind(row.user.as_deref())
                .bind(row.ip.as_str())
                .bind(row.method.as_str())
                .bind(row.path.as_str())
                .bind(row.status)
                .bind(row.duration_us)
                .bind(row.fuel_used)
                .bind(row.error.as_deref())
                .bind(row.log_dropped_messages)
                .bind(row.log_dropped_bytes)
                .bind(row.via.as_str());
        }
        query.persistent(true).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Up to `limit` rows matching `filter`, newest first.
///
/// # Errors
/// On database failure.
pub async fn search<'e>(
    db: impl AnyExecutor<'e>,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let mut sql = String::from("SELECT * FROM request_log WHERE 1 = 1");
    let mut args = AnyArguments::default();
    let mut marks = Placeholders::default();
    let mut condition = |sql: &mut String, clause: &str| {
        sql.push_str(clause);
        sql.push_str(&marks.mark());
    };
    let text = [
        (" AND operation = ", &filter.operation),
        (" AND app = ", &filter.app),
        (" AND \"user\" = ", &filter.user),
        (" AND ip = ", &filter.ip),
        (" AND via = ", &filter.via),
    ];
    for (clause, value) in text {
        if let Some(v) = value {
            condition(&mut sql, clause);
            args.add(v.clone()).map_err(sqlx::Error::Encode)?;
        }
    }
    let numbers = [
        (" AND status = ", filter.status),
        (" AND at_ms >= ", filter.from_ms),
        (" AND at_ms < ", filter.to_ms),
        (" AND id < ", filter.before_id),
    ];
    for (clause, value) in numbers {
        if let Some(v) = value {
            condition(&mut sql, clause);
            args.add(v).map_err(sqlx::Error::Encode)?;
        }
    }
    match filter.failed {
        Some(true) => sql.push_str(" AND error IS NOT NULL"),
        Some(false) => sql.push_str(" AND error IS NULL"),
        None => {}
    }
    condition(&mut sql, " ORDER BY id DESC LIMIT ");
    args.add(limit).map_err(sqlx::Error::Encode)?;
    sqlx::query_as_with(&sql, args).fetch_all(db).await
}

/// Deletes rows that arrived before `cutoff_ms`; returns how many.
///
/// # Errors
/// On database failure.
pub async fn delete_before<'e>(db: impl AnyExecutor<'e>, cutoff_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM request_log WHERE at_ms < $1")
        .bind(cutoff_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// The newest row's id, `None` when the log is empty.
///
/// # Errors
/// On database failure.
pub async fn newest_id<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(id) FROM request_log")
        .fetch_one(db)
        .await
}

/// Deletes up to `batch` of the oldest rows with ids up to `cutoff`;
/// returns how many.
///
/// # Errors
/// On database failure.
pub async fn delete_oldest<'e>(
    db: impl AnyExecutor<'e>,
    cutoff: i64,
    batch: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM request_log WHERE id IN
           (SELECT id FROM request_log WHERE id <= $1 ORDER BY id LIMIT $2)",
    )
    .bind(cutoff)
    .bind(batch)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn a_batch_of_any_size_is_inserted_in_order_in_eight_statement_sizes_at_most() {
        let mut sizes = std::collections::BTreeSet::new();
        for n in 0..=1000_usize {
            let rows: Vec<usize> = (0..n).collect();
            let joined: Vec<usize> = chunks(&rows).flatten().copied().collect();
            assert_eq!(joined, rows, "{n} rows");
            sizes.extend(chunks(&rows).map(<[usize]>::len));
        }
        assert_eq!(
            sizes.into_iter().collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64, 100]
        );
    }
}
