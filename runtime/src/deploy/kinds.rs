//! The resource kinds a project holds: how each one's current state is
//! read as the body the admin API takes, how a file's entry is brought to
//! that same canonical form (defaults filled in, lists sorted), and how it
//! is written or deleted through the admin API's own checks.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

use super::{Change, ChangeKind, CreatedSecret, Effects, FieldChange, Project, at};
use crate::api;
use crate::api::actions::{ActionPatch, LimitsPatch};
use crate::connections::{ConnectionConfig, redacted};
use crate::engine::Limits;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;

/// A kind of resource; the order of the variants is the order a deploy
/// writes them in (each only refers to kinds before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `/admin/scopes`.
    Scopes,
    /// `/admin/roles`.
    Roles,
    /// `/admin/schemas`.
    Schemas,
    /// `/admin/connections`.
    Connections,
    /// `/admin/actions`.
    Actions,
    /// `/admin/events`.
    Events,
    /// `/admin/operations`.
    Operations,
    /// `/admin/triggers`.
    Triggers,
    /// `/admin/webhooks`.
    Webhooks,
    /// `/admin/cronjobs`.
    Cronjobs,
    /// `/admin/apps`.
    Apps,
    /// `/admin/rate-limits`.
    RateLimits,
}

impl Kind {
    /// Every kind, in apply order.
    pub const ALL: [Kind; 12] = [
        Kind::Scopes,
        Kind::Roles,
        Kind::Schemas,
        Kind::Connections,
        Kind::Actions,
        Kind::Events,
        Kind::Operations,
        Kind::Triggers,
        Kind::Webhooks,
        Kind::Cronjobs,
        Kind::Apps,
        Kind::RateLimits,
    ];

    /// The key in a deploy file (`rate_limits`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scopes => "scopes",
            Kind::Roles => "roles",
            Kind::Schemas => "schemas",
            Kind::Connections => "connections",
            Kind::Actions => "actions",
            Kind::Events => "events",
            Kind::Operations => "operations",
            Kind::Triggers => "triggers",
            Kind::Webhooks => "webhooks",
            Kind::Cronjobs => "cronjobs",
            Kind::Apps => "apps",
            Kind::RateLimits => "rate_limits",
        }
    }

    /// The segment of the admin API path (`rate-limits`).
    pub fn path(self) -> &'static str {
        match self {
            Kind::RateLimits => "rate-limits",
            other => other.as_str(),
        }
    }

    /// The kind a file key or an admin path segment names.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.path() == text)
    }

    /// Resources the platform itself keeps: never pruned (the `admin` scope
    /// and role guard the admin API; the `default` rate limit guards
    /// everyone). The first two are not exported either.
    pub fn is_builtin(self, name: &str) -> bool {
        match self {
            Kind::Scopes | Kind::Roles => name == "admin",
            Kind::RateLimits => name == "default",
            _ => false,
        }
    }

    /// Whether `export` leaves the resource out: the fixed `admin` scope and role.
    pub fn is_fixed(self, name: &str) -> bool {
        matches!(self, Kind::Scopes | Kind::Roles) && name == "admin"
    }

    /// The fields of the admin API's body besides `name`, as `GET
    /// /admin/<kind>` shows them (none listed for connections and actions,
    /// whose bodies differ from what is shown).
    pub fn body_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Scopes => &["description"],
            Kind::Roles => &["description", "scopes"],
            Kind::Schemas => &["description", "schema"],
            Kind::Events => &["description", "schema"],
            Kind::Operations => &[
                "method",
                "path",
                "action",
                "action_version",
                "description",
                "stability",
                "active",
                "public",
                "scopes",
                "parameters",
                "incoming",
                "outgoing",
                "throws",
                "outgoing_validation",
            ],
            Kind::Triggers => &["event", "action", "active"],
            Kind::Webhooks => &["event", "url", "active"],
            Kind::Cronjobs => &["schedule", "action", "active", "missed", "description"],
            Kind::Apps => &["description", "scopes", "active"],
            Kind::RateLimits => &[
                "priority",
                "operation",
                "app",
                "user",
                "anonymous",
                "requests",
                "window_seconds",
            ],
            Kind::Connections | Kind::Actions => &[],
        }
    }

    /// The fields in which `old` and `new` (canonical bodies) differ; a
    /// connection's config is compared member by member and shown without
    /// its secrets.
    pub(super) fn field_changes(self, old: &Value, new: &Value) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
        let mut all = keys(old).unwrap_or_default();
        all.extend(keys(new).unwrap_or_default());
        all.sort();
        all.dedup();
        for key in all {
            let (a, b) = (&old[&key], &new[&key]);
            if a == b {
                continue;
            }
            if self == Kind::Connections && key == "config" {
                let shown = |whole: &Value| {
                    serde_json::from_value::<ConnectionConfig>(whole.clone())
                        .map(|c| redacted(&c))
                        .unwrap_or(Value::Null)
                };
                let (shown_a, shown_b) = (shown(old), shown(new));
                for sub in self.field_changes(a, b) {
                    out.push(FieldChange {
                        from: shown_a[&sub.field].clone(),
                        to: shown_b[&sub.field].clone(),
                        field: format!("config.{}", sub.field),
                    });
                }
                continue;
            }
            out.push(FieldChange {
                field: key,
                from: a.clone(),
                to: b.clone(),
            });
        }
        out
    }
}

