//! Cronjobs and their runs. A tick is claimed by inserting its run row:
//! `(cronjob, tick_ms)` is unique, so of several nodes one runs it.

use serde::Serialize;
use sqlx::{AnyExecutor, AnyPool};

/// One row of `cronjobs`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CronjobRow {
    /// Unique name.
    pub name: String,
    /// Cron expression in UTC: `[sec] min hour day-of-month month day-of-week [year]`.
    pub schedule: String,
    /// The action it runs (invocation kind `cron`).
    pub action: String,
    /// Inactive cronjobs do not run on schedule (they still run on demand).
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// Ticks missed while no node ran: `run_once` (one catch-up run) or `skip`.
    pub missed: String,
    /// Free text.
    pub description: String,
    /// The last tick handled, Unix ms.
    pub last_tick_ms: Option<i64>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// One run.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// The cronjob.
    pub cronjob: String,
    /// The scheduled tick, Unix ms; `None` for a run on demand.
    pub tick_ms: Option<i64>,
    /// Start, Unix ms.
    pub started_ms: i64,
    /// Duration, ms (when finished).
    pub duration_ms: Option<i64>,
    /// `running`, `ok` or `failed`.
    pub outcome: String,
    /// The action's status code, when it answered.
    pub status_code: Option<i64>,
    /// What went wrong.
    pub error: Option<String>,
}

/// All cronjobs, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<CronjobRow>> {
    sqlx::query_as("SELECT * FROM cronjobs ORDER BY name")
        .fetch_all(db)
        .await
}

/// The cronjob called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<CronjobRow>> {
    sqlx::query_as("SELECT * FROM cronjobs WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates `row`.
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &CronjobRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cronjobs (name, schedule, action, active, missed, description, last_tick_ms,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule,
             action = excluded.action, active = excluded.active, missed = excluded.missed,
             description = excluded.description, last_tick_ms = excluded.last_tick_ms,
             updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.schedule)
    .bind(&row.action)
    .bind(row.active)
    .bind(&row.missed)
    .bind(&row.description)
    .bind(row.last_tick_ms)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes `name` and its runs; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM cronjobs WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Claims tick `tick_ms` of `cronjob` (or a run on demand with `None`) and
/// moves `last_tick_ms` on; returns the run id, `None` when another node
/// claimed the tick first.
///
/// # Errors
/// On database failure.
pub async fn claim(
    pool: &AnyPool,
    cronjob: &str,
    tick_ms: Option<i64>,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO cronjob_runs (cronjob, tick_ms, started_ms) VALUES ($1, $2, $3)
         ON CONFLICT (cronjob, tick_ms) DO NOTHING RETURNING id",
    )
    .bind(cronjob)
    .bind(tick_ms)
    .bind(now_ms)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(tick) = tick_ms {
        sqlx::query(
            "UPDATE cronjobs SET last_tick_ms = CASE WHEN last_tick_ms > $1 THEN last_tick_ms ELSE $1 END
             WHERE name = $2",
        )
        .bind(tick)
        .bind(cronjob)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Moves `last_tick_ms` of `cronjob` to `tick_ms` without a run (skipped ticks).
///
/// # Errors
/// On database failure.
pub async fn skip_to<'e>(
    db: impl AnyExecutor<'e>,
    cronjob: &str,
    tick_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE cronjobs SET last_tick_ms = CASE WHEN last_tick_ms > $1 THEN last_tick_ms ELSE $1 END
             WHERE name = $2",
    )
    .bind(tick_ms)
    .bind(cronjob)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes finished runs that started before `cutoff_ms`; returns how many.
///
/// # Errors
/// On database failure.
pub async fn purge_before<'e>(db: impl AnyExecutor<'e>, cutoff_ms: i64) -> sqlx::Result<u64> {
    let done =
        sqlx::query("DELETE FROM cronjob_runs WHERE started_ms < $1 AND outcome != 'running'")
            .bind(cutoff_ms)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// Records how run `id` ended.
///
/// # Errors
/// On database failure.
pub async fn finish<'e>(
    db: impl AnyExecutor<'e>,
    id: i64,
    duration_ms: i64,
    status_code: Option<i64>,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE cronjob_runs SET duration_ms = $1, status_code = $2, error = $3,
             outcome = CASE WHEN $4 IS NULL THEN 'ok' ELSE 'failed' END WHERE id = $5",
    )
    .bind(duration_ms)
    .bind(status_code)
    .bind(error)
    .bind(error)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// The run `id`.
///
/// # Errors
/// On database failure.
pub async fn run<'e>(db: impl AnyExecutor<'e>, id: i64) -> sqlx::Result<Option<RunRow>> {
    sqlx::query_as("SELECT * FROM cronjob_runs WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The latest `limit` runs of `cronjob`, newest first.
///
/// # Errors
/// On database failure.
pub async fn runs<'e>(
    db: impl AnyExecutor<'e>,
    cronjob: &str,
    limit: i64,
) -> sqlx::Result<Vec<RunRow>> {
    sqlx::query_as("SELECT * FROM cronjob_runs WHERE cronjob = $1 ORDER BY id DESC LIMIT $2")
        .bind(cronjob)
        .bind(limit)
        .fetch_all(db)
        .await
}
