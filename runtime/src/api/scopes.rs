//! `/admin/scopes`: named permissions ([`crate::resources::scopes`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::scopes::{self as resource, ScopeInput, ScopeUpdate};
use crate::resources::{found, taken};
use crate::state::AppState;
use crate::store::scopes::{self, ScopeRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scopes", get(scopes_list).post(scopes_create))
        .route(
            "/scopes/{name}",
            get(scopes_get).put(scopes_update).delete(scopes_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<ScopeRow> {
    found(scopes::get(&state.db, name).await?, "scope", name)
}

/// `GET /admin/scopes` → 200 with every scope.
pub async fn scopes_list(State(state): State<AppState>) -> ApiResult<Json<Vec<ScopeRow>>> {
    Ok(Json(scopes::list(&state.db).await?))
}

/// `GET /admin/scopes/{name}` → 200, or 404.
pub async fn scopes_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ScopeRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/scopes` → 201; 400 for a bad name, 409 when it exists.
pub async fn scopes_create(
    State(state): State<AppState>,
    Json(input): Json<ScopeInput>,
) -> ApiResult<Response> {
    if scopes::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("a scope", &input.name));
    }
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, None).await?;
    Ok(created(format!("/admin/scopes/{}", row.name), row))
}

/// `PUT /admin/scopes/{name}` → 200 with the new description; 404 when unknown.
pub async fn scopes_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<ScopeUpdate>,
) -> ApiResult<Json<ScopeRow>> {
    let existing = find(&state, &name).await?;
    let input = ScopeInput {
        name,
        description: input.description,
        consumers: input.consumers,
    };
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        resource::write(&mut conn, input, Some(existing)).await?,
    ))
}

/// `DELETE /admin/scopes/{name}` → 204; 404 when unknown; 409 for `admin`
/// or while an operation, app or role uses it.
pub async fn scopes_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
