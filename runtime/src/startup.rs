//! Building and running the application: control plane, engine, route
//! table and HTTP server. Tests use [`Application::build`] with port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use axum::routing::any;
use axum::{Extension, Router};
use tokio::net::TcpListener;

use crate::api;
use crate::api::auth::token_hash;
use crate::config::Settings;
use crate::connections::Registry;
use crate::edge::ip_rules::SharedCounts;
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};
use crate::events::EventCatalog;
use crate::gateway::rate_limit::{MemoryRateStore, RateLimits, RateStore, RedisRateStore};
use crate::gateway::surfaces::{ConsoleSide, PublicSide, Surfaces};
use crate::gateway::{gateway_handle, routes::RouteTable};
use crate::identity::Tokens;
use crate::outbox_writer::OutboxWriter;
use crate::request_log::RequestLog;
use crate::secrets::SecretBox;
use crate::state::{AppState, Shared};
use crate::store;
use crate::telemetry::metrics::{Metrics, PoolUsage};

impl AppState {
    /// Rebuilds the event catalog after an event or schema change (through
    /// [`AppState::apply`], which serialises reloads).
    ///
    /// # Errors
    /// On database failure.
    pub(crate) async fn reload_events(&self) -> ApiResult<()> {
        self.events.store(EventCatalog::load(&self.db).await?);
        Ok(())
    }

    /// Rebuilds the route table from the control plane and swaps it in
    /// (through [`AppState::apply`], which serialises reloads).
    ///
    /// # Errors
    /// On database failure.
    pub(crate) async fn reload_routes(&self) -> ApiResult<()> {
        let table = RouteTable::load(
            &self.db,
            &self.settings.cors_origins,
            self.settings.mcp.tools_by_default,
        )
        .await?;
        let tools = table.tools_fingerprint();
        self.routes.store(Arc::new(table));
        // MCP sessions announce a changed tool list to their clients.
        self.tools_changed.send_if_modified(|known| {
            let changed = *known != tools;
            *known = tools;
            changed
        });
        Ok(())
    }
}

impl AppState {
    /// Stops background work for an orderly exit: the worker claims no
    /// more deliveries and those it claimed finish (bounded by their lease,
    /// after which another node may take them); the request log is flushed.
    pub async fn stop_background(&self) {
        self.lifecycle.stop();
        if let Some(worker) = self.lifecycle.take_worker() {
            let lease = Duration::from_millis(self.settings.worker.lease_ms);
            if tokio::time::timeout(lease, worker).await.is_err() {
                tracing::warn!("deliveries still running at the stop; their leases will lapse");
            }
        }
        self.request_log.flush().await;
    }
}

/// A built, bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The admin listener and its router, when `SLUICE_ADMIN_LISTEN` is set.
    admin: Option<(TcpListener, Router)>,
    /// The listeners' origins, when the admin surface has its own.
    surfaces: Option<PublicSide>,
    state: AppState,
    /// The certificate when serving HTTPS (on both listeners).
    tls: Option<Arc<crate::edge::tls::Certificates>>,
}

/// What a listener serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// Everything: the platform's endpoints and hosted operations (no
    /// `SLUICE_ADMIN_LISTEN`).
    All,
    /// Hosted operations, `/system` and `/authorization`; `/admin` and
    /// `/console` answer 404.
    Public,
    /// `/admin`, `/console`, `/system` and `/authorization`; no hosted
    /// operation.
    Admin,
}

