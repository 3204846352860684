//! The cron scheduler: due times come from the `cron` crate in UTC; each
//! tick is claimed once in the control plane and runs the cronjob's action
//! with invocation kind `cron` under the action's limits. Ticks missed while
//! no scheduler ran are run once (`missed: run_once`) or skipped (`skip`).

use tracing::Instrument as _;

use chrono::{DateTime, TimeZone, Utc};

use super::{nap, now_ms};
use crate::bindings::types::InvocationKind;
use crate::gateway::invoke;
use crate::resources::cronjobs::parse_schedule;
use crate::state::AppState;
use crate::store::cronjobs::{self, CronjobRow};

/// Longest the scheduler sleeps before looking at the cronjobs again, ms.
const MAX_NAP_MS: u64 = 1_000;

/// Most ticks run in one pass for a scheduler that fell behind.
const MAX_CATCH_UP: usize = 100;

/// Most schedule steps walked to find the latest missed tick before
/// searching from the last hour instead (an every-second schedule after a
/// long stop).
const MAX_WALK: usize = 10_000;

/// The latest tick after `after_ms` and before `before_ms`, if any.
fn latest_before(schedule: &cron::Schedule, after_ms: i64, before_ms: i64) -> Option<i64> {
    let walk = |from: i64| {
        schedule
            .after(&at(from))
            .take(MAX_WALK)
            .map(|t| t.timestamp_millis())
            .take_while(|ms| *ms < before_ms)
            .last()
    };
    let first = schedule.after(&at(after_ms)).next()?.timestamp_millis();
    if first >= before_ms {
        return None;
    }
    let near = walk((before_ms - 3_600_000).max(after_ms));
    near.or_else(|| walk(after_ms))
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The scheduler loop; never returns.
pub async fn run(state: AppState) {
    let started_ms = now_ms();
    loop {
        let mut wait = MAX_NAP_MS as i64;
        match cronjobs::list(&state.db).await {
            Ok(jobs) => {
                for job in jobs.into_iter().filter(|j| j.active) {
                    if let Some(next) = tick(&state, &job, started_ms).await {
                        wait = wait.min(next - now_ms());
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading cronjobs failed"),
        }
        nap(&state.cron_wake, wait.clamp(1, MAX_NAP_MS as i64) as u64).await;
    }
}

/// Runs `job`'s due tick, if any; returns when its next tick is, Unix ms.
async fn tick(state: &AppState, job: &CronjobRow, started_ms: i64) -> Option<i64> {
    let schedule = match parse_schedule(&job.schedule) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(cronjob = %job.name, error = %e, "skipping a cronjob");
            return None;
        }
    };
    let now = now_ms();
    // A new cronjob starts from its creation: nothing before it is "missed".
    let last = job.last_tick_ms.unwrap_or_else(|| {
        time::OffsetDateTime::parse(
            &job.created_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|t| t.unix_timestamp() * 1000)
        .unwrap_or(now)
    });
    // Ticks that fell due while this scheduler ran are each run (a late
    // loop must not lose one); the `missed` policy applies to the ticks
    // from before it started, when no scheduler ran.
    let missed = latest_before(&schedule, last, started_ms.min(now + 1));
    if let Some(latest) = missed {
        if job.missed == "run_once" {
            tracing::info!(cronjob = %job.name, "running the ticks missed while stopped once");
            run_tick(state, job, latest).await;
        } else {
            tracing::info!(cronjob = %job.name, "skipping the ticks missed while stopped");
            if let Err(e) = cronjobs::skip_to(&state.db, &job.name, latest).await {
                tracing::warn!(error = %e, "moving a cronjob past missed ticks failed");
            }
        }
    }
    let live_from = missed.unwrap_or(last).max(started_ms - 1);
    for t in schedule.after(&at(live_from)).take(MAX_CATCH_UP) {
        let ms = t.timestamp_millis();
        if ms > now {
            break;
        }
        run_tick(state, job, ms).await;
    }
    schedule
        .after(&at(now))
        .next()
        .map(|t| t.timestamp_millis())
}

async fn run_tick(state: &AppState, job: &CronjobRow, tick_ms: i64) {
    match cronjobs::claim(&state.db, &job.name, Some(tick_ms), now_ms()).await {
        Ok(Some(run)) => {
            let lag_ms = (now_ms() - tick_ms).max(0);
            state.metrics.cron_lag(&job.name, lag_ms as f64 / 1000.0);
            let (state, job) = (state.clone(), job.clone());
            tokio::spawn(async move { execute(&state, &job, run).await });
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, cronjob = %job.name, "claiming a tick failed"),
    }
}

/// Runs `job`'s action as run `run_id` and records the outcome; the run is
/// a trace of its own.
pub async fn execute(state: &AppState, job: &CronjobRow, run_id: i64) {
    let started = std::time::Instant::now();
    let span = tracing::info_span!(
        target: crate::telemetry::TRACE_TARGET,
        parent: None,
        "cronjob",
        otel.name = format!("cronjob {}", job.name),
        sluice.cronjob = %job.name,
        sluice.action = %job.action,
        sluice.cronjob.run = run_id,
    );
    let result = invoke::run_internal(
        state,
        &job.action,
        InvocationKind::Cron,
        &job.name,
        &format!("/cron/{}", job.name),
        Vec::new(),
    )
    .instrument(span)
    .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, error) = match result {
        Ok((status, _)) if status < 400 => (Some(i64::from(status)), None),
        Ok((status, body)) => (
            Some(i64::from(status)),
            Some(format!(
                "answered {status}: {}",
                super::deliver::excerpt(&body)
            )),
        ),
        Err(e) => (Some(i64::from(e.status().as_u16())), Some(e.to_string())),
    };
    if let Some(error) = &error {
        tracing::warn!(cronjob = %job.name, error, "cronjob run failed");
    }
    if let Err(e) = cronjobs::finish(&state.db, run_id, duration_ms, status, error.as_deref()).await
    {
        tracing::warn!(error = %e, "recording a cronjob run failed");
    }
}
