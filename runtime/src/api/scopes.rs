//! `/admin/scopes`: named permissions. Operations list the scopes that may
//! call them; apps and roles list the scopes they may obtain.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::http::extract::{Json, Path};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::scopes::{self, ADMIN_SCOPE, METRICS_SCOPE, ScopeRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scopes", get(scopes_list).post(scopes_create))
        .route(
            "/scopes/{name}",
            get(scopes_get).put(scopes_update).delete(scopes_delete),
        )
}

/// Body of `POST /admin/scopes`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    /// Unique name, `[A-Za-z0-9_.:-]{1,64}` (a scope token, RFC 6749 §3.3).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Whether consumers who sign up in the portal may ask for it
    /// (default false; never for `admin` and `metrics`).
    #[serde(default)]
    pub consumers: bool,
}

/// Body of `PUT /admin/scopes/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeUpdate {
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Whether consumers may ask for it (default false).
    #[serde(default)]
    pub consumers: bool,
}

/// Checks that a scope name is `[A-Za-z0-9_.:-]{1,64}`.
///
/// # Errors
/// [`ApiError::BadRequest`] naming the rule.
pub fn check_scope_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "scope name {name:?} must be 1-64 characters of letters, digits, '_', '-', '.' and ':'"
        )))
    }
}

/// `scopes` sorted and deduplicated, once every one is known.
///
/// # Errors
/// 422 naming the scopes that do not exist.
pub async fn check_known<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    mut scopes: Vec<String>,
) -> ApiResult<Vec<String>> {
    scopes.sort();
    scopes.dedup();
    let missing = scopes::missing(db, &scopes).await?;
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "there is no scope named {}; create it with POST /admin/scopes",
            missing.join(", ")
        )));
    }
    Ok(scopes)
}

async fn find(state: &AppState, name: &str) -> ApiResult<ScopeRow> {
    scopes::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no scope named {name:?}")))
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
        return Err(ApiError::Conflict(format!(
            "a scope named {:?} already exists",
            input.name
        )));
    }
    let mut conn = state.db.acquire().await?;
    let row = write(&mut conn, input, None).await?;
    let location = format!("/admin/scopes/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
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
    Ok(Json(write(&mut conn, input, Some(existing)).await?))
}

/// `DELETE /admin/scopes/{name}` → 204; 404 when unknown; 409 for `admin`
/// or while an operation, app or role uses it.
pub async fn scopes_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    remove(&mut conn, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores `input` through `conn`, replacing `existing` (keeping its
/// creation time) when given.
///
/// # Errors
/// 400 for a bad name; database failures.
pub async fn write(
    conn: &mut AnyConnection,
    input: ScopeInput,
    existing: Option<ScopeRow>,
) -> ApiResult<ScopeRow> {
    check_scope_name(&input.name)?;
    if input.consumers && (input.name == ADMIN_SCOPE || input.name == METRICS_SCOPE) {
        return Err(ApiError::BadRequest(format!(
            "the {} scope cannot be opened to consumers: it guards the platform itself",
            input.name
        )));
    }
    let now = crate::store::now();
    let row = ScopeRow {
        name: input.name,
        description: input.description,
        consumers: input.consumers,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    scopes::upsert(&mut *conn, &row).await?;
    Ok(row)
}

/// Deletes scope `name` through `conn`.
///
/// # Errors
/// 409 for `admin` and `metrics` or while an operation, app or role uses it.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    if name == ADMIN_SCOPE || name == METRICS_SCOPE {
        return Err(ApiError::Conflict(format!(
            "the {name} scope is built in (it guards {}) and cannot be deleted",
            if name == ADMIN_SCOPE {
                "the admin API"
            } else {
                "/system/metrics"
            }
        )));
    }
    let users = scopes::users_of(&mut *conn, name).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "scope {name:?} is used by {}; remove it there first",
            users.join(", ")
        )));
    }
    scopes::delete(&mut *conn, name).await?;
    Ok(())
}
