//! A real HTTP upstream on loopback for the `http` connection tests: it
//! records every request it receives, so tests can assert what the host
//! sent (the injected key, the joined path) and what never arrived.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub struct Upstream {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Forgets what was received (e.g. the connection test's `HEAD`).
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }

    /// Requests received for `path`.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

/// Answers by path:
/// - `/v1/slow`: after 3 s;
/// - `/v1/big?n=`: `n` bytes with a content-length; `/v1/big-chunked?n=` without;
/// - `/v1/to-elsewhere`: 302 to another host; `/v1/to-outside`: 302 to
///   `/admin` on this host; `/v1/to-inside`: 302 to `/v1/landed`;
/// - `/v1/to-path-parameter`: 302 to `/v1/..;/admin` (outside the base
///   path for Tomcat and Spring);
/// - `/v1/echo-auth`: 200 with headers repeating the received
///   `authorization` and query (an upstream that leaks what it got);
/// - `/v1/echo-headers`: 200 with a JSON body of every received header and
///   the query, as httpbin's `/anything` answers;
/// - `/v1/echo-auth-body?n=`: 200 with the received `authorization` value
///   `n` times as the whole body;
/// - anything else: 200 `{"ok": true}`.
pub async fn start() -> Upstream {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let app = Router::new().fallback(answer).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Upstream {
        base: format!("http://{addr}/v1"),
        seen,
    }
}

async fn answer(State(seen): State<Arc<Mutex<Vec<Seen>>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let entry = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers.clone(),
        body,
    };
    seen.lock().unwrap().push(entry.clone());
    let n: usize = entry
        .query
        .as_deref()
        .and_then(|q| q.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    match entry.path.as_str() {
        "/v1/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late".into_response()
        }
        "/v1/big" => vec![b'x'; n].into_response(),
        "/v1/big-chunked" => {
            let chunks = (0..n / 1024).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024]));
            axum::body::Body::from_stream(stream::iter(chunks)).into_response()
        }
        "/v1/to-elsewhere" => redirect("http://elsewhere.invalid/v1/x"),
        "/v1/to-outside" => redirect("/admin/secrets"),
        "/v1/to-inside" => redirect("/v1/landed"),
        "/v1/to-path-parameter" => redirect("/v1/..;/admin"),
        "/v1/echo-headers" => {
            let headers: serde_json::Map<String, serde_json::Value> = entry
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
                .collect();
            axum::Json(serde_json::json!({"headers": headers, "query": entry.query}))
                .into_response()
        }
        "/v1/echo-auth-body" => {
            let auth = entry
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            auth.repeat(n).into_response()
        }
        "/v1/echo-auth" => {
            let auth = entry
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (
                [
                    ("x-seen-authorization", auth),
                    ("x-seen-query", entry.query.clone().unwrap_or_default()),
                ],
                "ok",
            )
                .into_response()
        }
        "/v1/data/2.5/weather" => weather(entry.query.as_deref().unwrap_or("")),
        _ => axum::Json(serde_json::json!({"ok": true})).into_response(),
    }
}

/// The API key the weather stand-in accepts.
pub const WEATHER_KEY: &str = "weather-key-5f6e7d";

/// OpenWeatherMap's current-weather shape: 401 without the key, 404 for
/// the city "Atlantis".
fn weather(query: &str) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("appid").as_deref() != Some(WEATHER_KEY) {
        return (StatusCode::UNAUTHORIZED, "{\"cod\":401}").into_response();
    }
    let city = get("q").unwrap_or_default();
    if city == "Atlantis" {
        return (StatusCode::NOT_FOUND, "{\"cod\":\"404\"}").into_response();
    }
    axum::Json(serde_json::json!({
        "weather": [{"description": "light rain"}],
        "main": {"temp": 12.5, "feels_like": 11.0, "humidity": 81},
        "wind": {"speed": 4.2},
        "dt": 1_700_000_000,
        "sys": {"country": "DE"},
        "name": city,
    }))
    .into_response()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}
