//! Canonical bodies: a resource's current state read as the body the
//! admin API takes, and a file's entry brought to that same form (defaults
//! filled in, lists sorted), so that equal means unchanged.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use super::{Kind, Project, Resources, at};
use crate::connections::ConnectionConfig;
use crate::engine::Limits;
use crate::error::{ApiError, ApiResult};
use crate::resources;
use crate::resources::actions::LimitsPatch;
use crate::state::AppState;
use crate::store;

/// An action as a deploy file names it: the PATCH body plus the SHA-256 of
/// its component (uploaded first with `PUT /admin/components/{sha256}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionSpec {
    /// Hex SHA-256 of the component bytes.
    #[serde(default)]
    sha256: Option<String>,
    /// The built-in it runs instead (`sql-table` …).
    #[serde(default)]
    builtin: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    limits: LimitsPatch,
    #[serde(default = "empty_object")]
    config: Value,
    #[serde(default)]
    connections: Vec<String>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// `entry` with `name` set, read as `T` and written back without `name`:
/// the canonical body (defaults filled in, unknown fields refused).
fn via<T: DeserializeOwned + Serialize>(name: &str, entry: &Value) -> Result<Value, String> {
    let mut object = match entry {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        _ => return Err("the entry must be a mapping of the resource's fields".into()),
    };
    if let Some(given) = object.get("name")
        && given != name
    {
        return Err(format!(
            "the entry's name {given} differs from its key; leave `name` out"
        ));
    }
    object.insert("name".into(), json!(name));
    let typed: T = serde_json::from_value(Value::Object(object)).map_err(|e| e.to_string())?;
    let mut value = serde_json::to_value(typed).map_err(|e| e.to_string())?;
    if let Some(m) = value.as_object_mut() {
        m.remove("name");
    }
    Ok(value)
}

fn sort_list(value: &mut Value, key: &str) {
    if let Some(Value::Array(items)) = value.get_mut(key) {
        items.sort_by_key(Value::to_string);
        items.dedup();
    }
}

/// The canonical body of one entry of `kind`.
fn canonical(state: &AppState, kind: Kind, name: &str, entry: &Value) -> Result<Value, String> {
    let mut value = match kind {
        Kind::Scopes => via::<resources::scopes::ScopeInput>(name, entry)?,
        Kind::Roles => via::<resources::roles::RoleInput>(name, entry)?,
        Kind::Schemas => via::<resources::schemas::SchemaInput>(name, entry)?,
        Kind::Events => via::<resources::events::EventInput>(name, entry)?,
        Kind::Operations => via::<resources::operations::OperationInput>(name, entry)?,
        Kind::Triggers => via::<resources::triggers::TriggerInput>(name, entry)?,
        Kind::Webhooks => via::<resources::webhooks::WebhookInput>(name, entry)?,
        Kind::Cronjobs => via::<resources::cronjobs::CronjobInput>(name, entry)?,
        Kind::Apps => via::<resources::apps::AppInput>(name, entry)?,
        Kind::RateLimits => via::<resources::rate_limits::RateLimitInput>(name, entry)?,
        Kind::Prompts => via::<resources::prompts::PromptInput>(name, entry)?,
        Kind::Portal => return Err("the portal is not a named resource".into()),
        Kind::Connections => {
            let mut object = entry.as_object().cloned().unwrap_or_default();
            object.remove("skip_test");
            object.remove("name");
            let config: ConnectionConfig =
                serde_json::from_value(Value::Object(object)).map_err(|e| e.to_string())?;
            serde_json::to_value(config).map_err(|e| e.to_string())?
        }
        Kind::Actions => {
            let spec: ActionSpec = serde_json::from_value(entry.clone()).map_err(|e| {
                format!("{e} (an action needs `source` in the file, `sha256` in the API)")
            })?;
            let limits = fill_limits(state, &spec.limits);
            let mut connections = spec.connections;
            connections.sort();
            connections.dedup();
            let sha256 = match (&spec.builtin, &spec.sha256) {
                (Some(builtin), None) => {
                    let builtin =
                        resources::actions::builtin_named(builtin).map_err(|e| e.to_string())?;
                    let errors = builtin.config_errors(&spec.config);
                    if !errors.is_empty() {
                        let list: Vec<String> = errors
                            .iter()
                            .map(|e| format!("{}: {}", e.pointer, e.message))
                            .collect();
                        return Err(format!(
                            "the config does not fit builtin:{}: {}",
                            builtin.name,
                            list.join("; ")
                        ));
                    }
                    builtin.sha256()
                }
                (None, Some(sha256)) => sha256.to_ascii_lowercase(),
                _ => {
                    return Err(
                        "an action needs either `source` (`sha256` in the API) or `builtin`".into(),
                    );
                }
            };
            let mut value = json!({
                "sha256": sha256,
                "description": spec.description,
                "limits": limits,
                "config": spec.config,
                "connections": connections,
            });
            if let Some(builtin) = spec.builtin {
                let name = builtin
                    .strip_prefix(crate::builtins::PREFIX)
                    .unwrap_or(&builtin);
                value["builtin"] = json!(name);
            }
            value
        }
    };
    match kind {
        Kind::Operations => {
            if let Some(Value::String(m)) = value.get_mut("method") {
                *m = m.to_ascii_uppercase();
            }
            sort_list(&mut value, "scopes");
        }
        Kind::Roles | Kind::Apps => sort_list(&mut value, "scopes"),
        _ => {}
    }
    Ok(value)
}

