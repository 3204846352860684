//! The OAuth2 authorization server under `/authorization`:
//! `POST /token` (RFC 6749 §3.2; grants `client_credentials` §4.4,
//! `password` §4.3 and `refresh_token` §6), `POST /revoke` (RFC 7009) and
//! `GET /whoami`.
//!
//! Errors of `/token` and `/revoke` take the RFC 6749 §5.2 form the OAuth2
//! client libraries parse — `application/json` with `error` and
//! `error_description` — and also carry the RFC 9457 members (`type`,
//! `title`, `status`, `detail`), so the body is a problem document as well.

use axum::Router;
use axum::body::Body;
use std::net::IpAddr;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Serialize;
use serde_json::json;

use crate::api::oauth_form;
use crate::edge::client::ClientIp;
use crate::error::{ApiError, ApiResult, current_request_id};
use crate::gateway::auth::bearer_token;
use crate::identity::device;
use crate::identity::scopes as scope_rules;
use crate::identity::tokens::{Subject, refresh_hash};
use crate::identity::{Caller, Issued, passwords};
use crate::state::AppState;
use crate::store::apps::{self, AppRow};
use crate::store::{sessions, users};

/// Routes nested under `/authorization`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/token", post(token_create))
        .route("/revoke", post(token_revoke))
        .route("/whoami", get(whoami))
        .route("/introspect", post(crate::api::introspect::introspect))
        .route("/register", post(crate::api::register::register))
        .route(
            "/jwks",
            get(crate::api::metadata::jwks).layer(crate::api::metadata::public_cors()),
        )
}

/// An RFC 6749 §5.2 error.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after_secs: Option<u64>,
    /// Whether the request counts toward the client address's ban.
    abusive: bool,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            retry_after_secs: None,
            abusive: false,
        }
    }

    /// Asks the client to wait `secs` before retrying (`Retry-After`).
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Marks an error that counts toward the ban of the client's address.
    fn abusive(mut self) -> Self {
        self.abusive = true;
        self
    }

    /// This error as a problem document, for the JSON endpoints beside the
    /// form ones (the device approval page's).
    pub(crate) fn into_problem(self) -> ApiError {
        let title = match self.status {
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            StatusCode::SERVICE_UNAVAILABLE => "Service unavailable",
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::INTERNAL_SERVER_ERROR => "Internal error",
            _ => "Bad request",
        };
        ApiError::Custom {
            status: self.status,
            slug: self.code,
            title,
            detail: self.description,
            fuel_used: None,
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description).abusive()
    }

    /// 400 `invalid_grant` (RFC 6749 §5.2), counted toward the ban.
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description).abusive()
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = ?e, "token endpoint failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "an internal error occurred; the server log has the details under this request id",
        )
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.code,
            "error_description": self.description,
            "type": format!("urn:sluice:problem:oauth-{}", self.code.replace('_', "-")),
            "title": self.code,
            "status": self.status.as_u16(),
            "detail": self.description,
            "request_id": current_request_id(),
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if let Some(secs) = self.retry_after_secs {
            headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sluice\""),
            );
        }
        response
    }
}

/// Counts a request to the token or revoke endpoint against the rate-limit
/// rules that name no operation, app or user (the `default` rule), per
/// client IP and apart from the IP's calls to operations: each attempt
/// costs an argon2 hash, so guessing and flooding are both bounded.
///
/// # Errors
/// 429 `rate_limited` with `Retry-After` when the allowance is used up;
/// 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1) when a shared
/// rate-limit store is unreachable and its policy is `closed`.
pub(crate) async fn throttle(state: &AppState, ip: IpAddr) -> Result<(), OAuthError> {
    let ip = ip.to_string();
    match state.rate_limits.check_endpoint(TOKEN_ENDPOINT, &ip).await {
        Some(decision) if decision.unavailable => Err(OAuthError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "temporarily_unavailable",
            description: "rate limits cannot be checked right now; retry shortly".into(),
            retry_after_secs: Some(1),
            abusive: false,
        }),
        Some(decision) if !decision.allowed => Err(OAuthError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            description: format!(
                "too many requests to the authorization endpoints; retry in {} s",
                decision.retry_after_secs
            ),
            retry_after_secs: Some(decision.retry_after_secs),
            abusive: false,
        }),
        _ => Ok(()),
    }
}

