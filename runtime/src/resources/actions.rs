//! Actions: the settings, limits, config and connection grants of an
//! uploaded component or a built-in.

use serde::Deserialize;
use serde_json::Value;
use sqlx::AnyConnection;

use crate::builtins;
use crate::cluster::Change;
use crate::error::{ApiError, ApiResult};
use crate::resources::Effects;
use crate::store::actions::{self, ActionRow};
use crate::store::connections;

/// The built-in `name` names, with or without the prefix.
///
/// # Errors
/// 422 listing the built-ins when there is none of that name.
pub fn builtin_named(name: &str) -> ApiResult<&'static builtins::Builtin> {
    builtins::get(name.strip_prefix(builtins::PREFIX).unwrap_or(name)).ok_or_else(|| {
        let names: Vec<&str> = builtins::BUILTINS.iter().map(|b| b.name).collect();
        ApiError::Unprocessable(format!(
            "there is no built-in action {name:?}; the built-ins are {}",
            names.join(", ")
        ))
    })
}

/// Body of `PATCH /admin/actions/{name}`; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    /// New description.
    pub description: Option<String>,
    /// New limits; omitted members keep their value.
    pub limits: Option<LimitsPatch>,
    /// New config: a JSON object, replaced whole.
    pub config: Option<Value>,
    /// The connections the action may open, replacing the current grants.
    pub connections: Option<Vec<String>>,
}

/// Partial [`Limits`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsPatch {
    /// Fuel per invocation, ≥ 1.
    pub fuel: Option<u64>,
    /// Linear memory ceiling, bytes: 64 KiB up to the engine's maximum.
    pub memory_bytes: Option<u64>,
    /// Deadline, ms: 1 to 300000.
    pub timeout_ms: Option<u64>,
}

/// Applies `patch` to the action `row` and stores it through `conn`, with
/// its grants when the patch names them; the routes are reloaded after
/// commit (`effects`).
///
/// # Errors
/// 400 when a limit is out of range (memory above `max_memory` bytes) or
/// the config is not an object; 422 for an unknown connection.
pub async fn configure(
    conn: &mut AnyConnection,
    row: &mut ActionRow,
    patch: ActionPatch,
    max_memory: u64,
    effects: &mut Effects,
) -> ApiResult<()> {
    if let Some(description) = patch.description {
        row.description = description;
    }
    if let Some(limits) = patch.limits {
        if let Some(fuel) = limits.fuel {
            if fuel == 0 || fuel > i64::MAX as u64 {
                return Err(ApiError::BadRequest(
                    "limits.fuel must be at least 1".into(),
                ));
            }
            row.fuel = fuel as i64;
        }
        if let Some(memory) = limits.memory_bytes {
            if !(65_536..=max_memory).contains(&memory) {
                return Err(ApiError::BadRequest(format!(
                    "limits.memory_bytes must be between 65536 (one page) and {max_memory}"
                )));
            }
            row.memory_bytes = memory as i64;
        }
        if let Some(timeout) = limits.timeout_ms {
            if !(1..=300_000).contains(&timeout) {
                return Err(ApiError::BadRequest(
                    "limits.timeout_ms must be between 1 and 300000".into(),
                ));
            }
            row.timeout_ms = timeout as i64;
        }
    }
    if let Some(config) = patch.config {
        if !config.is_object() {
            return Err(ApiError::BadRequest("config must be a JSON object".into()));
        }
        row.config = config.to_string();
    }
    if let Some(granted) = &patch.connections {
        for name in granted {
            if connections::get(&mut *conn, name).await?.is_none() {
                return Err(ApiError::Unprocessable(format!(
                    "there is no connection named {name:?}; create it with POST /admin/connections"
                )));
            }
        }
    }
    actions::update(&mut *conn, row).await?;
    if let Some(granted) = &patch.connections {
        connections::set_grants(conn, &row.name, granted).await?;
    }
    effects.change(Change::Routes);
    Ok(())
}
