//! The authorization endpoint (RFC 6749 §3.1, §4.1.1) for the
//! authorization-code grant with PKCE.
//!
//! `GET /authorization/authorize?response_type=code&client_id=…` sends the
//! browser on to the sign-in and consent page (`/portal/authorize`, the
//! portal's stack), which asks `GET /authorization/authorize/request` what
//! the app wants, signs the user in, and posts the user's decision to
//! `POST /authorization/authorize`; the answer says where the browser goes
//! next — back to the app with a code, or with an error.
//!
//! Which errors go back to the app (RFC 6749 §4.1.2.1): none while the
//! client or the redirect URI is unknown (the page shows a problem, so that
//! nobody can be sent to an address the app did not register); every other
//! one as `error` (and `error_description`, `state`, `iss`) on the
//! registered redirect URI.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::api::oauth_form;
use crate::error::{ApiError, ApiResult};
use crate::gateway::auth::authenticate;
use crate::http::extract::Json;
use crate::identity::codes::{self, CODE_TTL_SECS};
use crate::identity::oidc;
use crate::identity::scopes as scope_rules;
use crate::identity::unix_now;
use crate::state::AppState;
use crate::store::apps::{self, AppRow};
use crate::store::authorization_codes::{self as store_codes, CodeRow};
use crate::store::{Json as SqlJson, users};

/// Where the browser signs in and consents.
pub const CONSENT_PAGE: &str = "/portal/authorize";

/// The most fields an authorization request may have; RFC 6749 and OpenID
/// Connect define about a dozen.
const MAX_FIELDS: usize = 32;

/// The most bytes of an authorization request's query.
const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Routes nested under `/authorization`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/authorize", get(authorize_start).post(authorize_decide))
        .route("/authorize/request", get(authorize_request))
}

/// An authorization request that names a known client and one of its
/// registered redirect URIs.
struct Checked {
    app: AppRow,
    redirect_uri: String,
    /// The API scopes asked: `None` for all the app may have (no `scope`).
    scope: Option<String>,
    /// The API scopes the request comes to, as far as the app may have
    /// them (the user's roles narrow them at the decision).
    app_scopes: Vec<String>,
    /// The OpenID Connect scopes asked (with `openid`, else none).
    oidc: Vec<String>,
    state: Option<String>,
    challenge: String,
    nonce: Option<String>,
    /// The RFC 8707 resource the tokens are for; `None` for the whole API.
    resource: Option<String>,
    /// OpenID Connect's `prompt` values (Core §3.1.2.1).
    prompt: Vec<String>,
    /// OpenID Connect's `max_age`: the most seconds since the user signed in.
    max_age: Option<i64>,
}

/// Seconds a sign-in counts as fresh for `prompt=login` (and for a
/// `max_age` below it): enough to sign in and come back to the page,
/// which would otherwise ask again forever.
const FRESH_SIGN_IN_SECS: i64 = 60;

impl Checked {
    /// Whether a sign-in at `auth_time` is too old for the request's
    /// `prompt=login` or `max_age` (OpenID Connect Core §3.1.2.1).
    fn needs_sign_in(&self, auth_time: i64, now: i64) -> bool {
        let mut oldest = i64::MIN;
        if self.prompt.iter().any(|p| p == "login") {
            oldest = now - FRESH_SIGN_IN_SECS;
        }
        if let Some(max_age) = self.max_age {
            oldest = oldest.max(now - max_age.max(FRESH_SIGN_IN_SECS));
        }
        auth_time < oldest
    }

    fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }

    /// This request's error for the app (RFC 6749 §4.1.2.1, OpenID
    /// Connect Core §3.1.2.6).
    fn refuse(&self, error: &'static str, description: String) -> Refusal {
        Refusal::Sent {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            error,
            description,
        }
    }
}

