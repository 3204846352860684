//! `/admin/rate-limits`: rules of how many requests each caller may make.
//! Changes apply at once; counts of rules whose numbers did not change
//! carry over.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::rate_limits::{self as resource, RateLimitInput};
use crate::resources::{Effects, found, taken};
use crate::state::AppState;
use crate::store::rate_limits::{self, RateLimitRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/rate-limits",
            get(rate_limits_list).post(rate_limits_create),
        )
        .route(
            "/rate-limits/{name}",
            get(rate_limits_get)
                .put(rate_limits_replace)
                .delete(rate_limits_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<RateLimitRow> {
    found(rate_limits::get(&state.db, name).await?, "rate limit", name)
}

/// `GET /admin/rate-limits` → 200 with every rule, highest priority first.
pub async fn rate_limits_list(State(state): State<AppState>) -> ApiResult<Json<Vec<RateLimitRow>>> {
    Ok(Json(rate_limits::list(&state.db).await?))
}

/// `GET /admin/rate-limits/{name}` → 200, or 404.
pub async fn rate_limits_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<RateLimitRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/rate-limits` → 201; 400 for bad numbers, 409 when the name
/// exists, 422 when the operation, app or user does not exist.
pub async fn rate_limits_create(
    State(state): State<AppState>,
    Json(input): Json<RateLimitInput>,
) -> ApiResult<Response> {
    if rate_limits::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("a rate limit", &input.name));
    }
    let row = save(&state, input, None).await?;
    Ok(created(format!("/admin/rate-limits/{}", row.name), row))
}

/// `PUT /admin/rate-limits/{name}` → 200; 404 when unknown; 400 when the
/// body renames it; otherwise as create.
pub async fn rate_limits_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<RateLimitInput>,
) -> ApiResult<Json<RateLimitRow>> {
    let existing = find(&state, &name).await?;
    if input.name != name {
        return Err(ApiError::BadRequest(format!(
            "the body names {:?} but the path {name:?}; rate limits cannot be renamed",
            input.name
        )));
    }
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `DELETE /admin/rate-limits/{name}` → 204, or 404.
pub async fn rate_limits_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let gone = resource::remove(&mut conn, &name, &mut effects).await?;
    drop(conn);
    found(gone.then_some(()), "rate limit", &name)?;
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn save(
    state: &AppState,
    input: RateLimitInput,
    existing: Option<RateLimitRow>,
) -> ApiResult<RateLimitRow> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, existing, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(row)
}
