//! The admin bearer token (RFC 6750): compared by SHA-256 in constant time,
//! so the server never needs to keep a generated token in clear.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::startup::AppState;

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Middleware: answers 401 problem+json with `WWW-Authenticate: Bearer`
/// unless `Authorization: Bearer <admin token>` is present.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(token) = presented else {
        return ApiError::Unauthorized(
            "the admin API needs `Authorization: Bearer <admin token>`".into(),
        )
        .into_response();
    };
    if !bool::from(token_hash(token).ct_eq(&state.admin_token_hash)) {
        return ApiError::Unauthorized("the admin token is not valid".into()).into_response();
    }
    next.run(request).await
}
