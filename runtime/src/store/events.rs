//! Events, triggers and webhooks: what may be dispatched and who hears it.

use crate::store::Json;
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyExecutor;

/// One row of `events`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`, e.g. `todo_created`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// JSON Schema (2020-12) every payload must match; `None`: any JSON.
    pub schema: Option<Json<Value>>,
    /// Whether consumers may subscribe webhooks to it in the portal.
    #[sqlx(try_from = "crate::store::Flag")]
    pub consumers: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// One row of `triggers`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TriggerRow {
    /// Unique name.
    pub name: String,
    /// The event it listens to.
    pub event: String,
    /// The action it runs (invocation kind `event`).
    pub action: String,
    /// Inactive triggers get no new deliveries.
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// One row of `webhooks`; the secret stays sealed and is never serialised.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WebhookRow {
    /// Unique name.
    pub name: String,
    /// The event it listens to.
    pub event: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The `whsec_` secret, sealed with the platform key.
    #[serde(skip)]
    pub secret_sealed: Vec<u8>,
    /// Inactive webhooks get no new deliveries (a 410 answer deactivates).
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// Why it was deactivated by the platform, if it was.
    pub disabled_reason: Option<String>,
    /// The consumer (a `users.id`) who subscribed it through the consumer
    /// API; `None` for webhooks made by an admin or the deploy (and then
    /// left out of the JSON). Owned webhooks are delivered through the
    /// egress guard ([`crate::egress`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All events, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as("SELECT * FROM events ORDER BY name")
        .fetch_all(db)
        .await
}

/// The event called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as("SELECT * FROM events WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The events the admin opened to consumers' webhooks, by name.
///
/// # Errors
/// On database failure.
pub async fn open_to_consumers<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as("SELECT * FROM events WHERE consumers = TRUE ORDER BY name")
        .fetch_all(db)
        .await
}

/// Inserts or updates `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &EventRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO events (name, description, schema, created_at, updated_at, consumers)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description,
             schema = excluded.schema, updated_at = excluded.updated_at,
             consumers = excluded.consumers",
    )
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.schema)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(row.consumers)
    .execute(db)
    .await?;
    Ok(())
}

/// Triggers and webhooks listening to event `name`: `"trigger X"`, `"webhook Y"`.
///
/// # Errors
/// On database failure.
pub async fn listeners<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT 'trigger ' || name FROM triggers WHERE event = $1
         UNION ALL SELECT 'webhook ' || name FROM webhooks WHERE event = $1",
    )
    .bind(name)
    .fetch_all(db)
    .await
}

/// Deletes event `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM events WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// All triggers, by name.
///
/// # Errors
/// On database failure.
pub async fn triggers<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<TriggerRow>> {
    sqlx::query_as("SELECT * FROM triggers ORDER BY name")
        .fetch_all(db)
        .await
}

/// The trigger called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn trigger<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<TriggerRow>> {
    sqlx::query_as("SELECT * FROM triggers WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates a trigger.
///
/// # Errors
/// On database failure.
pub async fn upsert_trigger<'e>(db: impl AnyExecutor<'e>, row: &TriggerRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO triggers (name, event, action, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET event = excluded.event, action = excluded.action,
             active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.event)
    .bind(&row.action)
    .bind(row.active)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// All webhooks, by name.
///
/// # Errors
/// On database failure.
pub async fn webhooks<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<WebhookRow>> {
    sqlx::query_as("SELECT * FROM webhooks ORDER BY name")
        .fetch_all(db)
        .await
}

/// The webhooks consumer `owner_id` subscribed, newest first.
///
/// # Errors
/// On database failure.
pub async fn webhooks_owned_by<'e>(
    db: impl AnyExecutor<'e>,
    owner_id: &str,
) -> sqlx::Result<Vec<WebhookRow>> {
    sqlx::query_as("SELECT * FROM webhooks WHERE owner_id = $1 ORDER BY created_at DESC, name")
        .bind(owner_id)
        .fetch_all(db)
        .await
}

/// The webhook called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn webhook<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<WebhookRow>> {
    sqlx::query_as("SELECT * FROM webhooks WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or updates a webhook. The owner is written on insert only: an
/// update never moves a webhook between owners (nor between a consumer and
/// the admins).
///
/// # Errors
/// On database failure.
pub async fn upsert_webhook<'e>(db: impl AnyExecutor<'e>, row: &WebhookRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webhooks (name, event, url, secret_sealed, active, disabled_reason,
                               created_at, updated_at, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (name) DO UPDATE SET event = excluded.event, url = excluded.url,
             secret_sealed = excluded.secret_sealed, active = excluded.active,
             disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.event)
    .bind(&row.url)
    .bind(&row.secret_sealed)
    .bind(row.active)
    .bind(&row.disabled_reason)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(&row.owner_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Deactivates webhook `name`, saying why (a receiver answered 410 Gone).
///
/// # Errors
/// On database failure.
pub async fn disable_webhook<'e>(
    db: impl AnyExecutor<'e>,
    name: &str,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhooks SET active = FALSE, disabled_reason = $1, updated_at = $2 WHERE name = $3",
    )
    .bind(reason)
    .bind(crate::store::now())
    .bind(name)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes the trigger or webhook `name` from `table`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete_listener<'e>(
    db: impl AnyExecutor<'e>,
    table: &'static str,
    name: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(&format!("DELETE FROM {table} WHERE name = $1"))
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