/// An action as a deploy file names it: the PATCH body plus the SHA-256 of
/// its component (uploaded first with `PUT /admin/components/{sha256}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionSpec {
    /// Hex SHA-256 of the component bytes.
    sha256: String,
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
        Kind::Scopes => via::<api::scopes::ScopeInput>(name, entry)?,
        Kind::Roles => via::<api::roles::RoleInput>(name, entry)?,
        Kind::Schemas => via::<api::schemas::SchemaInput>(name, entry)?,
        Kind::Events => via::<api::events::EventInput>(name, entry)?,
        Kind::Operations => via::<api::operations::OperationInput>(name, entry)?,
        Kind::Triggers => via::<api::triggers::TriggerInput>(name, entry)?,
        Kind::Webhooks => via::<api::webhooks::WebhookInput>(name, entry)?,
        Kind::Cronjobs => via::<api::cronjobs::CronjobInput>(name, entry)?,
        Kind::Apps => via::<api::apps::AppInput>(name, entry)?,
        Kind::RateLimits => via::<api::rate_limits::RateLimitInput>(name, entry)?,
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
            json!({
                "sha256": spec.sha256.to_ascii_lowercase(),
                "description": spec.description,
                "limits": limits,
                "config": spec.config,
                "connections": connections,
            })
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
pub(super) fn desired(
    state: &AppState,
    project: &Project,
) -> ApiResult<BTreeMap<Kind, BTreeMap<String, Value>>> {
    let mut out = BTreeMap::new();
    for (kind, entries) in &project.0 {
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
    conn: &mut SqliteConnection,
    state: &AppState,
) -> ApiResult<BTreeMap<Kind, BTreeMap<String, Value>>> {
    let mut out = BTreeMap::new();
    for kind in Kind::ALL {
        out.insert(kind, current(conn, state, kind).await?);
    }
    Ok(out)
}

/// The stored rows of `kind` as JSON, before canonical form.
async fn rows(conn: &mut SqliteConnection, kind: Kind) -> ApiResult<Vec<Value>> {
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
        Kind::Webhooks => json(store::events::webhooks(c).await?),
        Kind::Cronjobs => json(store::cronjobs::list(c).await?),
        Kind::Apps => json(store::apps::list(c).await?),
        Kind::RateLimits => json(store::rate_limits::list(c).await?),
        Kind::Connections | Kind::Actions => Vec::new(),
    })
}

