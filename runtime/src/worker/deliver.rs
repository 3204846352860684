//! Outbox delivery: claim due deliveries, run the trigger's action or POST
//! to the webhook, record the attempt, and schedule a retry or give up.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::{WorkerSettings, nap, next_retry, now_ms};
use crate::bindings::types::InvocationKind;
use crate::gateway::invoke;
use crate::state::AppState;
use crate::store::events;
use crate::store::outbox::{self, AttemptRow, Due};
use crate::telemetry::TRACE_TARGET;

/// Bytes of an answer kept in the attempt's record.
const EXCERPT_BYTES: usize = 1024;

/// The delivery loop; returns once the node stops, after the deliveries it
/// claimed have finished.
pub async fn run(state: AppState, settings: WorkerSettings) {
    let mut stopping = state.lifecycle.stopping();
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let client = super::webhook::Clients::new(&settings).expect("the webhook clients build");
    while !*stopping.borrow() {
        let free = slots.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match outbox::claim(&state.db, now_ms(), settings.lease_ms as i64, free as i64).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    Vec::new()
                }
            }
        };
        let busy = !claimed.is_empty();
        for due in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (state, settings, client) = (state.clone(), settings.clone(), client.clone());
            tokio::spawn(async move {
                deliver(&state, &settings, &client, due).await;
                drop(permit);
                state.worker_wake.notify_one();
            });
        }
        if busy {
            continue;
        }
        let wait = match outbox::next_due(&state.db).await {
            Ok(Some(due)) => (due - now_ms()).clamp(1, settings.poll_ms as i64) as u64,
            _ => settings.poll_ms,
        };
        tokio::select! {
            () = nap(&state.worker_wake, wait) => {}
            _ = stopping.changed() => {}
        }
    }
    let all = u32::try_from(settings.concurrency).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// The delivery's own trace: a root span linked to the dispatching
/// request's, when that one was traced (OpenTelemetry messaging
/// conventions: the consumer side of a produced message).
fn delivery_span(due: &Due) -> tracing::Span {
    let span = tracing::info_span!(
        target: TRACE_TARGET,
        parent: None,
        "deliver",
        otel.name = format!("deliver {} {}", due.kind, due.target),
        otel.kind = "consumer",
        messaging.operation.type = "process",
        messaging.destination.name = %due.event,
        messaging.message.id = %due.outbox_id,
        sluice.delivery.kind = %due.kind,
        sluice.delivery.target = %due.target,
        sluice.delivery.attempt = due.attempts,
    );
    if let Some(linked) = due
        .traceparent
        .as_deref()
        .and_then(crate::telemetry::propagation::span_context)
    {
        span.add_link(linked);
    }
    span
}

async fn deliver(
    state: &AppState,
    settings: &WorkerSettings,
    client: &super::webhook::Clients,
    due: Due,
) {
    let started = Instant::now();
    let at_ms = now_ms();
    let span = delivery_span(&due);
    let result = match due.kind.as_str() {
        "webhook" => {
            super::webhook::send(state, client, &due)
                .instrument(span)
                .await
        }
        _ => trigger(state, &due).instrument(span).await,
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let attempt = u32::try_from(due.attempts).unwrap_or(u32::MAX);
    let (delivered, gone) = match &result {
        Ok(answer) => (answer.status < 300, answer.status == 410),
        Err(_) => (false, false),
    };
    let outcome = match (delivered, gone) {
        (true, _) => "delivered",
        (_, true) => "gone",
        _ => "failed",
    };
    state.metrics.delivery(&due.kind, outcome);
    let next_retry_ms = if delivered || gone {
        None
    } else {
        next_retry(settings, attempt, at_ms + duration_ms)
    };
    if gone && due.kind == "webhook" {
        tracing::warn!(webhook = %due.target, "the receiver answered 410 Gone: webhook disabled");
        if let Err(e) =
            events::disable_webhook(&state.db, &due.target, "the receiver answered 410 Gone").await
        {
            tracing::warn!(error = %e, "disabling the webhook failed");
        }
    }
    let (status_code, excerpt, error) = match result {
        Ok(answer) => (
            Some(i64::from(answer.status)),
            Some(answer.excerpt),
            (answer.status >= 300).then(|| format!("answered {}", answer.status)),
        ),
        Err(e) => (None, None, Some(e)),
    };
    let record = AttemptRow {
        delivery_id: due.id,
        attempt: due.attempts,
        at_ms,
        status_code,
        response_excerpt: excerpt,
        duration_ms,
        error,
        next_retry_ms,
    };
    if let Err(e) = outbox::record(&state.db, &record, delivered).await {
        tracing::warn!(error = %e, delivery = due.id, "recording a delivery failed; the lease will retry it");
    }
}

/// What a receiver (or a trigger's action) answered.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The first KiB of the body, lossy UTF-8.
    pub excerpt: String,
}

/// Cuts `bytes` to [`EXCERPT_BYTES`] as text.
pub fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]).into_owned()
}

async fn trigger(state: &AppState, due: &Due) -> Result<Answer, String> {
    let trigger = events::trigger(&state.db, &due.target)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("trigger {:?} was deleted", due.target))?;
    let body = super::webhook::cloud_event(due);
    let (status, bytes) = invoke::run_internal(
        state,
        &trigger.action,
        InvocationKind::Event,
        &trigger.name,
        &format!("/events/{}", due.event),
        body,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(Answer {
        status,
        excerpt: excerpt(&bytes),
    })
}
