//! Statistics computed from the request log. Every figure sums the rows'
//! `weight`, so a log kept by sampling still counts every request.

use futures_util::TryStreamExt as _;
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::{AnyExecutor, Arguments as _};

use crate::store::Placeholders;

/// Which rows a report reads: `[from_ms, to_ms)` and the optional filters.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// At or after, Unix ms.
    pub from_ms: i64,
    /// Before, Unix ms.
    pub to_ms: i64,
    /// Operation name.
    pub operation: Option<String>,
    /// App name.
    pub app: Option<String>,
    /// User name.
    pub user: Option<String>,
}

/// SQL text and its arguments, built up clause by clause.
struct Built {
    sql: String,
    args: AnyArguments<'static>,
    marks: Placeholders,
}

impl Built {
    /// `SELECT {select} FROM request_log WHERE` the scope's conditions.
    fn new(select: &str, scope: &Scope) -> sqlx::Result<Self> {
        Self::select(select).from(scope)
    }

    /// The bucket of a row, `bucket_ms` wide from the scope's start, then
    /// `rest` of the select list.
    fn bucketed(scope: &Scope, bucket_ms: i64, rest: &str) -> sqlx::Result<Self> {
        let mut built = Self::select("SELECT CAST((at_ms - ");
        built.bind_mark(scope.from_ms)?;
        built.sql.push_str(") / ");
        built.bind_mark(bucket_ms)?;
        built
            .sql
            .push_str(&format!(" AS BIGINT) AS bucket, {rest}"));
        built.from(scope)
    }

    fn select(select: &str) -> Self {
        Self {
            sql: select.to_string(),
            args: AnyArguments::default(),
            marks: Placeholders::default(),
        }
    }

    fn from(self, scope: &Scope) -> sqlx::Result<Self> {
        let mut built = self;
        built.sql.push_str(" FROM request_log WHERE at_ms >= ");
        built.bind_mark(scope.from_ms)?;
        built.sql.push_str(" AND at_ms < ");
        built.bind_mark(scope.to_ms)?;
        for (column, value) in [
            ("operation", &scope.operation),
            ("app", &scope.app),
            ("\"user\"", &scope.user),
        ] {
            if let Some(value) = value {
                built.sql.push_str(&format!(" AND {column} = "));
                built.bind_mark(value.clone())?;
            }
        }
        Ok(built)
    }

    fn bind_mark<T>(&mut self, value: T) -> sqlx::Result<()>
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.sql.push_str(&self.marks.mark());
        self.args.add(value).map_err(sqlx::Error::Encode)
    }
}

/// Requests in one time bucket.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BucketCount {
    /// The bucket's index from the report's start.
    pub bucket: i64,
    /// Requests in it.
    pub requests: i64,
}

/// Requests per bucket of `bucket_ms`, counted from `scope.from_ms`.
///
/// # Errors
/// On database failure.
pub async fn requests<'e>(
    db: impl AnyExecutor<'e>,
    scope: &Scope,
    bucket_ms: i64,
) -> sqlx::Result<Vec<BucketCount>> {
    let mut built = Built::bucketed(scope, bucket_ms, "CAST(SUM(weight) AS BIGINT) AS requests")?;
    built.sql.push_str(" GROUP BY 1 ORDER BY 1");
    sqlx::query_as_with(&built.sql, built.args)
        .fetch_all(db)
        .await
}

/// Failed requests of one status in one time bucket.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BucketStatus {
    /// The bucket's index from the report's start.
    pub bucket: i64,
    /// Status code (400 or above).
    pub status: i64,
    /// Requests.
    pub requests: i64,
}

/// Failed requests (status 400 and above) per bucket and status.
///
/// # Errors
/// On database failure.
pub async fn errors<'e>(
    db: impl AnyExecutor<'e>,
    scope: &Scope,
    bucket_ms: i64,
) -> sqlx::Result<Vec<BucketStatus>> {
    let mut built = Built::bucketed(
        scope,
        bucket_ms,
        "status, CAST(SUM(weight) AS BIGINT) AS requests",
    )?;
    built
        .sql
        .push_str(" AND status >= 400 GROUP BY 1, 2 ORDER BY 1, 2");
    sqlx::query_as_with(&built.sql, built.args)
        .fetch_all(db)
        .await
}

/// One group of a ranking (an operation, an app, a user).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Ranked {
    /// The group's name.
    pub name: String,
    /// Requests.
    pub requests: i64,
    /// Of those, failed (status 400 and above).
    pub errors: i64,
    /// Mean duration, microseconds.
    pub mean_duration_us: i64,
    /// Fuel used in all.
    pub fuel: i64,
}

/// What a ranking groups by.
#[derive(Debug, Clone, Copy)]
pub enum GroupBy {
    /// The operation.
    Operation,
    /// The token's app.
    App,
    /// The token's user.
    User,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            Self::Operation => "operation",
            Self::App => "app",
            Self::User => "\"user\"",
        }
    }
}