fn fill_limits(state: &AppState, patch: &LimitsPatch) -> Limits {
    let defaults = state.engine.settings().default_limits;
    Limits {
        fuel: patch.fuel.unwrap_or(defaults.fuel),
        memory_bytes: patch.memory_bytes.unwrap_or(defaults.memory_bytes),
        timeout_ms: patch.timeout_ms.unwrap_or(defaults.timeout_ms),
    }
}

/// Every entry of `project` in canonical form.
///
/// # Errors
/// 400 naming the resource whose entry is malformed.
pub(super) fn desired(state: &AppState, project: &Project) -> ApiResult<Resources> {
    let mut out = BTreeMap::new();
    for (kind, entries) in &project.resources {
        let mut canon = BTreeMap::new();
        for (name, entry) in entries {
            let value = canonical(state, *kind, name, entry)
                .map_err(|e| at(*kind, name, ApiError::BadRequest(e)))?;
            canon.insert(name.clone(), value);
        }
        out.insert(*kind, canon);
    }
    Ok(out)
}

/// The control plane's resources of every kind in canonical form.
///
/// # Errors
/// On database failure, or when a connection's config cannot be opened.
pub(super) async fn current_all(
    conn: &mut AnyConnection,
    state: &AppState,
) -> ApiResult<Resources> {
    let mut out = BTreeMap::new();
    for kind in Kind::ALL {
        out.insert(kind, current(conn, state, kind).await?);
    }
    Ok(out)
}

/// The stored rows of `kind` as JSON, before canonical form.
async fn rows(conn: &mut AnyConnection, kind: Kind) -> ApiResult<Vec<Value>> {
    fn json<T: Serialize>(rows: Vec<T>) -> Vec<Value> {
        rows.into_iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect()
    }
    let c = &mut *conn;
    Ok(match kind {
        Kind::Scopes => json(store::scopes::list(c).await?),
        Kind::Roles => json(store::roles::list(c).await?),
        Kind::Schemas => json(store::schemas::list(c).await?),
        Kind::Events => json(store::events::list(c).await?),
        Kind::Operations => json(store::operations::list(c).await?),
        Kind::Triggers => json(store::events::triggers(c).await?),
        // Consumers' webhooks are theirs, not the project's: a deploy
        // neither exports nor prunes them.
        Kind::Webhooks => json(
            store::events::webhooks(c)
                .await?
                .into_iter()
                .filter(|w| w.owner_id.is_none())
                .collect(),
        ),
        Kind::Cronjobs => json(store::cronjobs::list(c).await?),
        // Clients that registered themselves are not the project's either.
        Kind::Apps => json(
            store::apps::list(c)
                .await?
                .into_iter()
                .filter(|a| a.registered_at.is_none())
                .collect(),
        ),
        Kind::RateLimits => json(store::rate_limits::list(c).await?),
        Kind::Prompts => json(store::prompts::list(c).await?),
        Kind::Connections | Kind::Actions | Kind::Portal => Vec::new(),
    })
}

/// The resources of `kind` the control plane holds, in canonical form.
async fn current(
    conn: &mut AnyConnection,
    state: &AppState,
    kind: Kind,
) -> ApiResult<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    match kind {
        Kind::Connections => {
            for row in store::connections::list(&mut *conn).await? {
                let config = resources::connections::open_config(&state.secrets, &row)?;
                let value = serde_json::to_value(config).map_err(anyhow::Error::from)?;
                out.insert(row.name, value);
            }
        }
        Kind::Actions => {
            for row in store::actions::list(&mut *conn).await? {
                // The built-ins belong to the binary: never planned, pruned or exported.
                if crate::builtins::is_builtin_name(&row.name) {
                    continue;
                }
                let latest = store::actions::latest_version(&mut *conn, &row.name).await?;
                let granted = store::connections::granted_to(&mut *conn, &row.name).await?;
                let mut value = json!({
                    "sha256": latest.map(|v| v.sha256).unwrap_or_default(),
                    "description": row.description,
                    "limits": row.limits(),
                    "config": serde_json::from_str::<Value>(&row.config).unwrap_or_else(|_| empty_object()),
                    "connections": granted,
                });
                if let Some(builtin) = row.builtin {
                    value["builtin"] = json!(builtin);
                }
                out.insert(row.name, value);
            }
        }
        _ => {
            for row in rows(conn, kind).await? {
                let Some(name) = row["name"].as_str().map(str::to_string) else {
                    continue;
                };
                let mut entry = Map::new();
                for field in kind.body_fields() {
                    if let Some(v) = row.get(*field) {
                        entry.insert((*field).to_string(), v.clone());
                    }
                }
                let entry = Value::Object(entry);
                let value = canonical(state, kind, &name, &entry).unwrap_or(entry);
                out.insert(name, value);
            }
        }
    }
    Ok(out)
}
