//! Webhook deliveries: a CloudEvents 1.0 JSON body (structured mode) POSTed
//! with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`
//! under the `whsec_` secret's bytes).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use super::WorkerSettings;
use super::deliver::{Answer, excerpt};
use crate::egress;
use crate::resources::webhooks::SECRET_PREFIX;
use crate::state::AppState;
use crate::store::events;
use crate::store::outbox::Due;

/// The `webhook-signature` value for `id`, `timestamp` and `body`.
///
/// # Errors
/// When `secret` is not `whsec_<base64>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| "the webhook secret is not base64".to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The CloudEvents 1.0 structured JSON of a dispatched event.
pub fn cloud_event(due: &Due) -> Vec<u8> {
    let time =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(due.created_ms) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
    let data: serde_json::Value =
        serde_json::from_slice(&due.payload).unwrap_or(serde_json::Value::Null);
    serde_json::to_vec(&serde_json::json!({
        "specversion": "1.0",
        "id": due.outbox_id,
        "source": format!("/sluice/actions/{}", due.source),
        "type": due.event,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }))
    .unwrap_or_default()
}

/// The clients deliveries go out through: a webhook an admin made reaches
/// any address (an operator chose it), a consumer's goes through the egress
/// guard. Two clients, so a connection pooled for one never serves the
/// other.
#[derive(Debug, Clone)]
pub struct Clients {
    /// For admin webhooks (no owner): no redirects, the receiver's timeout.
    pub admin: reqwest::Client,
    /// For consumers' webhooks: [`crate::egress::client`].
    pub guarded: reqwest::Client,
    /// The networks the guard allows (`SLUICE_WEBHOOK_ALLOW_NETWORKS`),
    /// checked here for IP-literal hosts, which reqwest does not resolve.
    pub allow: Arc<[IpNet]>,
}

impl Clients {
    /// The clients of `settings` (`webhook_timeout_ms`,
    /// `webhook_allow_networks`).
    ///
    /// # Errors
    /// When the TLS backend cannot be set up.
    pub fn new(settings: &WorkerSettings) -> reqwest::Result<Self> {
        let timeout = Duration::from_millis(settings.webhook_timeout_ms);
        Ok(Self {
            admin: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            guarded: egress::client(&settings.webhook_allow_networks, timeout)?,
            allow: settings.webhook_allow_networks.as_slice().into(),
        })
    }
}

/// POSTs the event to the webhook, through the egress guard when a
/// consumer owns it.
///
/// # Errors
/// A text saying why no answer came (deleted webhook, bad secret, connect
/// failure, timeout, or the guard's refusal: `refused: 127.0.0.1 is a
/// loopback address; set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow it`).
pub async fn send(state: &AppState, clients: &Clients, due: &Due) -> Result<Answer, String> {
    let hook = events::webhook(&state.db, &due.target)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("webhook {:?} was deleted", due.target))?;
    let client = if hook.owner_id.is_some() {
        let url =
            url::Url::parse(&hook.url).map_err(|e| format!("the webhook url is not a URL: {e}"))?;
        egress::check_destination(&url, &clients.allow).map_err(|r| r.to_string())?;
        &clients.guarded
    } else {
        &clients.admin
    };
    let secret = state
        .secrets
        .open(&format!("webhook:{}", hook.name), &hook.secret_sealed)
        .map_err(|e| e.to_string())?;
    let secret = String::from_utf8(secret).map_err(|e| e.to_string())?;
    let body = cloud_event(due);
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&secret, &due.outbox_id, timestamp, &body)?;
    let mut trace = reqwest::header::HeaderMap::new();
    crate::telemetry::propagation::inject(&mut trace);
    let mut response = client
        .post(&hook.url)
        .headers(trace)
        .header("content-type", "application/cloudevents+json")
        .header("webhook-id", &due.outbox_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .header("user-agent", concat!("sluice/", env!("CARGO_PKG_VERSION")))
        .body(body)
        .send()
        .await
        .map_err(|e| match egress::refusal(&e) {
            Some(refused) => refused.to_string(),
            None => crate::host::error_chain(&e.without_url()),
        })?;
    let status = response.status().as_u16();
    // The first chunk is enough for the excerpt; the rest is not read.
    let bytes = response.chunk().await.ok().flatten().unwrap_or_default();
    Ok(Answer {
        status,
        excerpt: excerpt(&bytes),
    })
}