/// The resources of `kind` the control plane holds, in canonical form.
async fn current(
    conn: &mut SqliteConnection,
    state: &AppState,
    kind: Kind,
) -> ApiResult<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    match kind {
        Kind::Connections => {
            for row in store::connections::list(&mut *conn).await? {
                let config = api::connections::open_config(state, &row)?;
                let value = serde_json::to_value(config).map_err(anyhow::Error::from)?;
                out.insert(row.name, value);
            }
        }
        Kind::Actions => {
            for row in store::actions::list(&mut *conn).await? {
                let latest = store::actions::latest_version(&mut *conn, &row.name).await?;
                let granted = store::connections::granted_to(&mut *conn, &row.name).await?;
                let value = json!({
                    "sha256": latest.map(|v| v.sha256).unwrap_or_default(),
                    "description": row.description,
                    "limits": row.limits(),
                    "config": serde_json::from_str::<Value>(&row.config).unwrap_or_else(|_| empty_object()),
                    "connections": granted,
                });
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

/// Tries the backend of every connection the plan creates or changes,
/// unless its entry says `skip_test: true`.
///
/// # Errors
/// 422 naming the connection whose test failed.
pub(super) async fn test_connections(
    state: &AppState,
    project: &Project,
    desired: &BTreeMap<Kind, BTreeMap<String, Value>>,
    current: &BTreeMap<Kind, BTreeMap<String, Value>>,
) -> ApiResult<()> {
    let (Some(wanted), Some(entries)) = (
        desired.get(&Kind::Connections),
        project.0.get(&Kind::Connections),
    ) else {
        return Ok(());
    };
    let have = current.get(&Kind::Connections);
    for (name, value) in wanted {
        let skip = entries
            .get(name)
            .and_then(|e| e.get("skip_test"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if skip || have.and_then(|h| h.get(name)) == Some(value) {
            continue;
        }
        let config: ConnectionConfig =
            serde_json::from_value(value.clone()).map_err(anyhow::Error::from)?;
        api::connections::check(state, &config, false)
            .await
            .map_err(|e| at(Kind::Connections, name, e))?;
    }
    Ok(())
}

/// Writes every create and update of `changes` and performs its deletes,
/// through `conn` (the deploy's transaction).
///
/// # Errors
/// The first resource's problem, prefixed with its kind and name.
pub(super) async fn apply(
    conn: &mut SqliteConnection,
    state: &AppState,
    changes: &mut [Change],
    desired: &BTreeMap<Kind, BTreeMap<String, Value>>,
    effects: &mut Effects,
    secrets: &mut Vec<CreatedSecret>,
) -> ApiResult<()> {
    // Schemas may refer to one another in any order: a schema that fails
    // is retried after the others, until a pass makes no progress.
    let mut pending: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == Kind::Schemas && is_write(c.change))
        .map(|(i, _)| i)
        .collect();
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut first_error = None;
        for &i in &pending {
            let c = &changes[i];
            let spec = &desired[&c.kind][&c.name];
            if let Err(e) = put(conn, state, c, spec, effects, secrets).await {
                failed.push(i);
                first_error.get_or_insert(at(c.kind, &c.name, e));
            }
        }
        if failed.len() == pending.len() {
            return Err(first_error.unwrap_or_else(|| ApiError::BadRequest("schemas".into())));
        }
        pending = failed;
    }
    for c in changes.iter() {
        let result = match c.change {
            ChangeKind::Unchanged => continue,
            _ if c.kind == Kind::Schemas && is_write(c.change) => continue,
            ChangeKind::Create | ChangeKind::Update => {
                let spec = &desired[&c.kind][&c.name];
                put(conn, state, c, spec, effects, secrets).await
            }
            ChangeKind::Delete => remove(conn, c.kind, &c.name, effects).await,
        };
        result.map_err(|e| at(c.kind, &c.name, e))?;
    }
    Ok(())
}

fn is_write(change: ChangeKind) -> bool {
    matches!(change, ChangeKind::Create | ChangeKind::Update)
}

/// `spec` (canonical, without `name`) read as the admin API's body `T`.
fn input<T: DeserializeOwned>(name: &str, spec: &Value) -> ApiResult<T> {
    let mut object = spec.as_object().cloned().unwrap_or_default();
    object.insert("name".into(), json!(name));
    serde_json::from_value(Value::Object(object)).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// Creates or replaces one resource.
async fn put(
    conn: &mut SqliteConnection,
    state: &AppState,
    change: &Change,
    spec: &Value,
    effects: &mut Effects,
    secrets: &mut Vec<CreatedSecret>,
) -> ApiResult<()> {
    let name = change.name.as_str();
    match change.kind {
        Kind::Scopes => {
            let existing = store::scopes::get(&mut *conn, name).await?;
            api::scopes::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Roles => {
            let existing = store::roles::get(&mut *conn, name).await?;
            api::roles::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Schemas => {
            let existing = store::schemas::get(&mut *conn, name).await?;
            api::schemas::write(conn, input(name, spec)?, existing).await?;
            effects.routes = true;
            effects.events = true;
        }
        Kind::Connections => {
            let existing = store::connections::get(&mut *conn, name).await?;
            let config: ConnectionConfig =
                serde_json::from_value(spec.clone()).map_err(anyhow::Error::from)?;
            if existing.is_some() {
                effects.closed_connections.push(name.to_string());
            }
            api::connections::write(conn, &state.secrets, name, &config, existing).await?;
        }
        Kind::Actions => put_action(conn, state, name, spec).await?,
        Kind::Events => {
            let existing = store::events::get(&mut *conn, name).await?;
            api::events::write(conn, input(name, spec)?, existing.map(|e| e.created_at)).await?;
            effects.events = true;
        }
        Kind::Operations => {
            let existing = store::operations::get(&mut *conn, name).await?;
            api::operations::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Triggers => {
            let existing = store::events::trigger(&mut *conn, name).await?;
            api::triggers::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Webhooks => {
            let existing = store::events::webhook(&mut *conn, name).await?;
            let (_, secret) =
                api::webhooks::write(conn, &state.secrets, input(name, spec)?, existing).await?;
            if let Some(secret) = secret {
                secrets.push(CreatedSecret {
                    kind: Kind::Webhooks,
                    name: name.to_string(),
                    client_id: None,
                    secret,
                });
            }
        }
        Kind::Cronjobs => {
            let existing = store::cronjobs::get(&mut *conn, name).await?;
            api::cronjobs::write(conn, input(name, spec)?, existing).await?;
            effects.cron = true;
        }
        Kind::Apps => match store::apps::by_name(&mut *conn, name).await? {
            Some(existing) => {
                let (row, lost_access) =
                    api::apps::update_app(conn, existing, input(name, spec)?).await?;
                if lost_access {
                    effects.revoked_apps.push(row.id);
                }
            }
            None => {
                let created = api::apps::create_app(conn, input(name, spec)?).await?;
                secrets.push(CreatedSecret {
                    kind: Kind::Apps,
                    name: name.to_string(),
                    client_id: Some(created.app.client_id),
                    secret: created.client_secret,
                });
            }
        },
        Kind::RateLimits => {
            let existing = store::rate_limits::get(&mut *conn, name).await?;
            api::rate_limits::write(conn, input(name, spec)?, existing).await?;
            effects.rate_limits = true;
        }
    }
    if matches!(
        change.kind,
        Kind::Actions | Kind::Operations | Kind::Connections
    ) {
        effects.routes = true;
    }
    Ok(())
}

/// Creates or changes an action: a new version when the SHA-256 differs
/// from the latest, then its settings and grants.
async fn put_action(
    conn: &mut SqliteConnection,
    state: &AppState,
    name: &str,
    spec: &Value,
) -> ApiResult<()> {
    api::check_name("action", name)?;
    let sha256 = spec["sha256"].as_str().unwrap_or_default().to_string();
    let latest = store::actions::latest_version(&mut *conn, name).await?;
    if latest.as_ref().map(|v| v.sha256.as_str()) != Some(sha256.as_str()) {
        let wasm = store::actions::component_bytes(conn, &sha256)
            .await?
            .ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "no component with SHA-256 {sha256} was uploaded; \
                     PUT its bytes to /admin/components/{sha256} first"
                ))
            })?;
        let defaults = state.engine.settings().default_limits;
        store::actions::upload(conn, name, &sha256, &wasm, defaults).await?;
        store::actions::unstage_component(&mut *conn, &sha256).await?;
    }
    let mut row = store::actions::get(&mut *conn, name)
        .await?
        .ok_or_else(|| ApiError::Conflict("the action vanished meanwhile".into()))?;
    let limits: Limits = serde_json::from_value(spec["limits"].clone())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let patch = ActionPatch {
        description: spec["description"].as_str().map(str::to_string),
        limits: Some(LimitsPatch {
            fuel: Some(limits.fuel),
            memory_bytes: Some(limits.memory_bytes),
            timeout_ms: Some(limits.timeout_ms),
        }),
        config: Some(spec["config"].clone()),
        connections: serde_json::from_value(spec["connections"].clone()).ok(),
    };
    let max_memory = state.engine.settings().max_memory_bytes;
    api::actions::configure(conn, &mut row, patch, max_memory).await
}

/// Deletes one resource (pruning), with the admin API's checks.
async fn remove(
    conn: &mut SqliteConnection,
    kind: Kind,
    name: &str,
    effects: &mut Effects,
) -> ApiResult<()> {
    match kind {
        Kind::Scopes => api::scopes::remove(conn, name).await?,
        Kind::Roles => api::roles::remove(conn, name).await?,
        Kind::Schemas => {
            api::schemas::remove(conn, name).await?;
            effects.events = true;
        }
        Kind::Connections => {
            api::connections::remove(conn, name).await?;
            effects.closed_connections.push(name.to_string());
        }
        Kind::Actions => {
            let users = store::operations::names_using(&mut *conn, name).await?;
            if !users.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "action {name:?} is used by operations {} that the project does not name",
                    users.join(", ")
                )));
            }
            store::actions::delete(&mut *conn, name).await?;
        }
        Kind::Events => {
            api::events::remove(conn, name).await?;
            effects.events = true;
        }
        Kind::Operations => {
            store::operations::delete(&mut *conn, name).await?;
        }
        Kind::Triggers => {
            store::events::delete_listener(&mut *conn, "triggers", name).await?;
        }
        Kind::Webhooks => {
            store::events::delete_listener(&mut *conn, "webhooks", name).await?;
        }
        Kind::Cronjobs => {
            store::cronjobs::delete(&mut *conn, name).await?;
            effects.cron = true;
        }
        Kind::Apps => {
            if let Some(app) = store::apps::by_name(&mut *conn, name).await? {
                effects.revoked_apps.push(app.id.clone());
                store::apps::delete(&mut *conn, &app.id).await?;
            }
        }
        Kind::RateLimits => {
            store::rate_limits::delete(&mut *conn, name).await?;
            effects.rate_limits = true;
        }
    }
    effects.routes = true;
    Ok(())
}
