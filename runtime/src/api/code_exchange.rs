//! The `authorization_code` grant at the token endpoint (RFC 6749 §4.1.3,
//! RFC 7636 §4.5, OpenID Connect Core §3.1.3): a code from
//! [`crate::api::authorize`] exchanged for tokens (and an ID token).

use axum::response::Response;

use crate::api::authorization::{
    OAuthError, field, invalid_target, issued, requested_audience, required,
};
use crate::identity::resource;
use crate::identity::scopes as scope_rules;
use crate::identity::tokens::Subject;
use crate::state::AppState;
use crate::store::apps::AppRow;
use crate::store::{sessions, users};

/// The `authorization_code` grant (RFC 6749 §4.1.3) with PKCE (RFC 7636
/// §4.5): the code works once, within a minute, for the app it was issued
/// to (authenticated by its secret, or named by `client_id` alone: PKCE
/// binds the code to whoever started the request), with the same
/// `redirect_uri` and the verifier of its challenge. A code presented again
/// revokes the session its first exchange opened (§4.1.2).
pub(crate) async fn exchange_code(
    state: &AppState,
    app: Option<AppRow>,
    form: &[(String, String)],
) -> Result<Response, OAuthError> {
    use crate::identity::codes;
    use crate::store::authorization_codes as store_codes;
    let hash = crate::identity::sha256_hex(required(form, "code")?);
    let now = crate::identity::unix_now();
    let app = match app {
        Some(app) => app,
        None => {
            required(form, "client_id")?;
            return Err(OAuthError::invalid_client(
                "this client must authenticate with its secret (only a client registered \
                 with token_endpoint_auth_method none may present its client_id alone)",
            ));
        }
    };
    let gone = || OAuthError::invalid_grant("the code is unknown, expired or spent");
    let Some(code) = store_codes::get(&state.db, &hash).await? else {
        return Err(gone());
    };
    if code.used_at.is_some() {
        if let Some(session) = &code.session_id {
            tracing::warn!(session = %session, "an authorization code was presented again: its session revoked");
            let expires = sessions::get(&state.db, session)
                .await?
                .map_or(now + state.tokens.settings().refresh_ttl_secs, |s| {
                    s.expires_at
                });
            state.tokens.revoke(session, expires).await?;
        }
        return Err(gone());
    }
    if code.expires_at <= now {
        return Err(gone());
    }
    if code.app_id != app.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if field(form, "redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must be the one the authorization request used",
        ));
    }
    codes::verify(required(form, "code_verifier")?, &code.code_challenge)
        .map_err(|e| OAuthError::invalid_grant(e.to_string()))?;
    // RFC 8707 §2.2: the token request may name the resource again, or
    // one under it, never a wider one.
    let audience = match requested_audience(state, form)? {
        Some(asked) if !resource::within(Some(&asked), code.resource.as_deref()) => {
            return Err(invalid_target(&asked, code.resource.as_deref()));
        }
        Some(asked) => Some(asked),
        None => code.resource.clone(),
    };
    // A consent withdrawn since the code was issued takes the code too.
    if store_codes::consent(&state.db, &code.user_id, &code.app_id)
        .await?
        .is_none()
    {
        return Err(OAuthError::invalid_grant(
            "the user withdrew the consent this code came from",
        ));
    }
    if !store_codes::spend(&state.db, &hash, now).await? {
        return Err(gone());
    }
    let user = users::by_id(&state.db, &code.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| OAuthError::invalid_grant("the user is deactivated or deleted"))?;
    // What the app and the user may still have: a scope closed since the
    // consent is not granted.
    let allowed = scope_rules::allowed(&state.db, Some(&app), Some(&user)).await?;
    let scopes: Vec<String> = code
        .scopes
        .0
        .into_iter()
        .filter(|s| allowed.contains(s) || crate::identity::oidc::is_oidc_scope(s))
        .collect();
    let subject = Subject {
        app: Some(&app),
        user: Some(&user),
    };
    let mut issued_tokens = state
        .tokens
        .issue_bound(subject, scopes.clone(), true, None, audience)
        .await?;
    if let Some(sid) = state.tokens.session_of(&issued_tokens.access_token) {
        store_codes::set_session(&state.db, &hash, &sid).await?;
    }
    add_id_token(
        state,
        &mut issued_tokens,
        &app,
        &user,
        &scopes,
        code.auth_time.unwrap_or(code.created_at),
        code.nonce.as_deref(),
    )
    .await?;
    Ok(issued(issued_tokens))
}

/// Adds an ID token (OpenID Connect Core §2) to `tokens` when `scopes`
/// hold `openid`: for `app`, about `user`, who signed in at `auth_time`.
///
/// # Errors
/// On database or signing failure.
pub(crate) async fn add_id_token(
    state: &AppState,
    tokens: &mut crate::identity::Issued,
    app: &AppRow,
    user: &crate::store::users::UserRow,
    scopes: &[String],
    auth_time: i64,
    nonce: Option<&str>,
) -> Result<(), OAuthError> {
    use crate::identity::oidc;
    if !scopes.iter().any(|s| s == "openid") || !state.tokens.offers_openid() {
        return Ok(());
    }
    let now = crate::identity::unix_now();
    let claims = oidc::user_claims(&state.db, user, scopes).await?;
    let facts = oidc::IdTokenFacts {
        issuer: &state.tokens.settings().issuer,
        client_id: &app.client_id,
        iat: now,
        exp: now + state.tokens.settings().access_ttl_secs,
        auth_time,
        nonce,
    };
    tokens.id_token = Some(
        state
            .tokens
            .sign_id_token(&oidc::id_token_claims(&facts, claims))?,
    );
    Ok(())
}
