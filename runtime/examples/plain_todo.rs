//! The SQL benchmark's ceiling: a plain axum + sqlx handler for
//! `GET /todos?limit=&offset=` running the same two queries as the `todo`
//! action and answering the same JSON, without a sandbox.
//! `scripts/bench-sql.sh` runs it beside `sluice serve`.
//!
//! Usage: `plain_todo ADDR DATABASE_URL` (SQLite, PostgreSQL or MySQL URL).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

#[derive(Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Clone)]
struct App {
    pool: AnyPool,
    list: &'static str,
}

async fn list(
    State(app): State<App>,
    Query(page): Query<Page>,
) -> Result<axum::Json<Value>, StatusCode> {
    let (limit, offset) = (page.limit.unwrap_or(20), page.offset.unwrap_or(0));
    let rows = sqlx::query(app.list)
        .bind(limit)
        .bind(offset)
        .fetch_all(&app.pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) AS total FROM todos")
        .fetch_one(&app.pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        // INTEGER is 64-bit on SQLite and MySQL, 32-bit on PostgreSQL.
        let done: i64 = row
            .try_get::<i64, _>("done")
            .or_else(|_| row.try_get::<i32, _>("done").map(i64::from))
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let id: i64 = row
            .try_get("id")
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let title: String = row
            .try_get("title")
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        items.push(json!({"id": id, "title": title, "done": done != 0}));
    }
    Ok(axum::Json(
        json!({"items": items, "total": total, "limit": limit, "offset": offset}),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8091".into());
    let url = args.next().expect("usage: plain_todo ADDR DATABASE_URL");
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await?;
    let list_sql = if url.starts_with("postgres") {
        "SELECT id, title, done FROM todos ORDER BY id LIMIT $1 OFFSET $2"
    } else {
        "SELECT id, title, done FROM todos ORDER BY id LIMIT ? OFFSET ?"
    };
    let app = Router::new().route("/todos", get(list)).with_state(App {
        pool,
        list: list_sql,
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
