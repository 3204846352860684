//! `/admin/apps`: OAuth2 clients. The client secret is shown once, in the
//! answer that creates or rotates it, and kept only as an argon2id hash.

use crate::store::Json as SqlJson;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::api::scopes::check_known;
use crate::error::{ApiError, ApiResult};
use crate::identity::{passwords, random_hex};
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

/// Body of `POST /admin/apps`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Scopes the app may obtain.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Inactive apps cannot obtain or use tokens (default true).
    #[serde(default = "crate::api::default_true")]
    pub active: bool,
}

/// Body of `PATCH /admin/apps/{name}`: fields to change. Fewer scopes or
/// deactivation revoke the app's tokens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// New description.
    pub description: Option<String>,
    /// New scope list (replaces the old one).
    pub scopes: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// An app with its client secret: the answer of create and rotate, the
/// only time the secret is shown.
#[derive(Debug, Serialize)]
pub struct AppWithSecret {
    /// The app.
    #[serde(flatten)]
    pub app: AppRow,
    /// The client secret (RFC 6749 §2.3.1), `cs_<64 hex>`.
    pub client_secret: String,
}

/// A new client secret.
fn new_secret() -> String {
    format!("cs_{}", random_hex(32))
}

/// Validates `input` and stores a new app with a fresh client id and secret.
///
/// # Errors
/// 400 for a bad name, 409 when the name is taken, 422 for an unknown scope.
pub async fn create_app(conn: &mut AnyConnection, input: AppInput) -> ApiResult<AppWithSecret> {
    check_name("app", &input.name)?;
    let scopes = check_known(&mut *conn, input.scopes).await?;
    if apps::by_name(&mut *conn, &input.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "an app named {:?} already exists",
            input.name
        )));
    }
    let secret = new_secret();
    let now = crate::store::now();
    let row = AppRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: input.name,
        description: input.description,
        client_id: format!("app_{}", random_hex(16)),
        secret_hash: passwords::hash(secret.clone()).await?,
        scopes: SqlJson(scopes),
        active: input.active,
        secret_rotated_at: now.clone(),
        created_at: now.clone(),
        updated_at: now,
        owner_id: None,
        label: String::new(),
        redirect_uris: SqlJson(Vec::new()),
    };
    apps::upsert(&mut *conn, &row).await.map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict("the app name was taken meanwhile".into())
        } else {
            e.into()
        }
    })?;
    Ok(AppWithSecret {
        app: row,
        client_secret: secret,
    })
}

async fn find(state: &AppState, name: &str) -> ApiResult<AppRow> {
    apps::by_name(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no app named {name:?}")))
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
/// this once); errors as [`create_app`].
pub async fn apps_create(
    State(state): State<AppState>,
    Json(input): Json<AppInput>,
) -> ApiResult<Response> {
    let mut conn = state.db.acquire().await?;
    let created = create_app(&mut conn, input).await?;
    let location = format!("/admin/apps/{}", created.app.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

/// `PATCH /admin/apps/{name}` → 200; 404 when unknown, 422 for an unknown scope.
pub async fn apps_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<AppPatch>,
) -> ApiResult<Json<AppRow>> {
    let existing = find(&state, &name).await?;
    let input = AppInput {
        name,
        description: patch
            .description
            .unwrap_or_else(|| existing.description.clone()),
        scopes: patch.scopes.unwrap_or_else(|| existing.scopes.0.clone()),
        active: patch.active.unwrap_or(existing.active),
    };
    let mut conn = state.db.acquire().await?;
    let (row, lost_access) = update_app(&mut conn, existing, input).await?;
    drop(conn);
    if lost_access {
        state.tokens.revoke_all_of(None, Some(&row.id)).await?;
    }
    Ok(Json(row))
}

/// Replaces the settings of app `existing` with `input` (its id, client id
/// and secret stay); answers the row and whether the app lost access
/// (deactivated or a scope taken away), whose tokens the caller revokes.
///
/// # Errors
/// 422 for an unknown scope.
pub async fn update_app(
    conn: &mut AnyConnection,
    existing: AppRow,
    input: AppInput,
) -> ApiResult<(AppRow, bool)> {
    let mut row = existing.clone();
    row.description = input.description;
    row.scopes = SqlJson(check_known(&mut *conn, input.scopes).await?);
    row.active = input.active;
    row.updated_at = crate::store::now();
    apps::upsert(&mut *conn, &row).await?;
    let lost_access = (existing.active && !row.active)
        || existing.scopes.0.iter().any(|s| !row.scopes.0.contains(s));
    Ok((row, lost_access))
}

/// `POST /admin/apps/{name}/secret` → 200 with a new `client_secret` (shown
/// this once); the old secret stops working at once, tokens already issued
/// stay valid until they expire. 404 when unknown.
pub async fn apps_rotate_secret(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<AppWithSecret>> {
    let mut row = find(&state, &name).await?;
    let secret = new_secret();
    let now = crate::store::now();
    row.secret_hash = passwords::hash(secret.clone()).await?;
    row.secret_rotated_at = now.clone();
    row.updated_at = now;
    apps::upsert(&state.db, &row).await?;
    Ok(Json(AppWithSecret {
        app: row,
        client_secret: secret,
    }))
}

/// `DELETE /admin/apps/{name}` → 204 and the app's tokens revoked; 404 when
/// unknown.
pub async fn apps_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let row = find(&state, &name).await?;
    state.tokens.revoke_all_of(None, Some(&row.id)).await?;
    apps::delete(&state.db, &row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