impl AppState {
    /// Opens (and migrates) the control plane in `settings.data_dir`, builds
    /// the engine, the route table and the event catalog, and starts the
    /// background tasks (token revocation sync, rate-limit upkeep, request
    /// log writer, and the worker when `settings.worker.enabled`).
    ///
    /// # Errors
    /// When the data directory, database or engine cannot be set up.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut shared = vec![("SLUICE_SECRET_KEY", settings.secret_key.as_deref())];
        if settings.tokens.algorithm == crate::identity::keys::TokenAlgorithm::Hs256 {
            shared.push(("SLUICE_JWT_KEY", settings.tokens.key.as_deref()));
        }
        crate::config::require_shared_keys(settings.database_url.as_deref(), &shared)?;
        anyhow::ensure!(
            (0.0..=1.0).contains(&settings.request_log.sample),
            "SLUICE_LOG_SAMPLE must be between 0 and 1 (the share of successful requests \
             logged), not {}",
            settings.request_log.sample
        );
        let db = store::open(&settings.data_dir, settings.database_url.as_deref()).await?;
        store::migrate(&db).await?;
        crate::builtins::install(&mut *db.acquire().await?, settings.engine.default_limits)
            .await
            .context("installing the built-in actions")?;
        let admin_token_hash = match settings.admin_token.as_deref() {
            Some(token) => {
                anyhow::ensure!(
                    token.len() >= 16,
                    "SLUICE_ADMIN_TOKEN must be at least 16 characters"
                );
                Some(token_hash(token))
            }
            None => None,
        };
        let node_id = uuid::Uuid::new_v4().simple().to_string();
        let secrets = SecretBox::load(settings.secret_key.as_deref(), &settings.data_dir)?;
        let mut settings = settings;
        settings.tokens.issuer = crate::identity::settle_issuer(&db, &settings.tokens)
            .await
            .context("settling the token issuer")?;
        let tokens = Tokens::load(
            settings.tokens.clone(),
            &settings.data_dir,
            db.clone(),
            node_id.clone(),
            secrets.clone(),
        )
        .await?;
        tokens.spawn_sync();
        let redis = match settings.rate_limit_store.as_str() {
            "memory" => None,
            url if url.starts_with("redis://") || url.starts_with("rediss://") => Some(Arc::new(
                RedisRateStore::new(url, settings.rate_limit_failure)
                    .context("SLUICE_RATE_LIMIT_STORE")?,
            )),
            other => anyhow::bail!(
                "SLUICE_RATE_LIMIT_STORE must be `memory` or a redis:// URL, not {other:?}"
            ),
        };
        let rate_store = match &redis {
            Some(redis) => RateStore::Redis(redis.clone()),
            None => RateStore::Memory(MemoryRateStore::default()),
        };
        let rate_limits = Arc::new(RateLimits::new(rate_store, settings.ipv6_prefix));
        rate_limits.reload(&db).await?;
        rate_limits.spawn_upkeep();
        let request_log = RequestLog::start(db.clone(), &settings.request_log);
        let db_for_events = db.clone();
        let worker_wake: Arc<tokio::sync::Notify> = Arc::default();
        let registry = Arc::new(Registry::new(
            settings.data_dir.clone(),
            db.clone(),
            secrets.clone(),
        ));
        let otlp_metrics = crate::telemetry::otel::metric_exporter_from_env()?;
        let push_metrics = settings.metrics && otlp_metrics.is_some();
        let metrics = Arc::new(Metrics::new(
            settings.metrics,
            settings.engine.pool_instances as usize,
            otlp_metrics,
        )?);
        let engine = Arc::new(
            Engine::new(settings.engine.clone())
                .context("building the engine")?
                .with_metrics(metrics.clone()),
        );
        let pools: Arc<dyn PoolUsage> = registry.clone();
        metrics.read_pools_from(Arc::downgrade(&pools));
        let routes =
            RouteTable::load(&db, &settings.cors_origins, settings.mcp.tools_by_default).await?;
        let tools_changed = tokio::sync::watch::Sender::new(routes.tools_fingerprint());
        // Failed token requests are counted where the cluster's nodes all
        // look: Redis when rate limits live there, else a PostgreSQL
        // control plane; a lone SQLite node counts in memory.
        let failure_counts = match (redis, store::dialect(&db)) {
            (Some(redis), _) => Some(SharedCounts::Redis(redis)),
            (None, store::Dialect::Postgres) => Some(SharedCounts::ControlPlane(db.clone())),
            (None, store::Dialect::Sqlite) => None,
        };
        let ip_rules = Arc::new(
            crate::edge::ip_rules::IpRules::load(&db, settings.token_ban, failure_counts)
                .await
                .context("loading the IP rules")?,
        );
        let settings_hashing = settings.hashing;
        let portal_guards = Arc::new(crate::portal::Guards::new(
            settings.portal_limits,
            settings.ipv6_prefix,
        ));
        portal_guards.spawn_upkeep();
        let settings_registration_per_hour = settings.client_registration.per_hour;
        let settings_ipv6_prefix = settings.ipv6_prefix;
        let state = AppState::new(Shared {
            db,
            engine,
            routes: Arc::new(ArcSwap::from_pointee(routes)),
            settings: Arc::new(settings),
            secrets,
            registry,
            admin_token_hash,
            tokens,
            ip_rules,
            rate_limits,
            request_log,
            events: Arc::new(ArcSwap::new(EventCatalog::load(&db_for_events).await?)),
            outbox: OutboxWriter::start(db_for_events.clone(), worker_wake.clone()),
            worker_wake,
            cron_wake: Arc::default(),
            lifecycle: crate::lifecycle::Lifecycle::default(),
            node_id,
            metrics,
            hashing: Arc::new(crate::identity::passwords::HashLimiter::new(
                settings_hashing,
            )),
            portal_guards,
            registrations: Arc::new(crate::identity::registration::Registrations::new(
                settings_registration_per_hour,
                settings_ipv6_prefix,
            )),
            reload_lock: tokio::sync::Mutex::default(),
            tools_changed,
        });
        if state.settings.worker.enabled {
            crate::worker::spawn(&state);
        }
        if push_metrics {
            // A scrape samples the outbox itself; pushed metrics need it
            // sampled as often as they are sent.
            let sampling = state.clone();
            tokio::spawn(async move {
                loop {
                    crate::worker::sample_backlog(&sampling).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            });
        }
        crate::changes::spawn_listener(&state);
        Ok(state)
    }
}

