//! Applying control-plane changes to this node's caches (the route table,
//! the event catalog, rate-limit rules, open connection backends, revoked
//! tokens, IP rules), and announcing them to the other nodes of a cluster
//! ([`crate::cluster`]). Here, above both, because it needs the shared
//! state and the cluster module must not.

use crate::cluster::{Caches, Change, announce};
use crate::error::ApiResult;
use crate::state::AppState;

impl AppState {
    /// Applies `change` on this node and announces it to the others.
    ///
    /// # Errors
    /// When reloading a cache or announcing fails; the change itself is
    /// already stored.
    pub async fn changed(&self, change: Change) -> ApiResult<()> {
        self.apply(&change).await?;
        announce(&self.db, &self.node_id, &change).await?;
        Ok(())
    }

    /// Carries out the `effects` of a committed change: this node applies
    /// each and announces it to the others.
    ///
    /// # Errors
    /// When applying or announcing fails; the change itself is already
    /// stored.
    pub async fn publish(&self, effects: crate::resources::Effects) -> ApiResult<()> {
        if !effects.revoked.is_empty() {
            crate::store::sessions::restamp_revocations(
                &self.db,
                &effects.revoked,
                crate::identity::unix_now(),
            )
            .await?;
        }
        for change in effects.changes {
            self.changed(change).await?;
        }
        Ok(())
    }

    /// Brings this node's caches up to date with `change`. Reloads are
    /// serialised: one that read the control plane before a change must
    /// not store what it read after a newer one (a rate-limit rule dropped
    /// and re-added that way would lose its counts).
    ///
    /// # Errors
    /// On database failure while reloading.
    pub async fn apply(&self, change: &Change) -> ApiResult<()> {
        let _guard = self.reload_lock.lock().await;
        match change {
            Change::Routes => self.reload_routes().await?,
            Change::Events => self.reload_events().await?,
            Change::RateLimits => self.rate_limits.reload(&self.db).await?,
            Change::Cronjobs => self.cron_wake.notify_one(),
            Change::Connection(name) => self.registry.close(name),
            Change::Revocations => self.tokens.sync_recent_revocations().await?,
            Change::SigningKeys => self.tokens.reload_keys().await?,
            Change::IpRules => self.ip_rules.reload(&self.db).await?,
        }
        Ok(())
    }

    /// Reloads every cache, for when notifications may have been missed;
    /// open connection backends are compared with the stored configs and
    /// only the changed or deleted ones closed ([`Registry::reload`]).
    ///
    /// [`Registry::reload`]: crate::connections::registry::Registry::reload
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
            Change::IpRules,
            Change::SigningKeys,
        ] {
            self.apply(&change).await?;
        }
        // Only backends whose connection changed go: closing them all would
        // drop every `memory` key-value store with its values on each
        // reload, and a reload can come at any time (a late listener start,
        // a version check that ran ahead of a notification).
        let _guard = self.reload_lock.lock().await;
        self.registry.reload().await?;
        Ok(())
    }
}

impl Caches for AppState {
    async fn apply(&self, change: &Change) -> ApiResult<()> {
        AppState::apply(self, change).await
    }

    async fn apply_all(&self) -> ApiResult<()> {
        AppState::apply_all(self).await
    }
}

/// On a PostgreSQL control plane, starts listening for other nodes'
/// changes ([`crate::cluster::spawn_listener`]); on SQLite does nothing.
pub fn spawn_listener(state: &AppState) {
    let Some(url) = state.settings.database_url.clone() else {
        return;
    };
    crate::cluster::spawn_listener(
        state.clone(),
        crate::cluster::Listener {
            db: state.db.clone(),
            url,
            node_id: state.node_id.clone(),
        },
    );
}
