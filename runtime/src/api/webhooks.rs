//! `/admin/webhooks`: POST every dispatch of an event to a URL, signed per
//! Standard Webhooks; the `whsec_` secret is shown once at creation and
//! sealed at rest. `GET /admin/webhooks/{name}/deliveries` shows each
//! delivery's attempts (status, excerpt, duration, next retry).

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::error::{ApiError, ApiResult};
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

/// Body of `POST /admin/webhooks`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Unique name.
    pub name: String,
    /// The event to deliver.
    pub event: String,
    /// An `http` or `https` URL.
    pub url: String,
    /// Default true.
    #[serde(default = "crate::api::default_true")]
    pub active: bool,
}

/// Body of `PATCH /admin/webhooks/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// New URL.
    pub url: Option<String>,
    /// Re-activate (clears the reason it was disabled) or deactivate.
    pub active: Option<bool>,
}

/// A webhook with its secret: the answer of create, the only time the
/// secret is shown.
#[derive(Debug, Serialize)]
pub struct WebhookWithSecret {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookRow,
    /// `whsec_<base64>`: verify `webhook-signature` with it.
    pub secret: String,
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

fn check_url(url: &str) -> ApiResult<()> {
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::BadRequest(format!("url {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ApiError::BadRequest(
            "the webhook url must be http(s) with a host".into(),
        ));
    }
    Ok(())
}

async fn find(state: &AppState, name: &str) -> ApiResult<WebhookRow> {
    events::webhook(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no webhook named {name:?}")))
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
        return Err(ApiError::Conflict(format!(
            "a webhook named {:?} already exists",
            input.name
        )));
    }
    let mut conn = state.db.acquire().await?;
    let (webhook, secret) = write(&mut conn, &state.secrets, input, None).await?;
    let location = format!("/admin/webhooks/{}", webhook.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(WebhookWithSecret {
            webhook,
            secret: secret.unwrap_or_default(),
        }),
    )
        .into_response())
}

/// Checks `input` against what `conn` sees and stores it. A new webhook
/// gets a fresh secret, returned once; replacing `existing` keeps its
/// secret and creation time, and activating it clears why it was disabled.
///
/// # Errors
/// 400 for a bad name or URL, 422 for an unknown event.
pub async fn write(
    conn: &mut AnyConnection,
    secrets: &crate::secrets::SecretBox,
    input: WebhookInput,
    existing: Option<WebhookRow>,
) -> ApiResult<(WebhookRow, Option<String>)> {
    check_name("webhook", &input.name)?;
    check_url(&input.url)?;
    if events::get(&mut *conn, &input.event).await?.is_none() {
        return Err(ApiError::Unprocessable(format!(
            "there is no event named {:?}",
            input.event
        )));
    }
    let now = crate::store::now();
    let (row, secret) = match existing {
        Some(old) => (
            WebhookRow {
                disabled_reason: old.disabled_reason.filter(|_| !input.active),
                name: input.name,
                event: input.event,
                url: input.url,
                active: input.active,
                secret_sealed: old.secret_sealed,
                owner_id: old.owner_id,
                created_at: old.created_at,
                updated_at: now,
            },
            None,
        ),
        None => {
            let secret = crate::worker::webhook::new_secret();
            let row = WebhookRow {
                secret_sealed: secrets
                    .seal(&format!("webhook:{}", input.name), secret.as_bytes())?,
                name: input.name,
                event: input.event,
                url: input.url,
                active: input.active,
                disabled_reason: None,
                owner_id: None,
                created_at: now.clone(),
                updated_at: now,
            };
            (row, Some(secret))
        }
    };
    events::upsert_webhook(&mut *conn, &row).await?;
    Ok((row, secret))
}

/// `PATCH /admin/webhooks/{name}` → 200; 404 when unknown, 400 for a bad URL.
pub async fn webhooks_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<WebhookPatch>,
) -> ApiResult<Json<WebhookRow>> {
    let mut row = find(&state, &name).await?;
    if let Some(url) = patch.url {
        check_url(&url)?;
        row.url = url;
    }
    if let Some(active) = patch.active {
        row.active = active;
        if active {
            row.disabled_reason = None;
        }
    }
    row.updated_at = crate::store::now();
    events::upsert_webhook(&state.db, &row).await?;
    Ok(Json(row))
}

/// `DELETE /admin/webhooks/{name}` → 204, or 404.
pub async fn webhooks_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if !events::delete_listener(&state.db, "webhooks", &name).await? {
        return Err(ApiError::NotFound(format!(
            "there is no webhook named {name:?}"
        )));
    }
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
