//! Actions: the settings, limits, config and connection grants of an
//! uploaded component or a built-in.

use serde::Deserialize;
use serde_json::Value;
use sqlx::AnyConnection;

use crate::builtins::{self, Builtin};
use crate::cluster::Change;
use crate::engine::EngineSettings;
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
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
                    "limits.fuel must be between 1 and 9223372036854775807".into(),
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

/// What an action runs: a built-in of this binary, or a component uploaded
/// before (`PUT /admin/components/{sha256}`), by its hex SHA-256.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A built-in, its config checked by the caller.
    Builtin(&'static Builtin),
    /// A staged or stored component.
    Component(&'a str),
}

/// Makes action `name` run `source` — creating it, or adding a version
/// when the component differs from its latest (a built-in is brought up to
/// this binary's) — then applies `patch` ([`configure`]); `engine` gives a
/// new action its default limits and caps its memory.
///
/// # Errors
/// 400 for a bad name or a limit out of range; 422 for a component never
/// uploaded or an unknown connection.
pub async fn put(
    conn: &mut AnyConnection,
    name: &str,
    source: Source<'_>,
    patch: ActionPatch,
    engine: &EngineSettings,
    effects: &mut Effects,
) -> ApiResult<()> {
    check_name("action", name)?;
    let defaults = engine.default_limits;
    let builtin = match source {
        Source::Builtin(builtin) => {
            builtins::upload(conn, name, builtin, defaults).await?;
            Some(builtin.name)
        }
        Source::Component(sha256) => {
            let latest = actions::latest_version(&mut *conn, name).await?;
            if latest.as_ref().map(|v| v.sha256.as_str()) != Some(sha256) {
                let wasm = actions::component_bytes(conn, sha256)
                    .await?
                    .ok_or_else(|| {
                        ApiError::Unprocessable(format!(
                            "no component with SHA-256 {sha256} was uploaded; \
                             PUT its bytes to /admin/components/{sha256} first"
                        ))
                    })?;
                actions::upload(conn, name, sha256, &wasm, defaults).await?;
                actions::unstage_component(&mut *conn, sha256).await?;
            }
            None
        }
    };
    actions::set_builtin(&mut *conn, name, builtin).await?;
    let mut row = actions::get(&mut *conn, name)
        .await?
        .ok_or_else(|| ApiError::Conflict("the action vanished meanwhile".into()))?;
    configure(conn, &mut row, patch, engine.max_memory_bytes, effects).await
}