/// 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1) with `Retry-After`
/// when every password check is taken.
fn busy(e: passwords::Busy) -> OAuthError {
    OAuthError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "temporarily_unavailable",
        description: format!("{e} (SLUICE_HASH_CONCURRENCY, SLUICE_HASH_QUEUE)"),
        retry_after_secs: Some(1),
        abusive: false,
    }
}

/// The name the token and revoke endpoints are counted under; no
/// operation can have it (operation names have no `/`).
const TOKEN_ENDPOINT: &str = "/authorization";

/// RFC 6749 §5.1: token responses must not be cached.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The request's form fields (`application/x-www-form-urlencoded`, RFC
/// 6749 §4 / Appendix B), read up to `SLUICE_AUTHORIZATION_MAX_BODY_BYTES`
/// and `SLUICE_AUTHORIZATION_MAX_FIELDS`; a repeated field is an error
/// (§3.2). Every refusal here counts toward the client's ban: no OAuth2
/// client sends such a form.
pub(crate) async fn form(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, OAuthError> {
    let is_form = crate::media::content_type(headers)
        .ok()
        .flatten()
        .is_some_and(|m| crate::media::is(&m, "application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OAuthError::invalid_request(
            "send the parameters as application/x-www-form-urlencoded (RFC 6749 §4)",
        ));
    }
    let limits = state.settings.authorization_form;
    let body = axum::body::to_bytes(body, limits.max_bytes)
        .await
        .map_err(|e| {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                OAuthError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_request",
                    format!(
                        "the form is larger than {} bytes (SLUICE_AUTHORIZATION_MAX_BODY_BYTES)",
                        limits.max_bytes
                    ),
                )
                .abusive()
            } else {
                OAuthError::invalid_request(format!("the body could not be read: {e}"))
            }
        })?;
    oauth_form::parse(&body, limits.max_fields)
        .map_err(|e| OAuthError::invalid_request(e.to_string()).abusive())
}

pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub(crate) fn required<'a>(
    form: &'a [(String, String)],
    name: &str,
) -> Result<&'a str, OAuthError> {
    field(form, name)
        .ok_or_else(|| OAuthError::invalid_request(format!("parameter {name:?} is missing")))
}

/// The client credentials presented (RFC 6749 §2.3.1): HTTP Basic with the
/// form-urlencoded id and secret, or the `client_id` and `client_secret`
/// fields — not both.
fn client_credentials(
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<Option<(String, String)>, OAuthError> {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        });
    let in_form = field(form, "client_id").map(|id| {
        (
            id.to_string(),
            field(form, "client_secret").unwrap_or("").to_string(),
        )
    });
    match (basic, in_form) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one way to authenticate the client: HTTP Basic or the form fields",
        )),
        (Some(encoded), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    OAuthError::invalid_client("the Basic credentials are not valid base64")
                })?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::invalid_client("the Basic credentials lack a ':'"))?;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Ok(Some((decode(id), decode(secret))))
        }
        (None, in_form) => Ok(in_form),
    }
}

/// The app whose credentials the request presents, `None` when it presents
/// none.
///
/// # Errors
/// `invalid_client` for an unknown client, a wrong secret or an inactive app.
pub(crate) async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<Option<AppRow>, OAuthError> {
    let Some((id, secret)) = client_credentials(headers, form)? else {
        return Ok(None);
    };
    let app = apps::by_client_id(&state.db, &id).await?;
    let ok = state
        .hashing
        .verify(secret, app.as_ref().map(|a| a.secret_hash.clone()))
        .await
        .map_err(busy)?;
    match app {
        Some(app) if ok && app.active => {
            // A consumer's app works only while its consumer does.
            if let Some(owner) = &app.owner_id
                && !crate::store::consumers::user_by_id(&state.db, owner)
                    .await?
                    .is_some_and(|u| u.active)
            {
                return Err(OAuthError::invalid_client(
                    "the app's consumer account is not active",
                ));
            }
            Ok(Some(app))
        }
        Some(_) if ok => Err(OAuthError::invalid_client("the app is deactivated")),
        _ => Err(OAuthError::invalid_client(
            "the client id or secret is wrong",
        )),
    }
}

fn chosen_scopes(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    scope_rules::choose(requested, allowed).map_err(|refused| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "scope {} may not be granted here; allowed: [{}]",
                refused.join(" "),
                allowed.join(" ")
            ),
        )
    })
}

