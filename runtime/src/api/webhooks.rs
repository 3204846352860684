//! `/admin/webhooks`: POST every dispatch of an event to a URL, signed per
//! Standard Webhooks; the `whsec_` secret is shown once at creation and
//! sealed at rest. `GET /admin/webhooks/{name}/deliveries` shows each
//! delivery's attempts (status, excerpt, duration, next retry).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use crate::api::created;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::webhooks::{self as resource, WebhookInput, WebhookPatch, WebhookWithSecret};
use crate::resources::{found, taken};
use crate::state::AppState;
use crate::store::events::{self, WebhookRow};
use crate::store::outbox::{self, AttemptRow, DeliveryRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(webhooks_list).post(webhooks_create))
        .route(
            "/webhooks/{name}",
            get(webhooks_get)
                .patch(webhooks_update)
                .delete(webhooks_delete),
        )
        .route("/webhooks/{name}/deliveries", get(webhooks_deliveries))
}

/// A delivery with its attempts.
#[derive(Debug, Serialize)]
pub struct History {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryRow,
    /// Its attempts, in order.
    pub attempts: Vec<AttemptRow>,
}

/// The latest 100 deliveries of the `kind` target `name` with their attempts.
///
/// # Errors
/// On database failure.
pub async fn history(state: &AppState, kind: &str, name: &str) -> ApiResult<Vec<History>> {
    let deliveries = outbox::deliveries_of(&state.db, kind, name, 100).await?;
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts = outbox::attempts_of(&state.db, &ids).await?;
    Ok(deliveries
        .into_iter()
        .map(|delivery| {
            let mine = attempts
                .extract_if(.., |a| a.delivery_id == delivery.id)
                .collect();
            History {
                delivery,
                attempts: mine,
            }
        })
        .collect())
}

async fn find(state: &AppState, name: &str) -> ApiResult<WebhookRow> {
    found(events::webhook(&state.db, name).await?, "webhook", name)
}

/// `GET /admin/webhooks` → 200 with every webhook (no secrets).
pub async fn webhooks_list(State(state): State<AppState>) -> ApiResult<Json<Vec<WebhookRow>>> {
    Ok(Json(events::webhooks(&state.db).await?))
}

/// `GET /admin/webhooks/{name}` → 200 (no secret), or 404.
pub async fn webhooks_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<WebhookRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/webhooks` → 201 with the `secret` (shown this once); 400
/// for a bad URL, 409 when the name exists, 422 for an unknown event.
pub async fn webhooks_create(
    State(state): State<AppState>,
    Json(input): Json<WebhookInput>,
) -> ApiResult<Response> {
    if events::webhook(&state.db, &input.name).await?.is_some() {
        return Err(taken("a webhook", &input.name));
    }
    let mut conn = state.db.acquire().await?;
    let (webhook, secret) = resource::write(&mut conn, &state.secrets, input, None).await?;
    let location = format!("/admin/webhooks/{}", webhook.name);
    Ok(created(
        location,
        WebhookWithSecret {
            webhook,
            secret: secret.unwrap_or_default(),
        },
    ))
}

/// `PATCH /admin/webhooks/{name}` → 200; 404 when unknown, 400 for a bad URL.
pub async fn webhooks_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<WebhookPatch>,
) -> ApiResult<Json<WebhookRow>> {
    let mut row = find(&state, &name).await?;
    let mut conn = state.db.acquire().await?;
    resource::update(&mut conn, &mut row, patch).await?;
    Ok(Json(row))
}

/// `DELETE /admin/webhooks/{name}` → 204, or 404.
pub async fn webhooks_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut conn = state.db.acquire().await?;
    let gone = resource::remove(&mut conn, &name).await?;
    found(gone.then_some(()), "webhook", &name)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/webhooks/{name}/deliveries` → 200 with the latest 100
/// deliveries and their attempts, newest first; 404 when unknown.
pub async fn webhooks_deliveries(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<History>>> {
    find(&state, &name).await?;
    Ok(Json(history(&state, "webhook", &name).await?))
}
