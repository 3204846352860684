//! `/admin/schemas`: named JSON Schemas (2020-12) that operations use as
//! their `incoming`, `outgoing` and `throws` contracts and that may `$ref`
//! each other by name ([`crate::resources::schemas`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::schemas::{self as resource, SchemaInput, SchemaUpdate};
use crate::resources::{Effects, found};
use crate::state::AppState;
use crate::store::schemas::{self, SchemaRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schemas", get(schemas_list).post(schemas_create))
        .route(
            "/schemas/{name}",
            get(schemas_get).put(schemas_replace).delete(schemas_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<SchemaRow> {
    found(schemas::get(&state.db, name).await?, "schema", name)
}

/// `GET /admin/schemas` → 200 with every schema.
pub async fn schemas_list(State(state): State<AppState>) -> ApiResult<Json<Vec<SchemaRow>>> {
    Ok(Json(schemas::list(&state.db).await?))
}

/// `GET /admin/schemas/{name}` → 200, or 404.
pub async fn schemas_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<SchemaRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/schemas` with a [`SchemaInput`] → 201; 400 when the
/// document is not a valid 2020-12 schema or refers to an unknown schema;
/// 409 when the name is taken.
pub async fn schemas_create(
    State(state): State<AppState>,
    Json(input): Json<SchemaInput>,
) -> ApiResult<Response> {
    if schemas::get(&state.db, &input.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "a schema named {:?} already exists; PUT /admin/schemas/{} replaces it",
            input.name, input.name
        )));
    }
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, None, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(created(format!("/admin/schemas/{}", row.name), row))
}

/// `PUT /admin/schemas/{name}` with a [`SchemaUpdate`] → 200; 404 when
/// unknown; 400 as create. Operations use the new version at once.
pub async fn schemas_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<SchemaUpdate>,
) -> ApiResult<Json<SchemaRow>> {
    let existing = find(&state, &name).await?;
    let input = SchemaInput {
        name,
        schema: input.schema,
        description: input.description,
    };
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, Some(existing), &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(Json(row))
}

/// `DELETE /admin/schemas/{name}` → 204; 404 when unknown; 409 while an
/// operation or another schema refers to it.
pub async fn schemas_delete(
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