/// The audience the request's `resource` parameter asks for (RFC 8707
/// §2): `None` for none or the issuer itself.
///
/// # Errors
/// 400 `invalid_target` for a malformed URI or one outside the issuer.
pub(crate) fn requested_audience(
    state: &AppState,
    form: &[(String, String)],
) -> Result<Option<String>, OAuthError> {
    crate::identity::resource::audience(field(form, "resource"), &state.tokens.settings().issuer)
        .map_err(|e| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_target", e.to_string()))
}

/// 400 `invalid_target` (RFC 8707 §2) for a resource wider than the grant's.
pub(crate) fn invalid_target(asked: &str, granted: Option<&str>) -> OAuthError {
    OAuthError::new(
        StatusCode::BAD_REQUEST,
        "invalid_target",
        format!(
            "resource {asked:?} is outside what was granted ({}); name that resource or one \
             under it",
            granted.unwrap_or("the whole API")
        ),
    )
}

/// A token response (RFC 6749 §5.1) that no cache keeps.
pub(crate) fn issued(token: Issued) -> Response {
    let mut response = axum::Json(token).into_response();
    no_store(response.headers_mut());
    response
}

/// `POST /authorization/token` → 200 with an RFC 6749 §5.1 token response;
/// errors per §5.2: 400 `invalid_request`, `invalid_grant`, `invalid_scope`,
/// `unsupported_grant_type`; 401 `invalid_client`.
pub async fn token_create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    counting_abuse(&state, ip, issue(&state, ip, &headers, body).await).await
}

/// `answer` as it is, after counting it toward `ip`'s ban when it is an
/// error that counts (a wrong secret, password or refresh token, a
/// malformed form).
pub(crate) async fn counting_abuse(
    state: &AppState,
    ip: IpAddr,
    answer: Result<Response, OAuthError>,
) -> Result<Response, OAuthError> {
    if let Err(e) = &answer
        && e.abusive
    {
        note_failed_token_request(state, ip).await;
    }
    answer
}

/// Counts a failed token request from `ip` — against its network
/// ([`crate::edge::client::network_of`]: the address, or an IPv6 client's
/// `SLUICE_IPV6_PREFIX` subnet), in the store the cluster shares when there
/// is one — and bans the network once it reaches
/// `SLUICE_TOKEN_BAN_ATTEMPTS` within the window: a deny rule that expires,
/// listed in `/admin/ip-rules` and removable there.
pub(crate) async fn note_failed_token_request(state: &AppState, ip: IpAddr) {
    let network = crate::edge::client::network_of(ip, state.settings.ipv6_prefix);
    if !state.ip_rules.failed_token_request(network).await {
        return;
    }
    let row = crate::edge::ip_rules::ban_row(network, state.ip_rules.ban_settings());
    let stored = async {
        crate::store::ip_rules::delete_expired_bans(&state.db, crate::store::now_ms()).await?;
        crate::store::ip_rules::upsert(&state.db, &row).await?;
        state.changed(crate::cluster::Change::IpRules).await?;
        anyhow::Ok(())
    };
    match stored.await {
        Ok(()) => {
            tracing::warn!(%ip, %network, rule = %row.name, "network banned after failed token requests")
        }
        Err(e) => tracing::error!(%ip, %network, error = ?e, "could not store a ban"),
    }
}

