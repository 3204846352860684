//! `/admin/events`: the events actions may dispatch, each with an optional
//! payload schema (a stored schema's name or an inline JSON Schema).

use crate::cluster::Change;
use crate::store::Json as SqlJson;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::contract::SchemaRef;
use crate::error::{ApiError, ApiResult};
use crate::schemas::SchemaSet;
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

/// Body of `POST /admin/events` and `PUT /admin/events/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`, e.g. `todo_created`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The payload's schema: a stored schema's name or an inline schema;
    /// absent: any JSON.
    #[serde(default)]
    pub schema: Option<SchemaRef>,
    /// Whether consumers may subscribe webhooks to it in the portal
    /// (default false).
    #[serde(default)]
    pub consumers: bool,
}

async fn find(state: &AppState, name: &str) -> ApiResult<EventRow> {
    events::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no event named {name:?}")))
}

async fn save(
    state: &AppState,
    input: EventInput,
    created_at: Option<String>,
) -> ApiResult<EventRow> {
    let mut conn = state.db.acquire().await?;
    let row = write(&mut conn, input, created_at).await?;
    drop(conn);
    state.changed(Change::Events).await?;
    Ok(row)
}

/// Checks `input` against what `conn` sees and stores it; `created_at` is
/// kept from the row it replaces. The caller reloads the event catalog.
///
/// # Errors
/// 400 for a bad name or schema, 422 for an unknown schema name.
pub async fn write(
    conn: &mut AnyConnection,
    input: EventInput,
    created_at: Option<String>,
) -> ApiResult<EventRow> {
    check_name("event", &input.name)?;
    if let Some(schema) = &input.schema {
        if let SchemaRef::Inline(doc) = schema {
            crate::schemas::check_meta(doc).map_err(ApiError::BadRequest)?;
        }
        let set = SchemaSet::load(&mut *conn, None).await?;
        crate::api::schemas::check_ref(&set, "", schema)?;
    }
    let now = crate::store::now();
    let row = EventRow {
        name: input.name,
        description: input.description,
        schema: input
            .schema
            .map(|s| SqlJson(serde_json::to_value(s).unwrap_or_default())),
        consumers: input.consumers,
        created_at: created_at.unwrap_or_else(|| now.clone()),
        updated_at: now,
    };
    events::upsert(&mut *conn, &row).await?;
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
        return Err(ApiError::Conflict(format!(
            "an event named {:?} already exists",
            input.name
        )));
    }
    let row = save(&state, input, None).await?;
    let location = format!("/admin/events/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
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
    let mut conn = state.db.acquire().await?;
    remove(&mut conn, &name).await?;
    drop(conn);
    state.changed(Change::Events).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes event `name` through `conn`.
///
/// # Errors
/// 409 while a trigger or webhook listens to it.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    let listeners = events::listeners(&mut *conn, name).await?;
    if !listeners.is_empty() {
        return Err(ApiError::Conflict(format!(
            "event {name:?} is heard by {}; delete those first",
            listeners.join(", ")
        )));
    }
    events::delete(&mut *conn, name).await?;
    Ok(())
}
