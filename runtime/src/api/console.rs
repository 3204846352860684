//! `/console`: the admin console, a single-page app (TypeScript, Vite and
//! Mantine; sources in `console/`, built into `console/dist` by
//! `scripts/build-console.sh`). Its files are embedded in the binary at
//! compile time, so it works offline and from any data directory; it talks
//! to the admin API only, with the signed-in user's bearer token.
//!
//! Every page of the app (`/console/operations`, `/console/actions/hello`
//! …) answers with the same HTML, which the app routes in the browser. The
//! HTML carries a fresh nonce per answer: the content security policy
//! allows this server's own scripts and styles and only the style elements
//! that carry the nonce (the component library writes its theme into
//! one).

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine as _;

use crate::error::ApiError;
use crate::gateway::surfaces::ConsoleSide;
use crate::state::AppState;

#[derive(rust_embed::Embed)]
#[folder = "../console/dist/"]
#[allow_missing = true]
struct Assets;

/// The placeholder `console/index.html` holds where each answer's nonce goes.
const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// `/console` routes (no token needed: the app itself signs in).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/assets/{*file}", get(asset))
        .route("/console/{*path}", get(page_or_file))
}

/// `GET /console` → the app's HTML with a fresh nonce in the page and in
/// its `Content-Security-Policy`; 503 when the binary was built without
/// the console.
async fn page(console: Option<Extension<ConsoleSide>>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get("index.html") else {
        return ApiError::Custom {
            status: StatusCode::SERVICE_UNAVAILABLE,
            slug: "console-not-built",
            title: "Console not built",
            detail: "this binary was built without the console; run scripts/build-console.sh, \
                     then build the server again"
                .into(),
            fuel_used: None,
        }
        .into_response();
    };
    let mut nonce = [0u8; 18];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
    let nonce = base64::engine::general_purpose::STANDARD.encode(nonce);
    let html = String::from_utf8_lossy(&file.data).replace(NONCE_PLACEHOLDER, &nonce);
    // On a separate admin listener, "Try it" calls operations on the
    // public origin: the one origin the page may connect to besides its own.
    let api_origin = console
        .and_then(|Extension(side)| side.0.api_origin(&headers))
        .map_or_else(String::new, |origin| format!(" {origin}"));
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'{api_origin}; \
         manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
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

/// `GET /console/assets/{file}` → a bundle, cached for a year (its name
/// changes with its content); 404 for a name the build did not produce.
async fn asset(Path(file): Path<String>) -> Response {
    serve_file(
        &format!("assets/{file}"),
        "public, max-age=31536000, immutable",
    )
    .unwrap_or_else(|| {
        ApiError::NotFound(format!("the console has no file assets/{file}")).into_response()
    })
}

/// `GET /console/{path}` → a file at the top of the build (`favicon.svg`),
/// else the app's HTML: the app draws the page for the path.
async fn page_or_file(
    Path(path): Path<String>,
    console: Option<Extension<ConsoleSide>>,
    headers: HeaderMap,
) -> Response {
    if path != "index.html"
        && let Some(response) = serve_file(&path, "public, max-age=3600")
    {
        return response;
    }
    page(console, headers).await
}

fn serve_file(path: &str, cache: &'static str) -> Option<Response> {
    let file = Assets::get(path)?;
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