/// The grants of [`token_create`].
async fn issue(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    throttle(state, ip).await?;
    let form = form(state, headers, body).await?;
    let grant_type = required(&form, "grant_type")?;
    let app = if grant_type == device::GRANT_TYPE {
        crate::api::device::device_client(state, headers, &form).await?
    } else {
        match public_client(state, headers, &form, grant_type).await? {
            Some(app) => Some(app),
            None => authenticate_client(state, headers, &form).await?,
        }
    };
    // A client that registered itself acts only for a user who approved it.
    if app.as_ref().is_some_and(|a| a.registered_at.is_some())
        && !["authorization_code", "refresh_token", device::GRANT_TYPE].contains(&grant_type)
    {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "a self-registered client may only use the authorization_code, device_code and \
             refresh_token grants",
        ));
    }
    match grant_type {
        "client_credentials" => {
            let app = app.ok_or_else(|| {
                OAuthError::invalid_client(
                    "client_credentials needs the app's client id and secret",
                )
            })?;
            let allowed = scope_rules::allowed(&state.db, Some(&app), None).await?;
            let scopes = chosen_scopes(field(&form, "scope"), &allowed)?;
            let audience = requested_audience(state, &form)?;
            let subject = Subject {
                app: Some(&app),
                user: None,
            };
            Ok(issued(
                state
                    .tokens
                    .issue_bound(subject, scopes, false, None, audience)
                    .await?,
            ))
        }
        "password" => {
            let name = required(&form, "username")?;
            let password = required(&form, "password")?.to_string();
            // Consumers sign in with their address; user names have no '@'.
            let user = if name.contains('@') {
                match crate::portal::normalise_email(name) {
                    Some(email) => {
                        crate::store::consumers::user_by_email(&state.db, &email).await?
                    }
                    None => None,
                }
            } else {
                users::by_name(&state.db, name).await?
            };
            let ok = state
                .hashing
                .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
                .await
                .map_err(busy)?;
            let user = match user {
                Some(user) if ok && user.active => user,
                Some(user) if ok && user.is_consumer() => {
                    return Err(OAuthError::invalid_grant(
                        consumer_not_active(&state.db, &user.id).await?,
                    ));
                }
                Some(_) if ok => return Err(OAuthError::invalid_grant("the user is deactivated")),
                _ => {
                    return Err(OAuthError::invalid_grant(
                        "the user name or password is wrong",
                    ));
                }
            };
            let allowed = scope_rules::allowed(&state.db, app.as_ref(), Some(&user)).await?;
            let scopes = chosen_scopes(field(&form, "scope"), &allowed)?;
            let audience = requested_audience(state, &form)?;
            let subject = Subject {
                app: app.as_ref(),
                user: Some(&user),
            };
            Ok(issued(
                state
                    .tokens
                    .issue_bound(subject, scopes, true, None, audience)
                    .await?,
            ))
        }
        "refresh_token" => refresh(state, app, &form).await,
        "authorization_code" => crate::api::code_exchange::exchange_code(state, app, &form).await,
        device::GRANT_TYPE => crate::api::device::poll(state, app, &form).await,
        other => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!(
                "grant_type {other:?} is not supported; use authorization_code, client_credentials, \
                 password, refresh_token or {}",
                device::GRANT_TYPE
            ),
        )),
    }
}

/// The public client a code exchange, a refresh or a device request names by `client_id`
/// alone (RFC 6749 §2.1, §4.1.3): an app registered with
/// `token_endpoint_auth_method: none` (a browser app, a CLI, an MCP
/// client), whose code PKCE binds and whose refresh tokens rotate. `None`
/// when the request presents a secret, or the app is confidential (it must
/// then authenticate, and [`authenticate_client`] refuses it).
///
/// # Errors
/// On database failure.
pub(crate) async fn public_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
    grant_type: &str,
) -> Result<Option<AppRow>, OAuthError> {
    if !["authorization_code", "refresh_token", device::GRANT_TYPE].contains(&grant_type)
        || field(form, "client_secret").is_some()
        || headers.contains_key(AUTHORIZATION)
    {
        return Ok(None);
    }
    let Some(id) = field(form, "client_id") else {
        return Ok(None);
    };
    Ok(apps::by_client_id(&state.db, id)
        .await?
        .filter(|a| a.active && a.is_public()))
}

/// Why consumer `id`, whose password was right, may not sign in.
async fn consumer_not_active(db: &sqlx::AnyPool, id: &str) -> sqlx::Result<&'static str> {
    use crate::store::consumers::status;
    let consumer = crate::store::consumers::get(db, id).await?;
    Ok(match consumer.map(|c| c.status).as_deref() {
        Some(status::UNVERIFIED) => {
            "the address is not confirmed yet: follow the link in the mail we sent"
        }
        Some(status::AWAITING_APPROVAL) => "the account waits for an administrator's approval",
        _ => "the account is deactivated",
    })
}