impl Application {
    /// Builds the [`AppState`] and binds `settings.listen` (and
    /// `settings.admin_listen`, when set).
    ///
    /// # Errors
    /// When the state cannot be built or a listener cannot bind.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listen = settings.listen;
        let admin_listen = settings.admin_listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let mut settings = settings;
        settings.tokens.derived_issuer = Some(crate::identity::issuer_at(
            settings.public_url.as_deref(),
            listener.local_addr()?,
            settings.tls.is_some(),
        ));
        let state = AppState::build(settings).await?;
        let (router, admin, public_side) = match admin_listen {
            None => (platform_router(&state, Surface::All), None, None),
            Some(address) => {
                let admin_listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("binding {address} (SLUICE_ADMIN_LISTEN)"))?;
                // The console on the admin listener calls operations on the
                // public one: each side learns the other's origin.
                let surfaces = Arc::new(Surfaces::new(
                    listener.local_addr()?.port(),
                    admin_listener.local_addr()?.port(),
                    state.settings.public_url.clone(),
                    state.settings.tls.is_some(),
                ));
                (
                    platform_router(&state, Surface::Public)
                        .layer(Extension(PublicSide(surfaces.clone()))),
                    Some((
                        admin_listener,
                        platform_router(&state, Surface::Admin)
                            .layer(Extension(ConsoleSide(surfaces.clone()))),
                    )),
                    // Hosted paths skip the router: the dispatch hands
                    // them the origins itself.
                    Some(PublicSide(surfaces)),
                )
            }
        };
        let tls = state
            .settings
            .tls
            .clone()
            .map(crate::edge::tls::Certificates::load)
            .transpose()?;
        // Watching from the start: a file replaced before the first
        // request is served is picked up too.
        if let Some(tls) = &tls {
            tls.watch();
        }
        Ok(Self {
            listener,
            router,
            admin,
            surfaces: public_side,
            state,
            tls,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The address the admin API and the console are served at: the admin
    /// listener's when `SLUICE_ADMIN_LISTEN` is set, else the bound one.
    pub fn admin_local_addr(&self) -> SocketAddr {
        self.admin.as_ref().map_or_else(
            || self.local_addr(),
            |(listener, _)| {
                listener
                    .local_addr()
                    .expect("a bound listener has an address")
            },
        )
    }

    /// Whether the admin surface has a listener of its own.
    pub fn has_admin_listener(&self) -> bool {
        self.admin.is_some()
    }

    /// The shared state (for tests that inspect the database).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting and lets
    /// requests in flight finish.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains like
    /// [`Application::run_until_stopped`].
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let drain = Duration::from_millis(state.settings.drain_ms);
        let draining = state.clone();
        let shutdown = async move {
            shutdown.await;
            // Not ready, but still serving: the load balancer's next
            // readiness probe takes the node out before it stops accepting.
            draining.lifecycle.stop();
            if !drain.is_zero() {
                tracing::info!(
                    drain_ms = drain.as_millis(),
                    "draining: /system/ready answers 503"
                );
                tokio::time::sleep(drain).await;
            }
        };
        // Both listeners stop together.
        let shutdown = futures_util::FutureExt::shared(Box::pin(shutdown));
        state.lifecycle.set_ready();
        let main = crate::serve::serve(
            self.listener,
            crate::gateway::dispatch::app_service(self.router, state.clone(), true, self.surfaces),
            &state.settings.connections,
            self.tls.clone(),
            shutdown.clone(),
        );
        let served = match self.admin {
            None => main.await,
            Some((listener, router)) => {
                // The same edge as the main listener: TLS, connection
                // limits and timeouts, the client-address and IP-rule
                // guard; but no gateway behind it.
                let admin = crate::serve::serve(
                    listener,
                    crate::gateway::dispatch::app_service(router, state.clone(), false, None),
                    &state.settings.connections,
                    self.tls,
                    shutdown,
                );
                let (main, admin) = tokio::join!(main, admin);
                main.and(admin)
            }
        };
        state.stop_background().await;
        served
    }
}

