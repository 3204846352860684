//! The two origins of a server whose admin surface has a listener of its
//! own (`SLUICE_ADMIN_LISTEN`): the console on the admin origin calls
//! hosted operations ("Try it") on the public one, so it must learn that
//! origin, its Content-Security-Policy must let it connect there, and the
//! public listener must let the console's origin in by CORS.
//!
//! A browser reaches both listeners by the same host name, each at its own
//! port: the public origin is `SLUICE_PUBLIC_URL` when set, else the host
//! the browser named for the console with the public listener's port; the
//! console's origin, seen from the public listener, is the host the
//! browser named there with the admin listener's port. Nothing but the
//! console is served on the admin origin, so trusting it adds no caller a
//! script could not already be.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::HOST;
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

/// The listeners of a server with a separate admin surface.
#[derive(Debug, Clone)]
pub struct Surfaces {
    /// The public listener's port (hosted operations).
    pub public_port: u16,
    /// The admin listener's port (`/admin`, `/console`).
    pub admin_port: u16,
    /// `SLUICE_PUBLIC_URL`, without a trailing `/`.
    pub public_url: Option<String>,
    /// Whether both listeners serve TLS (`https` origins).
    pub tls: bool,
    console_cors: Arc<CorsLayer>,
}

/// [`Surfaces`] as the admin listener's routes see them (the console page,
/// `/system/about`).
#[derive(Debug, Clone)]
pub struct ConsoleSide(pub Arc<Surfaces>);

/// [`Surfaces`] as the public listener's gateway sees them.
#[derive(Debug, Clone)]
pub struct PublicSide(pub Arc<Surfaces>);

impl Surfaces {
    /// The surfaces of listeners at `public_port` and `admin_port`.
    pub fn new(public_port: u16, admin_port: u16, public_url: Option<String>, tls: bool) -> Self {
        Self {
            public_port,
            admin_port,
            public_url,
            tls,
            console_cors: console_cors(admin_port, tls),
        }
    }

    /// The origin (`scheme://host:port`) where the console's browser
    /// reaches hosted operations, from the console's request `headers`:
    /// `SLUICE_PUBLIC_URL`'s origin, else the `Host` it named with the
    /// public listener's port; `None` without either.
    pub fn api_origin(&self, headers: &HeaderMap) -> Option<String> {
        if let Some(url) = &self.public_url {
            let origin = url::Url::parse(url).ok()?.origin();
            return origin.is_tuple().then(|| origin.ascii_serialization());
        }
        let host = host_of(headers)?;
        Some(format!(
            "{}://{host}:{}",
            scheme(self.tls),
            self.public_port
        ))
    }

    /// Whether `origin`, sent to the public listener with request
    /// `headers`, is the console's: the host named in `Host`, at the admin
    /// listener's port and scheme.
    pub fn is_console_origin(&self, origin: &HeaderValue, headers: &HeaderMap) -> bool {
        is_console_origin(origin, headers, self.admin_port, self.tls)
    }

    /// The CORS layer of hosted operations for requests from the console's
    /// origin: every method, whatever request headers the preflight asks
    /// for (the bearer token), every response header readable (the answer
    /// is shown whole), no credentials (the token is a header, not a
    /// cookie).
    pub fn console_cors(&self) -> &Arc<CorsLayer> {
        &self.console_cors
    }
}

fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}

/// See [`Surfaces::is_console_origin`].
fn is_console_origin(
    origin: &HeaderValue,
    headers: &HeaderMap,
    admin_port: u16,
    tls: bool,
) -> bool {
    let (Some(origin), Some(host)) = (
        origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()),
        host_of(headers),
    ) else {
        return false;
    };
    // `Url` writes an IPv6 host in brackets, as `Host` does.
    origin.scheme() == scheme(tls)
        && origin
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
        && origin.port_or_known_default() == Some(admin_port)
}

/// See [`Surfaces::console_cors`].
fn console_cors(admin_port: u16, tls: bool) -> Arc<CorsLayer> {
    let methods: Vec<axum::http::Method> = crate::gateway::routes::METHODS
        .iter()
        .filter_map(|m| axum::http::Method::from_bytes(m.as_bytes()).ok())
        .collect();
    Arc::new(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(
                move |origin: &HeaderValue, parts: &Parts| {
                    is_console_origin(origin, &parts.headers, admin_port, tls)
                },
            ))
            .allow_methods(AllowMethods::list(methods))
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers(ExposeHeaders::any())
            .max_age(Duration::from_secs(
                crate::gateway::cors::DEFAULT_MAX_AGE_SECS,
            )),
    )
}

/// The host (name or address, IPv6 in brackets) of the request's `Host`.
fn host_of(headers: &HeaderMap) -> Option<String> {
    let authority: Authority = headers.get(HOST)?.to_str().ok()?.parse().ok()?;
    Some(authority.host().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surfaces(public_url: Option<&str>) -> Surfaces {
        Surfaces::new(8080, 8081, public_url.map(String::from), false)
    }

    fn host(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_api_origin_is_the_public_url_or_the_consoles_host_at_the_public_port() {
        let plain = surfaces(None);
        assert_eq!(
            plain.api_origin(&host("admin.test:8081")).as_deref(),
            Some("http://admin.test:8080")
        );
        assert_eq!(
            plain.api_origin(&host("[::1]:8081")).as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(plain.api_origin(&HeaderMap::new()), None);
        let behind = surfaces(Some("https://api.example.com/base"));
        assert_eq!(
            behind.api_origin(&host("admin.test:8081")).as_deref(),
            Some("https://api.example.com")
        );
    }

    #[test]
    fn only_the_admin_port_on_the_same_host_is_the_consoles_origin() {
        let s = surfaces(None);
        let at = |origin: &'static str, h: &'static str| {
            s.is_console_origin(&HeaderValue::from_static(origin), &host(h))
        };
        assert!(at("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(at("http://[::1]:8081", "[::1]:8080"));
        assert!(!at("http://127.0.0.1:8082", "127.0.0.1:8080"));
        assert!(!at("http://evil.test:8081", "127.0.0.1:8080"));
        assert!(!at("https://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(!at("null", "127.0.0.1:8080"));
    }
}
