//! The worker: delivers the outbox (triggers and webhooks) at least once
//! and runs cronjobs on schedule. It runs inside `sluice serve` and alone
//! as `sluice worker`; several workers may share one control plane —
//! deliveries are claimed with a lease and cron ticks with a unique row.

pub mod cron;
pub mod deliver;
pub mod webhook;

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::state::AppState;

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Run the worker in this process (`SLUICE_WORKER`, default on).
    pub enabled: bool,
    /// Attempts per delivery before it is marked failed
    /// (`SLUICE_DELIVERY_ATTEMPTS`, default 8).
    pub max_attempts: u32,
    /// Delay before the second attempt, ms; each later one doubles it, ±20 %
    /// jitter, at most one hour (`SLUICE_RETRY_BASE_MS`, default 5000).
    pub retry_base_ms: u64,
    /// Time a webhook receiver has to answer, ms (`SLUICE_WEBHOOK_TIMEOUT_MS`,
    /// default 10 000).
    pub webhook_timeout_ms: u64,
    /// How often the outbox is polled for work other nodes queued, ms
    /// (local dispatches wake the worker at once).
    pub poll_ms: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery stays claimed, ms
    /// (`SLUICE_DELIVERY_LEASE_MS`, default 30 000): after a worker dies
    /// mid-attempt, another (or the restarted one) retries it this much
    /// later. An attempt that outlives its lease may be made twice, which
    /// at-least-once delivery allows.
    pub lease_ms: u64,
    /// Days finished deliveries (with their events and attempts) and
    /// cronjob runs are kept (`SLUICE_EVENT_RETENTION_DAYS`, default 30).
    pub retention_days: u32,
    /// Networks a consumer's webhook may be delivered to although the
    /// egress guard refuses them — loopback, private, link-local …
    /// ([`crate::egress`]) — (`SLUICE_WEBHOOK_ALLOW_NETWORKS`,
    /// comma-separated CIDRs or addresses; default none). Admin webhooks
    /// are not guarded.
    pub webhook_allow_networks: Vec<ipnet::IpNet>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: 8,
            retry_base_ms: 5_000,
            webhook_timeout_ms: 10_000,
            poll_ms: 500,
            concurrency: 32,
            lease_ms: 30_000,
            retention_days: 30,
            webhook_allow_networks: Vec::new(),
        }
    }
}

/// When attempt `attempt` (from 1) failed at `now_ms`: when the next one is
/// due, or `None` when attempts are used up. Exponential backoff with ±20 %
/// jitter, at most an hour.
pub fn next_retry(settings: &WorkerSettings, attempt: u32, now_ms: i64) -> Option<i64> {
    if attempt >= settings.max_attempts {
        return None;
    }
    let base = settings.retry_base_ms as f64 * 2f64.powi(attempt.saturating_sub(1) as i32);
    let jitter = rand::random_range(0.8..1.2);
    let delay = (base * jitter).min(3_600_000.0) as i64;
    Some(now_ms + delay.max(1))
}

pub use crate::store::now_ms;

/// Starts the delivery loop and the scheduler on `state`.
pub fn spawn(state: &AppState) {
    let settings = state.settings.worker.clone();
    state
        .lifecycle
        .hold_worker(tokio::spawn(deliver::run(state.clone(), settings.clone())));
    tokio::spawn(cron::run(state.clone()));
    tokio::spawn(retain(state.clone(), settings.retention_days));
    tracing::info!("worker started: outbox delivery and cron scheduler");
}

/// Samples the outbox backlog into the metrics (depth and the oldest
/// waiting delivery's age); a failed read leaves the last sample.
pub async fn sample_backlog(state: &AppState) {
    match crate::store::outbox::backlog(&state.db).await {
        Ok((depth, oldest)) => {
            let sampled = &state.metrics.sampled;
            sampled.outbox_depth.store(depth, Ordering::Relaxed);
            sampled.outbox_oldest_ms.store(
                oldest.map_or(0, |at| (now_ms() - at).max(0)),
                Ordering::Relaxed,
            );
        }
        Err(e) => tracing::debug!(error = %e, "sampling the outbox backlog failed"),
    }
}

/// Deletes finished history past the retention, at start and hourly.
async fn retain(state: AppState, days: u32) {
    let keep_ms = i64::from(days) * 86_400_000;
    loop {
        let cutoff = now_ms() - keep_ms;
        match crate::store::outbox::purge_before(&state.db, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, days, "deleted delivered events past retention"),
            Err(e) => tracing::warn!(error = %e, "event retention failed"),
        }
        if let Err(e) = crate::store::cronjobs::purge_before(&state.db, cutoff).await {
            tracing::warn!(error = %e, "cronjob run retention failed");
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Sleeps `ms`, or less when woken.
async fn nap(wake: &tokio::sync::Notify, ms: u64) {
    let _ = tokio::time::timeout(Duration::from_millis(ms), wake.notified()).await;
}
