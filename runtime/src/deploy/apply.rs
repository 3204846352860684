//! Writing a plan through the admin API's own checks, in the deploy's
//! transaction: connections tried first, schemas in whatever order their
//! references need, every other kind in [`Kind`] order, deletes last.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::{Change, ChangeKind, CreatedSecret, Kind, Project, Resources, at};
use crate::cluster;
use crate::connections::ConnectionConfig;
use crate::engine::Limits;
use crate::error::{ApiError, ApiResult};
use crate::resources::actions::{ActionPatch, LimitsPatch, Source};
use crate::resources::{self, Effects};
use crate::state::AppState;
use crate::store;

/// Tries the backend of every connection the plan creates or changes,
/// unless its entry says `skip_test: true`.
///
/// # Errors
/// 422 naming the connection whose test failed.
pub(super) async fn test_connections(
    state: &AppState,
    project: &Project,
    desired: &Resources,
    current: &Resources,
) -> ApiResult<()> {
    let (Some(wanted), Some(entries)) = (
        desired.get(&Kind::Connections),
        project.resources.get(&Kind::Connections),
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
        resources::connections::check(state.registry.data_dir(), &config, false)
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
    conn: &mut AnyConnection,
    state: &AppState,
    changes: &mut [Change],
    desired: &Resources,
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
    conn: &mut AnyConnection,
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
            resources::scopes::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Roles => {
            let existing = store::roles::get(&mut *conn, name).await?;
            resources::roles::write(conn, input(name, spec)?, existing, effects).await?;
        }
        Kind::Schemas => {
            let existing = store::schemas::get(&mut *conn, name).await?;
            resources::schemas::write(conn, input(name, spec)?, existing, effects).await?;
        }
        Kind::Connections => {
            let existing = store::connections::get(&mut *conn, name).await?;
            let config: ConnectionConfig =
                serde_json::from_value(spec.clone()).map_err(anyhow::Error::from)?;
            resources::connections::write(conn, &state.secrets, name, &config, existing, effects)
                .await?;
        }
        Kind::Actions => put_action(conn, state, name, spec, effects).await?,
        Kind::Events => {
            let existing = store::events::get(&mut *conn, name).await?;
            let created_at = existing.map(|e| e.created_at);
            resources::events::write(conn, input(name, spec)?, created_at, effects).await?;
        }
        Kind::Operations => {
            let existing = store::operations::get(&mut *conn, name).await?;
            resources::operations::write(conn, input(name, spec)?, existing, effects).await?;
        }
        Kind::Triggers => {
            let existing = store::events::trigger(&mut *conn, name).await?;
            resources::triggers::write(conn, input(name, spec)?, existing).await?;
        }
        Kind::Webhooks => {
            let existing = store::events::webhook(&mut *conn, name).await?;
            let (_, secret) =
                resources::webhooks::write(conn, &state.secrets, input(name, spec)?, existing)
                    .await?;
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
            resources::cronjobs::write(conn, input(name, spec)?, existing, effects).await?;
        }
        Kind::Apps => match store::apps::by_name(&mut *conn, name).await? {
            Some(existing) => {
                resources::apps::update_app(conn, existing, input(name, spec)?, effects).await?;
            }
            None => {
                let created = resources::apps::create_app(conn, input(name, spec)?).await?;
                secrets.push(CreatedSecret {
                    kind: Kind::Apps,
                    name: name.to_string(),
                    client_id: Some(created.app.client_id),
                    secret: created.client_secret,
                });
            }
        },
        Kind::Portal => {
            return Err(ApiError::BadRequest(
                "the portal is not a named resource".into(),
            ));
        }
        Kind::RateLimits => {
            let existing = store::rate_limits::get(&mut *conn, name).await?;
            resources::rate_limits::write(conn, input(name, spec)?, existing, effects).await?;
        }
        Kind::Prompts => {
            let existing = store::prompts::get(&mut *conn, name).await?;
            resources::prompts::write(conn, input(name, spec)?, existing).await?;
        }
    }
    Ok(())
}

/// Creates or changes an action: a new version when the SHA-256 differs
/// from the latest, then its settings and grants.
async fn put_action(
    conn: &mut AnyConnection,
    state: &AppState,
    name: &str,
    spec: &Value,
    effects: &mut Effects,
) -> ApiResult<()> {
    let source = match spec["builtin"].as_str() {
        Some(builtin) => {
            let builtin = resources::actions::builtin_named(builtin)?;
            let granted: Vec<String> =
                serde_json::from_value(spec["connections"].clone()).unwrap_or_default();
            crate::generators::check::builtin_config(
                state,
                builtin.name,
                &spec["config"],
                &granted,
            )
            .await?;
            Source::Builtin(builtin)
        }
        None => Source::Component(spec["sha256"].as_str().unwrap_or_default()),
    };
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
    resources::actions::put(conn, name, source, patch, state.engine.settings(), effects).await
}

/// Deletes one resource (pruning), with the admin API's checks.
async fn remove(
    conn: &mut AnyConnection,
    kind: Kind,
    name: &str,
    effects: &mut Effects,
) -> ApiResult<()> {
    match kind {
        Kind::Scopes => resources::scopes::remove(conn, name).await?,
        Kind::Roles => resources::roles::remove(conn, name).await?,
        Kind::Schemas => resources::schemas::remove(conn, name, effects).await?,
        Kind::Connections => resources::connections::remove(conn, name, effects).await?,
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
        Kind::Events => resources::events::remove(conn, name, effects).await?,
        Kind::Operations => {
            resources::operations::remove(conn, name, effects).await?;
        }
        Kind::Triggers => {
            resources::triggers::remove(conn, name).await?;
        }
        Kind::Webhooks => {
            resources::webhooks::remove(conn, name).await?;
        }
        Kind::Cronjobs => {
            resources::cronjobs::remove(conn, name, effects).await?;
        }
        Kind::Apps => {
            if let Some(app) = store::apps::by_name(&mut *conn, name).await? {
                resources::apps::remove(conn, &app, effects).await?;
            }
        }
        Kind::RateLimits => {
            resources::rate_limits::remove(conn, name, effects).await?;
        }
        Kind::Prompts => resources::prompts::remove(conn, name).await?,
        Kind::Portal => {
            return Err(ApiError::BadRequest(
                "the portal is not a named resource".into(),
            ));
        }
    }
    // What a pruned resource leaves behind may be routed (an action, an
    // operation's scope): the table is rebuilt whatever went.
    effects.change(cluster::Change::Routes);
    Ok(())
}