/// Why an authorization request is refused.
enum Refusal {
    /// The client or redirect URI is unknown: shown, never redirected.
    Shown(ApiError),
    /// Anything else: sent back to the client (RFC 6749 §4.1.2.1).
    Sent {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl Refusal {
    /// The answer the page gets: a problem to show, or where to send the
    /// browser.
    fn answer(self, issuer: &str) -> ApiResult<Response> {
        match self {
            Self::Shown(problem) => Err(problem),
            Self::Sent {
                redirect_uri,
                state,
                error,
                description,
            } => {
                let mut params = vec![
                    ("error", error),
                    ("error_description", description.as_str()),
                ];
                if let Some(state) = state.as_deref() {
                    params.push(("state", state));
                }
                let to = codes::redirect(&redirect_uri, &params, issuer)
                    .map_err(|e| ApiError::Internal(e.into()))?;
                Ok(Json(Next { redirect_to: to }).into_response())
            }
        }
    }
}

/// Where the browser goes next.
#[derive(Debug, Serialize)]
pub struct Next {
    /// The redirect URI with `code` or `error`, `state` and `iss`.
    pub redirect_to: String,
}

/// The request's parameters: decoded, each at most once (RFC 6749 §3.1).
fn params(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the authorization request is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    oauth_form::parse(query.as_bytes(), MAX_FIELDS).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn field<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The API scopes to grant for `requested` ([`scope_rules::choose`]), where
/// an empty request (only OpenID Connect scopes were asked) grants none.
pub(crate) fn choose(
    requested: Option<&str>,
    allowed: &[String],
) -> Result<Vec<String>, Vec<String>> {
    match requested {
        Some("") => Ok(Vec::new()),
        other => scope_rules::choose(other, allowed),
    }
}

/// Checks an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3): the
/// client first, then its redirect URI, then the rest, whose errors go
/// back to the client.
async fn check(state: &AppState, params: &[(String, String)]) -> Result<Checked, Refusal> {
    let shown = |detail: String| Refusal::Shown(ApiError::BadRequest(detail));
    let client_id =
        field(params, "client_id").ok_or_else(|| shown("the request names no client_id".into()))?;
    let app = apps::by_client_id(&state.db, client_id)
        .await
        .map_err(|e| Refusal::Shown(e.into()))?
        .filter(|a| a.active)
        .ok_or_else(|| shown(format!("no active app has client_id {client_id:?}")))?;
    let registered = &app.redirect_uris.0;
    let redirect_uri = match field(params, "redirect_uri") {
        Some(uri) if registered.iter().any(|r| r == uri) => uri.to_string(),
        Some(uri) => {
            return Err(shown(format!(
                "redirect_uri {uri:?} is not one the app registered (they are compared exactly)"
            )));
        }
        // RFC 6749 §3.1.2.3: optional when the app registered exactly one.
        None if registered.len() == 1 => registered[0].clone(),
        None => {
            return Err(shown(
                "the request has no redirect_uri, and the app has not registered exactly one"
                    .into(),
            ));
        }
    };
    let state_param = field(params, "state").map(str::to_string);
    let sent = |error: &'static str, description: String| Refusal::Sent {
        redirect_uri: redirect_uri.clone(),
        state: state_param.clone(),
        error,
        description,
    };
    match field(params, "response_type") {
        Some("code") => {}
        Some(other) => {
            return Err(sent(
                "unsupported_response_type",
                format!("response_type {other:?} is not supported; use code"),
            ));
        }
        None => return Err(sent("invalid_request", "response_type is missing".into())),
    }
    let resource = crate::identity::resource::audience(
        field(params, "resource"),
        &state.tokens.settings().issuer,
    )
    .map_err(|e| sent("invalid_target", e.to_string()))?;
    let prompt: Vec<String> = field(params, "prompt")
        .map(|p| p.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(other) = prompt
        .iter()
        .find(|p| !["none", "login", "consent", "select_account"].contains(&p.as_str()))
    {
        return Err(sent(
            "invalid_request",
            format!("prompt {other:?} is not one of none, login, consent, select_account"),
        ));
    }
    if prompt.len() > 1 && prompt.iter().any(|p| p == "none") {
        return Err(sent(
            "invalid_request",
            "prompt=none may not be combined with another value".into(),
        ));
    }
    let max_age = match field(params, "max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            sent(
                "invalid_request",
                "max_age must be a whole number of seconds".into(),
            )
        })?),
    };
    let challenge = field(params, "code_challenge");
    codes::check_challenge(challenge, field(params, "code_challenge_method"))
        .map_err(|e| sent("invalid_request", e.to_string()))?;
    let (oidc_scopes, scope) = oidc::split_request(field(params, "scope"));
    if !oidc_scopes.is_empty() && !state.tokens.offers_openid() {
        return Err(sent(
            "invalid_scope",
            "OpenID Connect is off: its ID tokens need keys anyone can verify \
             (SLUICE_TOKEN_ALGORITHM=EdDSA, not HS256)"
                .into(),
        ));
    }
    let allowed = scope_rules::allowed(&state.db, Some(&app), None)
        .await
        .map_err(|e| Refusal::Shown(e.into()))?;
    let app_scopes = choose(scope.as_deref(), &allowed).map_err(|refused| {
        sent(
            "invalid_scope",
            format!("the app may not ask for scope {}", refused.join(" ")),
        )
    })?;
    Ok(Checked {
        app_scopes,
        challenge: challenge.unwrap_or_default().to_string(),
        nonce: field(params, "nonce").map(str::to_string),
        resource,
        prompt,
        max_age,
        oidc: oidc_scopes,
        app,
        redirect_uri,
        scope,
        state: state_param,
    })
}

