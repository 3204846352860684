//! `/admin/roles`: named sets of scopes given to users.

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
use crate::api::scopes::check_known;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::roles::{self, ADMIN_ROLE, RoleRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/roles", get(roles_list).post(roles_create))
        .route(
            "/roles/{name}",
            get(roles_get).patch(roles_update).delete(roles_delete),
        )
}

/// Body of `POST /admin/roles`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Scopes users with this role may obtain.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Body of `PATCH /admin/roles/{name}`: fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// New description.
    pub description: Option<String>,
    /// New scope list (replaces the old one). Tokens already issued keep
    /// their scopes until they expire.
    pub scopes: Option<Vec<String>>,
}

async fn find(state: &AppState, name: &str) -> ApiResult<RoleRow> {
    roles::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no role named {name:?}")))
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
        return Err(ApiError::Conflict(format!(
            "a role named {:?} already exists",
            input.name
        )));
    }
    let mut conn = state.db.acquire().await?;
    let (row, _) = write(&mut conn, input, None).await?;
    let location = format!("/admin/roles/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
}

/// `PATCH /admin/roles/{name}` → 200; 404 when unknown, 422 for an unknown
/// scope, 409 when it would take `admin` from the `admin` role.
pub async fn roles_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<RolePatch>,
) -> ApiResult<Json<RoleRow>> {
    let existing = find(&state, &name).await?;
    let input = RoleInput {
        name,
        description: patch
            .description
            .unwrap_or_else(|| existing.description.clone()),
        scopes: patch.scopes.unwrap_or_else(|| existing.scopes.0.clone()),
    };
    let mut conn = state.db.acquire().await?;
    let (row, lost_access) = write(&mut conn, input, Some(existing)).await?;
    drop(conn);
    revoke_sessions_of(&state, &lost_access).await?;
    Ok(Json(row))
}

/// Revokes every session of the users named `holders` (who lost a scope
/// with a role change), on every node at once as any revocation: their
/// access tokens stop working and their refresh tokens with them, so no
/// token outlives the scopes it was issued for.
///
/// # Errors
/// On database failure.
pub async fn revoke_sessions_of(state: &AppState, holders: &[String]) -> ApiResult<()> {
    for name in holders {
        if let Some(user) = crate::store::users::by_name(&state.db, name).await? {
            state.tokens.revoke_all_of(Some(&user.id), None).await?;
        }
    }
    Ok(())
}

/// `DELETE /admin/roles/{name}` → 204; 404 when unknown; 409 for `admin`
/// or while users hold it.
pub async fn roles_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    remove(&mut conn, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores `input` through `conn`, replacing `existing` (keeping its
/// creation time) when given; returns the row and, when the change takes
/// a scope away, the names of the users holding the role, whose sessions
/// the caller revokes once the change is committed
/// ([`revoke_sessions_of`]).
///
/// # Errors
/// 400 for a bad name, 422 for an unknown scope, 409 when it would take
/// `admin` from the `admin` role.
pub async fn write(
    conn: &mut AnyConnection,
    input: RoleInput,
    existing: Option<RoleRow>,
) -> ApiResult<(RoleRow, Vec<String>)> {
    check_name("role", &input.name)?;
    let scopes = check_known(&mut *conn, input.scopes).await?;
    if input.name == ADMIN_ROLE && !scopes.iter().any(|s| s == ADMIN_ROLE) {
        return Err(ApiError::Conflict(
            "the admin role must keep the admin scope".into(),
        ));
    }
    let narrowed = existing
        .as_ref()
        .is_some_and(|e| e.scopes.0.iter().any(|s| !scopes.contains(s)));
    let now = crate::store::now();
    let row = RoleRow {
        name: input.name,
        description: input.description,
        scopes: SqlJson(scopes),
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    roles::upsert(&mut *conn, &row).await?;
    let lost_access = if narrowed {
        roles::holders(&mut *conn, &row.name).await?
    } else {
        Vec::new()
    };
    Ok((row, lost_access))
}

/// Deletes role `name` through `conn`.
///
/// # Errors
/// 409 for `admin` or while users hold it.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    if name == ADMIN_ROLE {
        return Err(ApiError::Conflict(
            "the admin role cannot be deleted".into(),
        ));
    }
    let holders = roles::holders(&mut *conn, name).await?;
    if !holders.is_empty() {
        return Err(ApiError::Conflict(format!(
            "role {name:?} is held by users {}; take it from them first",
            holders.join(", ")
        )));
    }
    roles::delete(&mut *conn, name).await?;
    Ok(())
}
