//! Dispatching events (WIT `events`): what an invocation dispatches is
//! written to the platform's durable outbox when the invocation succeeds,
//! and dropped when it fails; triggers and webhooks then receive it.
//!
//! ```no_run
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! sluice_sdk::events::dispatch("todo_created", &serde_json::json!({"id": 7}))?;
//! # Ok(()) }
//! ```

use serde::Serialize;

use crate::bindings::sluice::action::events as wit;

pub use wit::DispatchError;

/// Dispatches event `name` with `payload` serialised as JSON.
///
/// # Errors
/// [`crate::Error::Internal`] when the payload does not serialise, and the
/// host's refusal (`no-such-event`, `invalid-payload`, `too-many`) as
/// [`crate::Error::InvalidInput`] so that the caller sees why.
pub fn dispatch<T: Serialize>(name: &str, payload: &T) -> Result<(), crate::Error> {
    let bytes = serde_json::to_vec(payload)
        .map_err(|e| crate::Error::internal(format!("event payload: {e}")))?;
    dispatch_raw(name, &bytes).map_err(|e| match e {
        DispatchError::NoSuchEvent(m) | DispatchError::TooMany(m) => crate::Error::internal(m),
        DispatchError::InvalidPayload(m) => crate::Error::invalid_input(m),
    })
}

/// Dispatches event `name` with a JSON payload given as bytes.
///
/// # Errors
/// The host's [`DispatchError`].
pub fn dispatch_raw(name: &str, payload: &[u8]) -> Result<(), DispatchError> {
    wit::dispatch(name, payload)
}
