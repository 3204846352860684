//! Usage reports of one consumer — their requests, made with their own
//! tokens or their apps', per day and operation — for the consumer API and
//! the admin API alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::error::{ApiError, ApiResult};
use crate::store::consumers;

/// Most rows one usage report reads; a wider range reports `truncated`.
const MAX_SAMPLES: i64 = 200_000;
/// The longest range one report covers, in days.
const MAX_DAYS: i64 = 366;

/// Which report: `GET /consumer/usage` and `GET /admin/consumers/{id}/usage`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First day, `YYYY-MM-DD` (UTC); default 29 days before `to`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), included; default today.
    pub to: Option<String>,
    /// Only the requests of this app (its `id`).
    pub app: Option<String>,
}

/// One day's requests to one operation.
#[derive(Debug, Serialize)]
pub struct DayRow {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The operation (`null`: requests no operation matched).
    pub operation: Option<String>,
    /// Requests.
    pub requests: i64,
    /// Of which answered with a status of 400 or more.
    pub errors: i64,
    /// Median time to the response, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
}

/// Sums over the range.
#[derive(Debug, Serialize)]
pub struct Totals {
    /// Requests.
    pub requests: i64,
    /// Of which errors.
    pub errors: i64,
}

/// The answer of `GET /consumer/usage`.
#[derive(Debug, Serialize)]
pub struct Usage {
    /// First day.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// Per day and operation, by day then operation.
    pub days: Vec<DayRow>,
    /// Sums.
    pub totals: Totals,
    /// Whether the range held more than the 200,000 newest rows read.
    pub truncated: bool,
}

fn parse_day(text: &str, pointer: &str) -> ApiResult<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::at(pointer, "a day is written YYYY-MM-DD"))
}

fn day_text(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn start_ms(date: Date) -> i64 {
    i64::try_from(date.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// One day and operation's errors and `(duration_us, weight)` samples.
type Group = (i64, Vec<(i64, i64)>);

/// Nearest-rank percentile `q` of sorted `(duration_us, weight)` samples.
fn percentile(samples: &[(i64, i64)], total: i64, q: f64) -> f64 {
    let rank = ((q * total as f64).ceil() as i64).max(1);
    let mut seen = 0;
    for (duration, weight) in samples {
        seen += weight;
        if seen >= rank {
            return *duration as f64 / 1000.0;
        }
    }
    samples.last().map_or(0.0, |(d, _)| *d as f64 / 1000.0)
}

/// The usage report `query` asks for of consumer `consumer_id`.
///
/// # Errors
/// 400 for a bad day; 404 for an app that is not
/// the consumer's; database failures.
pub async fn report(db: &sqlx::AnyPool, consumer_id: &str, query: &UsageQuery) -> ApiResult<Usage> {
    let today = OffsetDateTime::now_utc().date();
    let to = match &query.to {
        Some(t) => parse_day(t, "/query/to")?,
        None => today,
    };
    let from = match &query.from {
        Some(f) => parse_day(f, "/query/from")?,
        None => to - Duration::days(29),
    };
    // A reversed range is read the right way round, and a long one is cut
    // to its last MAX_DAYS days; the answer names the range it covers.
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    let from = from.max(to - Duration::days(MAX_DAYS - 1));
    let app = match &query.app {
        Some(id) => Some(
            crate::store::apps::by_id(db, id)
                .await?
                .filter(|a| a.owner_id.as_deref() == Some(consumer_id))
                .ok_or_else(|| {
                    ApiError::NotFound(format!("the consumer has no app with id {id:?}"))
                })?
                .name,
        ),
        None => None,
    };
    let end = to.next_day().map_or(i64::MAX, start_ms);
    let samples = consumers::usage_samples(
        db,
        consumer_id,
        start_ms(from),
        end,
        app.as_deref(),
        MAX_SAMPLES,
    )
    .await?;
    let truncated = samples.len() as i64 > MAX_SAMPLES;
    let mut groups: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
    let mut totals = Totals {
        requests: 0,
        errors: 0,
    };
    for (at_ms, operation, status, duration_us, weight) in
        samples.into_iter().take(MAX_SAMPLES as usize)
    {
        let day = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
            .map(|t| day_text(t.date()))
            .unwrap_or_default();
        let entry = groups.entry((day, operation)).or_default();
        if status >= 400 {
            entry.0 += weight;
            totals.errors += weight;
        }
        totals.requests += weight;
        entry.1.push((duration_us, weight));
    }
    let days = groups
        .into_iter()
        .map(|((day, operation), (errors, mut samples))| {
            samples.sort_unstable();
            let requests = samples.iter().map(|(_, w)| w).sum();
            DayRow {
                p50_ms: percentile(&samples, requests, 0.50),
                p95_ms: percentile(&samples, requests, 0.95),
                day,
                operation,
                requests,
                errors,
            }
        })
        .collect();
    Ok(Usage {
        from: day_text(from),
        to: day_text(to),
        days,
        totals,
        truncated,
    })
}
