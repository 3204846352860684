//! `/admin/rate-limits`: rules of how many requests each caller may make.
//! Changes apply at once; counts of rules whose numbers did not change
//! carry over.

use crate::cluster::Change;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::rate_limits::{self, RateLimitRow};
use crate::store::{apps, operations, users};

/// Longest window a rule may have: 31 days, in seconds.
const MAX_WINDOW_SECONDS: i64 = 31 * 86_400;

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

/// Body of `POST /admin/rate-limits` and `PUT /admin/rate-limits/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Higher wins among matching rules (default 0).
    #[serde(default)]
    pub priority: i64,
    /// Only requests to this operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// Only requests with a token of this app.
    #[serde(default)]
    pub app: Option<String>,
    /// Only requests with a token of this user.
    #[serde(default)]
    pub user: Option<String>,
    /// `true`: only requests without a token; `false`: only with one.
    #[serde(default)]
    pub anonymous: Option<bool>,
    /// Requests per window, 1 to 1 000 000 000.
    pub requests: i64,
    /// Window in seconds, 1 to 2 678 400 (31 days).
    pub window_seconds: i64,
}

async fn find(state: &AppState, name: &str) -> ApiResult<RateLimitRow> {
    rate_limits::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no rate limit named {name:?}")))
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
        return Err(ApiError::Conflict(format!(
            "a rate limit named {:?} already exists",
            input.name
        )));
    }
    let row = save(&state, input, None).await?;
    let location = format!("/admin/rate-limits/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
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
    if !rate_limits::delete(&state.db, &name).await? {
        return Err(ApiError::NotFound(format!(
            "there is no rate limit named {name:?}"
        )));
    }
    state.changed(Change::RateLimits).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn save(
    state: &AppState,
    input: RateLimitInput,
    existing: Option<RateLimitRow>,
) -> ApiResult<RateLimitRow> {
    let mut conn = state.db.acquire().await?;
    let row = write(&mut conn, input, existing).await?;
    drop(conn);
    state.changed(Change::RateLimits).await?;
    Ok(row)
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time) when given. The caller reloads
/// the rules.
///
/// # Errors
/// 400 for bad numbers, 422 when the operation, app or user does not exist.
pub async fn write(
    conn: &mut AnyConnection,
    input: RateLimitInput,
    existing: Option<RateLimitRow>,
) -> ApiResult<RateLimitRow> {
    check_name("rate limit", &input.name)?;
    if !(1..=1_000_000_000).contains(&input.requests) {
        return Err(ApiError::BadRequest(
            "requests must be between 1 and 1000000000".into(),
        ));
    }
    if !(1..=MAX_WINDOW_SECONDS).contains(&input.window_seconds) {
        return Err(ApiError::BadRequest(format!(
            "window_seconds must be between 1 and {MAX_WINDOW_SECONDS}"
        )));
    }
    if let Some(op) = &input.operation
        && operations::get(&mut *conn, op).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no operation named {op:?}"
        )));
    }
    if let Some(app) = &input.app
        && apps::by_name(&mut *conn, app).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no app named {app:?}"
        )));
    }
    if let Some(user) = &input.user
        && users::by_name(&mut *conn, user).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no user named {user:?}"
        )));
    }
    if input.anonymous == Some(true) && (input.app.is_some() || input.user.is_some()) {
        return Err(ApiError::BadRequest(
            "a rule for anonymous requests cannot also name an app or a user".into(),
        ));
    }
    let now = crate::store::now();
    let row = RateLimitRow {
        name: input.name,
        priority: input.priority,
        operation: input.operation,
        app: input.app,
        user: input.user,
        anonymous: input.anonymous,
        requests: input.requests,
        window_seconds: input.window_seconds,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    rate_limits::upsert(&mut *conn, &row).await?;
    Ok(row)
}
