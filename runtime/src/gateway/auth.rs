//! Authentication and authorisation of hosted operations (RFC 6750): the
//! bearer token becomes a [`Caller`]; a private operation needs one, and
//! one of the operation's scopes when it lists any.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::error::ApiError;
use crate::identity::{Caller, Tokens};

/// The token of an `Authorization: Bearer <token>` header (scheme
/// case-insensitive, RFC 6750 §2.1); `None` without one or with another
/// scheme.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller behind the request's bearer token, `None` without one.
///
/// # Errors
/// [`ApiError::InvalidToken`] when a token is present but malformed,
/// forged, expired or revoked — on public operations too, so a client
/// learns that its credentials stopped working.
pub fn authenticate(tokens: &Tokens, headers: &HeaderMap) -> Result<Option<Arc<Caller>>, ApiError> {
    authenticate_at(tokens, headers, None)
}

/// [`authenticate`] for a request to a hosted operation at `path`
/// (`None`: the platform's own endpoints), where a token bound to an RFC
/// 8707 resource is valid when the resource covers the path.
///
/// # Errors
/// As [`authenticate`]; also 401 for a token bound to another resource.
pub fn authenticate_at(
    tokens: &Tokens,
    headers: &HeaderMap,
    path: Option<&str>,
) -> Result<Option<Arc<Caller>>, ApiError> {
    let Some(token) = bearer_token(headers) else {
        return Ok(None);
    };
    tokens
        .verify_at(token, path)
        .map(Some)
        .map_err(|e| ApiError::InvalidToken(e.to_string()))
}

/// Whether `caller` may call an operation that is `public` or guarded by
/// `scopes` (any one of them suffices; none listed: any valid token).
///
/// # Errors
/// 401 without a token on a private operation; 403 `insufficient_scope`
/// when the token holds none of `scopes`.
pub fn authorize(
    operation: &str,
    public: bool,
    scopes: &[String],
    caller: Option<&Caller>,
) -> Result<(), ApiError> {
    if public {
        return Ok(());
    }
    let Some(caller) = caller else {
        return Err(ApiError::Unauthorized(format!(
            "operation {operation:?} needs `Authorization: Bearer <access token>`; \
             obtain one at POST /authorization/token"
        )));
    };
    if scopes.is_empty() || scopes.iter().any(|s| caller.has_scope(s)) {
        return Ok(());
    }
    Err(ApiError::InsufficientScope {
        scopes: scopes.to_vec(),
        detail: format!(
            "operation {operation:?} needs one of the scopes [{}]; the token has [{}]",
            scopes.join(", "),
            caller.scopes.join(", ")
        ),
    })
}
