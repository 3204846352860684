//! The device authorization grant (RFC 8628): how `sluice login URL
//! --device`, a CLI or an MCP client on a machine without a browser gets
//! tokens without the user typing a password into it.
//!
//! 1. The device posts `client_id` (and `scope`, `resource`) to
//!    `POST /authorization/device` (§3.1) and gets a device code, a user
//!    code and where the user approves (§3.2): the console's
//!    `/console/device` for Sluice's own CLI (`client_id=sluice-cli`), the
//!    portal's `/portal/device` for an app.
//! 2. The user, signed in there, enters the user code; the page shows what
//!    asks (the app, the scopes, the address it asked from) via
//!    `GET /authorization/device/verify?user_code=…` and posts the decision
//!    to `POST /authorization/device/verify`.
//! 3. Meanwhile the device polls the token endpoint with
//!    `grant_type=urn:ietf:params:oauth:grant-type:device_code` (§3.4) and
//!    gets `authorization_pending`, `slow_down` (it polled sooner than its
//!    interval, which grows by 5 s), `access_denied`, `expired_token`, or
//!    the tokens (§3.5).
//!
//! Sluice's own CLI is not an app: its session is the user's own, as after
//! a password sign-in. An app's approval is a consent like the consent
//! page's, listed and withdrawn in the same places.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::authorization::{
    OAuthError, authenticate_client, counting_abuse, field, form, issued, no_store, public_client,
    requested_audience, required, throttle,
};
use crate::api::authorize::{ScopeView, choose, scope_views, signed_in};
use crate::edge::client::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::identity::device::{self, CLI_CLIENT_ID};
use crate::identity::scopes as scope_rules;
use crate::identity::tokens::Subject;
use crate::identity::{oidc, unix_now};
use crate::state::AppState;
use crate::store::apps::{self, AppRow};
use crate::store::authorization_codes as store_codes;
use crate::store::device_codes::{self as store, DeviceCodeRow, status};
use crate::store::users;

/// Where an admin approves `sluice login --device` (the console's stack).
pub const CONSOLE_PAGE: &str = "/console/device";

/// Where a user approves an app's device request (the portal's stack).
pub const PORTAL_PAGE: &str = "/portal/device";

/// Where `sluice login --device` may start on this listener, and where its
/// approval page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliLogin {
    /// One listener serves everything: the console is at the issuer.
    Here,
    /// The admin listener: the console is on the host the CLI reached.
    AdminListener,
    /// The public listener beside an admin listener: the CLI logs in on the
    /// admin one, so nobody on the internet can start an admin login.
    Elsewhere,
}

/// Routes nested under `/authorization`, for a listener where the CLI's
/// device login is `cli`.
pub fn router(cli: CliLogin) -> Router<AppState> {
    Router::new()
        .route("/device", post(device_authorization))
        .route("/device/verify", get(verify_view).post(verify_decide))
        .layer(axum::Extension(cli))
}

/// Who asks at the device endpoint or polls the token endpoint: Sluice's
/// own CLI (`None`) or an app.
///
/// # Errors
/// `invalid_client` for an unknown client, a wrong secret, or a
/// confidential app that presents no secret.
pub(crate) async fn device_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<Option<AppRow>, OAuthError> {
    let secret = field(form, "client_secret").is_some() || headers.contains_key(AUTHORIZATION);
    if !secret && field(form, "client_id") == Some(CLI_CLIENT_ID) {
        return Ok(None);
    }
    if let Some(app) = public_client(state, headers, form, device::GRANT_TYPE).await? {
        return Ok(Some(app));
    }
    match authenticate_client(state, headers, form).await? {
        Some(app) => Ok(Some(app)),
        None => Err(OAuthError::invalid_client(format!(
            "name the client: client_id={CLI_CLIENT_ID} for Sluice's CLI, or an app's client_id \
             (and its secret, unless it is a public client)"
        ))),
    }
}