/// `GET /authorization/authorize?…` → 303 to the sign-in and consent page
/// with the same query; the page checks it.
pub async fn authorize_start(RawQuery(query): RawQuery) -> Response {
    let to = match query {
        Some(q) => format!("{CONSENT_PAGE}?{q}"),
        None => CONSENT_PAGE.to_string(),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// What the consent page shows.
#[derive(Debug, Serialize)]
pub struct RequestView {
    /// The app's client id.
    pub client_id: String,
    /// The app's name as its owner gave it.
    pub app: String,
    /// The app's description.
    pub description: String,
    /// Where the browser goes afterwards.
    pub redirect_uri: String,
    /// The scopes asked (all the app may have when it names none), with
    /// their descriptions.
    pub scopes: Vec<ScopeView>,
    /// Whether the signed-in user (the bearer token's) already let the app
    /// have these scopes: the page may then go on without asking.
    pub consented: bool,
    /// Whether the app registered itself (RFC 7591): its name and
    /// description are its own claims, which the page says (§5).
    pub unverified: bool,
    /// Whether the signed-in user must sign in again first: the app asked
    /// for a fresh sign-in (`prompt=login`, or `max_age` passed).
    pub reauthenticate: bool,
}

/// A scope on the consent page.
#[derive(Debug, Serialize)]
pub struct ScopeView {
    /// Its name.
    pub name: String,
    /// What it allows, as the admin described it.
    pub description: String,
}

/// `GET /authorization/authorize/request?…` (the authorization request's
/// query), with the signed-in user's bearer token when there is one → 200
/// with what the consent page shows ([`RequestView`]), or 200
/// `{"redirect_to"}` when the request is refused with an error for the
/// app; 400 (a problem, shown) for an unknown client or redirect URI.
pub async fn authorize_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let params = params(query.as_deref().unwrap_or(""))?;
    let issuer = state.tokens.settings().issuer.clone();
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.answer(&issuer),
    };
    let mut asked = checked.app_scopes.clone();
    asked.extend(checked.oidc.iter().cloned());
    let scopes = scope_views(&state, &asked).await?;
    let now = unix_now();
    let user = signed_in(&state, &headers).await.ok().flatten();
    let reauthenticate = user
        .as_ref()
        .is_some_and(|u| checked.needs_sign_in(u.auth_time, now));
    let consented = match &user {
        Some(u) if !checked.prompts("consent") => {
            store_codes::consent(&state.db, &u.user_id, &checked.app.id)
                .await?
                .is_some_and(|c| asked.iter().all(|s| c.scopes.0.contains(s)))
        }
        _ => false,
    };
    // prompt=none: no page may be shown (OpenID Connect Core §3.1.2.6).
    if checked.prompts("none") {
        let refusal = if user.is_none() || reauthenticate {
            Some(("login_required", "the user is not signed in (prompt=none)"))
        } else if !consented {
            Some((
                "consent_required",
                "the user has not allowed this app these scopes (prompt=none)",
            ))
        } else {
            None
        };
        if let Some((error, description)) = refusal {
            return checked.refuse(error, description.into()).answer(&issuer);
        }
    }
    Ok(Json(RequestView {
        client_id: checked.app.client_id.clone(),
        app: checked.app.display_name().to_string(),
        description: checked.app.description.clone(),
        unverified: checked.app.registered_at.is_some(),
        redirect_uri: checked.redirect_uri,
        scopes,
        consented,
        reauthenticate,
    })
    .into_response())
}

/// `names` with what each allows: the admin's description of an API
/// scope, a fixed sentence for OpenID Connect's.
///
/// # Errors
/// On database failure.
pub(crate) async fn scope_views(state: &AppState, names: &[String]) -> ApiResult<Vec<ScopeView>> {
    let described = crate::store::scopes::list(&state.db).await?;
    Ok(names
        .iter()
        .map(|name| ScopeView {
            name: name.clone(),
            description: match name.as_str() {
                "openid" => "Confirm who you are".into(),
                "profile" => "See your name".into(),
                "email" => "See your email address".into(),
                _ => described
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| s.description.clone())
                    .unwrap_or_default(),
            },
        })
        .collect())
}

/// A user's own sign-in behind a request.
pub(crate) struct SignedIn {
    /// `users.id`.
    pub user_id: String,
    /// When the user signed in (the session began), Unix seconds.
    pub auth_time: i64,
}

