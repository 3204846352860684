//! `POST /authorization/introspect` (RFC 7662): whether a token is active,
//! and what it grants, for a resource server holding an app's credentials.

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::authorization::{
    OAuthError, authenticate_client, counting_abuse, form, no_store, required, throttle,
};
use crate::edge::client::ClientIp;
use crate::identity::tokens::refresh_hash;
use crate::state::AppState;
use crate::store::{apps, sessions, users};

/// `POST /authorization/introspect` with `token` (and an optional
/// `token_type_hint`), authenticated as an app (HTTP Basic or the form
/// fields, RFC 7662 §2.1) → 200 `{"active": false}` for a token that is
/// unknown, malformed, expired, revoked or spent (§2.2 says no more), or
/// `{"active": true, "scope", "client_id", "username", "token_type", "exp",
/// "iat", "sub", "aud", "iss", "jti"}` for a live one — an access token
/// (`token_type` `Bearer`) or a refresh token (`refresh_token`).
///
/// # Errors
/// 401 `invalid_client` without valid app credentials (so the endpoint
/// cannot be used to probe tokens; the failures count toward a ban); 400
/// `invalid_request` without `token`.
pub async fn introspect(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    counting_abuse(&state, ip, answer(&state, ip, &headers, body).await).await
}

async fn answer(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    throttle(state, ip).await?;
    let form = form(state, headers, body).await?;
    match authenticate_client(state, headers, &form).await? {
        None => {
            return Err(OAuthError::invalid_client(
                "introspection needs an app's client id and secret (RFC 7662 §2.1)",
            ));
        }
        // Only the admin's apps (resource servers) learn about others'
        // tokens: not a consumer's app, nor one that registered itself.
        Some(app) if app.owner_id.is_some() || app.registered_at.is_some() => {
            return Err(OAuthError::new(
                axum::http::StatusCode::FORBIDDEN,
                "unauthorized_client",
                "only apps the admin made may introspect tokens",
            ));
        }
        Some(_) => {}
    }
    let token = required(&form, "token")?;
    let described = match access(state, token) {
        Some(found) => found,
        None => refresh(state, token)
            .await?
            .unwrap_or(json!({"active": false})),
    };
    let mut response = axum::Json(described).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// The description of a live access token of ours.
fn access(state: &AppState, token: &str) -> Option<Value> {
    let caller = state.tokens.verify_any(token).ok()?;
    let issuer = &state.tokens.settings().issuer;
    Some(json!({
        "active": true,
        "token_type": "Bearer",
        "scope": caller.scopes.join(" "),
        "client_id": caller.client_id,
        "username": caller.user,
        "sub": caller.sub,
        "aud": caller.audience.as_deref().unwrap_or(issuer),
        "iss": issuer,
        "exp": caller.exp,
        "iat": caller.iat,
        "jti": caller.jti,
    }))
}

/// The description of a live refresh token, `None` when it is not one.
async fn refresh(state: &AppState, token: &str) -> Result<Option<Value>, OAuthError> {
    let now = crate::identity::unix_now();
    let Some(session) = sessions::live_refresh(&state.db, &refresh_hash(token), now).await? else {
        return Ok(None);
    };
    let app = match &session.app_id {
        Some(id) => apps::by_id(&state.db, id).await?,
        None => None,
    };
    let user = match &session.user_id {
        Some(id) => users::by_id(&state.db, id).await?,
        None => None,
    };
    let issuer = &state.tokens.settings().issuer;
    Ok(Some(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": session.scopes.0.join(" "),
        "client_id": app.as_ref().map(|a| a.client_id.clone()),
        "username": user.as_ref().map(|u| u.name.clone()),
        "sub": user.map(|u| u.id).or(app.map(|a| a.client_id)),
        "aud": session.audience.as_deref().unwrap_or(issuer),
        "iss": issuer,
        "exp": session.expires_at,
        "iat": session.created_at,
    })))
}
