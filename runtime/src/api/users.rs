//! `/admin/users`: people who obtain tokens with the `password` grant.
//! Passwords are stored as argon2id hashes and never returned.

use crate::store::Json as SqlJson;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sqlx::AnyPool;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::error::{ApiError, ApiResult};
use crate::identity::passwords;
use crate::state::AppState;
use crate::store::roles::{self, ADMIN_ROLE};
use crate::store::users::{self, UserRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(users_list).post(users_create))
        .route(
            "/users/{name}",
            get(users_get).patch(users_update).delete(users_delete),
        )
}

/// Body of `POST /admin/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Unique login name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// At least 8 characters; stored as an argon2id hash.
    pub password: String,
    /// Role names (see `/admin/roles`); `admin` opens the admin API.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Inactive users cannot obtain or use tokens (default true).
    #[serde(default = "crate::api::default_true")]
    pub active: bool,
}

/// Body of `PATCH /admin/users/{name}`: fields to change. A new password,
/// fewer roles or deactivation revoke the user's tokens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New contact address.
    pub email: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// New role list (replaces the old one).
    pub roles: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// Validates `input` and stores a new user.
///
/// # Errors
/// 400 for a bad name or weak password, 409 when the name is taken, 422
/// for an unknown role.
pub async fn create_user(db: &AnyPool, input: UserInput) -> ApiResult<UserRow> {
    check_name("user", &input.name)?;
    passwords::check_strength(&input.password).map_err(ApiError::BadRequest)?;
    let roles = check_roles(db, input.roles).await?;
    if users::by_name(db, &input.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "a user named {:?} already exists",
            input.name
        )));
    }
    let now = crate::store::now();
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: input.name,
        email: input.email,
        password_hash: passwords::hash(input.password).await?,
        roles: SqlJson(roles),
        active: input.active,
        created_at: now.clone(),
        updated_at: now,
        kind: "user".into(),
    };
    users::upsert(db, &row).await.map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict("the user name was taken meanwhile".into())
        } else {
            e.into()
        }
    })?;
    Ok(row)
}

async fn check_roles(db: &AnyPool, mut names: Vec<String>) -> ApiResult<Vec<String>> {
    names.sort();
    names.dedup();
    let missing = roles::missing(db, &names).await?;
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "there is no role named {}; create it with POST /admin/roles",
            missing.join(", ")
        )));
    }
    Ok(names)
}

async fn find(state: &AppState, name: &str) -> ApiResult<UserRow> {
    users::by_name(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no user named {name:?}")))
}

/// Refuses a change that would leave no active admin while no bootstrap
/// token is configured: nobody could use the admin API any more.
async fn keep_an_admin(state: &AppState) -> ApiResult<()> {
    if state.admin_token_hash.is_none()
        && !users::any_active_with_role(&state.db, ADMIN_ROLE).await?
    {
        return Err(ApiError::Conflict(
            "this would leave no active admin user; make another user admin first".into(),
        ));
    }
    Ok(())
}

/// `GET /admin/users` → 200 with every user (no password hashes).
pub async fn users_list(State(state): State<AppState>) -> ApiResult<Json<Vec<UserRow>>> {
    Ok(Json(users::list(&state.db).await?))
}

/// `GET /admin/users/{name}` → 200, or 404.
pub async fn users_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<UserRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/users` → 201 with the user (never the password); errors as
/// [`create_user`].
pub async fn users_create(
    State(state): State<AppState>,
    Json(input): Json<UserInput>,
) -> ApiResult<Response> {
    let row = create_user(&state.db, input).await?;
    let location = format!("/admin/users/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
}

/// `PATCH /admin/users/{name}` → 200; 404 when unknown, 400 for a weak
/// password, 422 for an unknown role, 409 when no active admin would remain.
pub async fn users_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<UserPatch>,
) -> ApiResult<Json<UserRow>> {
    let mut row = find(&state, &name).await?;
    let before = row.clone();
    if let Some(email) = patch.email {
        row.email = Some(email);
    }
    if let Some(password) = patch.password {
        passwords::check_strength(&password).map_err(ApiError::BadRequest)?;
        row.password_hash = passwords::hash(password).await?;
    }
    if let Some(roles) = patch.roles {
        row.roles = SqlJson(check_roles(&state.db, roles).await?);
    }
    if let Some(active) = patch.active {
        row.active = active;
    }
    row.updated_at = crate::store::now();
    users::upsert(&state.db, &row).await?;
    let lost_access =
        (before.active && !row.active) || before.roles.0.iter().any(|r| !row.roles.0.contains(r));
    if lost_access && let Err(e) = keep_an_admin(&state).await {
        users::upsert(&state.db, &before).await?;
        return Err(e);
    }
    if lost_access || before.password_hash != row.password_hash {
        state.tokens.revoke_all_of(Some(&row.id), None).await?;
    }
    Ok(Json(row))
}

/// `DELETE /admin/users/{name}` → 204 and the user's tokens revoked; 404
/// when unknown, 409 when no active admin would remain.
pub async fn users_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let row = find(&state, &name).await?;
    let mut deactivated = row.clone();
    deactivated.active = false;
    users::upsert(&state.db, &deactivated).await?;
    if let Err(e) = keep_an_admin(&state).await {
        users::upsert(&state.db, &row).await?;
        return Err(e);
    }
    state.tokens.revoke_all_of(Some(&row.id), None).await?;
    users::delete(&state.db, &row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
