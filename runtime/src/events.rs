//! The event catalog: each defined event with its compiled payload schema,
//! rebuilt after every admin change and handed to invocations as a
//! snapshot, so `events::dispatch` checks a payload without a database
//! round trip.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::Validator;
use sqlx::AnyPool;

use crate::contract::SchemaRef;
use crate::schemas::{self, SchemaSet};
use crate::store::events;

/// Most events one invocation may dispatch.
pub const MAX_EVENTS_PER_INVOCATION: usize = 100;

/// Largest payload of one event, bytes.
pub const MAX_PAYLOAD_BYTES: usize = 256 << 10;

/// Defined events by name; `None`: any JSON payload.
#[derive(Default)]
pub struct EventCatalog(pub HashMap<String, Option<Validator>>);

impl std::fmt::Debug for EventCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl EventCatalog {
    /// Reads and compiles every event's schema.
    ///
    /// # Errors
    /// On database failure; a schema that no longer compiles (a referenced
    /// schema deleted) makes that event refuse every payload rather than
    /// failing the catalog.
    pub async fn load(db: &AnyPool) -> sqlx::Result<Arc<Self>> {
        let set = SchemaSet::load(db, None).await?;
        let mut catalog = HashMap::new();
        for row in events::list(db).await? {
            let validator = match &row.schema {
                None => None,
                Some(schema) => {
                    let reference: SchemaRef = serde_json::from_value(schema.0.clone())
                        .unwrap_or(SchemaRef::Inline(schema.0.clone()));
                    match schemas::compile_ref(&reference, &set) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            tracing::warn!(event = %row.name, error = %e, "event schema does not compile");
                            Some(
                                jsonschema::validator_for(&serde_json::json!(false))
                                    .expect("false is a schema"),
                            )
                        }
                    }
                }
            };
            catalog.insert(row.name, validator);
        }
        Ok(Arc::new(Self(catalog)))
    }

    /// Checks `payload` for event `name`.
    ///
    /// # Errors
    /// [`CheckError`] saying what is wrong.
    pub fn check(&self, name: &str, payload: &[u8]) -> Result<(), CheckError> {
        let Some(validator) = self.0.get(name) else {
            return Err(CheckError::NoSuchEvent(format!(
                "there is no event named {name:?}; an admin defines it with POST /admin/events"
            )));
        };
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(CheckError::InvalidPayload(format!(
                "the payload of {} bytes is larger than {MAX_PAYLOAD_BYTES} bytes",
                payload.len()
            )));
        }
        let value: serde_json::Value = serde_json::from_slice(payload)
            .map_err(|e| CheckError::InvalidPayload(format!("the payload is not JSON: {e}")))?;
        if let Some(validator) = validator {
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            if !errors.is_empty() {
                return Err(CheckError::InvalidPayload(errors.join("; ")));
            }
        }
        Ok(())
    }
}

/// Why a payload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The event is not defined.
    NoSuchEvent(String),
    /// Not JSON, too large, or against the schema.
    InvalidPayload(String),
}
