//! Keeping the nodes of a cluster in step. Every node holds caches of the
//! control plane (the route table, the event catalog, rate-limit rules,
//! open connection backends, revoked tokens); an admin change is applied on
//! the node that made it and, on a PostgreSQL control plane, announced with
//! `NOTIFY` on [`CHANNEL`]. Every node `LISTEN`s and applies what it hears;
//! after losing its listening connection it reloads everything, since
//! notifications sent meanwhile are gone (PostgreSQL does not queue them for
//! a listener that is not connected). Each change also bumps a version in
//! the `settings` table and carries it in its payload; every
//! [`VERSION_CHECK`] a node compares the stored version with the last it
//! heard of, and reloads everything when it missed one.

use std::time::Duration;

use futures_util::StreamExt;
use sqlx::postgres::PgListener;

use crate::error::ApiResult;
use crate::store::{self, Dialect};

/// The PostgreSQL notification channel changes are announced on.
pub const CHANNEL: &str = "sluice_changes";

/// How often a node checks that it heard of every change.
pub const VERSION_CHECK: Duration = Duration::from_secs(5);

/// The `settings` key of the change version.
const VERSION_KEY: &str = "change_version";

/// A change to the control plane that nodes must apply to their caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Operations, actions, versions, grants or schemas: the route table.
    Routes,
    /// Events, triggers or webhooks: the event catalog.
    Events,
    /// Rate-limit rules.
    RateLimits,
    /// Cronjobs: the scheduler looks again at once.
    Cronjobs,
    /// The connection called so changed or went: its open pool or client
    /// is closed, and reopened from the new config on next use.
    Connection(String),
    /// Tokens or sessions were revoked (also a user or app deactivated).
    Revocations,
    /// IP rules, bans included.
    IpRules,
    /// Token signing keys: one made, retired or deleted.
    SigningKeys,
}

impl Change {
    /// The notification payload: `routes`, `connection:<name>` ….
    pub fn encode(&self) -> String {
        match self {
            Self::Routes => "routes".into(),
            Self::Events => "events".into(),
            Self::RateLimits => "rate_limits".into(),
            Self::Cronjobs => "cronjobs".into(),
            Self::Connection(name) => format!("connection:{name}"),
            Self::Revocations => "revocations".into(),
            Self::SigningKeys => "signing_keys".into(),
            Self::IpRules => "ip_rules".into(),
        }
    }

    /// Reads a payload written by [`Change::encode`]; `None` for one this
    /// build does not know (a newer node's), which the caller may ignore.
    pub fn decode(payload: &str) -> Option<Self> {
        Some(match payload {
            "routes" => Self::Routes,
            "events" => Self::Events,
            "rate_limits" => Self::RateLimits,
            "cronjobs" => Self::Cronjobs,
            "revocations" => Self::Revocations,
            "signing_keys" => Self::SigningKeys,
            "ip_rules" => Self::IpRules,
            other => Self::Connection(other.strip_prefix("connection:")?.to_string()),
        })
    }
}

/// Announces `change`, made on node `origin`, to the other nodes (nothing
/// on SQLite, where one node's caches are the only ones). The payload is
/// `<change>@<version>@<origin>`: a node skips its own announcements, since
/// applying a change twice could close a connection's fresh pool under a
/// request that just opened it.
///
/// # Errors
/// When the notification cannot be sent.
pub async fn announce(db: &store::Pool, origin: &str, change: &Change) -> sqlx::Result<()> {
    if store::dialect(db) == Dialect::Postgres {
        let version: String = sqlx::query_scalar(
            "INSERT INTO settings (key, value) VALUES ($1, '1')
             ON CONFLICT (key) DO UPDATE
                 SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)
             RETURNING value",
        )
        .bind(VERSION_KEY)
        .fetch_one(db)
        .await?;
        // `pg_notify` returns `void`, which the `Any` driver cannot read.
        sqlx::query("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS sent")
            .bind(CHANNEL)
            .bind(format!("{}@{version}@{origin}", change.encode()))
            .execute(db)
            .await?;
    }
    Ok(())
}

