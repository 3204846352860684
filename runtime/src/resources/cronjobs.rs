//! Cronjobs: run an action on a schedule.

use crate::cluster::Change;
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
use crate::store::cronjobs::{self, CronjobRow};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Parses a cron expression: 5 fields (minute first) get a `0` seconds
/// field; 6 or 7 fields (seconds first, optional year) are taken as they are.
///
/// # Errors
/// A message saying what is wrong with it.
pub fn parse_schedule(expression: &str) -> Result<cron::Schedule, String> {
    let fields = expression.split_whitespace().count();
    let full = match fields {
        5 => format!("0 {expression}"),
        6 | 7 => expression.to_string(),
        n => {
            return Err(format!(
                "a cron expression has 5 fields (min hour day month weekday), or 6-7 with seconds first and an optional year; this one has {n}"
            ));
        }
    };
    <cron::Schedule as std::str::FromStr>::from_str(&full)
        .map_err(|e| format!("invalid cron expression: {e}"))
}

/// Body of `POST /admin/cronjobs` and `PUT /admin/cronjobs/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CronjobInput {
    /// Unique name.
    pub name: String,
    /// Cron expression in UTC: `min hour day month weekday`, or with a
    /// seconds field first (and an optional year last), e.g. `0 7 * * *`.
    pub schedule: String,
    /// The action to run.
    pub action: String,
    /// Default true.
    #[serde(default = "crate::resources::default_true")]
    pub active: bool,
    /// Ticks missed while no scheduler ran: `run_once` (default) or `skip`.
    #[serde(default = "default_missed")]
    pub missed: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

fn default_missed() -> String {
    "run_once".into()
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time and last tick) when given; the
/// scheduler looks again after commit (`effects`).
///
/// # Errors
/// 400 for a bad name, expression or missed policy, 422 for an unknown action.
pub async fn write(
    conn: &mut AnyConnection,
    input: CronjobInput,
    existing: Option<CronjobRow>,
    effects: &mut Effects,
) -> ApiResult<CronjobRow> {
    check_name("cronjob", &input.name)?;
    parse_schedule(&input.schedule).map_err(ApiError::BadRequest)?;
    if !matches!(input.missed.as_str(), "run_once" | "skip") {
        return Err(ApiError::BadRequest(
            "missed must be run_once or skip".into(),
        ));
    }
    if crate::store::actions::get(&mut *conn, &input.action)
        .await?
        .is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no action named {:?}",
            input.action
        )));
    }
    let now = crate::store::now();
    let row = CronjobRow {
        name: input.name,
        schedule: input.schedule,
        action: input.action,
        active: input.active,
        missed: input.missed,
        description: input.description,
        last_tick_ms: existing.as_ref().and_then(|e| e.last_tick_ms),
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    cronjobs::upsert(&mut *conn, &row).await?;
    effects.change(Change::Cronjobs);
    Ok(row)
}

/// Deletes cronjob `name` through `conn`, its runs with it; false when
/// there is none.
///
/// # Errors
/// On database failure.
pub async fn remove(
    conn: &mut AnyConnection,
    name: &str,
    effects: &mut Effects,
) -> ApiResult<bool> {
    let gone = cronjobs::delete(&mut *conn, name).await?;
    effects.change(Change::Cronjobs);
    Ok(gone)
}
