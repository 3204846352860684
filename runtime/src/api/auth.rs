//! Admin API authentication (RFC 6750): an access token holding the
//! `admin` scope (from an admin user or an app granted `admin`), or — an
//! explicit opt-in — the bootstrap token from `SLUICE_ADMIN_TOKEN`, compared
//! by SHA-256 in constant time.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::gateway::auth::bearer_token;
use crate::state::AppState;
use crate::store::scopes::ADMIN_SCOPE;

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Middleware: 401 problem+json with `WWW-Authenticate: Bearer` without a
/// valid token, 403 `insufficient_scope` for a valid token without `admin`.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match require_scope(&state, request.headers(), &[ADMIN_SCOPE], "the admin API") {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Checks that the request's bearer token holds one of `scopes` (or is the
/// bootstrap admin token); `what` names the resource in the messages.
///
/// # Errors
/// 401 without a valid token, 403 `insufficient_scope` without the scopes.
pub fn require_scope(
    state: &AppState,
    headers: &HeaderMap,
    scopes: &[&str],
    what: &str,
) -> Result<(), ApiError> {
    let wanted = scopes.join(" or ");
    let Some(token) = bearer_token(headers) else {
        return Err(ApiError::Unauthorized(format!(
            "{what} needs `Authorization: Bearer <token>`: an access token with the \
             {wanted} scope (`sluice token --user <admin>`, or POST /authorization/token)"
        )));
    };
    if let Some(hash) = &state.admin_token_hash
        && bool::from(token_hash(token).ct_eq(hash))
    {
        return Ok(());
    }
    let caller = state
        .tokens
        .verify(token)
        .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
    if scopes.iter().any(|scope| caller.has_scope(scope)) {
        Ok(())
    } else {
        Err(ApiError::InsufficientScope {
            scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
            detail: format!("{what} needs a token with the {wanted} scope"),
        })
    }
}
