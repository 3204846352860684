//! Events: named payload shapes that actions dispatch and triggers and
//! webhooks listen to.

use crate::cluster::Change;
use crate::contract::SchemaRef;
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
use crate::schemas::SchemaSet;
use crate::store::Json as SqlJson;
use crate::store::events::{self, EventRow};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Body of `POST /admin/events` and `PUT /admin/events/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`, e.g. `todo_created`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The payload's schema: a stored schema's name or an inline schema;
    /// absent: any JSON.
    #[serde(default)]
    pub schema: Option<SchemaRef>,
    /// Whether consumers may subscribe webhooks to it in the portal
    /// (default false).
    #[serde(default)]
    pub consumers: bool,
}

/// Checks `input` against what `conn` sees and stores it; `created_at` is
/// kept from the row it replaces. The event catalog is reloaded after
/// commit (`effects`).
///
/// # Errors
/// 400 for a bad name or schema, 422 for an unknown schema name.
pub async fn write(
    conn: &mut AnyConnection,
    input: EventInput,
    created_at: Option<String>,
    effects: &mut Effects,
) -> ApiResult<EventRow> {
    check_name("event", &input.name)?;
    if let Some(schema) = &input.schema {
        if let SchemaRef::Inline(doc) = schema {
            crate::schemas::check_meta(doc).map_err(ApiError::BadRequest)?;
        }
        let set = SchemaSet::load(&mut *conn, None).await?;
        crate::resources::schemas::check_ref(&set, "", schema)?;
    }
    let now = crate::store::now();
    let row = EventRow {
        name: input.name,
        description: input.description,
        schema: input
            .schema
            .map(|s| SqlJson(serde_json::to_value(s).unwrap_or_default())),
        consumers: input.consumers,
        created_at: created_at.unwrap_or_else(|| now.clone()),
        updated_at: now,
    };
    events::upsert(&mut *conn, &row).await?;
    effects.change(Change::Events);
    Ok(row)
}

/// Deletes event `name` through `conn`.
///
/// # Errors
/// 409 while a trigger or webhook listens to it.
pub async fn remove(conn: &mut AnyConnection, name: &str, effects: &mut Effects) -> ApiResult<()> {
    let listeners = events::listeners(&mut *conn, name).await?;
    if !listeners.is_empty() {
        return Err(ApiError::Conflict(format!(
            "event {name:?} is heard by {}; delete those first",
            listeners.join(", ")
        )));
    }
    events::delete(&mut *conn, name).await?;
    effects.change(Change::Events);
    Ok(())
}
