//! Cross-origin resource sharing (the Fetch standard's CORS protocol) for
//! hosted operations.
//!
//! The policy is global (`SLUICE_CORS_ORIGINS`) or an operation's own
//! `cors` field; each route gets a `tower-http` [`CorsLayer`] built once per
//! route table. The gateway picks the layer after routing — a preflight is
//! routed by its `Access-Control-Request-Method`, not by `OPTIONS` — so the
//! layer answers preflights itself (no action runs, no rate limit is
//! counted) and adds its headers to every real answer, problem+json errors
//! included.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD, HeaderName, HeaderValue, ORIGIN,
};
use axum::http::{Method, Uri};
use axum::response::Response;
use tower::{Layer as _, ServiceExt as _};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, ExposeHeaders};

// The policy itself (what an operation stores, and its checks) lives below
// every surface, where the resource logic reaches it too.
pub use crate::cors_policy::{
    CorsPolicy, DEFAULT_EXPOSE, DEFAULT_MAX_AGE_SECS, check_origin, parse_global,
};

/// The layer of one operation: its policy over the global origins; `None`
/// when no origin is allowed. A `*` the operation may not use (a private
/// operation, or credentials) is dropped from inherited global origins.
pub fn layer_for(
    policy: Option<&CorsPolicy>,
    global: &[String],
    method: &str,
    public: bool,
) -> Option<CorsLayer> {
    let default = CorsPolicy::default();
    let policy = policy.unwrap_or(&default);
    let credentials = policy.credentials;
    let origins = effective_origins(Some(policy), global, public);
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| *o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let methods: Vec<Method> = if policy.methods.is_empty() {
        vec![Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET)]
    } else if policy.methods.iter().any(|m| m == "*") {
        crate::gateway::routes::METHODS
            .iter()
            .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
            .collect()
    } else {
        policy
            .methods
            .iter()
            .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
            .collect()
    };
    let headers = if policy.headers.is_empty() {
        AllowHeaders::mirror_request()
    } else if policy.headers.iter().any(|h| h == "*") && !credentials {
        AllowHeaders::any()
    } else {
        AllowHeaders::list(header_names(&policy.headers))
    };
    let expose = match &policy.expose {
        Some(list) if list.iter().any(|h| h == "*") && !credentials => ExposeHeaders::any(),
        Some(list) => ExposeHeaders::list(header_names(list)),
        None => ExposeHeaders::list(header_names(DEFAULT_EXPOSE)),
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods(methods)
            .allow_headers(headers)
            .expose_headers(expose)
            .allow_credentials(credentials)
            .max_age(Duration::from_secs(
                policy.max_age.unwrap_or(DEFAULT_MAX_AGE_SECS),
            )),
    )
}

/// The origins a policy lets in: its own or the global ones, without a
/// `*` the operation may not use (a private one, or with credentials).
fn effective_origins<'a>(
    policy: Option<&'a CorsPolicy>,
    global: &'a [String],
    public: bool,
) -> Vec<&'a String> {
    let credentials = policy.is_some_and(|p| p.credentials);
    policy
        .and_then(|p| p.origins.as_deref())
        .unwrap_or(global)
        .iter()
        .filter(|o| *o != "*" || (public && !credentials))
        .collect()
}

/// The policy as the OpenAPI document's `x-cors` extension shows it
/// (origins resolved against the global ones); `None` without CORS.
pub fn describe(
    policy: Option<&CorsPolicy>,
    global: &[String],
    method: &str,
    public: bool,
) -> Option<serde_json::Value> {
    let origins = effective_origins(policy, global, public);
    if origins.is_empty() {
        return None;
    }
    let default = CorsPolicy::default();
    let policy = policy.unwrap_or(&default);
    let methods = if policy.methods.is_empty() {
        vec![method.to_string()]
    } else {
        policy.methods.clone()
    };
    Some(serde_json::json!({
        "origins": origins,
        "methods": methods,
        "headers": if policy.headers.is_empty() { vec!["*".to_string()] } else { policy.headers.clone() },
        "expose": policy.expose.clone().unwrap_or_else(|| DEFAULT_EXPOSE.map(String::from).to_vec()),
        "credentials": policy.credentials,
        "max_age": policy.max_age.unwrap_or(DEFAULT_MAX_AGE_SECS),
    }))
}

fn header_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Vec<HeaderName> {
    names
        .into_iter()
        .filter(|n| n.as_ref() != "*")
        .filter_map(|n| HeaderName::from_bytes(n.as_ref().as_bytes()).ok())
        .collect()
}

/// Whether `request` is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method` (Fetch standard, CORS-preflight request);
/// returns the method it asks about.
pub fn preflight_method(request: &Request) -> Option<String> {
    if request.method() != Method::OPTIONS || !request.headers().contains_key(ORIGIN) {
        return None;
    }
    let asked = request.headers().get(ACCESS_CONTROL_REQUEST_METHOD)?;
    Some(asked.to_str().ok()?.to_ascii_uppercase())
}

/// Runs `inner` under `layer`: a preflight is answered by the layer (so
/// `inner` does not run); any other request gets the layer's headers on
/// whatever `inner` answers. A preflight from an origin the policy does
/// not allow gets no `Access-Control-*` header at all.
pub async fn apply<F, Fut>(layer: &CorsLayer, request: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let mut inner = Some(inner);
    let service = layer.layer(tower::service_fn(|request: Request| {
        let inner = inner.take();
        async move {
            Ok::<_, Infallible>(match inner {
                Some(inner) => inner(request).await,
                None => unreachable_response(request.uri()),
            })
        }
    }));
    let mut response = service
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    if !response.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
        let headers = response.headers_mut();
        let refused: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in refused {
            headers.remove(name);
        }
    }
    response
}

/// `oneshot` calls the service at most once; this is never sent.
fn unreachable_response(uri: &Uri) -> Response {
    axum::response::IntoResponse::into_response(crate::error::ApiError::Internal(anyhow::anyhow!(
        "the CORS service was called twice for {uri}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serialized_origin_is_accepted_and_anything_more_is_refused() {
        assert!(check_origin("https://app.example").is_ok());
        assert!(check_origin("http://127.0.0.1:5173").is_ok());
        assert!(check_origin("https://app.example/").is_err());
        assert!(check_origin("https://App.example").is_err());
        assert!(check_origin("ftp://app.example").is_err());
        assert!(check_origin("app.example").is_err());
    }

    #[test]
    fn a_wildcard_is_refused_on_private_operations_and_beside_credentials() {
        let star = CorsPolicy {
            origins: Some(vec!["*".into()]),
            ..CorsPolicy::default()
        };
        assert!(star.check(true).is_ok());
        assert!(star.check(false).is_err());
        let with_credentials = CorsPolicy {
            credentials: true,
            ..star
        };
        assert!(with_credentials.check(true).is_err());
    }

    #[test]
    fn an_inherited_wildcard_does_not_reach_a_private_operation() {
        let global = vec!["*".to_string()];
        assert!(layer_for(None, &global, "GET", true).is_some());
        assert!(layer_for(None, &global, "GET", false).is_none());
    }
}