/// The `refresh_token` grant (RFC 6749 §6) with rotation: each refresh
/// token works once; presenting a spent one again revokes its session
/// (RFC 9700 §4.14.2).
async fn refresh(
    state: &AppState,
    app: Option<AppRow>,
    form: &[(String, String)],
) -> Result<Response, OAuthError> {
    let hash = refresh_hash(required(form, "refresh_token")?);
    let asked = requested_audience(state, form)?;
    let now = crate::identity::unix_now();
    // The client first: a request from another (or no) client must not
    // spend the token it does not own.
    let owner = sessions::session_of_refresh(&state.db, &hash).await?;
    if let Some(owner) = &owner
        && owner.app_id.as_deref() != app.as_ref().map(|a| a.id.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    // A refresh keeps its grant's resource (RFC 8707 §2.2 lets the server
    // refuse another one).
    if let Some(owner) = &owner
        && asked.is_some()
        && asked != owner.audience
    {
        return Err(invalid_target(
            asked.as_deref().unwrap_or_default(),
            owner.audience.as_deref(),
        ));
    }
    let Some(session) = sessions::spend_refresh(&state.db, &hash, now).await? else {
        if let Some(session) = owner {
            tracing::warn!(session = %session.id, "a spent refresh token was presented again: session revoked");
            state.tokens.revoke(&session.id, session.expires_at).await?;
        }
        return Err(OAuthError::invalid_grant(
            "the refresh token is unknown, spent, expired or revoked",
        ));
    };
    let user = match &session.user_id {
        Some(id) => match users::by_id(&state.db, id).await? {
            Some(u) if u.active => Some(u),
            _ => {
                return Err(OAuthError::invalid_grant(
                    "the user is deactivated or deleted",
                ));
            }
        },
        None => None,
    };
    // The session's scopes as far as the app and the user's roles still
    // allow them: a role or app narrowed since the grant narrows the
    // refreshed token too (such changes also revoke sessions; this holds
    // whatever path changed them).
    let allowed_now = scope_rules::allowed(&state.db, app.as_ref(), user.as_ref()).await?;
    let still: Vec<String> = session
        .scopes
        .0
        .iter()
        .filter(|s| allowed_now.contains(s) || crate::identity::oidc::is_oidc_scope(s))
        .cloned()
        .collect();
    let scopes = chosen_scopes(field(form, "scope"), &still)?;
    let subject = Subject {
        app: app.as_ref(),
        user: user.as_ref(),
    };
    let ttl = state.tokens.settings().access_ttl_secs;
    Ok(issued(
        state
            .tokens
            .issue_in(subject, &session, &scopes, true, ttl)
            .await?,
    ))
}

/// `POST /authorization/revoke` (RFC 7009) with `token` and an optional
/// `token_type_hint` → 200 whether or not the token was valid (§2.2); a
/// token issued to an app needs that app's credentials (401
/// `invalid_client` otherwise). Revoking a refresh token revokes its whole
/// session, access tokens included.
pub async fn token_revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    counting_abuse(&state, ip, revoke(&state, ip, &headers, body).await).await
}

/// The work of [`token_revoke`].
async fn revoke(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    throttle(state, ip).await?;
    let form = form(state, headers, body).await?;
    let app = authenticate_client(state, headers, &form).await?;
    let token = required(&form, "token")?;
    let same_client = |owner: Option<&str>| match owner {
        None => Ok(()),
        Some(owner)
            if app
                .as_ref()
                .is_some_and(|a| a.id == owner || a.client_id == owner) =>
        {
            Ok(())
        }
        Some(_) => Err(OAuthError::invalid_client(
            "the token was issued to an app: authenticate as that app to revoke it",
        )),
    };
    if let Some(session) = sessions::session_of_refresh(&state.db, &refresh_hash(token)).await? {
        same_client(session.app_id.as_deref())?;
        state.tokens.revoke(&session.id, session.expires_at).await?;
    } else if let Some(claims) = state.tokens.decode_unchecked_expiry(token) {
        same_client(claims.client_id.as_deref())?;
        state.tokens.revoke(&claims.jti, claims.exp).await?;
    }
    let mut response = StatusCode::OK.into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// The caller behind a token, as `GET /authorization/whoami` shows it.
#[derive(Debug, Serialize)]
pub struct WhoAmI {
    /// The verified token's content.
    #[serde(flatten)]
    pub caller: Caller,
}

/// `GET /authorization/whoami` with a bearer token → 200 with who it is
/// for; 401 without a valid token.
pub async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(token) = bearer_token(&headers) else {
        return Err(ApiError::Unauthorized(
            "send `Authorization: Bearer <access token>`".into(),
        ));
    };
    let caller = state
        .tokens
        .verify(token)
        .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
    let mut response = axum::Json(WhoAmI {
        caller: (*caller).clone(),
    })
    .into_response();
    no_store(response.headers_mut());
    Ok(response)
}