/// The user behind the request's bearer token, when it is a user's own
/// sign-in — not a token an app obtained, so that an app holding a user's
/// token cannot approve requests on the user's behalf, and not a personal
/// access token, which a script holds.
///
/// # Errors
/// 401 for an invalid token or an ended session; 403 for an app's token,
/// one without a user, or a personal access token.
pub(crate) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> ApiResult<Option<SignedIn>> {
    let Some(caller) = authenticate(&state.tokens, headers)? else {
        return Ok(None);
    };
    if caller.user.is_none() || caller.app.is_some() {
        return Err(ApiError::Forbidden(
            "only a user's own sign-in (not an app's token) may approve an authorization request"
                .into(),
        ));
    }
    let (auth_time, sign_in) = crate::store::sessions::sign_in_of(&state.db, &caller.sid)
        .await?
        .ok_or_else(|| ApiError::InvalidToken("the session has ended".into()))?;
    if !sign_in {
        return Err(ApiError::Forbidden(
            "only a sign-in may approve an authorization request, not a personal access token \
             or a token from sluice token: sign in with your password"
                .into(),
        ));
    }
    Ok(Some(SignedIn {
        user_id: caller.sub.clone(),
        auth_time,
    }))
}

/// Body of `POST /authorization/authorize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The authorization request's query, as the page received it.
    pub query: String,
    /// `allow` or `deny`.
    pub decision: String,
}

/// `POST /authorization/authorize` `{"query", "decision"}` with the
/// signed-in user's bearer token → 200 `{"redirect_to"}`: the redirect URI
/// with a code (`allow`; the consent is remembered) or `access_denied`
/// (`deny`), or with the error the request deserves (a scope the user may
/// not have: `invalid_scope`).
///
/// # Errors
/// 400 for an unknown client or redirect URI or a decision other than
/// `allow` or `deny`; 401 without a valid token; 403 for an app's token.
pub async fn authorize_decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<Decision>,
) -> ApiResult<Response> {
    let Some(signed) = signed_in(&state, &headers).await? else {
        return Err(ApiError::Unauthorized(
            "sign in first: send `Authorization: Bearer <access token>`".into(),
        ));
    };
    let user_id = signed.user_id;
    let allow = match body.decision.as_str() {
        "allow" => true,
        "deny" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "decision must be allow or deny, not {other:?}"
            )));
        }
    };
    let params = params(body.query.trim_start_matches('?'))?;
    let issuer = state.tokens.settings().issuer.clone();
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.answer(&issuer),
    };
    let refuse = |error: &'static str, description: String| checked.refuse(error, description);
    if !allow {
        return refuse("access_denied", "the user denied the request".into()).answer(&issuer);
    }
    if checked.needs_sign_in(signed.auth_time, unix_now()) {
        return Err(ApiError::Unauthorized(
            "sign in again: the app asks for a fresh sign-in (prompt=login or max_age)".into(),
        ));
    }
    let user = users::by_id(&state.db, &user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::Forbidden("the signed-in user is not active".into()))?;
    let allowed = scope_rules::allowed(&state.db, Some(&checked.app), Some(&user)).await?;
    let scopes = match choose(checked.scope.as_deref(), &allowed) {
        Ok(mut scopes) => {
            scopes.extend(checked.oidc.iter().cloned());
            scopes
        }
        Err(refused) => {
            return refuse(
                "invalid_scope",
                format!("the user may not grant scope {}", refused.join(" ")),
            )
            .answer(&issuer);
        }
    };
    let now = unix_now();
    let (code, hash) = codes::new_code();
    let mut tx = state.db.begin().await?;
    // Spent and expired codes stay a day, so that a replay is recognised.
    store_codes::purge(&mut *tx, now - 86_400).await?;
    store_codes::insert(
        &mut *tx,
        &CodeRow {
            code_sha256: hash,
            app_id: checked.app.id.clone(),
            user_id: user.id.clone(),
            redirect_uri: checked.redirect_uri.clone(),
            scopes: SqlJson(scopes.clone()),
            code_challenge: checked.challenge.clone(),
            nonce: checked.nonce.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
            used_at: None,
            session_id: None,
            resource: checked.resource.clone(),
            auth_time: Some(signed.auth_time),
        },
    )
    .await?;
    store_codes::remember(&mut tx, &user.id, &checked.app.id, scopes, now).await?;
    tx.commit().await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state_param) = checked.state.as_deref() {
        params.push(("state", state_param));
    }
    let to = codes::redirect(&checked.redirect_uri, &params, &issuer)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(Next { redirect_to: to }).into_response())
}
