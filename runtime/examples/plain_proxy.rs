//! The proxy benchmark's two helpers, without a sandbox:
//!
//! - `plain_proxy upstream ADDR`: the upstream, answering every request
//!   with a small JSON document (the same for both proxies);
//! - `plain_proxy proxy ADDR UPSTREAM_URL`: the ceiling, a plain axum +
//!   reqwest handler that forwards `/proxy/*rest` (method, path, query,
//!   body, a bearer token) to `UPSTREAM_URL` like the `proxy` action does.
//!
//! `scripts/bench-proxy.sh` runs both beside `sluice serve`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

#[derive(Clone)]
struct Forward {
    client: reqwest::Client,
    upstream: String,
}

async fn forward(
    State(fw): State<Forward>,
    method: Method,
    Path(rest): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, StatusCode> {
    let mut url = format!("{}/{rest}", fw.upstream.trim_end_matches('/'));
    if let Some(q) = query {
        url.push('?');
        url.push_str(&q);
    }
    let mut request = fw
        .client
        .request(method, url)
        .bearer_auth("bench-upstream-token")
        .body(body);
    if let Some(accept) = headers.get("accept") {
        request = request.header("accept", accept);
    }
    let answer = request.send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let body = answer.bytes().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    let mut response = (status, body).into_response();
    if let Some(ct) = content_type {
        response.headers_mut().insert("content-type", ct);
    }
    Ok(response)
}

async fn upstream() -> impl IntoResponse {
    axum::Json(serde_json::json!({"ok": true, "items": [1, 2, 3], "service": "upstream"}))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: plain_proxy upstream ADDR | plain_proxy proxy ADDR UPSTREAM_URL";
    let (mode, addr) = match (args.get(1), args.get(2)) {
        (Some(mode), Some(addr)) => (mode.as_str(), addr.as_str()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let app = match (mode, args.get(3)) {
        ("upstream", _) => Router::new().fallback(upstream),
        ("proxy", Some(up)) => Router::new()
            .route("/proxy/{*rest}", any(forward))
            .with_state(Forward {
                client: reqwest::Client::new(),
                upstream: up.clone(),
            }),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
