//! Keeping the nodes of a cluster in step. Every node holds caches of the
//! control plane (the route table, the event catalog, rate-limit rules,
//! open connection backends, revoked tokens); an admin change is applied on
//! the node that made it and, on a PostgreSQL control plane, announced with
//! `NOTIFY` on [`CHANNEL`]. Every node `LISTEN`s and applies what it hears;
//! after losing its listening connection it reloads everything, since
//! notifications sent meanwhile are gone (PostgreSQL does not queue them for
//! a listener that is not connected).

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::{self, Dialect};

/// The PostgreSQL notification channel changes are announced on.
pub const CHANNEL: &str = "sluice_changes";

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
            other => Self::Connection(other.strip_prefix("connection:")?.to_string()),
        })
    }
}

/// Announces `change` to the other nodes (nothing on SQLite, where one
/// node's caches are the only ones).
///
/// # Errors
/// When the notification cannot be sent.
pub async fn announce(db: &store::Pool, change: &Change) -> sqlx::Result<()> {
    if store::dialect(db) == Dialect::Postgres {
        // `pg_notify` returns `void`, which the `Any` driver cannot read.
        sqlx::query("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS sent")
            .bind(CHANNEL)
            .bind(change.encode())
            .execute(db)
            .await?;
    }
    Ok(())
}

impl AppState {
    /// Applies `change` on this node and announces it to the others.
    ///
    /// # Errors
    /// When reloading a cache or announcing fails; the change itself is
    /// already stored.
    pub async fn changed(&self, change: Change) -> ApiResult<()> {
        self.apply(&change).await?;
        announce(&self.db, &change).await?;
        Ok(())
    }

    /// Brings this node's caches up to date with `change`.
    ///
    /// # Errors
    /// On database failure while reloading.
    pub async fn apply(&self, change: &Change) -> ApiResult<()> {
        match change {
            Change::Routes => self.reload_routes().await?,
            Change::Events => self.reload_events().await?,
            Change::RateLimits => self.rate_limits.reload(&self.db).await?,
            Change::Cronjobs => self.cron_wake.notify_one(),
            Change::Connection(name) => self.registry.close(name).await,
            Change::Revocations => self.tokens.sync_recent_revocations().await?,
        }
        Ok(())
    }

    /// Reloads every cache, for when notifications may have been missed.
    ///
    /// # Errors
    /// On database failure.
    pub async fn apply_all(&self) -> ApiResult<()> {
        for change in [
            Change::Routes,
            Change::Events,
            Change::RateLimits,
            Change::Cronjobs,
            Change::Revocations,
        ] {
            self.apply(&change).await?;
        }
        self.registry.close_all().await;
        Ok(())
    }
}

/// On a PostgreSQL control plane, starts the task that listens for other
/// nodes' changes and applies them; on SQLite does nothing.
pub fn spawn_listener(state: &AppState) {
    let Some(url) = state.settings.database_url.clone() else {
        return;
    };
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            match listen(&state, &url).await {
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
/// listening; returns an error when the connection is lost.
async fn listen(state: &AppState, url: &str) -> anyhow::Result<std::convert::Infallible> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Changes made between this node's start (or the lost connection) and
    // now were announced to nobody listening here.
    state.apply_all().await?;
    loop {
        match listener.try_recv().await? {
            Some(notification) => {
                let Some(change) = Change::decode(notification.payload()) else {
                    tracing::debug!(payload = notification.payload(), "unknown change ignored");
                    continue;
                };
                if let Err(e) = state.apply(&change).await {
                    tracing::warn!(error = %e, ?change, "applying a cluster change failed; reloading all");
                    state.apply_all().await?;
                }
            }
            // Lost: listen afresh, and reload all once listening again.
            None => anyhow::bail!("lost the connection listening for cluster changes"),
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
        ] {
            assert_eq!(Change::decode(&change.encode()), Some(change));
        }
        assert_eq!(Change::decode("something-new"), None);
    }
}
