//! `/consumer/webhooks`: a consumer subscribes a URL of theirs to an event
//! the admin opened to consumers; every dispatch is POSTed there, signed
//! per Standard Webhooks with a secret shown once. Deliveries never reach
//! loopback, private, link-local, CGNAT, multicast or metadata addresses —
//! checked on the address connected to — unless the operator allows the
//! network (`SLUICE_WEBHOOK_ALLOW_NETWORKS`); see [`crate::egress`].

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::consumer::Consumer;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::webhooks as resource;
use crate::state::AppState;
use crate::store::events::{self, WebhookRow};
use crate::store::outbox;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(show).delete(remove))
        .route("/webhooks/{id}/deliveries", get(deliveries))
}

/// Body of `POST /consumer/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An event open to consumers (`GET /consumer/events`).
    pub event: String,
    /// Where deliveries are POSTed: `http` or `https`, no user name or
    /// password, not an address deliveries may not reach.
    pub url: String,
}

/// A webhook as its consumer sees it.
#[derive(Debug, Serialize)]
pub struct ConsumerWebhook {
    /// Its id.
    pub id: String,
    /// The event.
    pub event: String,
    /// The URL.
    pub url: String,
    /// Inactive webhooks (the receiver answered 410, or too many failures)
    /// get no deliveries.
    pub active: bool,
    /// Why the platform deactivated it, if it did.
    pub disabled_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<WebhookRow> for ConsumerWebhook {
    fn from(row: WebhookRow) -> Self {
        Self {
            id: row.name,
            event: row.event,
            url: row.url,
            active: row.active,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
        }
    }
}

/// A new webhook with its signing secret, shown this once.
#[derive(Debug, Serialize)]
pub struct WithSecret {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: ConsumerWebhook,
    /// `whsec_<base64>`: verify `webhook-signature` with it.
    pub secret: String,
}

/// One delivery as its consumer sees it.
#[derive(Debug, Serialize)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The event's id (`webhook-id`).
    pub event_id: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The receiver's status code at the last attempt, if it answered.
    pub last_status_code: Option<i64>,
    /// What went wrong at the last attempt, if it did.
    pub last_error: Option<String>,
    /// RFC 3339 dispatch time.
    pub created_at: String,
    /// RFC 3339 time it was delivered.
    pub delivered_at: Option<String>,
}

async fn owned(state: &AppState, consumer: &Consumer, id: &str) -> ApiResult<WebhookRow> {
    let mut conn = state.db.acquire().await?;
    resource::owned(&mut conn, &consumer.user.id, id).await
}

/// `GET /consumer/webhooks` → 200 with the consumer's webhooks.
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<ConsumerWebhook>>> {
    let rows = events::webhooks_owned_by(&state.db, &consumer.user.id).await?;
    Ok(Json(rows.into_iter().map(ConsumerWebhook::from).collect()))
}

/// `GET /consumer/webhooks/{id}` → 200, or 404.
pub async fn show(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsumerWebhook>> {
    Ok(Json(owned(&state, &consumer, &id).await?.into()))
}

/// `POST /consumer/webhooks` → 201 with the `secret` (shown this once);
/// 400 at `/event` for an event not open to consumers and at `/url` for a
/// URL deliveries may not reach; 409 past 25 webhooks ([`resource::subscribe`]).
pub async fn create(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<NewWebhook>,
) -> ApiResult<Response> {
    let mut conn = state.db.acquire().await?;
    let (row, secret) = resource::subscribe(
        &mut conn,
        &state.secrets,
        &consumer.user.id,
        input.event,
        input.url,
        &state.settings.worker.webhook_allow_networks,
    )
    .await?;
    let location = format!("/consumer/webhooks/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(WithSecret {
            webhook: row.into(),
            secret,
        }),
    )
        .into_response())
}

/// `DELETE /consumer/webhooks/{id}` → 204: no more deliveries.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let row = owned(&state, &consumer, &id).await?;
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &row.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /consumer/webhooks/{id}/deliveries` → 200 with the latest 100
/// deliveries, newest first, each with its last attempt's outcome.
pub async fn deliveries(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Delivery>>> {
    let row = owned(&state, &consumer, &id).await?;
    let rows = outbox::deliveries_of(&state.db, "webhook", &row.name, 100).await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let attempts = outbox::attempts_of(&state.db, &ids).await?;
    Ok(Json(
        rows.into_iter()
            .map(|d| {
                let last = attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .max_by_key(|a| a.attempt);
                Delivery {
                    id: d.id,
                    event_id: d.outbox_id,
                    attempts: d.attempts,
                    last_status_code: last.and_then(|a| a.status_code),
                    last_error: last.and_then(|a| a.error.clone()),
                    created_at: crate::store::ms_to_rfc3339(d.created_ms),
                    delivered_at: (d.state == "delivered")
                        .then(|| d.finished_ms.map(crate::store::ms_to_rfc3339))
                        .flatten(),
                    status: d.state,
                }
            })
            .collect(),
    ))
}