/// `POST /authorization/device` (RFC 8628 §3.1) with `client_id`, an
/// optional `scope` and `resource` (RFC 8707) → 200 with `device_code`,
/// `user_code`, `verification_uri`, `verification_uri_complete`,
/// `expires_in` (`SLUICE_DEVICE_CODE_LIFETIME_SECS`) and `interval` (§3.2).
///
/// # Errors
/// 401 `invalid_client`; 400 `invalid_scope` for a scope the app may not
/// have, `invalid_target` for a resource outside the issuer; 429 past the
/// token endpoint's rate limit.
pub async fn device_authorization(
    State(state): State<AppState>,
    axum::Extension(cli): axum::Extension<CliLogin>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let answer = async {
        throttle(&state, ip).await?;
        let form = form(&state, &headers, body).await?;
        let app = device_client(&state, &headers, &form).await?;
        if app.is_none() && cli == CliLogin::Elsewhere {
            return Err(OAuthError::invalid_client(
                "sluice login --device works on the admin listener (SLUICE_ADMIN_LISTEN): log in \
                 there",
            ));
        }
        // A public client names itself: it may start a device request only
        // when it registered the grant, else anyone could ask in its name
        // (RFC 8628 §5.4).
        if let Some(app) = &app
            && app.is_public()
            && !app.allows_grant(device::GRANT_TYPE)
        {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                format!(
                    "the client did not register the grant type {}",
                    device::GRANT_TYPE
                ),
            ));
        }
        let scope = field(&form, "scope").map(str::to_string);
        if let Some(app) = &app {
            // What the app may ask is known now; the user narrows it later.
            let allowed = scope_rules::allowed(&state.db, Some(app), None).await?;
            let (_, asked) = oidc::split_request(scope.as_deref());
            choose(asked.as_deref(), &allowed).map_err(|refused| {
                OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    format!("the app may not ask for scope {}", refused.join(" ")),
                )
            })?;
        }
        let resource = requested_audience(&state, &form)?;
        let now = unix_now();
        let (device_code, device_hash) = device::new_device_code();
        let ttl = state.settings.device_code_ttl_secs;
        let mut tx = state.db.begin().await?;
        store::purge(&mut *tx, now - 86_400).await?;
        // A user code taken by a live request is drawn again.
        let mut user_code = None;
        for _ in 0..4 {
            let (shown, hash) = device::new_user_code();
            if store::by_user_code(&mut *tx, &hash).await?.is_none() {
                user_code = Some((shown, hash));
                break;
            }
        }
        let (user_code, user_hash) =
            user_code.ok_or_else(|| anyhow::anyhow!("no free user code after 4 draws"))?;
        store::insert(
            &mut *tx,
            &DeviceCodeRow {
                device_code_sha256: device_hash,
                user_code_sha256: user_hash,
                app_id: app.as_ref().map(|a| a.id.clone()),
                scope,
                resource,
                requested_from: ip.to_string(),
                status: status::PENDING.into(),
                user_id: None,
                scopes: None,
                created_at: now,
                expires_at: now + ttl,
                interval_secs: device::POLL_INTERVAL_SECS,
                polled_at: None,
            },
        )
        .await?;
        tx.commit().await?;
        let base = crate::api::metadata::base_url(&state, &headers);
        let page = match (&app, cli) {
            (None, CliLogin::AdminListener) => {
                format!(
                    "{}{CONSOLE_PAGE}",
                    crate::api::metadata::request_origin(&state, &headers)
                )
            }
            (None, _) => format!("{base}{CONSOLE_PAGE}"),
            (Some(_), _) => format!("{base}{PORTAL_PAGE}"),
        };
        let complete = {
            let mut url = url::Url::parse(&page).map_err(anyhow::Error::from)?;
            url.query_pairs_mut().append_pair("user_code", &user_code);
            url.to_string()
        };
        let mut response = axum::Json(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": page,
            "verification_uri_complete": complete,
            "expires_in": ttl,
            "interval": device::POLL_INTERVAL_SECS,
        }))
        .into_response();
        no_store(response.headers_mut());
        Ok::<Response, OAuthError>(response)
    }
    .await;
    counting_abuse(&state, ip, answer).await
}

