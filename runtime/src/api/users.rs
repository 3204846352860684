//! `/admin/users`: people who obtain tokens with the `password` grant.
//! Passwords are stored as argon2id hashes and never returned.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::identity::passwords;
use crate::resources::found;
use crate::resources::users::{UserInput, UserPatch, check_roles, create_user};
use crate::state::AppState;
use crate::store::Json as SqlJson;
use crate::store::roles::ADMIN_ROLE;
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

async fn find(state: &AppState, name: &str) -> ApiResult<UserRow> {
    found(users::by_name(&state.db, name).await?, "user", name)
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
    Ok(created(format!("/admin/users/{}", row.name), row))
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
