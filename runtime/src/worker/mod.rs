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

// The settings live with the others in `config`, which must not import
// the worker; they are re-exported here for the worker's own modules.
pub use crate::config::WorkerSettings;

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
