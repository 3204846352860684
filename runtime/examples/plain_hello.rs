//! The benchmark's ceiling: a plain axum handler that answers
//! `GET /hello/{name}` with the same JSON as the `hello` action, without a
//! sandbox. `scripts/bench.sh` runs it beside `sluice serve`.
//!
//! Usage: `plain_hello ADDR` (default `127.0.0.1:8090`).

use axum::Router;
use axum::extract::{Path, Query};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Params {
    greeting: Option<String>,
}

async fn hello(Path(name): Path<String>, Query(q): Query<Params>) -> axum::Json<Value> {
    let greeting = q.greeting.as_deref().unwrap_or("Hello");
    axum::Json(json!({ "message": format!("{greeting}, {name}!"), "name": name }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    let app = Router::new().route("/hello/{name}", get(hello));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
