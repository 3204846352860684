//! "Sign in with …": the endpoints the portal's and the console's sign-in
//! pages use to sign a user in through an outside identity provider
//! ([`crate::identity::federation`]).
//!
//! 1. The page lists the providers for its side:
//!    `GET /authorization/providers?audience=portal`.
//! 2. A button opens `GET /authorization/providers/{name}/start?return_to=/portal/apps`,
//!    which sends the browser to the provider (state, nonce, PKCE).
//! 3. The provider sends it back to `GET
//!    /authorization/providers/{name}/callback`, which checks the answer,
//!    finds the account ([`crate::resources::identity_providers::account_for`])
//!    and sends the browser to the page's sign-in route with a one-time
//!    `handoff` code (or a `signin_error`).
//! 4. The page exchanges the code for tokens, as a password sign-in gets
//!    them: `POST /authorization/providers/handoff`.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::api::authorization::{OAuthError, counting_abuse, throttle};
use crate::edge::client::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::identity::tokens::Subject;
use crate::identity::{federation, random_hex, unix_now};
use crate::resources::identity_providers::{self as resource, Refused};
use crate::state::AppState;
use crate::store::identity_providers::{self as store, LoginRow, ProviderRow};

/// Seconds a sign-in may take at the provider.
const LOGIN_TTL_SECS: i64 = 600;

/// Seconds the page has to exchange its handoff code.
const HANDOFF_TTL_SECS: i64 = 60;

/// Routes nested under `/authorization`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(providers))
        .route("/providers/handoff", post(handoff))
        .route("/providers/{name}/start", get(start))
        .route("/providers/{name}/callback", get(callback))
}

/// Query of `GET /authorization/providers`.
#[derive(Debug, Deserialize)]
pub struct Audience {
    /// `portal` or `console`.
    pub audience: String,
}

/// A "Sign in with …" button.
#[derive(Debug, Serialize)]
pub struct ProviderButton {
    /// The provider's name (for the start URL).
    pub name: String,
    /// The button's text after "Sign in with".
    pub label: String,
}

/// `GET /authorization/providers?audience=portal|console` → 200 with the
/// active providers of that side.
///
/// # Errors
/// 400 for another audience.
pub async fn providers(
    State(state): State<AppState>,
    Query(query): Query<Audience>,
) -> ApiResult<Json<Vec<ProviderButton>>> {
    if !["portal", "console"].contains(&query.audience.as_str()) {
        return Err(ApiError::BadRequest(
            "audience must be portal or console".into(),
        ));
    }
    Ok(Json(
        store::list(&state.db)
            .await?
            .into_iter()
            .filter(|p| p.active && p.audience == query.audience)
            .map(|p| ProviderButton {
                name: p.name,
                label: p.label,
            })
            .collect(),
    ))
}

/// Query of the start endpoint.
#[derive(Debug, Deserialize)]
pub struct Start {
    /// The page to come back to: a path under the provider's side
    /// (`/portal/…` or `/console/…`); default its home.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// `return_to` when it is a path of `audience`'s pages, else its home: the
/// answer never sends the browser to another site.
fn safe_return(audience: &str, return_to: Option<&str>) -> String {
    let home = format!("/{audience}/");
    match return_to {
        Some(path)
            if (path == home.trim_end_matches('/') || path.starts_with(&home))
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| !c.is_control()) =>
        {
            path.to_string()
        }
        _ => home,
    }
}

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn active_provider(state: &AppState, name: &str) -> ApiResult<ProviderRow> {
    store::get(&state.db, name)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "there is no active identity provider named {name:?}"
            ))
        })
}

/// The origin the browser reached: the console may be on the admin
/// listener, whose host is not the public URL.
fn origin(state: &AppState, headers: &HeaderMap, provider: &ProviderRow) -> String {
    if provider.audience == "console" {
        crate::api::metadata::request_origin(state, headers)
    } else {
        crate::api::metadata::base_url(state, headers)
    }
}

