//! The shared application state: one [`Arc`] around everything the
//! handlers, the gateway, the host calls and the worker share. No logic
//! lives here (building it is `startup`'s part), so any module may depend on
//! it without depending on the server.

use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;
use sqlx::AnyPool;

use crate::config::Settings;
use crate::connections::Registry;
use crate::engine::Engine;
use crate::events::EventCatalog;
use crate::gateway::rate_limit::RateLimits;
use crate::gateway::routes::RouteTable;
use crate::identity::Tokens;
use crate::outbox_writer::OutboxWriter;
use crate::request_log::RequestLog;
use crate::secrets::SecretBox;

/// A handle on the [`Shared`] state; cheap to clone, and reads its fields
/// through `Deref` (`state.db`, `state.engine` …).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps `shared` in its one `Arc`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// What every handler, host call and worker shares: reached through one
/// [`Arc`], so cloning a handle is one reference count.
pub struct Shared {
    /// Control-plane database.
    pub db: AnyPool,
    /// The WebAssembly engine and component cache.
    pub engine: Arc<Engine>,
    /// The live route table, swapped whole after each admin change.
    pub routes: Arc<ArcSwap<RouteTable>>,
    /// Settings the server started with.
    pub settings: Arc<Settings>,
    /// Seals connection configs at rest.
    pub secrets: SecretBox,
    /// Open backends of connections (pools, clients, stores).
    pub registry: Arc<Registry>,
    /// SHA-256 of the bootstrap admin token, when one is configured.
    pub admin_token_hash: Option<[u8; 32]>,
    /// Issues and verifies access tokens.
    pub tokens: Arc<Tokens>,
    /// IP rules and the token endpoint's failure counts.
    pub ip_rules: Arc<crate::edge::ip_rules::IpRules>,
    /// Rate-limit rules and counts.
    pub rate_limits: Arc<RateLimits>,
    /// The request log writer.
    pub request_log: Arc<RequestLog>,
    /// Defined events with their compiled schemas.
    pub events: Arc<ArcSwap<EventCatalog>>,
    /// Wakes the delivery loop when events were queued.
    pub worker_wake: Arc<tokio::sync::Notify>,
    /// Writes dispatched events to the outbox, committing in groups.
    pub outbox: OutboxWriter,
    /// Wakes the scheduler when cronjobs changed.
    pub cron_wake: Arc<tokio::sync::Notify>,
    /// This node's id (random per start), the origin of the changes it
    /// announces to a cluster.
    pub node_id: String,
    /// Readiness and the orderly stop.
    pub lifecycle: crate::lifecycle::Lifecycle,
    /// The node's metrics (`GET /system/metrics`, OTLP).
    pub metrics: Arc<crate::telemetry::metrics::Metrics>,
    /// Bounds the password and client-secret checks anyone may ask for.
    pub hashing: Arc<crate::identity::passwords::HashLimiter>,
    /// The portal's sign-up and mail allowances.
    pub portal_guards: Arc<crate::portal::Guards>,
    /// The allowance of dynamic client registrations per address.
    pub registrations: Arc<crate::identity::registration::Registrations>,
    /// Serialises the reloads of [`AppState::apply`], so that a slow reload
    /// cannot overwrite a newer one.
    pub reload_lock: tokio::sync::Mutex<()>,
    /// The fingerprint of the MCP tools
    /// ([`crate::gateway::routes::RouteTable::tools_fingerprint`]), sent
    /// anew when they change; each MCP session watches it.
    pub tools_changed: tokio::sync::watch::Sender<u64>,
}
