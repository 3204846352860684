//! Users: people who obtain tokens with the `password` grant. Passwords
//! are stored as argon2id hashes and never returned.

use crate::error::{ApiError, ApiResult};
use crate::identity::passwords;
use crate::resources::check_name;
use crate::store::Json as SqlJson;
use crate::store::roles;
use crate::store::users::{self, UserRow};
use serde::Deserialize;
use sqlx::AnyPool;

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
    #[serde(default = "crate::resources::default_true")]
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

/// `names` sorted and deduplicated, once every role is known.
///
/// # Errors
/// 422 naming the roles that do not exist.
pub async fn check_roles(db: &AnyPool, mut names: Vec<String>) -> ApiResult<Vec<String>> {
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
