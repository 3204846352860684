//! `/admin/signing-keys`: the keys that sign access tokens — list them,
//! rotate (a new key signs; the old one verifies its tokens until they
//! expire), and delete a retired key early, which refuses its tokens at
//! once ([`crate::identity::keys`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};

use crate::api::created;
use crate::cluster::Change;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::identity::keys::KeyInfo;
use crate::identity::tokens::RotateError;
use crate::state::AppState;
use crate::store::signing_keys;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/signing-keys",
            get(signing_keys_list).post(signing_keys_rotate),
        )
        .route("/signing-keys/{kid}", delete(signing_keys_delete))
}

/// `GET /admin/signing-keys` → 200 with every live key, oldest first: the
/// one `signing` and the `retired` ones still verifying until their
/// `expires_at`. Empty under `SLUICE_TOKEN_ALGORITHM=HS256`.
pub async fn signing_keys_list(State(state): State<AppState>) -> Json<Vec<KeyInfo>> {
    Json(state.tokens.key_infos())
}

/// `POST /admin/signing-keys` (no body) → 201 with the new signing key;
/// the key it replaces keeps verifying for `SLUICE_SIGNING_KEY_OVERLAP`
/// seconds (at least the access-token lifetime). Every node uses the new
/// key at once.
///
/// # Errors
/// 409 under `SLUICE_TOKEN_ALGORITHM=HS256`, whose secret is not rotated
/// here.
pub async fn signing_keys_rotate(State(state): State<AppState>) -> ApiResult<Response> {
    let made = match state.tokens.rotate_keys(None).await {
        Ok(made) => made.expect("an unconditional rotation makes a key"),
        Err(RotateError::SharedSecret) => {
            return Err(ApiError::Conflict(RotateError::SharedSecret.to_string()));
        }
        Err(RotateError::Store(e)) => return Err(e.into()),
    };
    state.changed(Change::SigningKeys).await?;
    Ok(created(format!("/admin/signing-keys/{}", made.kid), made))
}

/// `DELETE /admin/signing-keys/{kid}` → 204: the retired key goes, and
/// every token it signed is refused from now on, on every node.
///
/// # Errors
/// 404 for an unknown key; 409 for the key that signs now (rotate first).
pub async fn signing_keys_delete(
    State(state): State<AppState>,
    Path(kid): Path<String>,
) -> ApiResult<StatusCode> {
    let row = signing_keys::get(&state.db, &kid)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("signing key {kid:?} does not exist")))?;
    if row.retired_at.is_none() {
        return Err(ApiError::Conflict(format!(
            "signing key {kid:?} signs new tokens: rotate first (POST /admin/signing-keys), \
             then delete it"
        )));
    }
    signing_keys::delete(&state.db, &kid).await?;
    state.changed(Change::SigningKeys).await?;
    Ok(StatusCode::NO_CONTENT)
}
