//! What clients discover before they ask for a token: the authorization
//! server's metadata (RFC 8414) at `/.well-known/oauth-authorization-server`,
//! the protected resource's metadata (RFC 9728) at
//! `/.well-known/oauth-protected-resource`, the OpenID Provider metadata
//! at `/.well-known/openid-configuration`, and the public keys that verify
//! its tokens, a JWK Set (RFC 7517 §5), at `/authorization/jwks`.
//!
//! Every URL in them starts with the issuer identifier
//! ([`crate::identity::TokenSettings::issuer`]); an issuer configured as
//! something other than a URL (an earlier version's `sluice`) falls back to
//! the scheme and `Host` of the request.

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, HOST};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::error::ApiResult;
use crate::identity::PROTECTED_RESOURCE_METADATA;
use crate::state::AppState;

/// Path of the authorization server's metadata (RFC 8414 §3).
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";

/// Path of the OpenID Provider metadata (OpenID Connect Discovery §4).
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// Seconds clients may cache the metadata and the JWK Set. Short, because
/// a rotated key must reach verifiers before its tokens do; a verifier
/// that meets an unknown `kid` fetches the set again anyway.
const MAX_AGE_SECS: u32 = 60;

/// The metadata routes, at the root. Any origin may read them (and the
/// JWK Set): they are public, and browser apps discover with them.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(AUTHORIZATION_SERVER_METADATA, get(authorization_server))
        .route(PROTECTED_RESOURCE_METADATA, get(protected_resource))
        .route(
            &format!("{PROTECTED_RESOURCE_METADATA}{}", crate::mcp::PATH),
            get(mcp_protected_resource),
        )
        .route(OPENID_CONFIGURATION, get(openid_configuration))
        .layer(public_cors())
}

/// CORS for public, credential-free documents: any origin, `GET`.
pub fn public_cors() -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET])
}

/// The URL the issuer's endpoints hang off: the issuer when it is an
/// `http(s)` URL, else the request's scheme and `Host`.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let issuer = &state.tokens.settings().issuer;
    if crate::identity::is_url(issuer) {
        return issuer.trim_end_matches('/').to_string();
    }
    request_origin(state, headers)
}

