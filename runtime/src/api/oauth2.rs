//! Authorizing OAuth2 `http` connections (the authorization code grant,
//! RFC 6749 §4.1 with PKCE): an admin opens
//! `GET /admin/connections/{name}/authorize`, which sends them to the
//! provider; the provider sends them back to
//! `GET /system/connections/callback`, where the code becomes tokens
//! (`crate::connections::oauth2` keeps them sealed and fresh).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::connections::ConnectionConfig;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::store::connections;

/// The callback's path, under the server's public URL.
pub const CALLBACK_PATH: &str = "/system/connections/callback";

/// The callback route (no token: the `state` ties it to a flow an admin
/// started).
pub fn callback_router() -> Router<AppState> {
    Router::new().route(CALLBACK_PATH, get(connections_callback))
}

/// The `http` config of connection `name`.
async fn http_auth(state: &AppState, name: &str) -> ApiResult<crate::connections::http::HttpAuth> {
    let row = connections::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no connection named {name:?}")))?;
    match crate::resources::connections::open_config(&state.secrets, &row)? {
        ConnectionConfig::Http(http) => Ok(http.auth),
        _ => Err(ApiError::BadRequest(format!(
            "connection {name:?} is not an http connection"
        ))),
    }
}

/// Where the provider sends the admin back: `SLUICE_PUBLIC_URL`, else the
/// scheme and `Host` the admin's request came with.
fn redirect_uri(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    if let Some(base) = &state.settings.public_url {
        return Ok(format!("{base}{CALLBACK_PATH}"));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| {
            ApiError::BadRequest(
                "the request has no Host header; set SLUICE_PUBLIC_URL to this server's URL".into(),
            )
        })?;
    let scheme = if state.settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}{CALLBACK_PATH}"))
}

/// `GET /admin/connections/{name}/authorize` → 302 to the provider's
/// authorization endpoint (with `state` and a PKCE challenge), or 200
/// `{"authorize_url"}` when the request's `Accept` prefers JSON to HTML
/// (media ranges and q-values weighed, [`crate::media::negotiate`]; the console opens
/// it itself); 400 for a connection without the authorization code grant,
/// 404 when unknown.
pub async fn connections_authorize(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let auth = http_auth(&state, &name).await?;
    let redirect = redirect_uri(&state, &headers)?;
    let url = state
        .registry
        .oauth2()
        .start(&name, &auth, &redirect)
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The redirect is the default (a browser following the link); JSON
    // only when the Accept header prefers it (a `q=0` refuses it).
    let chosen = crate::media::negotiate(&headers, &["text/html", "application/json"]);
    if chosen == Some("application/json") {
        return Ok(Json(serde_json::json!({ "authorize_url": url })).into_response());
    }
    Ok(Redirect::to(&url).into_response())
}

/// What a provider sends back (RFC 6749 §4.1.2, §4.1.2.1).
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state this server sent.
    pub state: Option<String>,
    /// The provider's error code, when the admin or the provider refused.
    pub error: Option<String>,
    /// The provider's explanation.
    pub error_description: Option<String>,
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    page_for(status, title, text, None)
}

/// The page, with a link back to the connection in the console.
fn page_for(status: StatusCode, title: &str, text: &str, connection: Option<&str>) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let back = connection.map_or_else(String::new, |name| {
        format!(
            "<p><a href=\"/console/connections/{}\">Back to the connection</a></p>",
            escape(name)
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{x}</p>{back}</body></html>",
        t = escape(title),
        x = escape(text)
    );
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, "default-src 'none'")],
        Html(html),
    )
        .into_response()
}

/// `GET /system/connections/callback?code&state` → exchanges the code for
/// tokens and answers a page saying the connection is authorized; 400 with
/// the reason for an unknown, used or expired `state`, a refusal by the
/// provider, or a failed token request (nothing is stored then).
pub async fn connections_callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(flow_state) = query.state.as_deref() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not authorized",
            "The provider sent no state.",
        );
    };
    let flow = match state.registry.oauth2().take_flow(flow_state).await {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Not authorized",
                "This authorization is unknown, was used already or took longer than 10 minutes; start again from the connection.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read the OAuth2 flow");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Not authorized",
                "The server could not read the authorization; see its log.",
            );
        }
    };
    let name = flow.connection.clone();
    if let Some(error) = &query.error {
        let why = query.error_description.as_deref().unwrap_or(error);
        return page(
            StatusCode::BAD_REQUEST,
            "Not authorized",
            &format!("The provider refused to authorize connection {name}: {why}"),
        );
    }
    let Some(code) = query.code.as_deref() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not authorized",
            "The provider sent no code.",
        );
    };
    let auth = match http_auth(&state, &name).await {
        Ok(auth) => auth,
        Err(e) => return page(StatusCode::BAD_REQUEST, "Not authorized", &e.to_string()),
    };
    match state.registry.oauth2().finish(&flow, &auth, code).await {
        Ok(()) => {
            tracing::info!(connection = %name, "OAuth2 connection authorized");
            page_for(
                StatusCode::OK,
                "Connection authorized",
                &format!("Connection {name} is authorized; you can close this page."),
                Some(&name),
            )
        }
        Err(why) => page_for(
            StatusCode::BAD_REQUEST,
            "Not authorized",
            &format!("Connection {name} could not be authorized: {why}"),
            Some(&name),
        ),
    }
}