/// The device code grant at the token endpoint (RFC 8628 §3.4, §3.5):
/// tokens once the user approved, for the client that asked; until then
/// `authorization_pending` (or `slow_down` when polled sooner than the
/// interval), then `access_denied` or `expired_token`. The code gives
/// tokens once.
pub(crate) async fn poll(
    state: &AppState,
    app: Option<AppRow>,
    form: &[(String, String)],
) -> Result<Response, OAuthError> {
    let hash = crate::identity::sha256_hex(required(form, "device_code")?);
    let now = unix_now();
    let Some(row) = store::by_device_code(&state.db, &hash).await? else {
        return Err(OAuthError::invalid_grant("the device code is unknown"));
    };
    if row.app_id.as_deref() != app.as_ref().map(|a| a.id.as_str()) {
        return Err(OAuthError::invalid_grant(
            "the device code was issued to another client",
        ));
    }
    let pending = |code: &'static str, description: String| {
        Err(OAuthError::new(StatusCode::BAD_REQUEST, code, description))
    };
    if row.expires_at <= now {
        return pending(
            "expired_token",
            "the device code expired before the user approved it; start again".into(),
        );
    }
    match row.status.as_str() {
        status::DENIED => {
            return pending("access_denied", "the user denied the request".into());
        }
        status::SPENT => {
            return Err(OAuthError::invalid_grant(
                "the device code has already given its tokens",
            ));
        }
        status::PENDING => {
            let too_soon = row.polled_at.is_some_and(|at| now - at < row.interval_secs);
            let interval = row.interval_secs + if too_soon { device::SLOW_DOWN_SECS } else { 0 };
            store::polled(&state.db, &hash, now, interval).await?;
            return if too_soon {
                pending("slow_down", format!("poll at most every {interval} s"))
            } else {
                pending(
                    "authorization_pending",
                    "the user has not approved the request yet".into(),
                )
            };
        }
        _ => {}
    }
    // A consent withdrawn since the approval takes the request too.
    if let Some(app) = &app
        && store_codes::consent(
            &state.db,
            row.user_id.as_deref().unwrap_or_default(),
            &app.id,
        )
        .await?
        .is_none()
    {
        return Err(OAuthError::invalid_grant(
            "the user withdrew the consent this request came from",
        ));
    }
    if !store::spend(&state.db, &hash).await? {
        return Err(OAuthError::invalid_grant(
            "the device code has already given its tokens",
        ));
    }
    let user = match &row.user_id {
        Some(id) => users::by_id(&state.db, id).await?.filter(|u| u.active),
        None => None,
    }
    .ok_or_else(|| OAuthError::invalid_grant("the user is deactivated or deleted"))?;
    // What the app and the user may still have.
    let allowed = scope_rules::allowed(&state.db, app.as_ref(), Some(&user)).await?;
    let scopes: Vec<String> = row
        .scopes
        .map(|s| s.0)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| allowed.contains(s) || oidc::is_oidc_scope(s))
        .collect();
    let subject = Subject {
        app: app.as_ref(),
        user: Some(&user),
    };
    let mut tokens = state
        .tokens
        .issue_bound(subject, scopes.clone(), true, None, row.resource)
        .await?;
    if let Some(app) = &app {
        crate::api::code_exchange::add_id_token(
            state,
            &mut tokens,
            app,
            &user,
            &scopes,
            row.created_at,
            None,
        )
        .await?;
    }
    Ok(issued(tokens))
}

/// Query of `GET /authorization/device/verify`.
#[derive(Debug, Deserialize)]
pub struct UserCode {
    /// The user code as typed (case, dashes and spaces do not matter).
    pub user_code: String,
}

/// What the approval page shows.
#[derive(Debug, Serialize)]
pub struct DeviceRequestView {
    /// The app's client id, or `sluice-cli`.
    pub client_id: String,
    /// The app's name, or "Sluice CLI".
    pub app: String,
    /// The app's description.
    pub description: String,
    /// Whether Sluice's own CLI asks: approving signs it in as the user.
    pub first_party: bool,
    /// Whether the app registered itself (RFC 7591): its name is its claim.
    pub unverified: bool,
    /// The scopes the user would grant (as far as their roles allow), with
    /// what each allows.
    pub scopes: Vec<ScopeView>,
    /// The client address that asked.
    pub requested_from: String,
    /// When it asked, Unix seconds.
    pub requested_at: i64,
    /// When the code stops working, Unix seconds.
    pub expires_at: i64,
}

/// The pending request a user code names, with its app.
async fn pending_request(
    state: &AppState,
    ip: std::net::IpAddr,
    typed: &str,
) -> ApiResult<(DeviceCodeRow, Option<AppRow>)> {
    throttle(state, ip)
        .await
        .map_err(OAuthError::into_problem)?;
    let unknown = || {
        ApiError::NotFound(
            "no pending request has this code: check it against the device, or start again there"
                .into(),
        )
    };
    let found = match device::user_code_hash(typed) {
        Some(hash) => store::by_user_code(&state.db, &hash)
            .await?
            .filter(|r| r.status == status::PENDING && r.expires_at > unix_now()),
        None => None,
    };
    let Some(row) = found else {
        // Guessing codes counts toward the address's ban, as wrong
        // passwords do (RFC 8628 §5.1).
        crate::api::authorization::note_failed_token_request(state, ip).await;
        return Err(unknown());
    };
    let app = match &row.app_id {
        Some(id) => Some(
            apps::by_id(&state.db, id)
                .await?
                .filter(|a| a.active)
                .ok_or_else(unknown)?,
        ),
        None => None,
    };
    Ok((row, app))
}

