//! Serving a single-page app embedded in the binary: the admin console at
//! `/console` and the developer portal at `/portal` (TypeScript, Vite and
//! Mantine; each built into its `dist/` folder by its `scripts/build-*.sh`
//! and embedded at compile time with `rust-embed`, so it works offline and
//! from any data directory).
//!
//! Every page of an app (`/console/operations`, `/portal/apps/…`) answers
//! with the same HTML, which the app routes in the browser. The HTML
//! carries a fresh nonce per answer: the content security policy allows
//! this server's own scripts and styles and only the style elements that
//! carry the nonce (the component library writes its theme into one).
//! Bundles, named by their content hash, are cached for a year.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine as _;

use crate::error::ApiError;
use crate::gateway::surfaces::ConsoleSide;
use crate::state::AppState;

/// The placeholder an app's `index.html` holds where each answer's nonce goes.
const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// One embedded app: its files and where and how it is served.
pub trait SinglePageApp: rust_embed::Embed + Send + Sync + 'static {
    /// The path it is served under, without a trailing slash (`/console`).
    const PREFIX: &'static str;
    /// The problem type slug when the binary was built without it.
    const NOT_BUILT_SLUG: &'static str;
    /// The problem detail when the binary was built without it: which
    /// script builds it.
    const NOT_BUILT_DETAIL: &'static str;
    /// The content security policy's `img-src` sources.
    const IMG_SRC: &'static str;
}

/// The routes of app `A` (no token needed: the app itself signs in):
/// `PREFIX`, `PREFIX/`, `PREFIX/assets/{file}` and every other path below
/// `PREFIX`.
pub fn router<A: SinglePageApp>() -> Router<AppState> {
    Router::new()
        .route(A::PREFIX, get(page::<A>))
        .route(&format!("{}/", A::PREFIX), get(page::<A>))
        .route(&format!("{}/assets/{{*file}}", A::PREFIX), get(asset::<A>))
        .route(&format!("{}/{{*path}}", A::PREFIX), get(page_or_file::<A>))
}

/// `GET PREFIX` → the app's HTML with a fresh nonce in the page and in its
/// `Content-Security-Policy`; 503 when the binary was built without it.
/// `console` is there on a separate admin listener only.
async fn page<A: SinglePageApp>(
    console: Option<Extension<ConsoleSide>>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = A::get("index.html") else {
        return ApiError::Custom {
            status: StatusCode::SERVICE_UNAVAILABLE,
            slug: A::NOT_BUILT_SLUG,
            title: "App not built",
            detail: A::NOT_BUILT_DETAIL.into(),
            fuel_used: None,
        }
        .into_response();
    };
    let mut nonce = [0u8; 18];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
    let nonce = base64::engine::general_purpose::STANDARD.encode(nonce);
    let html = String::from_utf8_lossy(&file.data).replace(NONCE_PLACEHOLDER, &nonce);
    // On a separate admin listener, the console's "Try it" calls
    // operations on the public origin: the one origin the page may connect
    // to besides its own.
    let api_origin = console
        .and_then(|Extension(side)| side.0.api_origin(&headers))
        .map_or_else(String::new, |origin| format!(" {origin}"));
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         img-src {}; font-src 'self'; connect-src 'self'{api_origin}; \
         manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        A::IMG_SRC
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The HTML names the current bundles: never reuse an old copy.
            (header::CACHE_CONTROL, "no-cache"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `GET PREFIX/assets/{file}` → a bundle, cached for a year (its name
/// changes with its content); 404 for a name the build did not produce.
async fn asset<A: SinglePageApp>(Path(file): Path<String>) -> Response {
    serve_file::<A>(
        &format!("assets/{file}"),
        "public, max-age=31536000, immutable",
    )
    .unwrap_or_else(|| {
        ApiError::NotFound(format!("{} has no file assets/{file}", A::PREFIX)).into_response()
    })
}

/// `GET PREFIX/{path}` → a file at the top of the build (`favicon.svg`),
/// else the app's HTML: the app draws the page for the path.
async fn page_or_file<A: SinglePageApp>(
    Path(path): Path<String>,
    console: Option<Extension<ConsoleSide>>,
    headers: HeaderMap,
) -> Response {
    if path != "index.html"
        && let Some(response) = serve_file::<A>(&path, "public, max-age=3600")
    {
        return response;
    }
    page::<A>(console, headers).await
}

fn serve_file<A: SinglePageApp>(path: &str, cache: &'static str) -> Option<Response> {
    let file = A::get(path)?;
    let mime = file.metadata.mimetype().to_string();
    Some(
        (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache.to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            file.data.into_owned(),
        )
            .into_response(),
    )
}
