//! Who calls the consumer API: a bearer token (RFC 6750) that a consumer
//! obtained for themself — the password grant, or a personal access token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::gateway::auth::bearer_token;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::consumers;
use crate::store::users::UserRow;

/// An active consumer with a valid token of their own.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// Their user row (`kind` = `consumer`).
    pub user: UserRow,
    /// The verified token.
    pub caller: std::sync::Arc<Caller>,
}

impl FromRequestParts<AppState> for Consumer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(&parts.headers) else {
            return Err(ApiError::Unauthorized(
                "sign in first: send `Authorization: Bearer <token>` with a token from \
                 POST /authorization/token (grant_type=password, username = your email)"
                    .into(),
            ));
        };
        let caller = state
            .tokens
            .verify(token)
            .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
        // An app's token — its own, or one it holds for the consumer after
        // the consent page — never manages the account: the consumer API
        // takes the consumer's own sign-in or personal access token.
        if caller.user.is_none() || caller.app.is_some() {
            return Err(ApiError::Forbidden(
                "this token belongs to an app, not to a consumer; the consumer API takes a \
                 consumer's own token (password grant or personal access token)"
                    .into(),
            ));
        }
        let user = consumers::user_by_id(&state.db, &caller.sub)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| {
                ApiError::Forbidden(
                    "the consumer API is for consumers who signed up in the portal".into(),
                )
            })?;
        Ok(Self { user, caller })
    }
}
