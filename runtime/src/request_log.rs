//! The request log writer: the gateway hands each finished request to a
//! bounded queue without waiting; one task writes what has queued up in
//! one transaction, then lingers briefly, so a busy server writes large
//! batches and an idle one writes at once. When the queue is full (the database cannot
//! keep up) records are dropped and counted rather than slowing requests;
//! a failed insert is logged and never reaches a consumer. Rows older than
//! the retention are deleted hourly, and the oldest rows beyond the row
//! bound after each write, in small batches, so the log cannot fill the
//! disk. Successful requests may be sampled: one row kept of every `1/rate`
//! stands for them all (its `weight`), failures are always kept, so the
//! statistics stay right.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::store::request_log::{self, LogRow};

/// Records the queue holds before it drops new ones.
pub const QUEUE_CAPACITY: usize = 65_536;

/// Most rows written in one transaction.
const BATCH_ROWS: usize = 10_000;

/// Pause after each write so that a busy server's records gather into
/// large transactions (fewer commits and WAL checkpoints); it bounds how
/// stale `GET /admin/logs` is under load.
const LINGER: Duration = Duration::from_millis(50);

/// Default bound of the request log, rows (about 1.5 GB in SQLite).
pub const DEFAULT_MAX_ROWS: u64 = 10_000_000;

/// Rows deleted per statement when trimming to the bound: small enough that
/// no write waits long behind one.
const TRIM_BATCH: i64 = 5_000;

/// Settings of the request log.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Whether requests are logged (`SLUICE_REQUEST_LOG`, default on).
    pub enabled: bool,
    /// Rows older than this many days are deleted
    /// (`SLUICE_LOG_RETENTION_DAYS`, default 30).
    pub retention_days: u32,
    /// Most rows kept, the newest (`SLUICE_LOG_MAX_ROWS`, default
    /// [`DEFAULT_MAX_ROWS`]).
    pub max_rows: u64,
    /// Share of successful requests kept, 0 to 1 (`SLUICE_LOG_SAMPLE`,
    /// default 1: all).
    pub sample: f64,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: 30,
            max_rows: DEFAULT_MAX_ROWS,
            sample: 1.0,
        }
    }
}

/// Systematic sampling of successes: keeps one of every `every`, which then
/// weighs `every`; 0 keeps none.
#[derive(Debug)]
struct Sampler {
    every: u64,
    seen: AtomicU64,
}

impl Sampler {
    fn new(rate: f64) -> Self {
        let every = if rate >= 1.0 || rate.is_nan() {
            1
        } else if rate <= 0.0 {
            0
        } else {
            // Saturates for tiny rates; 1/rate rounds to the nearest whole
            // request so the weights add up to what was served.
            (1.0 / rate).round() as u64
        };
        Self {
            every,
            seen: AtomicU64::new(0),
        }
    }

    /// The weight of a kept row, or `None` to drop it.
    fn weigh(&self, status: i64) -> Option<i64> {
        if status >= 400 || self.every == 1 {
            return Some(1);
        }
        if self.every == 0 {
            return None;
        }
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        n.is_multiple_of(self.every)
            .then(|| i64::try_from(self.every).unwrap_or(i64::MAX))
    }
}

enum Message {
    Row(Box<LogRow>),
    Flush(oneshot::Sender<()>),
}

/// Handle of the writer; cheap to share.
pub struct RequestLog {
    queue: Option<mpsc::Sender<Message>>,
    dropped: AtomicU64,
    sampler: Sampler,
}

impl RequestLog {
    /// Starts the writer and the retention task (none when disabled).
    pub fn start(db: AnyPool, settings: &LogSettings) -> Arc<Self> {
        let sampler = Sampler::new(settings.sample);
        if !settings.enabled {
            return Arc::new(Self {
                queue: None,
                dropped: AtomicU64::new(0),
                sampler,
            });
        }
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(write(db.clone(), rx, settings.max_rows));
        tokio::spawn(retain(db, settings.retention_days));
        Arc::new(Self {
            queue: Some(tx),
            dropped: AtomicU64::new(0),
            sampler,
        })
    }

    /// Whether requests are logged.
    pub fn enabled(&self) -> bool {
        self.queue.is_some()
    }

