//! `/admin/operations`: map `METHOD /path/:param` to an action.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::operations::{self as resource, OperationInput};
use crate::resources::{Effects, found};
use crate::state::AppState;
use crate::store::operations::{self, OperationRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operations", get(operations_list).post(operations_create))
        .route(
            "/operations/{name}",
            get(operations_get)
                .put(operations_replace)
                .patch(operations_update)
                .delete(operations_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<OperationRow> {
    found(operations::get(&state.db, name).await?, "operation", name)
}

/// `GET /admin/operations` → 200 with every operation.
pub async fn operations_list(State(state): State<AppState>) -> ApiResult<Json<Vec<OperationRow>>> {
    Ok(Json(operations::list(&state.db).await?))
}

/// `GET /admin/operations/{name}` → 200, or 404.
pub async fn operations_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<OperationRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/operations` → 201 with the operation and its `Location`;
/// 400 for invalid fields, 409 when the name or method + path is taken,
/// 422 when the action (or pinned version) does not exist.
pub async fn operations_create(
    State(state): State<AppState>,
    Json(input): Json<OperationInput>,
) -> ApiResult<Response> {
    let row = save(&state, input, None).await?;
    Ok(created(format!("/admin/operations/{}", row.name), row))
}

/// `PUT /admin/operations/{name}` with a full [`OperationInput`] → 200;
/// 404 when unknown; otherwise as create.
pub async fn operations_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<OperationInput>,
) -> ApiResult<Json<OperationRow>> {
    let existing = find(&state, &name).await?;
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `PATCH /admin/operations/{name}` with a JSON merge patch (RFC 7396) of
/// [`OperationInput`] → 200; errors as create.
pub async fn operations_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<Value>,
) -> ApiResult<Json<OperationRow>> {
    let existing = find(&state, &name).await?;
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object".into(),
        ));
    }
    let mut merged = serde_json::to_value(&existing).map_err(anyhow::Error::from)?;
    if let Some(fields) = merged.as_object_mut() {
        fields.remove("created_at");
        fields.remove("updated_at");
    }
    json_patch::merge(&mut merged, &patch);
    let input: OperationInput = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("invalid patch: {e}")))?;
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `DELETE /admin/operations/{name}` → 204, or 404.
pub async fn operations_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let gone = resource::remove(&mut conn, &name, &mut effects).await?;
    drop(conn);
    found(gone.then_some(()), "operation", &name)?;
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates and stores `input` in one transaction, then reloads the route table.
async fn save(
    state: &AppState,
    input: OperationInput,
    existing: Option<OperationRow>,
) -> ApiResult<OperationRow> {
    let mut effects = Effects::default();
    let mut tx = crate::store::begin_write(&state.db).await?;
    let row = resource::write(&mut tx, input, existing, &mut effects).await?;
    tx.commit().await?;
    state.publish(effects).await?;
    Ok(row)
}