/// The `limit` groups with the most requests (`by_fuel`: the most fuel).
///
/// # Errors
/// On database failure.
pub async fn ranking<'e>(
    db: impl AnyExecutor<'e>,
    scope: &Scope,
    group: GroupBy,
    by_fuel: bool,
    limit: i64,
) -> sqlx::Result<Vec<Ranked>> {
    let column = group.column();
    let mut built = Built::new(
        &format!(
            "SELECT {column} AS name,
                    CAST(SUM(weight) AS BIGINT) AS requests,
                    CAST(SUM(CASE WHEN status >= 400 THEN weight ELSE 0 END) AS BIGINT) AS errors,
                    CAST(SUM(duration_us * weight) / SUM(weight) AS BIGINT) AS mean_duration_us,
                    CAST(COALESCE(SUM(fuel_used * weight), 0) AS BIGINT) AS fuel"
        ),
        scope,
    )?;
    let order = if by_fuel { "fuel" } else { "requests" };
    built.sql.push_str(&format!(
        " AND {column} IS NOT NULL GROUP BY {column} ORDER BY {order} DESC, name LIMIT "
    ));
    built.bind_mark(limit)?;
    sqlx::query_as_with(&built.sql, built.args)
        .fetch_all(db)
        .await
}

/// Rows read at most for the latency report (the newest in the range).
pub const LATENCY_ROWS: i64 = 1_000_000;

/// Latency of one operation, microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// The operation.
    pub operation: String,
    /// Requests.
    pub requests: i64,
    /// Median.
    pub p50_us: i64,
    /// 95th percentile.
    pub p95_us: i64,
    /// 99th percentile.
    pub p99_us: i64,
    /// Slowest.
    pub max_us: i64,
}

/// Weighted percentiles of `samples` (duration, weight), sorted here.
fn percentiles(operation: String, mut samples: Vec<(i64, i64)>) -> Latency {
    samples.sort_unstable();
    let total: i64 = samples.iter().map(|(_, w)| w).sum();
    // The smallest duration whose cumulative weight reaches q of the total
    // (the "nearest rank" definition).
    let at = |q: f64| {
        let rank = ((q * total as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (duration, weight) in &samples {
            seen += weight;
            if seen >= rank {
                return *duration;
            }
        }
        samples.last().map_or(0, |(d, _)| *d)
    };
    Latency {
        operation,
        requests: total,
        p50_us: at(0.50),
        p95_us: at(0.95),
        p99_us: at(0.99),
        max_us: samples.last().map_or(0, |(d, _)| *d),
    }
}

/// p50/p95/p99 per operation from at most [`LATENCY_ROWS`] of the newest
/// rows in the range; also whether the range held more.
///
/// # Errors
/// On database failure.
pub async fn latency<'e>(
    db: impl AnyExecutor<'e>,
    scope: &Scope,
) -> sqlx::Result<(Vec<Latency>, bool)> {
    let mut built = Built::new("SELECT operation, duration_us, weight", scope)?;
    built
        .sql
        .push_str(" AND operation IS NOT NULL ORDER BY id DESC LIMIT ");
    built.bind_mark(LATENCY_ROWS + 1)?;
    let mut rows =
        sqlx::query_as_with::<_, (String, i64, i64), _>(&built.sql, built.args).fetch(db);
    let mut by_operation: std::collections::BTreeMap<String, Vec<(i64, i64)>> =
        std::collections::BTreeMap::new();
    let mut read = 0;
    while let Some((operation, duration, weight)) = rows.try_next().await? {
        read += 1;
        if read > LATENCY_ROWS {
            break;
        }
        by_operation
            .entry(operation)
            .or_default()
            .push((duration, weight));
    }
    let report = by_operation
        .into_iter()
        .map(|(operation, samples)| percentiles(operation, samples))
        .collect();
    Ok((report, read > LATENCY_ROWS))
}

/// One of the slowest requests.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Slow {
    /// When it arrived, Unix ms.
    pub at_ms: i64,
    /// Its request id.
    pub request_id: String,
    /// Its trace id, when traced.
    pub trace_id: Option<String>,
    /// The operation.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status code.
    pub status: i64,
    /// Duration, microseconds.
    pub duration_us: i64,
    /// Fuel used.
    pub fuel_used: Option<i64>,
}

/// The `limit` slowest logged requests.
///
/// # Errors
/// On database failure.
pub async fn slowest<'e>(
    db: impl AnyExecutor<'e>,
    scope: &Scope,
    limit: i64,
) -> sqlx::Result<Vec<Slow>> {
    let mut built = Built::new(
        "SELECT at_ms, request_id, trace_id, operation, method, path, status, duration_us, fuel_used",
        scope,
    )?;
    built
        .sql
        .push_str(" ORDER BY duration_us DESC, id DESC LIMIT ");
    built.bind_mark(limit)?;
    sqlx::query_as_with(&built.sql, built.args)
        .fetch_all(db)
        .await
}