/// `GET /authorization/providers/{name}/start?return_to=…` → 303 to the
/// provider's authorization endpoint.
///
/// # Errors
/// 404 for an unknown or inactive provider; 429 past the token endpoint's
/// rate limit; 502 when the provider's discovery document cannot be read.
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Start>,
) -> ApiResult<Response> {
    throttle(&state, ip)
        .await
        .map_err(OAuthError::into_problem)?;
    let provider = active_provider(&state, &name).await?;
    // The browser keeps a secret that its callback and handoff must show:
    // a sign-in cannot be finished in someone else's browser (login CSRF,
    // RFC 9700 §4.7, RFC 6749 §10.12).
    let browser = browser_secret(&headers).unwrap_or_else(|| random_hex(32));
    let secret = resource::client_secret(&state.secrets, &provider)?;
    let redirect_uri = format!(
        "{}{}",
        origin(&state, &headers, &provider),
        resource::callback_path(&provider.name)
    );
    let login_state = random_hex(32);
    let nonce = random_hex(16);
    let http = federation::http_client()?;
    let started = federation::start(
        &http,
        &provider,
        &secret,
        &redirect_uri,
        &login_state,
        &nonce,
    )
    .await
    .map_err(|e| {
        tracing::warn!(provider = %name, error = format!("{e:#}"), "an identity provider could not be reached");
        ApiError::Custom {
            status: StatusCode::BAD_GATEWAY,
            slug: "identity-provider-unreachable",
            title: "Identity provider unreachable",
            detail: format!(
                "{} could not be reached; the server log has the details under this request id",
                provider.label
            ),
            fuel_used: None,
        }
    })?;
    let now = unix_now();
    let mut conn = state.db.acquire().await?;
    store::start_login(
        &mut conn,
        &LoginRow {
            state_sha256: crate::identity::sha256_hex(&login_state),
            provider: provider.name.clone(),
            pkce_verifier: started.verifier,
            nonce,
            redirect_uri,
            return_to: safe_return(&provider.audience, query.return_to.as_deref()),
            browser_sha256: crate::identity::sha256_hex(&browser),
            expires_at: now + LOGIN_TTL_SECS,
        },
        now,
    )
    .await?;
    let mut response = see_other(&started.url);
    let cookie = cookie::Cookie::build((BROWSER_COOKIE, browser))
        .path("/authorization/providers")
        .http_only(true)
        .secure(
            state.settings.tls.is_some() || state.tokens.settings().issuer.starts_with("https:"),
        )
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(LOGIN_TTL_SECS))
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The cookie that binds a sign-in to the browser that started it; sent
/// back on top-level navigations (`SameSite=Lax`) to
/// `/authorization/providers` only.
const BROWSER_COOKIE: &str = "sluice_signin";

