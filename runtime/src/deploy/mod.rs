//! Server-side apply of a project: `POST /admin/deploy` takes every
//! resource a deploy file names (resolved by the CLI: environment
//! variables substituted, files read, action sources replaced by their
//! SHA-256) and either answers the plan or applies it in one control-plane
//! transaction, so a failure midway changes nothing.
//!
//! Each entry is the body the admin API takes for that resource, keyed by
//! its name. Resources are written in dependency order ([`Kind`]'s order)
//! and, when pruning, deleted in the reverse order.

mod apply;
mod canonical;
mod kinds;
mod portal;
pub mod schema;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::resources::Effects;
use crate::state::AppState;

pub use kinds::Kind;

/// Canonical bodies of resources: per kind, by name.
pub type Resources = BTreeMap<Kind, BTreeMap<String, Value>>;

/// A resolved project: per kind, entries by name, and the portal's
/// settings.
#[derive(Debug, Default, Deserialize)]
pub struct Project {
    /// The `portal` key: the portal's settings, replacing the stored ones
    /// whole (absent members take their defaults). Absent: the stored
    /// settings stay as they are.
    #[serde(default)]
    pub portal: Option<Value>,
    /// Every other key: a kind's entries by name.
    #[serde(flatten)]
    pub resources: Resources,
}

impl Project {
    /// A project of `resources` alone, leaving the portal's settings be.
    pub fn of(resources: Resources) -> Self {
        Self {
            portal: None,
            resources,
        }
    }
}

/// What a deploy does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The resource is new.
    Create,
    /// Some fields differ (listed in [`Change::fields`]).
    Update,
    /// The server already has it exactly so; nothing is written.
    Unchanged,
    /// The file no longer names it and the deploy prunes.
    Delete,
}

/// One field an update changes; secrets are never shown (`secret_set`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field, dotted below a connection's `config` (`config.base_url`).
    pub field: String,
    /// The value on the server.
    pub from: Value,
    /// The value in the file.
    pub to: Value,
}

/// One line of the plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// Resource kind, as the file's top-level key (`operations`, `rate_limits` …).
    pub kind: Kind,
    /// The resource's name.
    pub name: String,
    /// `create`, `update`, `unchanged` or `delete`.
    pub change: ChangeKind,
    /// For `update`: the fields that change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// A secret made by this deploy, shown once: an app's client secret or a
/// webhook's signing secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedSecret {
    /// `apps` or `webhooks`.
    pub kind: Kind,
    /// The resource's name.
    pub name: String,
    /// For apps: the OAuth2 client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client secret (`cs_…`) or the webhook secret (`whsec_…`).
    pub secret: String,
}

/// The answer of `POST /admin/deploy`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployOutcome {
    /// Every resource the file names (and, when pruning, each one deleted),
    /// in the order they are applied.
    pub changes: Vec<Change>,
    /// Whether the changes were committed (false for a dry run).
    pub applied: bool,
    /// Secrets created now; empty for a dry run.
    pub secrets: Vec<CreatedSecret>,
}

/// Options of a deploy (the query of `POST /admin/deploy`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct DeployOptions {
    /// Work out and check everything, then roll back.
    #[serde(default)]
    pub dry_run: bool,
    /// Delete what the project does not name (built-ins excepted).
    #[serde(default)]
    pub prune: bool,
}

/// Plans `project` against the control plane and, unless
/// `options.dry_run`, applies it in one transaction, then reloads what the
/// change touched (routes, events, rate limits, cronjobs, connection pools,
/// app tokens).
///
/// # Errors
/// The problem of the first resource that cannot be applied, its detail
/// prefixed with `<kind> "<name>": `; nothing is applied then.
pub async fn deploy(
    state: &AppState,
    project: Project,
    options: DeployOptions,
) -> ApiResult<DeployOutcome> {
    let desired = canonical::desired(state, &project)?;
    let portal = project.portal.as_ref().map(portal::desired).transpose()?;
    // Trying backends can take seconds: it happens before the write lock
    // is taken, for the connections the plan creates or changes.
    let mut conn = state.db.acquire().await?;
    let before = canonical::current_all(&mut conn, state).await?;
    drop(conn);
    apply::test_connections(state, &project, &desired, &before).await?;

    let mut tx = crate::store::begin_write(&state.db).await?;
    let current = canonical::current_all(&mut tx, state).await?;
    let mut changes = plan(&desired, &current, options.prune);
    let mut effects = Effects::default();
    let mut secrets = Vec::new();
    apply::apply(
        &mut tx,
        state,
        &mut changes,
        &desired,
        &mut effects,
        &mut secrets,
    )
    .await?;
    // Last, so the mailer it names is checked against the connections as
    // the deploy leaves them (created now, or not pruned).
    if let Some(settings) = &portal {
        let change = portal::plan(&mut tx, settings).await?;
        if change.change == ChangeKind::Update {
            portal::apply(&mut tx, settings).await?;
        }
        changes.push(change);
    }
    if options.dry_run {
        tx.rollback().await?;
        return Ok(DeployOutcome {
            changes,
            applied: false,
            secrets: Vec::new(),
        });
    }
    tx.commit().await?;
    state.publish(effects).await?;
    Ok(DeployOutcome {
        changes,
        applied: true,
        secrets,
    })
}

/// The plan: every desired resource as create, update or unchanged, in
/// apply order, then (when pruning) the deletes in reverse order.
fn plan(desired: &Resources, current: &Resources, prune: bool) -> Vec<Change> {
    let empty = BTreeMap::new();
    let mut changes = Vec::new();
    for kind in Kind::ALL {
        let have = current.get(&kind).unwrap_or(&empty);
        for (name, want) in desired.get(&kind).unwrap_or(&empty) {
            let (change, fields) = match have.get(name) {
                None => (ChangeKind::Create, Vec::new()),
                Some(old) if old == want => (ChangeKind::Unchanged, Vec::new()),
                Some(old) => (ChangeKind::Update, kind.field_changes(old, want)),
            };
            changes.push(Change {
                kind,
                name: name.clone(),
                change,
                fields,
            });
        }
    }
    if prune {
        for kind in Kind::ALL.into_iter().rev() {
            let want = desired.get(&kind).unwrap_or(&empty);
            for name in current.get(&kind).unwrap_or(&empty).keys() {
                if !want.contains_key(name) && !kind.is_builtin(name) {
                    changes.push(Change {
                        kind,
                        name: name.clone(),
                        change: ChangeKind::Delete,
                        fields: Vec::new(),
                    });
                }
            }
        }
    }
    changes
}

/// `e` with its detail prefixed by the resource it concerns; a missing
/// referenced resource becomes 422.
fn at(kind: Kind, name: &str, e: ApiError) -> ApiError {
    let prefix = |m: String| format!("{} {name:?}: {m}", kind.as_str());
    match e {
        ApiError::BadRequest(m) => ApiError::BadRequest(prefix(m)),
        ApiError::Invalid { slug, detail } => ApiError::Invalid {
            slug,
            detail: prefix(detail),
        },
        ApiError::InvalidAt { detail, errors } => ApiError::InvalidAt {
            detail: prefix(detail),
            errors,
        },
        ApiError::Conflict(m) => ApiError::Conflict(prefix(m)),
        ApiError::Unprocessable(m) | ApiError::NotFound(m) => ApiError::Unprocessable(prefix(m)),
        other => other,
    }
}
