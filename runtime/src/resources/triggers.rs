//! Triggers: run an action for every dispatch of an event.

use crate::error::{ApiError, ApiResult};
use crate::resources::check_name;
use crate::store::events::{self, TriggerRow};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Body of `POST /admin/triggers`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerInput {
    /// Unique name.
    pub name: String,
    /// The event to listen to.
    pub event: String,
    /// The action to run.
    pub action: String,
    /// Default true.
    #[serde(default = "crate::resources::default_true")]
    pub active: bool,
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time) when given.
///
/// # Errors
/// 400 for a bad name, 422 for an unknown event or action.
pub async fn write(
    conn: &mut AnyConnection,
    input: TriggerInput,
    existing: Option<TriggerRow>,
) -> ApiResult<TriggerRow> {
    check_name("trigger", &input.name)?;
    if events::get(&mut *conn, &input.event).await?.is_none() {
        return Err(ApiError::Unprocessable(format!(
            "there is no event named {:?}",
            input.event
        )));
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
    let row = TriggerRow {
        name: input.name,
        event: input.event,
        action: input.action,
        active: input.active,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    events::upsert_trigger(&mut *conn, &row).await?;
    Ok(row)
}

/// Deletes trigger `name` through `conn` (its pending deliveries fail);
/// false when there is none.
///
/// # Errors
/// On database failure.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<bool> {
    Ok(events::delete_listener(&mut *conn, "triggers", name).await?)
}
