//! The WIT `events` interface: `dispatch` checks the event and its payload
//! against the catalog and keeps it with the invocation; the gateway writes
//! what a successful invocation dispatched to the outbox before answering,
//! and a failed invocation's events are dropped with its store.

use std::sync::Arc;

use crate::bindings::sluice::action::events::{DispatchError, Host};
use crate::events::{CheckError, EventCatalog, MAX_EVENTS_PER_INVOCATION};
use crate::host::HostState;
use crate::store::outbox::Dispatched;

/// The events of one invocation.
#[derive(Debug, Default)]
pub struct EventSink {
    /// The catalog as it was when the invocation started (`None`: events
    /// are not available, as in benchmarks without a control plane).
    pub catalog: Option<Arc<EventCatalog>>,
    /// Dispatched so far, in order.
    pub dispatched: Vec<Dispatched>,
}

impl Host for HostState {
    #[tracing::instrument(target = "sluice::trace", name = "events.dispatch", skip_all,
        fields(sluice.event = %name, sluice.payload_bytes = payload.len()))]
    async fn dispatch(&mut self, name: String, payload: Vec<u8>) -> Result<(), DispatchError> {
        self.calls.count();
        let Some(catalog) = &self.events.catalog else {
            return Err(DispatchError::NoSuchEvent(
                "events are not available in this invocation".into(),
            ));
        };
        catalog.check(&name, &payload).map_err(|e| match e {
            CheckError::NoSuchEvent(m) => DispatchError::NoSuchEvent(m),
            CheckError::InvalidPayload(m) => DispatchError::InvalidPayload(m),
        })?;
        if self.events.dispatched.len() >= MAX_EVENTS_PER_INVOCATION {
            return Err(DispatchError::TooMany(format!(
                "an invocation may dispatch at most {MAX_EVENTS_PER_INVOCATION} events"
            )));
        }
        self.events.dispatched.push(Dispatched {
            event: name,
            payload,
        });
        Ok(())
    }
}
