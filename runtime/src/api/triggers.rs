//! `/admin/triggers`: run an action for every dispatch of an event, with
//! the CloudEvents JSON as the request body and invocation kind `event`;
//! `GET /admin/triggers/{name}/runs` shows the deliveries and attempts.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::api::webhooks::{History, history};
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::triggers::{self as resource, TriggerInput};
use crate::resources::{found, taken};
use crate::state::AppState;
use crate::store::events::{self, TriggerRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/triggers", get(triggers_list).post(triggers_create))
        .route(
            "/triggers/{name}",
            get(triggers_get).delete(triggers_delete),
        )
        .route("/triggers/{name}/runs", get(triggers_runs))
}

async fn find(state: &AppState, name: &str) -> ApiResult<TriggerRow> {
    found(events::trigger(&state.db, name).await?, "trigger", name)
}

/// `GET /admin/triggers` → 200 with every trigger.
pub async fn triggers_list(State(state): State<AppState>) -> ApiResult<Json<Vec<TriggerRow>>> {
    Ok(Json(events::triggers(&state.db).await?))
}

/// `GET /admin/triggers/{name}` → 200, or 404.
pub async fn triggers_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<TriggerRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/triggers` → 201; 409 when the name exists, 422 for an
/// unknown event or action.
pub async fn triggers_create(
    State(state): State<AppState>,
    Json(input): Json<TriggerInput>,
) -> ApiResult<Response> {
    if events::trigger(&state.db, &input.name).await?.is_some() {
        return Err(taken("a trigger", &input.name));
    }
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, None).await?;
    Ok(created(format!("/admin/triggers/{}", row.name), row))
}

/// `DELETE /admin/triggers/{name}` → 204, or 404; pending deliveries fail.
pub async fn triggers_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut conn = state.db.acquire().await?;
    let gone = resource::remove(&mut conn, &name).await?;
    found(gone.then_some(()), "trigger", &name)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/triggers/{name}/runs` → 200 with the latest 100 deliveries
/// and their attempts, newest first; 404 when unknown.
pub async fn triggers_runs(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<History>>> {
    find(&state, &name).await?;
    Ok(Json(history(&state, "trigger", &name).await?))
}