/// `scheme://host` of the request itself (the scheme from Sluice's own
/// TLS setting): where the browser or CLI reached this listener, which on
/// the admin listener is not the public URL.
pub(crate) fn request_origin(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `body` as JSON that clients may cache for [`MAX_AGE_SECS`] — unless its
/// URLs came from the request's `Host` (an issuer that is not a URL), which
/// a shared cache must not keep for everyone.
fn cacheable(state: &AppState, body: serde_json::Value) -> Response {
    let issuer = &state.tokens.settings().issuer;
    let from_host = !crate::identity::is_url(issuer);
    let mut response = axum::Json(body).into_response();
    let policy = if from_host {
        "no-store".to_string()
    } else {
        format!("public, max-age={MAX_AGE_SECS}")
    };
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

/// The scopes clients may ask for, by name.
async fn scope_names(state: &AppState) -> ApiResult<Vec<String>> {
    Ok(crate::store::scopes::list(&state.db)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect())
}

/// The authorization server's metadata (RFC 8414 §2), the members
/// OpenID Connect Discovery §3 adds when `openid` is set.
async fn server_metadata(
    state: &AppState,
    headers: &HeaderMap,
    openid: bool,
) -> ApiResult<serde_json::Value> {
    let base = base_url(state, headers);
    let signing = state.tokens.keys_algorithm();
    let mut scopes = scope_names(state).await?;
    scopes.extend(crate::identity::oidc::SCOPES.iter().map(|s| s.to_string()));
    let mut metadata = json!({
        "issuer": state.tokens.settings().issuer,
        "authorization_endpoint": format!("{base}/authorization/authorize"),
        "token_endpoint": format!("{base}/authorization/token"),
        "revocation_endpoint": format!("{base}/authorization/revoke"),
        "introspection_endpoint": format!("{base}/authorization/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{base}/authorization/userinfo"),
        "jwks_uri": format!("{base}/authorization/jwks"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code", "client_credentials", "password", "refresh_token",
            crate::identity::device::GRANT_TYPE
        ],
        "device_authorization_endpoint": format!("{base}/authorization/device"),
        // PKCE is required, with S256 only (RFC 7636, RFC 9700 §2.1.1).
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        // `none`: a public client exchanges its code with PKCE alone.
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "access_token_signing_alg_values_supported": [signing],
        "protected_resources": [base],
    });
    if state.settings.client_registration.open {
        metadata["registration_endpoint"] = json!(format!("{base}/authorization/register"));
    }
    if openid {
        metadata["subject_types_supported"] = json!(["public"]);
        metadata["id_token_signing_alg_values_supported"] = json!([signing]);
        metadata["claims_supported"] = json!(crate::identity::oidc::CLAIMS);
        metadata["claims_parameter_supported"] = json!(false);
        metadata["request_parameter_supported"] = json!(false);
        metadata["request_uri_parameter_supported"] = json!(false);
    }
    Ok(metadata)
}

/// `GET /.well-known/oauth-authorization-server` → 200 with the RFC 8414 §2
/// metadata: the issuer, the authorization, token, revocation, userinfo
/// and JWKS endpoints, the grants, PKCE methods and client authentication
/// methods the server takes, and the scopes.
///
/// # Errors
/// 500 when the scopes cannot be read.
pub async fn authorization_server(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    Ok(cacheable(
        &state,
        server_metadata(&state, &headers, false).await?,
    ))
}

/// `GET /.well-known/openid-configuration` → 200 with the OpenID Provider
/// metadata (OpenID Connect Discovery 1.0 §3): the RFC 8414 members and the
/// subject types, ID token algorithms and claims.
///
/// # Errors
/// 500 when the scopes cannot be read.
pub async fn openid_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !state.tokens.offers_openid() {
        return Err(crate::error::ApiError::NotFound(
            "OpenID Connect is off: its ID tokens need keys anyone can verify \
             (SLUICE_TOKEN_ALGORITHM=EdDSA, not HS256)"
                .into(),
        ));
    }
    Ok(cacheable(
        &state,
        server_metadata(&state, &headers, true).await?,
    ))
}

/// `GET /.well-known/oauth-protected-resource` → 200 with the RFC 9728 §2
/// metadata of the API this server hosts: the resource identifier (the
/// server's URL), the authorization server that issues its tokens, how a
/// token is sent (the `Authorization` header only), and the scopes.
///
/// # Errors
/// 500 when the scopes cannot be read.
pub async fn protected_resource(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    let scopes = scope_names(&state).await?;
    Ok(cacheable(
        &state,
        resource_metadata(&state, &base, base.clone(), scopes),
    ))
}

/// The RFC 9728 §2 metadata of `resource`, a URL under `base`: the
/// authorization server that issues its tokens, where their keys are, how
/// a token is sent (the `Authorization` header only), and `scopes`.
fn resource_metadata(
    state: &AppState,
    base: &str,
    resource: String,
    scopes: Vec<String>,
) -> serde_json::Value {
    json!({
        "resource": resource,
        "authorization_servers": [state.tokens.settings().issuer],
        "jwks_uri": format!("{base}/authorization/jwks"),
        "bearer_methods_supported": ["header"],
        "resource_signing_alg_values_supported": [state.tokens.keys_algorithm()],
        "scopes_supported": scopes,
    })
}

/// `GET /.well-known/oauth-protected-resource/mcp` → 200 with the RFC 9728
/// metadata of the MCP server (§3.1: the resource's path appended): as
/// [`protected_resource`], for the resource `{issuer}/mcp`, to which a
/// client binds its token (RFC 8707, the MCP specification's
/// "Authorization" section), whose `scopes_supported` are those its tools
/// need.
pub async fn mcp_protected_resource(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    let resource = format!("{base}{}", crate::mcp::PATH);
    let mut document = resource_metadata(&state, &base, resource, tool_scopes(&state));
    document["resource_name"] = "MCP server".into();
    cacheable(&state, document)
}

/// The scopes the MCP server's tools need, sorted: what an MCP client asks
/// for (it takes `scopes_supported` as its request), so never more than
/// the tools use — not `admin`.
fn tool_scopes(state: &AppState) -> Vec<String> {
    let table = state.routes.load();
    let mut scopes: Vec<String> = table
        .tools
        .values()
        .flat_map(|route| route.scopes.iter().cloned())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// `GET /authorization/jwks` → 200 with the public keys that verify this
/// server's tokens (RFC 7517 §5): the signing key and the retired ones
/// whose tokens may still be live, each with `kid`, `alg` `EdDSA`, `use`
/// `sig`. Empty under `SLUICE_TOKEN_ALGORITHM=HS256`, whose secret is not
/// public.
pub async fn jwks(State(state): State<AppState>) -> Response {
    cacheable(
        &state,
        serde_json::to_value(state.tokens.jwks()).unwrap_or_else(|_| json!({"keys": []})),
    )
}