    /// Queues `row` without waiting (unless sampling leaves it out, which
    /// sets the weight of those kept); drops it when the queue is full.
    pub fn record(&self, mut row: LogRow) {
        let Some(queue) = &self.queue else { return };
        let Some(weight) = self.sampler.weigh(row.status) else {
            return;
        };
        row.weight = weight;
        if queue.try_send(Message::Row(Box::new(row))).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "request log queue full: records dropped");
            }
        }
    }

    /// Records dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything queued before this call is written (on
    /// shutdown, and for tests).
    pub async fn flush(&self) {
        let Some(queue) = &self.queue else { return };
        let (done, wait) = oneshot::channel();
        if queue.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write(db: AnyPool, mut rx: mpsc::Receiver<Message>, max_rows: u64) {
    let max_rows = i64::try_from(max_rows).unwrap_or(i64::MAX);
    let mut messages = Vec::with_capacity(BATCH_ROWS);
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    let mut waiting = Vec::new();
    let mut inserts = request_log::Inserts::new(crate::store::dialect(&db));
    let mut own = None;
    while rx.recv_many(&mut messages, BATCH_ROWS).await > 0 {
        for message in messages.drain(..) {
            match message {
                Message::Row(row) => rows.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
        }
        if let Err(e) = insert(&db, &mut own, &mut inserts, &rows).await {
            tracing::error!(error = %e, rows = rows.len(), "writing the request log failed");
        }
        let written = rows.len();
        rows.clear();
        if written > 0 {
            trim(&db, max_rows).await;
        }
        let flushed = !waiting.is_empty();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        if written > 0 && !flushed {
            tokio::time::sleep(LINGER).await;
        }
    }
}

/// The writer's own connection, kept from one batch to the next so that
/// its statement cache holds the insert statements: SQLite prepares a
/// 100-row insert in about 290 000 instructions, and each of the pool's
/// connections would prepare its own.
enum Own {
    /// On SQLite, a connection of the SQLite driver itself, opened beside
    /// the pool: it binds the rows' text without the copies the `Any`
    /// driver makes of every value.
    Sqlite(SqliteConnection),
    /// On PostgreSQL, one of the pool's connections.
    Pooled(PoolConnection<Any>),
}

impl Own {
    /// A connection to the database of `db`.
    async fn open(db: &AnyPool) -> sqlx::Result<Self> {
        if crate::store::dialect(db) == crate::store::Dialect::Postgres {
            return Ok(Self::Pooled(db.acquire().await?));
        }
        Ok(Self::Sqlite(crate::store::sqlite_connection(db).await?))
    }
}

/// Writes `rows` on the writer's `own` connection (opened when there is
/// none). A connection a write failed on is not kept; the next batch opens
/// another.
async fn insert(
    db: &AnyPool,
    own: &mut Option<Own>,
    inserts: &mut request_log::Inserts,
    rows: &[LogRow],
) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut conn = match own.take() {
        Some(conn) => conn,
        None => Own::open(db).await?,
    };
    let written = match &mut conn {
        Own::Sqlite(conn) => request_log::insert_batch::<Sqlite>(conn, inserts, rows).await,
        Own::Pooled(conn) => request_log::insert_batch::<Any>(conn, inserts, rows).await,
    };
    if written.is_ok() {
        *own = Some(conn);
    }
    written
}

/// Deletes the oldest rows beyond `max_rows`, a batch per statement. Ids
/// only grow and rows only leave oldest first, so the newest `max_rows`
/// are those above `newest id - max_rows`.
async fn trim(db: &AnyPool, max_rows: i64) {
    let cutoff = match request_log::newest_id(db).await {
        Ok(Some(newest)) if newest > max_rows => newest - max_rows,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "request log: reading its size failed");
            return;
        }
    };
    loop {
        match request_log::delete_oldest(db, cutoff, TRIM_BATCH).await {
            Ok(n) if n < u64::try_from(TRIM_BATCH).unwrap_or(0) => return,
            Ok(_) => tokio::task::yield_now().await,
            Err(e) => {
                tracing::warn!(error = %e, "request log: trimming to its bound failed");
                return;
            }
        }
    }
}

async fn retain(db: AnyPool, days: u32) {
    let keep_ms = i64::from(days) * 86_400_000;
    loop {
        let cutoff = crate::store::now_ms() - keep_ms;
        match request_log::delete_before(&db, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, days, "request log: deleted rows past retention"),
            Err(e) => tracing::warn!(error = %e, "request log retention failed"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
