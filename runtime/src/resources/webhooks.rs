//! Webhooks: POST every dispatch of an event to a URL, signed per
//! Standard Webhooks, with a `whsec_` secret shown once and sealed at rest.
//! The admin's webhooks (and a deploy's) are named by the admin and may
//! point anywhere; a consumer's have an owner and a generated name, listen
//! only to events open to consumers, and reach only addresses the egress
//! guard allows ([`crate::egress`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::error::{ApiError, ApiResult};
use crate::identity::random_hex;
use crate::resources::check_name;
use crate::secrets::SecretBox;
use crate::store::events::{self, WebhookRow};

/// Prefix of webhook secrets (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// Most webhooks one consumer may have.
pub const MAX_PER_CONSUMER: usize = 25;

/// Longest URL a consumer may subscribe, in bytes.
const MAX_CONSUMER_URL: usize = 2000;

/// Body of `POST /admin/webhooks`, and a deploy file's `webhooks` entry.
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
    #[serde(default = "crate::resources::default_true")]
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

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
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

/// A new active webhook `name` with a fresh secret, sealed; answers the
/// row and the secret in the clear (shown once).
fn fresh(
    secrets: &SecretBox,
    name: String,
    event: String,
    url: String,
    active: bool,
    owner_id: Option<String>,
) -> ApiResult<(WebhookRow, String)> {
    let secret = new_secret();
    let now = crate::store::now();
    let row = WebhookRow {
        secret_sealed: secrets.seal(&format!("webhook:{name}"), secret.as_bytes())?,
        name,
        event,
        url,
        active,
        disabled_reason: None,
        owner_id,
        created_at: now.clone(),
        updated_at: now,
    };
    Ok((row, secret))
}

/// Checks `input` against what `conn` sees and stores it. A new webhook
/// gets a fresh secret, returned once; replacing `existing` keeps its
/// secret, owner and creation time, and activating it clears why it was
/// disabled.
///
/// # Errors
/// 400 for a bad name or URL, 422 for an unknown event.
pub async fn write(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
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
                updated_at: crate::store::now(),
            },
            None,
        ),
        None => {
            let (row, secret) = fresh(
                secrets,
                input.name,
                input.event,
                input.url,
                input.active,
                None,
            )?;
            (row, Some(secret))
        }
    };
    events::upsert_webhook(&mut *conn, &row).await?;
    Ok((row, secret))
}

/// Applies `patch` to `row` and stores it: a new URL, or (de)activation;
/// activating clears why the platform disabled it.
///
/// # Errors
/// 400 for a bad URL.
pub async fn update(
    conn: &mut AnyConnection,
    row: &mut WebhookRow,
    patch: WebhookPatch,
) -> ApiResult<()> {
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
    events::upsert_webhook(&mut *conn, row).await?;
    Ok(())
}

/// Subscribes `url` to `event` for the consumer `owner_id`, under a
/// generated name; answers the row and its secret (shown once). Counting
/// and inserting happen under the caller's write lock when `conn` is a
/// write transaction.
///
/// # Errors
/// 400 at `/event` for an event not open to consumers, at `/url` for a
/// URL longer than 2,000 bytes or one deliveries may not reach (outside
/// `allow`); 409 past [`MAX_PER_CONSUMER`] webhooks.
pub async fn subscribe(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    owner_id: &str,
    event: String,
    url: String,
    allow: &[IpNet],
) -> ApiResult<(WebhookRow, String)> {
    let open = events::open_to_consumers(&mut *conn).await?;
    if !open.iter().any(|e| e.name == event) {
        return Err(ApiError::at(
            "/event",
            format!(
                "event {event:?} is not open to consumers; GET /consumer/events lists those that are"
            ),
        ));
    }
    if url.len() > MAX_CONSUMER_URL {
        return Err(ApiError::at(
            "/url",
            format!("the url may have at most {MAX_CONSUMER_URL} characters"),
        ));
    }
    crate::egress::check_url(&url, allow).map_err(|e| ApiError::at("/url", e))?;
    if events::webhooks_owned_by(&mut *conn, owner_id).await?.len() >= MAX_PER_CONSUMER {
        return Err(ApiError::Conflict(format!(
            "you have {MAX_PER_CONSUMER} webhooks, the most allowed; delete one first"
        )));
    }
    let name = format!("wh-{}", random_hex(8));
    let (row, secret) = fresh(secrets, name, event, url, true, Some(owner_id.to_string()))?;
    events::upsert_webhook(&mut *conn, &row).await?;
    Ok((row, secret))
}

/// The webhook `name` when the consumer `owner_id` owns it.
///
/// # Errors
/// 404 for anyone else's webhook, or none.
pub async fn owned(conn: &mut AnyConnection, owner_id: &str, name: &str) -> ApiResult<WebhookRow> {
    events::webhook(&mut *conn, name)
        .await?
        .filter(|w| w.owner_id.as_deref() == Some(owner_id))
        .ok_or_else(|| ApiError::NotFound(format!("you have no webhook with id {name:?}")))
}

/// Deletes webhook `name` through `conn` (its pending deliveries fail);
/// false when there is none.
///
/// # Errors
/// On database failure.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<bool> {
    Ok(events::delete_listener(&mut *conn, "webhooks", name).await?)
}
