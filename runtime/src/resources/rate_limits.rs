//! Rate limits: rules of requests per window, matched by operation, app,
//! user or anonymity; the highest priority wins.

use crate::cluster::Change;
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
use crate::store::rate_limits::{self, RateLimitRow};
use crate::store::{apps, operations, users};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Longest window a rule may have: 31 days, in seconds.
const MAX_WINDOW_SECONDS: i64 = 31 * 86_400;

/// Body of `POST /admin/rate-limits` and `PUT /admin/rate-limits/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Higher wins among matching rules (default 0).
    #[serde(default)]
    pub priority: i64,
    /// Only requests to this operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// Only requests with a token of this app.
    #[serde(default)]
    pub app: Option<String>,
    /// Only requests with a token of this user.
    #[serde(default)]
    pub user: Option<String>,
    /// `true`: only requests without a token; `false`: only with one.
    #[serde(default)]
    pub anonymous: Option<bool>,
    /// Requests per window, 1 to 1 000 000 000.
    pub requests: i64,
    /// Window in seconds, 1 to 2 678 400 (31 days).
    pub window_seconds: i64,
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time) when given; every node reloads
/// the rules after commit (`effects`).
///
/// # Errors
/// 400 for bad numbers, 422 when the operation, app or user does not exist.
pub async fn write(
    conn: &mut AnyConnection,
    input: RateLimitInput,
    existing: Option<RateLimitRow>,
    effects: &mut Effects,
) -> ApiResult<RateLimitRow> {
    check_name("rate limit", &input.name)?;
    if !(1..=1_000_000_000).contains(&input.requests) {
        return Err(ApiError::BadRequest(
            "requests must be between 1 and 1000000000".into(),
        ));
    }
    if !(1..=MAX_WINDOW_SECONDS).contains(&input.window_seconds) {
        return Err(ApiError::BadRequest(format!(
            "window_seconds must be between 1 and {MAX_WINDOW_SECONDS}"
        )));
    }
    if let Some(op) = &input.operation
        && operations::get(&mut *conn, op).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no operation named {op:?}"
        )));
    }
    if let Some(app) = &input.app
        && apps::by_name(&mut *conn, app).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no app named {app:?}"
        )));
    }
    if let Some(user) = &input.user
        && users::by_name(&mut *conn, user).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no user named {user:?}"
        )));
    }
    if input.anonymous == Some(true) && (input.app.is_some() || input.user.is_some()) {
        return Err(ApiError::BadRequest(
            "a rule for anonymous requests cannot also name an app or a user".into(),
        ));
    }
    let now = crate::store::now();
    let row = RateLimitRow {
        name: input.name,
        priority: input.priority,
        operation: input.operation,
        app: input.app,
        user: input.user,
        anonymous: input.anonymous,
        requests: input.requests,
        window_seconds: input.window_seconds,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    rate_limits::upsert(&mut *conn, &row).await?;
    effects.change(Change::RateLimits);
    Ok(row)
}

/// Deletes rate limit `name` through `conn`; false when there is none.
///
/// # Errors
/// On database failure.
pub async fn remove(
    conn: &mut AnyConnection,
    name: &str,
    effects: &mut Effects,
) -> ApiResult<bool> {
    let gone = rate_limits::delete(&mut *conn, name).await?;
    effects.change(Change::RateLimits);
    Ok(gone)
}