/// The router of the platform's own endpoints on a listener serving
/// `surface`.
fn platform_router(state: &AppState, surface: Surface) -> Router {
    let mut authorization = api::authorization::router()
        .merge(api::authorize::router())
        .merge(api::device::router(match surface {
            Surface::All => api::device::CliLogin::Here,
            Surface::Admin => api::device::CliLogin::AdminListener,
            Surface::Public => api::device::CliLogin::Elsewhere,
        }))
        .merge(api::federation::router())
        .merge(api::userinfo::router());
    // A browser app on another origin may sign in (password grant)
    // and revoke its tokens; the admin API stays same-origin.
    let policy = crate::cors_policy::CorsPolicy {
        methods: vec!["GET".into(), "POST".into()],
        ..Default::default()
    };
    if let Some(cors) =
        crate::gateway::cors::layer_for(Some(&policy), &state.settings.cors_origins, "POST", true)
    {
        authorization = authorization.layer(cors);
    }
    // `/authorization` and `/system` are on both listeners: consumers sign
    // in on the public one, the console and `sluice login` on the admin
    // one; probes, the reference and the OAuth2 callback (whose address is
    // built from the admin's request) work on either.
    let router = Router::new()
        .merge(api::system::router())
        .merge(api::metadata::router())
        .nest("/authorization", authorization)
        .merge(api::docs::router())
        .merge(api::oauth2::callback_router());
    let router = match surface {
        Surface::All | Surface::Admin => router
            .merge(api::console::router())
            .nest("/admin", api::admin_router(state)),
        Surface::Public => router
            .route("/admin", any(on_admin_listener))
            .route("/admin/{*rest}", any(on_admin_listener))
            .route("/console", any(on_admin_listener))
            .route("/console/{*rest}", any(on_admin_listener)),
    };
    // Consumers use the public listener, where they call operations; the
    // developer portal they do it from is served there too.
    let router = match surface {
        Surface::All | Surface::Public => router
            .nest("/consumer", crate::consumer::router())
            .merge(api::developer_portal::router())
            .merge(crate::mcp::router(state)),
        Surface::Admin => router,
    };
    let router = match surface {
        Surface::All | Surface::Public => router.fallback(gateway_handle),
        Surface::Admin => router.fallback(not_on_admin_listener),
    };
    router.with_state(state.clone())
}

/// `/admin` and `/console` on the public listener when the admin surface
/// has its own (`SLUICE_ADMIN_LISTEN`): 404.
async fn on_admin_listener(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "{} is not served on this address: the admin API and the console are on the admin \
         listener (SLUICE_ADMIN_LISTEN)",
        uri.path()
    ))
}

/// Any other path on the admin listener: 404, since hosted operations are
/// served on the public listener only.
async fn not_on_admin_listener(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "nothing is served at {} on the admin listener: operations are served on the main \
         address (SLUICE_LISTEN)",
        uri.path()
    ))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
