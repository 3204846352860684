//! `/admin/apps`: OAuth2 clients ([`crate::resources::apps`]). The client
//! secret is shown once, in the answer that creates or rotates it.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::api::created;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::apps::{self as resource, AppInput, AppPatch, AppWithSecret};
use crate::resources::{Effects, found};
use crate::state::AppState;
use crate::store::apps::{self, AppRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(apps_list).post(apps_create))
        .route(
            "/apps/{name}",
            get(apps_get).patch(apps_update).delete(apps_delete),
        )
        .route("/apps/{name}/secret", post(apps_rotate_secret))
}

async fn find(state: &AppState, name: &str) -> ApiResult<AppRow> {
    found(apps::by_name(&state.db, name).await?, "app", name)
}

/// `GET /admin/apps` → 200 with every app (no secrets).
pub async fn apps_list(State(state): State<AppState>) -> ApiResult<Json<Vec<AppRow>>> {
    Ok(Json(apps::list(&state.db).await?))
}

/// `GET /admin/apps/{name}` → 200 (no secret), or 404.
pub async fn apps_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<AppRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/apps` → 201 with `client_id` and `client_secret` (shown
/// this once); errors as [`resource::create_app`].
pub async fn apps_create(
    State(state): State<AppState>,
    Json(input): Json<AppInput>,
) -> ApiResult<Response> {
    let mut conn = state.db.acquire().await?;
    let made = resource::create_app(&mut conn, input).await?;
    Ok(created(format!("/admin/apps/{}", made.app.name), made))
}

/// `PATCH /admin/apps/{name}` → 200; 404 when unknown, 422 for an unknown
/// scope. Fewer scopes or deactivation revoke the app's tokens.
pub async fn apps_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<AppPatch>,
) -> ApiResult<Json<AppRow>> {
    let existing = find(&state, &name).await?;
    let input = patch.over(&existing);
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::update_app(&mut conn, existing, input, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(Json(row))
}

/// `POST /admin/apps/{name}/secret` → 200 with a new `client_secret` (shown
/// this once); the old secret stops working at once, tokens already issued
/// stay valid until they expire. 404 when unknown.
pub async fn apps_rotate_secret(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<AppWithSecret>> {
    let row = find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(resource::rotate_secret(&mut conn, row).await?))
}

/// `DELETE /admin/apps/{name}` → 204 and the app's tokens revoked; 404 when
/// unknown.
pub async fn apps_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let row = find(&state, &name).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &row, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}
