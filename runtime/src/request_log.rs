//! The request log writer: the gateway hands each finished request to a
//! bounded queue without waiting; one task writes what has queued up in
//! one transaction, then lingers briefly, so a busy server writes large
//! batches and an idle one writes at once. When the queue is full (the database cannot
//! keep up) records are dropped and counted rather than slowing requests;
//! a failed insert is logged and never reaches a consumer. Rows older than
//! the retention are deleted hourly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::AnyPool;
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

/// Settings of the request log.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Whether requests are logged (`SLUICE_REQUEST_LOG`, default on).
    pub enabled: bool,
    /// Rows older than this many days are deleted
    /// (`SLUICE_LOG_RETENTION_DAYS`, default 30).
    pub retention_days: u32,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: 30,
        }
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
}

impl RequestLog {
    /// Starts the writer and the retention task (none when disabled).
    pub fn start(db: AnyPool, settings: &LogSettings) -> Arc<Self> {
        if !settings.enabled {
            return Arc::new(Self {
                queue: None,
                dropped: AtomicU64::new(0),
            });
        }
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(write(db.clone(), rx));
        tokio::spawn(retain(db, settings.retention_days));
        Arc::new(Self {
            queue: Some(tx),
            dropped: AtomicU64::new(0),
        })
    }

    /// Whether requests are logged.
    pub fn enabled(&self) -> bool {
        self.queue.is_some()
    }

    /// Queues `row` without waiting; drops it when the queue is full.
    pub fn record(&self, row: LogRow) {
        let Some(queue) = &self.queue else { return };
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

async fn write(db: AnyPool, mut rx: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(BATCH_ROWS);
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    let mut waiting = Vec::new();
    while rx.recv_many(&mut messages, BATCH_ROWS).await > 0 {
        for message in messages.drain(..) {
            match message {
                Message::Row(row) => rows.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
        }
        if let Err(e) = request_log::insert_batch(&db, &rows).await {
            tracing::error!(error = %e, rows = rows.len(), "writing the request log failed");
        }
        let written = rows.len();
        rows.clear();
        let flushed = !waiting.is_empty();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        if written > 0 && !flushed {
            tokio::time::sleep(LINGER).await;
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
