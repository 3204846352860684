//! `POST /authorization/register`: dynamic client registration (RFC 7591),
//! for MCP clients, CLIs and other apps that register themselves. Off
//! unless `SLUICE_CLIENT_REGISTRATION=open`; each client address may
//! register `SLUICE_CLIENT_REGISTRATIONS_PER_HOUR` times an hour, and a
//! registered client may ask only for `SLUICE_CLIENT_REGISTRATION_SCOPES`
//! (and OpenID Connect's scopes). A registered client is an app named
//! `registered-<hex>`, listed and removable in the admin API like any other.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::api::authorization::OAuthError;
use crate::edge::client::ClientIp;
use crate::identity::oidc;
use crate::resources::apps::{AppInput, owned::check_redirect_uris, register_app};
use crate::state::AppState;

/// The client metadata Sluice reads (RFC 7591 §2); other members are
/// ignored, as §2 asks.
#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        description,
    )
}

/// `POST /authorization/register` with the client's metadata as JSON →
/// 201 with its `client_id` (and `client_secret`, unless it registered as
/// a public client with `token_endpoint_auth_method: none`) and the
/// metadata as stored (RFC 7591 §3.2.1).
///
/// # Errors
/// 403 `access_denied` while registration is off; 429 with `Retry-After`
/// past the hourly allowance; 400 `invalid_redirect_uri` (none, or not an
/// absolute `https` URL without a fragment — `http` only on a loopback
/// host) or `invalid_client_metadata` (malformed JSON, an unknown
/// authentication method, grant or response type, a scope registration
/// does not allow, a name over 100 characters) per §3.2.2.
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let settings = &state.settings.client_registration;
    if !settings.open {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "dynamic client registration is off here (SLUICE_CLIENT_REGISTRATION); ask an \
             administrator for an app",
        ));
    }
    if !state.registrations.allow(ip) {
        return Err(OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "at most {} registrations an hour from one address \
                 (SLUICE_CLIENT_REGISTRATIONS_PER_HOUR)",
                settings.per_hour
            ),
        )
        .retry_after(3600 / u64::from(settings.per_hour.max(1))));
    }
    let metadata: Metadata = serde_json::from_slice(&body)
        .map_err(|e| metadata_error(format!("the body is not client metadata JSON: {e}")))?;
    let grant_types = metadata
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(other) = grant_types.iter().find(|g| {
        ![
            "authorization_code",
            "refresh_token",
            crate::identity::device::GRANT_TYPE,
        ]
        .contains(&g.as_str())
    }) {
        return Err(metadata_error(format!(
            "grant type {other:?} may not be registered; use authorization_code, refresh_token \
             and {}",
            crate::identity::device::GRANT_TYPE
        )));
    }
    // A client of the device grant alone (RFC 8628) has no redirect.
    let redirects = grant_types.iter().any(|g| g == "authorization_code");
    if redirects && metadata.redirect_uris.is_empty() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris must name at least one URI for the authorization_code grant",
        ));
    }
    check_redirect_uris(&metadata.redirect_uris).map_err(|e| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            e.to_string(),
        )
    })?;
    let method = metadata
        .token_endpoint_auth_method
        .unwrap_or_else(|| "client_secret_basic".into());
    if !["none", "client_secret_basic", "client_secret_post"].contains(&method.as_str()) {
        return Err(metadata_error(format!(
            "token_endpoint_auth_method {method:?} is not supported; use none, \
             client_secret_basic or client_secret_post"
        )));
    }
    let response_types = metadata
        .response_types
        .unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(metadata_error("only the response type code is supported"));
    }
    let name = metadata.client_name.unwrap_or_default();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(metadata_error(
            "client_name may have at most 100 characters and no control characters",
        ));
    }
    let (oidc_scopes, api) = oidc::split(metadata.scope.as_deref());
    let api: Vec<String> = api
        .map(|a| a.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|| settings.scopes.clone());
    if let Some(refused) = api.iter().find(|s| !settings.scopes.contains(s)) {
        return Err(metadata_error(format!(
            "scope {refused:?} may not be registered (SLUICE_CLIENT_REGISTRATION_SCOPES allows: [{}])",
            settings.scopes.join(" ")
        )));
    }
    let mut conn = state.db.acquire().await?;
    let created = register_app(
        &mut conn,
        AppInput {
            name: format!("registered-{}", crate::identity::random_hex(6)),
            description: name.clone(),
            scopes: api.clone(),
            active: true,
            redirect_uris: metadata.redirect_uris.clone(),
        },
        method == "none",
        grant_types.clone(),
    )
    .await
    .map_err(|e| metadata_error(e.to_string()))?;
    tracing::info!(%ip, app = %created.app.name, "a client registered itself");
    let mut scope = api;
    scope.extend(oidc_scopes);
    let mut answer = json!({
        "client_id": created.app.client_id,
        "client_id_issued_at": crate::identity::unix_now(),
        "client_name": name,
        "redirect_uris": metadata.redirect_uris,
        "token_endpoint_auth_method": method,
        "grant_types": grant_types,
        "response_types": response_types,
        "scope": scope.join(" "),
    });
    if method != "none" {
        answer["client_secret"] = json!(created.client_secret);
        answer["client_secret_expires_at"] = json!(0);
    }
    let mut response = (StatusCode::CREATED, axum::Json(answer)).into_response();
    crate::api::authorization::no_store(response.headers_mut());
    Ok(response)
}