/// The browser's sign-in secret from its `Cookie` header, when it sent a
/// well-formed one.
fn browser_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == BROWSER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Query of the callback: the provider's answer (RFC 6749 §4.1.2).
#[derive(Debug, Deserialize)]
pub struct Answer {
    /// The code, on success.
    pub code: Option<String>,
    /// The state Sluice sent.
    pub state: Option<String>,
    /// The provider's error, on failure.
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

/// Where the browser goes with a handoff code or an error: the sign-in
/// route of the page's side, which finishes there.
fn back_to_page(audience: &str, return_to: &str, params: &[(&str, &str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    query.append_pair("next", return_to);
    let page = if audience == "portal" {
        "/portal/signin"
    } else {
        "/console/"
    };
    see_other(&format!("{page}?{}", query.finish()))
}

/// `GET /authorization/providers/{name}/callback?code&state` (or `?error`)
/// → 303 to the sign-in page with `handoff` (a code that works once,
/// within a minute) or `signin_error` (why not: the provider refused, the
/// ID token did not verify, no account may be used).
///
/// # Errors
/// 400 when the state is unknown, expired or of another provider (the
/// answer is not to a sign-in started here), or the browser is not the one
/// that started it (its cookie); 429 past the token endpoint's rate limit.
pub async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(answer): Query<Answer>,
) -> ApiResult<Response> {
    throttle(&state, ip)
        .await
        .map_err(OAuthError::into_problem)?;
    let unknown = || {
        ApiError::BadRequest(
            "this sign-in is unknown, expired, or was started in another browser: start it \
             again from the sign-in page"
                .into(),
        )
    };
    let hash = crate::identity::sha256_hex(answer.state.as_deref().ok_or_else(unknown)?);
    // The browser that started the sign-in must finish it (its cookie).
    let browser = browser_secret(&headers)
        .map(|b| crate::identity::sha256_hex(&b))
        .unwrap_or_default();
    let mut conn = state.db.acquire().await?;
    let login = store::take_login(&mut conn, &hash, &browser)
        .await?
        .filter(|l| l.provider == name && l.expires_at > unix_now())
        .ok_or_else(unknown)?;
    drop(conn);
    let provider = active_provider(&state, &name).await?;
    // The page shows a fixed sentence per code; the details go to the log.
    let fail = |code: &str, why: String| -> ApiResult<Response> {
        tracing::info!(provider = %name, why = %why, "a sign-in through a provider failed");
        Ok(back_to_page(
            &provider.audience,
            &login.return_to,
            &[("signin_error", code)],
        ))
    };
    if let Some(error) = answer.error.as_deref() {
        let why = answer.error_description.as_deref().unwrap_or(error);
        return fail(
            "provider_refused",
            format!("the provider answered {error}: {why}"),
        );
    }
    let Some(code) = answer.code.as_deref() else {
        return fail("provider_failed", "the provider sent no code".into());
    };
    let secret = resource::client_secret(&state.secrets, &provider)?;
    let http = federation::http_client()?;
    let identity = match federation::finish(
        &http,
        &provider,
        &secret,
        &login.redirect_uri,
        code,
        &login.pkce_verifier,
        &login.nonce,
    )
    .await
    {
        Ok(identity) => identity,
        Err(e) => return fail("provider_failed", format!("{e:#}")),
    };
    let user = match resource::account_for(&state.db, &provider, &identity).await {
        Ok(user) => user,
        Err(Refused::Because(reason)) => {
            return fail(
                reason.code(),
                format!("{reason:?} for {:?}", identity.email),
            );
        }
        Err(Refused::Store(e)) => return Err(ApiError::Internal(e)),
    };
    let code = format!("hc_{}", random_hex(32));
    store::add_handoff(
        &state.db,
        &crate::identity::sha256_hex(&code),
        &user.id,
        &browser,
        unix_now() + HANDOFF_TTL_SECS,
    )
    .await?;
    tracing::info!(provider = %name, user = %user.name, "signed in through an identity provider");
    Ok(back_to_page(
        &provider.audience,
        &login.return_to,
        &[("handoff", &code)],
    ))
}

/// Body of `POST /authorization/providers/handoff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// The code from the callback.
    pub handoff: String,
}

/// `POST /authorization/providers/handoff` `{"handoff"}` → 200 with a token
/// response (RFC 6749 §5.1) like a password sign-in's — an access token
/// with the user's scopes and a refresh token — and `username` (the
/// consumer's address, or the user's name).
///
/// # Errors
/// 400 `invalid_grant` for a code that is unknown, spent or over a minute
/// old (counted toward the address's ban); 429 past the token endpoint's
/// rate limit.
pub async fn handoff(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<Handoff>,
) -> Result<Response, OAuthError> {
    let answer = async {
        throttle(&state, ip).await?;
        let browser = browser_secret(&headers)
            .map(|b| crate::identity::sha256_hex(&b))
            .unwrap_or_default();
        let mut conn = state.db.acquire().await?;
        let user_id = store::spend_handoff(
            &mut conn,
            &crate::identity::sha256_hex(&body.handoff),
            &browser,
            unix_now(),
        )
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_grant("the sign-in code is unknown, spent or expired")
        })?;
        drop(conn);
        let user = crate::store::users::by_id(&state.db, &user_id)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| OAuthError::invalid_grant("the account is not active"))?;
        let scopes = crate::identity::scopes::allowed(&state.db, None, Some(&user)).await?;
        let subject = Subject {
            app: None,
            user: Some(&user),
        };
        let tokens = state.tokens.issue(subject, scopes, true, None).await?;
        // Whom the page says is signed in: a consumer's address, a user's
        // name (a member beside RFC 6749 §5.1's).
        let mut body = serde_json::to_value(&tokens).map_err(anyhow::Error::from)?;
        body["username"] = serde_json::Value::String(if user.is_consumer() {
            user.email.clone().unwrap_or_default()
        } else {
            user.name.clone()
        });
        let mut response = axum::Json(body).into_response();
        crate::api::authorization::no_store(response.headers_mut());
        Ok::<Response, OAuthError>(response)
    }
    .await;
    counting_abuse(&state, ip, answer).await
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn the_return_path_stays_on_its_side_of_this_site() {
        assert_eq!(safe_return("portal", Some("/portal/apps")), "/portal/apps");
        assert_eq!(safe_return("portal", Some("/portal")), "/portal");
        assert_eq!(safe_return("portal", Some("/console/apps")), "/portal/");
        assert_eq!(
            safe_return("portal", Some("https://evil.example/")),
            "/portal/"
        );
        assert_eq!(
            safe_return("portal", Some("/portal//evil.example")),
            "/portal/"
        );
        assert_eq!(safe_return("console", Some("/portal/x")), "/console/");
        assert_eq!(safe_return("console", None), "/console/");
    }
}