/// The version of the last change announced (0 before any).
async fn stored_version(db: &store::Pool) -> sqlx::Result<i64> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(VERSION_KEY)
        .fetch_optional(db)
        .await?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// What a node does with the changes it hears; implemented over the
/// shared state in [`crate::changes`], so that this module does not reach
/// up into it.
pub trait Caches: Clone + Send + Sync + 'static {
    /// Brings this node's caches up to date with `change`.
    ///
    /// # Errors
    /// On database failure while reloading.
    fn apply(&self, change: &Change) -> impl Future<Output = ApiResult<()>> + Send;

    /// Reloads every cache, for when notifications may have been missed.
    ///
    /// # Errors
    /// On database failure.
    fn apply_all(&self) -> impl Future<Output = ApiResult<()>> + Send;
}

/// Where a node listens and who it is.
#[derive(Debug, Clone)]
pub struct Listener {
    /// The control plane (its change version is read from here).
    pub db: store::Pool,
    /// The PostgreSQL URL to `LISTEN` on.
    pub url: String,
    /// This node's id, to skip its own announcements.
    pub node_id: String,
}

/// Starts the task that listens for other nodes' changes on a PostgreSQL
/// control plane and applies them to `caches`.
pub fn spawn_listener(caches: impl Caches, listener: Listener) {
    tokio::spawn(async move {
        loop {
            match listen(&caches, &listener).await {
                Ok(never) => match never {},
                Err(e) => {
                    tracing::warn!(error = %e, "listening for cluster changes failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

/// Listens and applies each change heard, after reloading everything once
/// listening, and every [`VERSION_CHECK`] reloads everything if a change
/// went unheard; returns only with an error.
async fn listen(caches: &impl Caches, at: &Listener) -> anyhow::Result<std::convert::Infallible> {
    let mut listener = PgListener::connect(&at.url).await?;
    listener.listen(CHANNEL).await?;
    // Changes made between this node's start (or the lost connection) and
    // now were announced to nobody listening here.
    let mut heard = stored_version(&at.db).await?;
    caches.apply_all().await?;
    // The first check a period from now: everything was just reloaded, and
    // checking at once would reload it again for changes made meanwhile
    // whose notifications are on their way.
    let mut check =
        tokio::time::interval_at(tokio::time::Instant::now() + VERSION_CHECK, VERSION_CHECK);
    // A stream keeps its place when the version check wins a round (the
    // listener's own receive is not cancel-safe); it reconnects by itself
    // after a lost connection, and the version check catches what was
    // announced meanwhile.
    let mut notifications = listener.into_stream();
    loop {
        let notification = tokio::select! {
            // Notifications first: a check that won the round while one was
            // already received would find its version unheard and reload
            // everything for nothing.
            biased;
            next = notifications.next() => match next {
                Some(notification) => notification?,
                None => anyhow::bail!("the cluster change listener ended"),
            },
            _ = check.tick() => {
                let stored = stored_version(&at.db).await?;
                if stored > heard {
                    tracing::warn!(stored, heard, "missed a cluster change; reloading all");
                    heard = stored;
                    caches.apply_all().await?;
                }
                continue;
            }
        };
        let mut parts = notification.payload().rsplitn(3, '@');
        let (origin, version, payload) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        heard = heard.max(version.parse().unwrap_or(0));
        if origin == at.node_id {
            continue;
        }
        let Some(change) = Change::decode(payload) else {
            tracing::debug!(payload, "unknown change ignored");
            continue;
        };
        if let Err(e) = caches.apply(&change).await {
            tracing::warn!(error = %e, ?change, "applying a cluster change failed; reloading all");
            caches.apply_all().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn every_change_reads_back_as_itself() {
        for change in [
            Change::Routes,
            Change::Events,
            Change::RateLimits,
            Change::Cronjobs,
            Change::Connection("db:main".into()),
            Change::Revocations,
            Change::IpRules,
            Change::SigningKeys,
        ] {
            assert_eq!(Change::decode(&change.encode()), Some(change));
        }
        assert_eq!(Change::decode("something-new"), None);
    }
}