/// The scopes user `user_id` would grant `row`'s client.
///
/// # Errors
/// 403 naming a scope the user may not grant; 403 for an inactive user.
async fn grantable(
    state: &AppState,
    row: &DeviceCodeRow,
    app: Option<&AppRow>,
    user_id: &str,
) -> ApiResult<Vec<String>> {
    let user = users::by_id(&state.db, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::Forbidden("the signed-in user is not active".into()))?;
    // Sluice's CLI is the administrators' tool: a consumer cannot sign a
    // terminal in, even one whose code they learned.
    if app.is_none() && user.is_consumer() {
        return Err(ApiError::Forbidden(
            "only administrators' users may approve sluice login; consumers approve apps in \
             the portal"
                .into(),
        ));
    }
    let allowed = scope_rules::allowed(&state.db, app, Some(&user)).await?;
    let (oidc_scopes, asked) = oidc::split_request(row.scope.as_deref());
    let mut scopes = choose(asked.as_deref(), &allowed).map_err(|refused| {
        ApiError::Forbidden(format!(
            "you may not grant scope {}; deny the request, or ask an administrator for a role \
             that has it",
            refused.join(" ")
        ))
    })?;
    scopes.extend(oidc_scopes);
    Ok(scopes)
}

/// `GET /authorization/device/verify?user_code=…` with the signed-in
/// user's bearer token → 200 with what asks ([`DeviceRequestView`]).
///
/// # Errors
/// 401 without a valid token; 403 for an app's token, or a scope the user
/// may not grant; 404 for a code that is unknown, expired or decided; 429
/// past the token endpoint's rate limit (codes cannot be guessed faster).
pub async fn verify_view(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(query): Query<UserCode>,
) -> ApiResult<Response> {
    let user_id = signed_in(&state, &headers)
        .await?
        .ok_or_else(sign_in_first)?
        .user_id;
    let (row, app) = pending_request(&state, ip, &query.user_code).await?;
    let scopes = grantable(&state, &row, app.as_ref(), &user_id).await?;
    let view = DeviceRequestView {
        client_id: app
            .as_ref()
            .map_or_else(|| CLI_CLIENT_ID.to_string(), |a| a.client_id.clone()),
        app: app.as_ref().map_or_else(
            || "Sluice CLI".to_string(),
            |a| a.display_name().to_string(),
        ),
        description: app
            .as_ref()
            .map(|a| a.description.clone())
            .unwrap_or_default(),
        first_party: app.is_none(),
        unverified: app.as_ref().is_some_and(|a| a.registered_at.is_some()),
        scopes: scope_views(&state, &scopes).await?,
        requested_from: row.requested_from,
        requested_at: row.created_at,
        expires_at: row.expires_at,
    };
    let mut response = Json(view).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

fn sign_in_first() -> ApiError {
    ApiError::Unauthorized("sign in first: send `Authorization: Bearer <access token>`".into())
}

/// Body of `POST /authorization/device/verify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDecision {
    /// The user code as typed.
    pub user_code: String,
    /// `allow` or `deny`.
    pub decision: String,
}

/// `POST /authorization/device/verify` `{"user_code", "decision"}` with the
/// signed-in user's bearer token → 200 `{"status": "approved" | "denied",
/// "app"}`; the device's next poll gets the tokens or `access_denied`. An
/// app's approval is remembered as a consent.
///
/// # Errors
/// 400 for a decision other than `allow` or `deny`; 401 without a valid
/// token; 403 for an app's token or a scope the user may not grant; 404
/// for a code that is unknown, expired or already decided.
pub async fn verify_decide(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<DeviceDecision>,
) -> ApiResult<Response> {
    let user_id = signed_in(&state, &headers)
        .await?
        .ok_or_else(sign_in_first)?
        .user_id;
    let allow = match body.decision.as_str() {
        "allow" => true,
        "deny" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "decision must be allow or deny, not {other:?}"
            )));
        }
    };
    let (row, app) = pending_request(&state, ip, &body.user_code).await?;
    let scopes = if allow {
        grantable(&state, &row, app.as_ref(), &user_id).await?
    } else {
        Vec::new()
    };
    let now = unix_now();
    let decision = if allow {
        status::APPROVED
    } else {
        status::DENIED
    };
    let mut tx = state.db.begin().await?;
    if !store::decide(
        &mut *tx,
        &row.user_code_sha256,
        &user_id,
        decision,
        &scopes,
        now,
    )
    .await?
    {
        return Err(ApiError::NotFound(
            "the request was decided or expired meanwhile".into(),
        ));
    }
    if allow && let Some(app) = &app {
        store_codes::remember(&mut tx, &user_id, &app.id, scopes, now).await?;
    }
    tx.commit().await?;
    tracing::info!(user = %user_id, client = %app.as_ref().map_or(CLI_CLIENT_ID, |a| a.client_id.as_str()), decision, "device request decided");
    let mut response = Json(json!({
        "status": decision,
        "app": app.map_or_else(|| "Sluice CLI".to_string(), |a| a.name),
    }))
    .into_response();
    no_store(response.headers_mut());
    Ok(response)
}
