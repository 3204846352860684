//! The outbox and its deliveries: dispatched events are written once, with
//! one delivery per trigger and webhook listening at that moment; workers
//! claim due deliveries with a lease, so a crashed worker's claim lapses
//! and another attempt follows (at-least-once).

use crate::store::Placeholders;
use serde::Serialize;
use sqlx::{AnyExecutor, AnyPool};

/// An event an invocation dispatched.
#[derive(Debug, Clone)]
pub struct Dispatched {
    /// Event name.
    pub event: String,
    /// JSON payload bytes.
    pub payload: Vec<u8>,
}

/// One invocation's events with where they came from.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The events.
    pub events: &'a [Dispatched],
    /// The dispatching action.
    pub source: &'a str,
    /// The dispatching request's id.
    pub request_id: &'a str,
    /// The dispatching request's trace context (W3C `traceparent`), when
    /// traced: the deliveries' traces link to it.
    pub traceparent: Option<&'a str>,
}

/// A claimed delivery with its event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// Delivery id.
    pub id: i64,
    /// `trigger` or `webhook`.
    pub kind: String,
    /// The trigger's or webhook's name.
    pub target: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    /// The outbox id (the event's id and the `webhook-id`).
    pub outbox_id: String,
    /// Event name.
    pub event: String,
    /// JSON payload bytes.
    pub payload: Vec<u8>,
    /// The dispatching action.
    pub source: String,
    /// Dispatch time, Unix ms.
    pub created_ms: i64,
    /// The dispatching request's `traceparent`, when it was traced.
    pub traceparent: Option<String>,
}

/// One delivery as the admin API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Delivery id.
    pub id: i64,
    /// The event's id.
    pub outbox_id: String,
    /// Event name.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due, Unix ms (pending only).
    pub next_attempt_ms: Option<i64>,
    /// Dispatch time, Unix ms.
    pub created_ms: i64,
    /// When it was delivered or given up, Unix ms.
    pub finished_ms: Option<i64>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    /// The delivery.
    pub delivery_id: i64,
    /// Attempt number, from 1.
    pub attempt: i64,
    /// When it started, Unix ms.
    pub at_ms: i64,
    /// The receiver's status code (webhooks) or the action's (triggers).
    pub status_code: Option<i64>,
    /// The first KiB of the answer.
    pub response_excerpt: Option<String>,
    /// How long it took, ms.
    pub duration_ms: i64,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// When the next attempt is due, Unix ms; `None` when none follows.
    pub next_retry_ms: Option<i64>,
}

/// Writes several invocations' events in one transaction, with a delivery for every active trigger and
/// webhook of each event; returns how many deliveries were queued.
///
/// # Errors
/// On database failure (nothing is written; the callers fail their
/// requests, so nothing is lost silently).
pub async fn enqueue_many(pool: &AnyPool, batches: &[Batch<'_>], now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let mut queued = 0;
    for batch in batches {
        for event in batch.events {
            let id = uuid::Uuid::now_v7().to_string();
            sqlx::query(
                "INSERT INTO outbox (id, event, payload, source, request_id, created_ms,
                                     traceparent)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&event.event)
            .bind(&event.payload)
            .bind(batch.source)
            .bind(batch.request_id)
            .bind(now_ms)
            .bind(batch.traceparent)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(
                "INSERT INTO deliveries (outbox_id, kind, target, next_attempt_ms, created_ms)
                 SELECT $1, 'trigger', name, $3, $3 FROM triggers WHERE event = $2 AND active
                 UNION ALL
                 SELECT $1, 'webhook', name, $3, $3 FROM webhooks WHERE event = $2 AND active",
            )
            .bind(&id)
            .bind(&event.event)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            queued += done.rows_affected();
        }
    }
    tx.commit().await?;
    Ok(queued)
}

