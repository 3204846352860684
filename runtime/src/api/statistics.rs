//! `GET /admin/statistics/{report}`: figures computed from the request log
//! for the console and for people — requests and errors over time, latency
//! percentiles per operation, the busiest operations, apps and users, fuel
//! by app or operation, the slowest requests. Counts include the requests a
//! sampled log stood for (each row's `weight`).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::logs::{parse_time, text_filter};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::store::statistics::{self, GroupBy, Scope};

/// The reports, as named in the path.
pub const REPORTS: [&str; 8] = [
    "requests",
    "errors",
    "latency",
    "top-operations",
    "top-apps",
    "top-users",
    "fuel",
    "slowest",
];

/// Most buckets a time series may have.
const MAX_BUCKETS: i64 = 1_000;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/statistics/{report}", get(statistics_report))
}

/// Query of `GET /admin/statistics/{report}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    /// RFC 3339 start, inclusive (default: 24 hours before `to`).
    pub from: Option<String>,
    /// RFC 3339 end, exclusive (default: now).
    pub to: Option<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Only this app.
    pub app: Option<String>,
    /// Only this user.
    pub user: Option<String>,
    /// `requests`, `errors`: bucket width in seconds (default: the range
    /// in about 60 buckets, at least 1 s).
    pub bucket: Option<i64>,
    /// Rankings and `slowest`: how many (1 to 1000, default 10).
    pub limit: Option<i64>,
    /// `fuel`: `operation` (default) or `app`.
    pub by: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// `GET /admin/statistics/{report}?from=&to=&operation=&app=&user=&bucket=&limit=&by=`
/// → 200 `{"report", "from", "to", "items": [...]}` (time series add
/// `bucket_seconds`; `latency` adds `truncated` when the range held more
/// than [`statistics::LATENCY_ROWS`] rows). 404 for an unknown report, 400
/// for a bad time, range, bucket, limit or `by`.
pub async fn statistics_report(
    State(state): State<AppState>,
    Path(report): Path<String>,
    Query(query): Query<StatisticsQuery>,
) -> ApiResult<Json<Value>> {
    if !REPORTS.contains(&report.as_str()) {
        return Err(ApiError::NotFound(format!(
            "there is no report named {report:?}; the reports are {}",
            REPORTS.join(", ")
        )));
    }
    // Checked for every report, not only `fuel` which reads it: a value
    // the document does not allow is refused wherever it is sent.
    if let Some(by) = query.by.as_deref()
        && !matches!(by, "operation" | "app")
    {
        return Err(ApiError::BadRequest(format!(
            "by must be operation or app, not {by:?}"
        )));
    }
    let to_ms = parse_time("to", query.to.as_deref())?.unwrap_or_else(crate::store::now_ms);
    let from_ms = parse_time("from", query.from.as_deref())?.unwrap_or(to_ms - 86_400_000);
    if from_ms >= to_ms {
        return Err(ApiError::BadRequest("from must be before to".into()));
    }
    let limit = query.limit.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let span_ms = to_ms - from_ms;
    let bucket_ms = match query.bucket {
        Some(seconds) if seconds >= 1 => seconds.saturating_mul(1000),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "bucket must be at least 1 second".into(),
            ));
        }
        None => (span_ms / 60).max(1000) / 1000 * 1000,
    };
    let buckets = (span_ms + bucket_ms - 1) / bucket_ms;
    if buckets > MAX_BUCKETS {
        return Err(ApiError::BadRequest(format!(
            "{buckets} buckets of {} s is more than {MAX_BUCKETS}; widen the bucket or narrow the range",
            bucket_ms / 1000
        )));
    }
    let scope = Scope {
        from_ms,
        to_ms,
        operation: text_filter("operation", query.operation)?,
        app: text_filter("app", query.app)?,
        user: text_filter("user", query.user)?,
    };
    let start = |bucket: i64| rfc3339(from_ms + bucket * bucket_ms);
    let mut answer = json!({"report": report, "from": rfc3339(from_ms), "to": rfc3339(to_ms)});
    let items = match report.as_str() {
        "requests" => {
            let counts = statistics::requests(&state.db, &scope, bucket_ms).await?;
            answer["bucket_seconds"] = json!(bucket_ms / 1000);
            // Every bucket, the empty ones too, so a chart needs no gaps filled.
            let mut series = vec![0_i64; usize::try_from(buckets).unwrap_or(0)];
            for count in counts {
                if let Some(slot) = usize::try_from(count.bucket)
                    .ok()
                    .and_then(|i| series.get_mut(i))
                {
                    *slot += count.requests;
                }
            }
            series
                .iter()
                .enumerate()
                .map(|(i, n)| json!({"start": start(i as i64), "requests": n}))
                .collect::<Vec<_>>()
        }
        "errors" => {
            answer["bucket_seconds"] = json!(bucket_ms / 1000);
            statistics::errors(&state.db, &scope, bucket_ms)
                .await?
                .into_iter()
                .map(|e| json!({"start": start(e.bucket), "status": e.status, "requests": e.requests}))
                .collect()
        }
        "latency" => {
            let (report, truncated) = statistics::latency(&state.db, &scope).await?;
            answer["truncated"] = json!(truncated);
            report.into_iter().map(|l| json!(l)).collect()
        }
        "top-operations" | "top-apps" | "top-users" => {
            let group = match report.as_str() {
                "top-operations" => GroupBy::Operation,
                "top-apps" => GroupBy::App,
                _ => GroupBy::User,
            };
            statistics::ranking(&state.db, &scope, group, false, limit)
                .await?
                .into_iter()
                .map(|r| json!(r))
                .collect()
        }
        "fuel" => {
            let group = match query.by.as_deref().unwrap_or("operation") {
                "operation" => GroupBy::Operation,
                "app" => GroupBy::App,
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "by must be operation or app, not {other:?}"
                    )));
                }
            };
            statistics::ranking(&state.db, &scope, group, true, limit)
                .await?
                .into_iter()
                .map(|r| {
                    json!({"name": r.name, "fuel": r.fuel, "requests": r.requests,
                           "mean_fuel": if r.requests > 0 { r.fuel / r.requests } else { 0 }})
                })
                .collect()
        }
        _ => statistics::slowest(&state.db, &scope, limit)
            .await?
            .into_iter()
            .map(|s| {
                let mut row = json!(s);
                row["at"] = json!(rfc3339(s.at_ms));
                row
            })
            .collect(),
    };
    answer["items"] = Value::Array(items);
    Ok(Json(answer))
}
