//! `/consumer/account`: the signed-in consumer's own account.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::consumer::Consumer;
use crate::consumer::signup::check_name;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::Json;
use crate::identity::{passwords, unix_now};
use crate::portal::password_policy;
use crate::state::AppState;
use crate::store::consumers::{self, ConsumerRow};

/// Body of `PATCH /consumer/account`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// A new name (1–100 characters).
    pub name: Option<String>,
    /// A new password; needs `current_password`.
    pub password: Option<String>,
    /// The password now, to change it.
    pub current_password: Option<String>,
}

/// Body of `DELETE /consumer/account`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDeletion {
    /// The password, to confirm.
    pub password: String,
}

fn at(pointer: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::InvalidAt {
        detail: message.clone(),
        errors: vec![FieldError {
            pointer: pointer.into(),
            message,
        }],
    }
}

async fn row(state: &AppState, consumer: &Consumer) -> ApiResult<ConsumerRow> {
    consumers::get(&state.db, &consumer.user.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the account is gone".into()))
}

/// Checks `password` against the consumer's, through the bounded hasher.
async fn password_matches(
    state: &AppState,
    consumer: &Consumer,
    password: String,
) -> ApiResult<bool> {
    state
        .hashing
        .verify(password, Some(consumer.user.password_hash.clone()))
        .await
        .map_err(|e| ApiError::Custom {
            status: StatusCode::SERVICE_UNAVAILABLE,
            slug: "busy",
            title: "Busy",
            detail: format!("{e}; retry in a moment"),
            fuel_used: None,
        })
}

/// `GET /consumer/account` → 200 with the account.
pub async fn show(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<ConsumerRow>> {
    Ok(Json(row(&state, &consumer).await?))
}

/// `PATCH /consumer/account` → 200 with the account. A new password needs
/// the current one (400 at `/current_password` when wrong) and revokes
/// every other session of the account (not its personal access tokens).
pub async fn update(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(patch): Json<AccountPatch>,
) -> ApiResult<Json<ConsumerRow>> {
    if let Some(name) = &patch.name {
        check_name(name).map_err(|e| at("/name", e))?;
    }
    let mut hash = None;
    if let Some(password) = patch.password {
        let Some(current) = patch.current_password else {
            return Err(at(
                "/current_password",
                "give the current password to set a new one",
            ));
        };
        if !password_matches(&state, &consumer, current).await? {
            return Err(at("/current_password", "the current password is wrong"));
        }
        let now = row(&state, &consumer).await?;
        let name = patch.name.as_deref().unwrap_or(&now.name);
        password_policy::check(&password, name, now.email.as_deref().unwrap_or_default())
            .map_err(|e| at("/password", e))?;
        hash = Some(passwords::hash(password).await?);
    }
    consumers::update_profile(
        &state.db,
        &consumer.user.id,
        patch.name.as_deref().map(str::trim),
        hash.as_deref(),
    )
    .await?;
    if hash.is_some() {
        let others = consumers::other_sessions(
            &state.db,
            &consumer.user.id,
            &consumer.caller.sid,
            unix_now(),
        )
        .await?;
        for (id, expires_at) in others {
            state.tokens.revoke(&id, expires_at).await?;
        }
    }
    Ok(Json(row(&state, &consumer).await?))
}

/// `DELETE /consumer/account` → 204: every token and app of the account is
/// revoked and its personal data erased (request-log rows stay, without
/// the client IP or a name). 400 at `/password` when the password is wrong.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<AccountDeletion>,
) -> ApiResult<StatusCode> {
    if !password_matches(&state, &consumer, input.password).await? {
        return Err(at("/password", "the password is wrong"));
    }
    let mut effects = crate::resources::Effects::default();
    let mut tx = crate::store::begin_write(&state.db).await?;
    crate::resources::consumers::erase(&mut tx, &consumer.user.id, &mut effects).await?;
    tx.commit().await?;
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}