/// Claims up to `limit` due deliveries for `lease_ms` and counts the attempt.
///
/// # Errors
/// On database failure.
pub async fn claim(
    pool: &AnyPool,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    // On PostgreSQL, nodes claiming at once must not pick the same rows:
    // each locks what it picks and skips what another has locked. SQLite
    // has one writer at a time (`BEGIN IMMEDIATE` semantics per statement).
    let lock = match crate::store::dialect(pool) {
        crate::store::Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        crate::store::Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE deliveries SET locked_until_ms = $1 + $2, attempts = attempts + 1
         WHERE id IN (SELECT id FROM deliveries
                      WHERE state = 'pending' AND next_attempt_ms <= $1
                        AND (locked_until_ms IS NULL OR locked_until_ms <= $1)
                      ORDER BY next_attempt_ms LIMIT $3 {lock})
         RETURNING id"
    );
    let ids: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(now_ms)
        .bind(lease_ms)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT d.id, d.kind, d.target, d.attempts, o.id AS outbox_id, o.event, o.payload,
                o.source, o.created_ms, o.traceparent
         FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
         WHERE d.id IN {} ORDER BY d.next_attempt_ms",
        Placeholders::default().row(ids.len())
    );
    let mut query = sqlx::query_as(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    query.fetch_all(pool).await
}

/// Deletes events dispatched before `cutoff_ms` that have no pending
/// delivery, with their deliveries and attempts; returns how many events.
///
/// # Errors
/// On database failure.
pub async fn purge_before<'e>(db: impl AnyExecutor<'e>, cutoff_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE created_ms < $1
           AND NOT EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.outbox_id = outbox.id AND d.state = 'pending')",
    )
    .bind(cutoff_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The earliest time a pending delivery is due, Unix ms.
///
/// # Errors
/// On database failure.
pub async fn next_due<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(CASE WHEN COALESCE(locked_until_ms, 0) > next_attempt_ms
                         THEN locked_until_ms ELSE next_attempt_ms END)
         FROM deliveries WHERE state = 'pending'",
    )
    .fetch_one(db)
    .await
}

/// Deliveries waiting (pending, including retries) and the creation time
/// of the oldest, Unix ms.
///
/// # Errors
/// On database failure.
pub async fn backlog<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<(i64, Option<i64>)> {
    sqlx::query_as("SELECT COUNT(*), MIN(created_ms) FROM deliveries WHERE state = 'pending'")
        .fetch_one(db)
        .await
}

/// Records `attempt` and moves the delivery on: delivered, failed, or
/// pending again at `attempt.next_retry_ms`.
///
/// # Errors
/// On database failure.
pub async fn record(pool: &AnyPool, attempt: &AttemptRow, delivered: bool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, attempt, at_ms, status_code, response_excerpt,
                                        duration_ms, error, next_retry_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(attempt.delivery_id)
    .bind(attempt.attempt)
    .bind(attempt.at_ms)
    .bind(attempt.status_code)
    .bind(&attempt.response_excerpt)
    .bind(attempt.duration_ms)
    .bind(&attempt.error)
    .bind(attempt.next_retry_ms)
    .execute(&mut *tx)
    .await?;
    let finished = attempt.at_ms + attempt.duration_ms;
    let (state, next, done_at) = match (delivered, attempt.next_retry_ms) {
        (true, _) => ("delivered", None, Some(finished)),
        (false, Some(next)) => ("pending", Some(next), None),
        (false, None) => ("failed", None, Some(finished)),
    };
    sqlx::query(
        "UPDATE deliveries SET state = $1, next_attempt_ms = COALESCE($2, next_attempt_ms),
             locked_until_ms = NULL, finished_ms = $3 WHERE id = $4",
    )
    .bind(state)
    .bind(next)
    .bind(done_at)
    .bind(attempt.delivery_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The latest `limit` deliveries of the `kind` target `name`, newest first.
///
/// # Errors
/// On database failure.
pub async fn deliveries_of<'e>(
    db: impl AnyExecutor<'e>,
    kind: &str,
    name: &str,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(
        "SELECT d.id, d.outbox_id, o.event, d.state, d.attempts,
                CASE WHEN d.state = 'pending' THEN d.next_attempt_ms END AS next_attempt_ms,
                d.created_ms, d.finished_ms
         FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
         WHERE d.kind = $1 AND d.target = $2 ORDER BY d.id DESC LIMIT $3",
    )
    .bind(kind)
    .bind(name)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The attempts of deliveries `ids`, in order.
///
/// # Errors
/// On database failure.
pub async fn attempts_of<'e>(
    db: impl AnyExecutor<'e>,
    ids: &[i64],
) -> sqlx::Result<Vec<AttemptRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT delivery_id, attempt, at_ms, status_code, response_excerpt, duration_ms, error,
                next_retry_ms
         FROM delivery_attempts WHERE delivery_id IN {}
         ORDER BY delivery_id, attempt",
        Placeholders::default().row(ids.len())
    );
    let mut query = sqlx::query_as(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(db).await
}
