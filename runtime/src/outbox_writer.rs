//! Group commit for the outbox: invocations that dispatched events hand
//! them to one writer task and wait for its answer; the writer puts every
//! batch waiting at that moment into one transaction, so concurrent
//! dispatches share a commit. A request is answered only after its events
//! are committed (or fails if the commit fails).

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::outbox::{self, Batch, Dispatched};

/// Batches a single transaction takes at most.
const MAX_GROUP: usize = 256;

struct Job {
    events: Vec<Dispatched>,
    source: String,
    request_id: String,
    traceparent: Option<String>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Handle of the writer; cheap to clone.
#[derive(Clone)]
pub struct OutboxWriter {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for OutboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWriter").finish_non_exhaustive()
    }
}

impl OutboxWriter {
    /// Starts the writer on `db`; `written` is notified after each commit
    /// (it wakes the delivery worker).
    pub fn start(db: AnyPool, written: std::sync::Arc<tokio::sync::Notify>) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        tokio::spawn(write(db, rx, written));
        Self { queue }
    }

    /// Writes `events` dispatched by `source` while serving `request_id`
    /// (traced as `traceparent`, if it was) durably.
    ///
    /// # Errors
    /// When the commit fails or the writer is gone; nothing was written.
    pub async fn write(
        &self,
        events: Vec<Dispatched>,
        source: &str,
        request_id: &str,
        traceparent: Option<String>,
    ) -> anyhow::Result<()> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            events,
            source: source.to_string(),
            request_id: request_id.to_string(),
            traceparent,
            done,
        };
        self.queue
            .send(job)
            .await
            .map_err(|_| anyhow::anyhow!("the outbox writer stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the outbox writer stopped"))?
            .map_err(|e| anyhow::anyhow!("writing the outbox failed: {e}"))
    }
}

async fn write(
    db: AnyPool,
    mut rx: mpsc::Receiver<Job>,
    written: std::sync::Arc<tokio::sync::Notify>,
) {
    let mut jobs = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut jobs, MAX_GROUP).await > 0 {
        let now = crate::worker::now_ms();
        let batches: Vec<Batch<'_>> = jobs
            .iter()
            .map(|j| Batch {
                events: j.events.as_slice(),
                source: j.source.as_str(),
                request_id: j.request_id.as_str(),
                traceparent: j.traceparent.as_deref(),
            })
            .collect();
        let result = outbox::enqueue_many(&db, &batches, now)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        if result.is_ok() {
            written.notify_one();
        }
        for job in jobs.drain(..) {
            let _ = job.done.send(result.clone());
        }
    }
}
