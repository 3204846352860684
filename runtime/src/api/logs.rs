//! `GET /admin/logs`: the request log, newest first, filtered and paged by
//! cursor.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use crate::store::request_log::{self, LogFilter, LogRow};

/// Largest page.
const MAX_LIMIT: i64 = 1000;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/logs", get(logs_list))
}

/// Query of `GET /admin/logs`; every filter given must match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Operation name.
    pub operation: Option<String>,
    /// App name.
    pub app: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Client IP address.
    pub ip: Option<String>,
    /// Status code.
    pub status: Option<i64>,
    /// `true`: only failed requests (an error was recorded); `false`: only
    /// successful ones.
    pub failed: Option<bool>,
    /// RFC 3339 time: requests at or after it.
    pub from: Option<String>,
    /// RFC 3339 time: requests before it.
    pub to: Option<String>,
    /// `http` or `mcp` (tool calls of the MCP server).
    pub via: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// One logged request as shown.
#[derive(Debug, Serialize)]
pub struct LogEntry {
    /// RFC 3339 time (UTC, milliseconds) the request arrived.
    pub at: String,
    /// The stored row.
    #[serde(flatten)]
    pub row: LogRow,
}

/// A page of the log.
#[derive(Debug, Serialize)]
pub struct LogPage {
    /// Entries, newest first.
    pub items: Vec<LogEntry>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<i64>,
}

/// A text filter as given, refused when it holds a NUL character, which no
/// stored name can contain and PostgreSQL cannot take as text.
pub(crate) fn text_filter(field: &str, value: Option<String>) -> ApiResult<Option<String>> {
    match value {
        Some(v) if v.contains('\0') => Err(ApiError::BadRequest(format!(
            "{field} must not contain a NUL character"
        ))),
        other => Ok(other),
    }
}

pub(crate) fn parse_time(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
                .map_err(|e| {
                    ApiError::BadRequest(format!(
                        "{field} must be an RFC 3339 time such as 2026-11-22T07:00:00Z: {e}"
                    ))
                })
        })
        .transpose()
}

/// `GET /admin/logs?operation=&app=&user=&ip=&status=&failed=&from=&to=&via=&cursor=&limit=`
/// → 200 with a [`LogPage`]; 400 for a bad time or limit.
pub async fn logs_list(
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
) -> ApiResult<Json<LogPage>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let filter = LogFilter {
        from_ms: parse_time("from", query.from.as_deref())?,
        to_ms: parse_time("to", query.to.as_deref())?,
        operation: text_filter("operation", query.operation)?,
        app: text_filter("app", query.app)?,
        user: text_filter("user", query.user)?,
        ip: text_filter("ip", query.ip)?,
        status: query.status,
        failed: query.failed,
        before_id: query.cursor,
        via: match query.via.as_deref() {
            None => None,
            Some(v @ ("http" | "mcp")) => Some(v.to_string()),
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "via must be http or mcp, not {other:?}"
                )));
            }
        },
    };
    let rows = request_log::search(&state.db, &filter, limit).await?;
    let next_cursor = (i64::try_from(rows.len()).unwrap_or(0) == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .map(|row| LogEntry {
            at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.at_ms) * 1_000_000)
                .ok()
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_default(),
            row,
        })
        .collect();
    Ok(Json(LogPage { items, next_cursor }))
}
