//! The WIT `log` interface: guest log records go to the host's `tracing`
//! log under target `sluice::guest`, tagged with action and request id.

use crate::bindings::sluice::action::log::{Host, Level};
use crate::host::HostState;

/// Longest message kept, bytes; longer ones are cut at a char boundary.
const MAX_MESSAGE_BYTES: usize = 8 << 10;

impl Host for HostState {
    #[tracing::instrument(level = "trace", skip_all, fields(request_id = %self.request_id))]
    async fn write(&mut self, level: Level, message: String) {
        let mut end = message.len().min(MAX_MESSAGE_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let message = &message[..end];
        let (action, request_id) = (&self.action, &self.request_id);
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
