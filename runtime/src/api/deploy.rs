//! `POST /admin/deploy`: apply a whole project at once (see
//! [`crate::deploy`]); `GET /system/deploy-schema.json` describes the file.

use axum::Router;
use axum::extract::State;
use axum::routing::post;

use crate::deploy::{self, DeployOptions, DeployOutcome, Project};
use crate::error::ApiResult;
use crate::http::extract::{Json, Query};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/deploy", post(deploy_apply))
}

/// `POST /admin/deploy[?dry_run=true][&prune=true]` with a resolved project
/// (`{"operations": {"name": {...}}, ...}`) → 200 with the plan
/// (`changes`), whether it was `applied`, and the `secrets` created now.
/// 400 for a malformed entry, 409 or 422 for one the admin API would
/// refuse (its kind and name lead the detail); nothing is applied then.
pub async fn deploy_apply(
    State(state): State<AppState>,
    Query(options): Query<DeployOptions>,
    Json(project): Json<Project>,
) -> ApiResult<Json<DeployOutcome>> {
    let outcome = deploy::deploy(&state, project, options).await?;
    let changed = outcome
        .changes
        .iter()
        .filter(|c| c.change != deploy::ChangeKind::Unchanged)
        .count();
    tracing::info!(
        dry_run = options.dry_run,
        prune = options.prune,
        resources = outcome.changes.len(),
        changed,
        "deploy"
    );
    Ok(Json(outcome))
}
