//! `/admin/triggers`: run an action for every dispatch of an event, with
//! the CloudEvents JSON as the request body and invocation kind `event`;
//! `GET /admin/triggers/{name}/runs` shows the deliveries and attempts.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::api::webhooks::{History, history};
use crate::error::{ApiError, ApiResult};
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

/// Body of `POST /admin/triggers`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerInput {
    /// Unique name.
    pub name: String,
    /// The event to listen to.
    pub event: String,
    /// The action to run.
    pub action: String,
    /// Default true.
    #[serde(default = "crate::api::default_true")]
    pub active: bool,
}

async fn find(state: &AppState, name: &str) -> ApiResult<TriggerRow> {
    events::trigger(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no trigger named {name:?}")))
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
        return Err(ApiError::Conflict(format!(
            "a trigger named {:?} already exists",
            input.name
        )));
    }
    let mut conn = state.db.acquire().await?;
    let row = write(&mut conn, input, None).await?;
    let location = format!("/admin/triggers/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time) when given.
///
/// # Errors
/// 400 for a bad name, 422 for an unknown event or action.
pub async fn write(
    conn: &mut AnyConnection,
    input: TriggerInput,
    existing: Option<TriggerRow>,
) -> ApiResult<TriggerRow> {
    check_name("trigger", &input.name)?;
    if events::get(&mut *conn, &input.event).await?.is_none() {
        return Err(ApiError::Unprocessable(format!(
            "there is no event named {:?}",
            input.event
        )));
    }
    if crate::store::actions::get(&mut *conn, &input.action)
        .await?
        .is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no action named {:?}",
            input.action
        )));
    }
    let now = crate::store::now();
    let row = TriggerRow {
        name: input.name,
        event: input.event,
        action: input.action,
        active: input.active,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    events::upsert_trigger(&mut *conn, &row).await?;
    Ok(row)
}

/// `DELETE /admin/triggers/{name}` → 204, or 404; pending deliveries fail.
pub async fn triggers_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if !events::delete_listener(&state.db, "triggers", &name).await? {
        return Err(ApiError::NotFound(format!(
            "there is no trigger named {name:?}"
        )));
    }
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
