//! `/consumer/usage` and `/consumer/logs`: a consumer's own requests — made
//! with their tokens or their apps' — from the request log. They see no
//! client IP and nothing of anyone else.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;

use crate::consumer::Consumer;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::portal::usage::{Usage, UsageQuery, report};
use crate::state::AppState;
use crate::store::consumers::{self, ConsumerLogRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/usage", get(usage))
        .route("/logs", get(logs))
}

/// `GET /consumer/usage?from=&to=&app=` → 200 with requests, errors and
/// latency per day and operation; 400 for a bad day or a range over 366
/// days; 404 for an app that is not the consumer's.
pub async fn usage(
    State(state): State<AppState>,
    consumer: Consumer,
    Query(query): Query<UsageQuery>,
) -> ApiResult<Json<Usage>> {
    Ok(Json(report(&state.db, &consumer.user.id, &query).await?))
}

/// Query of `GET /consumer/logs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// Rows per page, 1–500 (default 100).
    pub limit: Option<i64>,
    /// Rows with a smaller id (the last `id` of the previous page).
    pub before: Option<i64>,
}

/// `GET /consumer/logs?limit=&before=` → 200 with the consumer's newest
/// requests, newest first.
pub async fn logs(
    State(state): State<AppState>,
    consumer: Consumer,
    Query(query): Query<LogsQuery>,
) -> ApiResult<Json<Vec<ConsumerLogRow>>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::at("/query/limit", "limit is 1 to 500"));
    }
    let before = query.before.unwrap_or(i64::MAX);
    Ok(Json(
        consumers::log_rows(&state.db, &consumer.user.id, before, limit).await?,
    ))
}
