//! The WIT `log` interface: guest log records go to the host's `tracing`
//! log under target `sluice::guest`, tagged with action and request id,
//! and, when traces are exported, become events on the guest call's span.
//!
//! Each invocation may log a bounded amount ([`LogBudget`]): past its
//! records or bytes, further records are dropped — not an error, since a
//! guest's log is a side channel its answer must not depend on — and
//! counted in the request log row.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::bindings::sluice::action::log::{Host, Level};
use crate::host::HostState;

/// Longest message kept, bytes; longer ones are cut at a char boundary.
const MAX_MESSAGE_BYTES: usize = 8 << 10;

/// Most records a [`LogCapture`] keeps; later ones are counted, not kept.
const MAX_CAPTURED_RECORDS: usize = 500;

/// What an invocation's guest log dropped past its caps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogDropped {
    /// Records dropped.
    pub messages: u64,
    /// Their bytes (each message cut at 8 KiB first).
    pub bytes: u64,
}

/// How much of one invocation's guest log is kept: records while both
/// caps allow, then none — the log kept is a prefix, without gaps.
#[derive(Debug, Clone, Copy)]
pub struct LogBudget {
    max_messages: u32,
    max_bytes: u64,
    kept_messages: u32,
    kept_bytes: u64,
    /// What was dropped so far.
    pub dropped: LogDropped,
}

impl LogBudget {
    /// Nothing kept yet; at most `max_messages` records and `max_bytes`.
    pub fn new(max_messages: u32, max_bytes: u64) -> Self {
        Self {
            max_messages,
            max_bytes,
            kept_messages: 0,
            kept_bytes: 0,
            dropped: LogDropped::default(),
        }
    }

    /// Whether a record of `len` bytes is kept; if not, it is counted as
    /// dropped, and the first drop is reported once in the host log (for
    /// `action`'s request `request_id`).
    pub fn admit(&mut self, len: usize, action: &str, request_id: &str) -> bool {
        let len = len as u64;
        let fits = self.dropped.messages == 0
            && self.kept_messages < self.max_messages
            && self.kept_bytes.saturating_add(len) <= self.max_bytes;
        if fits {
            self.kept_messages += 1;
            self.kept_bytes += len;
            return true;
        }
        if self.dropped.messages == 0 {
            tracing::warn!(target: "sluice::guest", action, request_id,
                max_messages = self.max_messages, max_bytes = self.max_bytes,
                "the action's log passed its cap (SLUICE_MAX_LOG_MESSAGES, SLUICE_MAX_LOG_BYTES); \
                 its later records are dropped and counted in the request log");
        }
        self.dropped.messages += 1;
        self.dropped.bytes = self.dropped.bytes.saturating_add(len);
        false
    }
}

/// One guest log record, as the admin execute endpoint shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GuestLog {
    /// `trace`, `debug`, `info`, `warn` or `error` from `log.write`;
    /// `stdout` or `stderr` for a line the guest printed.
    pub level: &'static str,
    /// The message (at most 8 KiB).
    pub message: String,
}

/// The log records of one invocation, kept for whoever started it (the
/// admin execute endpoint) besides going to the host log. Shared with the
/// store, so the records survive a trap or a deadline.
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Captured>>);

#[derive(Debug, Default)]
struct Captured {
    records: Vec<GuestLog>,
    dropped: usize,
}

impl LogCapture {
    /// Keeps `message` at `level`, or counts it once 500 are kept.
    pub fn push(&self, level: &'static str, message: &str) {
        let mut captured = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if captured.records.len() < MAX_CAPTURED_RECORDS {
            captured.records.push(GuestLog {
                level,
                message: message.to_string(),
            });
        } else {
            captured.dropped += 1;
        }
    }

    /// The records kept, oldest first, and how many more were not kept.
    pub fn take(&self) -> (Vec<GuestLog>, usize) {
        let mut captured = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (std::mem::take(&mut captured.records), captured.dropped)
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

impl Host for HostState {
    #[tracing::instrument(level = "trace", skip_all, fields(request_id = %self.request_id))]
    async fn write(&mut self, level: Level, message: String) {
        self.calls.count();
        let mut end = message.len().min(MAX_MESSAGE_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let message = &message[..end];
        if !self.guest_log.admit(end, &self.action, &self.request_id) {
            return;
        }
        if let Some(capture) = &self.capture {
            capture.push(level_name(level), message);
        }
        crate::telemetry::spans::guest_event(level_name(level), None, message);
        let (action, request_id) = (&*self.action, &*self.request_id);
        match level {
            Level::Trace => {
                tracing::trace!(target: "sluice::guest", action, request_id, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "sluice::guest", action, request_id, "{message}")
            }
            Level::Info => tracing::info!(target: "sluice::guest", action, request_id, "{message}"),
            Level::Warn => tracing::warn!(target: "sluice::guest", action, request_id, "{message}"),
            Level::Error => {
                tracing::error!(target: "sluice::guest", action, request_id, "{message}")
            }
        }
    }
}

impl crate::bindings::sluice::action::types::Host for HostState {}
