//! `GET`/`POST /authorization/userinfo` (OpenID Connect Core §5.3): the
//! claims about the user an access token with `openid` was issued for.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ApiError, ApiResult};
use crate::gateway::auth::authenticate;
use crate::state::AppState;

/// Routes nested under `/authorization`.
pub fn router() -> Router<AppState> {
    Router::new().route("/userinfo", get(userinfo).post(userinfo))
}

/// `GET` or `POST /authorization/userinfo` with a bearer token → 200 with
/// `sub` and the claims its scopes release (`profile`: `name`,
/// `preferred_username`; `email`: `email`, `email_verified`).
///
/// # Errors
/// 401 without a valid token (RFC 6750 §3.1); 403 `insufficient_scope`
/// for a token without `openid` or issued for no user.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(caller) = authenticate(&state.tokens, &headers)? else {
        return Err(ApiError::Unauthorized(
            "send `Authorization: Bearer <access token>`".into(),
        ));
    };
    if !caller.has_scope("openid") || caller.user.is_none() {
        return Err(ApiError::InsufficientScope {
            scopes: vec!["openid".into()],
            detail: "the token was not issued with the openid scope for a user".into(),
        });
    }
    let user = crate::store::users::by_id(&state.db, &caller.sub)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::InvalidToken("the user is deactivated or deleted".into()))?;
    let claims = crate::identity::oidc::user_claims(&state.db, &user, &caller.scopes).await?;
    let mut response = axum::Json(claims).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
