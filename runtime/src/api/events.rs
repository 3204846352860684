//! `/admin/events`: the events actions may dispatch, each with an optional
//! payload schema (a stored schema's name or an inline JSON Schema).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::events::{self as resource, EventInput};
use crate::resources::{Effects, found, taken};
use crate::state::AppState;
use crate::store::events::{self, EventRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(events_list).post(events_create))
        .route(
            "/events/{name}",
            get(events_get).put(events_replace).delete(events_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<EventRow> {
    found(events::get(&state.db, name).await?, "event", name)
}

async fn save(
    state: &AppState,
    input: EventInput,
    created_at: Option<String>,
) -> ApiResult<EventRow> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, created_at, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(row)
}

/// `GET /admin/events` → 200 with every event.
pub async fn events_list(State(state): State<AppState>) -> ApiResult<Json<Vec<EventRow>>> {
    Ok(Json(events::list(&state.db).await?))
}

/// `GET /admin/events/{name}` → 200, or 404.
pub async fn events_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<EventRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/events` → 201; 400 for a bad name or schema, 409 when it
/// exists, 422 for an unknown schema name.
pub async fn events_create(
    State(state): State<AppState>,
    Json(input): Json<EventInput>,
) -> ApiResult<Response> {
    if events::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("an event", &input.name));
    }
    let row = save(&state, input, None).await?;
    Ok(created(format!("/admin/events/{}", row.name), row))
}

/// `PUT /admin/events/{name}` → 200; 404 when unknown, 400 when renamed.
pub async fn events_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<EventInput>,
) -> ApiResult<Json<EventRow>> {
    let existing = find(&state, &name).await?;
    if input.name != name {
        return Err(ApiError::BadRequest("events cannot be renamed".into()));
    }
    Ok(Json(save(&state, input, Some(existing.created_at)).await?))
}

/// `DELETE /admin/events/{name}` → 204; 404 when unknown, 409 while a
/// trigger or webhook listens to it.
pub async fn events_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &name, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}
