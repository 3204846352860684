//! `/system/docs`: the API reference page, Redoc (from npm, `redoc`
//! 2.5.4, MIT; `runtime/assets/redoc`) rendering the live
//! `/system/openapi.json`. The script is compiled into the binary and
//! served from here, so the page works offline; its content security
//! policy keeps it from loading anything from elsewhere and runs no inline
//! script. The spec is written by admins, but descriptions reach it from
//! anyone who deploys, so Redoc treats it as untrusted (`untrusted-spec`:
//! the HTML in its Markdown passes DOMPurify before it is rendered).

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const REDOC: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sluice API reference</title>
</head>
<body>
  <redoc spec-url="/system/openapi.json" untrusted-spec="true"></redoc>
  <script src="/system/docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// Only this server's own script files (no inline script, event handler
/// or `javascript:` URL, so a description that slipped past the sanitizer
/// still runs nothing), styles (Redoc's styled-components write `<style>`
/// elements, hence `'unsafe-inline'` for styles only), images and the
/// search worker (a `blob:` URL).
const CSP: &str = "default-src 'self'; script-src 'self'; \
                   style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   worker-src 'self' blob:; font-src 'self' data:; connect-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// `/system/docs` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/system/docs", get(docs_page))
        .route("/system/docs/redoc.standalone.js", get(docs_script))
}

/// `GET /system/docs` → the HTML page.
pub async fn docs_page() -> Response {
    ([(header::CONTENT_SECURITY_POLICY, CSP)], Html(PAGE)).into_response()
}

/// `GET /system/docs/redoc.standalone.js` → the bundled Redoc script
/// (cached for a day by browsers).
pub async fn docs_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        REDOC,
    )
        .into_response()
}
