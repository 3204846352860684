//! `/admin/roles`: named sets of scopes given to users
//! ([`crate::resources::roles`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::roles::{self as resource, RoleInput, RolePatch};
use crate::resources::{Effects, found, taken};
use crate::state::AppState;
use crate::store::roles::{self, RoleRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/roles", get(roles_list).post(roles_create))
        .route(
            "/roles/{name}",
            get(roles_get).patch(roles_update).delete(roles_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<RoleRow> {
    found(roles::get(&state.db, name).await?, "role", name)
}

/// `GET /admin/roles` → 200 with every role.
pub async fn roles_list(State(state): State<AppState>) -> ApiResult<Json<Vec<RoleRow>>> {
    Ok(Json(roles::list(&state.db).await?))
}

/// `GET /admin/roles/{name}` → 200, or 404.
pub async fn roles_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<RoleRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/roles` → 201; 400 for a bad name, 409 when it exists, 422
/// for an unknown scope.
pub async fn roles_create(
    State(state): State<AppState>,
    Json(input): Json<RoleInput>,
) -> ApiResult<Response> {
    if roles::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("a role", &input.name));
    }
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, None, &mut Effects::default()).await?;
    Ok(created(format!("/admin/roles/{}", row.name), row))
}

/// `PATCH /admin/roles/{name}` → 200; 404 when unknown, 422 for an unknown
/// scope, 409 when it would take `admin` from the `admin` role. Taking a
/// scope away revokes the sessions of the users holding the role.
pub async fn roles_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<RolePatch>,
) -> ApiResult<Json<RoleRow>> {
    let existing = find(&state, &name).await?;
    let input = patch.over(&existing);
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, Some(existing), &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(Json(row))
}

/// `DELETE /admin/roles/{name}` → 204; 404 when unknown; 409 for `admin`
/// or while users hold it.
pub async fn roles_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
