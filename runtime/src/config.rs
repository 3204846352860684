//! Settings, read from flags and `SLUICE_*` environment variables by the CLI
//! (see `main.rs`); every field has a default that works on a laptop.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::engine::{EngineSettings, Limits};
use crate::identity::TokenSettings;
use crate::request_log::LogSettings;

/// Everything `sluice serve` needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (`SLUICE_LISTEN`, default `127.0.0.1:8080`);
    /// port 0 picks a free port.
    pub listen: SocketAddr,
    /// A second address serving the admin surface — `/admin`, `/console`,
    /// with `/authorization` and `/system` beside them — on an origin of
    /// its own (`SLUICE_ADMIN_LISTEN`, e.g. `127.0.0.1:8081`; port 0 picks
    /// a free port). When set, `listen` no longer serves `/admin` and
    /// `/console` (404) and this one serves no hosted operation, so a page
    /// an action answers can never run script on the console's origin.
    /// `None` (default): one listener serves everything.
    pub admin_listen: Option<SocketAddr>,
    /// Data directory (`SLUICE_DATA_DIR`, default `./data`), created if missing;
    /// holds the SQLite control plane `sluice.db`.
    pub data_dir: PathBuf,
    /// The PostgreSQL control plane (`SLUICE_DATABASE_URL`, a `postgres://`
    /// URL) shared by a cluster's nodes; `None` (default): SQLite in the
    /// data directory.
    pub database_url: Option<String>,
    /// Bootstrap admin bearer token (`SLUICE_ADMIN_TOKEN`), an explicit
    /// opt-in beside admin users' tokens; `None` (default): only access
    /// tokens with the `admin` scope open the admin API.
    pub admin_token: Option<String>,
    /// Key sealing connection configs at rest (`SLUICE_SECRET_KEY`, 64 hex
    /// characters); when `None`, `<data_dir>/secret.key` is used, generated
    /// with mode 0600 on first start.
    pub secret_key: Option<String>,
    /// Where rate-limit counts live (`SLUICE_RATE_LIMIT_STORE`): `memory`
    /// (default; each node counts alone) or a `redis://` URL shared by a
    /// cluster's nodes.
    pub rate_limit_store: String,
    /// What a check answers when the Redis store is unreachable
    /// (`SLUICE_RATE_LIMIT_FAILURE`, default `open`).
    pub rate_limit_failure: FailurePolicy,
    /// How long a node keeps serving after SIGTERM while `GET /system/ready`
    /// answers 503, before it stops accepting, ms (`SLUICE_DRAIN_MS`,
    /// default 0); behind a load balancer, about two readiness-probe
    /// intervals.
    pub drain_ms: u64,
    /// Origins allowed to call operations from a browser unless an
    /// operation's `cors` says otherwise (`SLUICE_CORS_ORIGINS`,
    /// comma-separated serialized origins or `*`, which reaches public
    /// operations only; default none).
    pub cors_origins: Vec<String>,
    /// Peers whose forwarding header (`client_ip_header`) is believed
    /// (`SLUICE_TRUSTED_PROXIES`, networks or addresses; default none: the
    /// client is the TCP peer).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The one header trusted proxies record the client's address in
    /// (`SLUICE_CLIENT_IP_HEADER`, default `x-forwarded-for`; `forwarded`
    /// reads RFC 7239); every other forwarding header is ignored, since a
    /// client can send any of them itself.
    pub client_ip_header: crate::edge::client::ForwardingHeader,
    /// The prefix length an IPv6 client is counted by for bans, failed
    /// token requests and per-address rate limits (`SLUICE_IPV6_PREFIX`,
    /// 1–128, default 64: the block one subscriber is usually given).
    pub ipv6_prefix: u8,
    /// The URL people and providers reach this server at
    /// (`SLUICE_PUBLIC_URL`, e.g. `https://api.example.com`), for the
    /// OAuth2 callback of connections; `None` (default): the scheme and
    /// `Host` of the admin's request.
    pub public_url: Option<String>,
    /// Answers larger than this are compressed when the client accepts it,
    /// bytes (`SLUICE_COMPRESSION_MIN_BYTES`, default 1 024; 0: never).
    pub compression_min_bytes: u16,
    /// Brute-force bans of the token endpoint (`SLUICE_TOKEN_BAN_*`).
    pub token_ban: crate::edge::ip_rules::BanSettings,
    /// TLS certificate and key (`--tls-cert`, `--tls-key`); `None`
    /// (default): plain HTTP.
    pub tls: Option<crate::edge::tls::TlsSettings>,
    /// Header timeout and caps on connections and headers.
    pub connections: crate::serve::ConnectionLimits,
    /// Whether the node records metrics (`SLUICE_METRICS`, default on);
    /// off, `GET /system/metrics` answers 404 and nothing is exported.
    pub metrics: bool,
    /// Largest request body the gateway accepts, in bytes (default 1 MiB);
    /// larger bodies get 413.
    pub max_request_bytes: usize,
    /// Largest `.wasm` upload the admin API accepts, in bytes (default 32 MiB);
    /// larger uploads get 413.
    pub max_upload_bytes: usize,
    /// What the token and revoke endpoints read of a form: bytes and
    /// fields (`SLUICE_AUTHORIZATION_MAX_BODY_BYTES`, default 16 KiB;
    /// `SLUICE_AUTHORIZATION_MAX_FIELDS`, default 32).
    pub authorization_form: FormLimits,
    /// Password checks at once and waiting (`SLUICE_HASH_CONCURRENCY`,
    /// `SLUICE_HASH_QUEUE`).
    pub hashing: crate::identity::passwords::HashSettings,
    /// Hourly allowances of portal sign-ups and mail per client and per
    /// address (`SLUICE_PORTAL_SIGNUPS_PER_HOUR`, `SLUICE_PORTAL_MAILS_PER_HOUR`,
    /// `SLUICE_PORTAL_MAILS_PER_ADDRESS_PER_HOUR`).
    pub portal_limits: crate::portal::PortalLimits,
    /// Dynamic client registration (RFC 7591): whether it is open, the
    /// scopes registered clients may ask, the allowance per address.
    pub client_registration: crate::identity::registration::RegistrationSettings,
    /// Seconds a device code of the device authorization grant (RFC 8628)
    /// waits for the user (`SLUICE_DEVICE_CODE_LIFETIME_SECS`, default 600).
    pub device_code_ttl_secs: i64,
    /// The MCP server at `/mcp`: which operations are tools by default,
    /// the `Host` and `Origin` values it accepts, how long an idle session
    /// lives.
    pub mcp: crate::mcp::McpSettings,
    /// Wasmtime settings: pool size, memory ceiling, default limits.
    pub engine: EngineSettings,
    /// Issuer, lifetimes and signing key of access tokens.
    pub tokens: TokenSettings,
    /// Whether and how long requests are logged.
    pub request_log: LogSettings,
    /// The outbox worker and the cron scheduler.
    pub worker: WorkerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_listen: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            admin_token: None,
            secret_key: None,
            rate_limit_store: "memory".into(),
            rate_limit_failure: FailurePolicy::Open,
            drain_ms: 0,
            metrics: true,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            client_ip_header: crate::edge::client::ForwardingHeader::default(),
            ipv6_prefix: 64,
            public_url: None,
            compression_min_bytes: 1024,
            tls: None,
            token_ban: crate::edge::ip_rules::BanSettings::default(),
            connections: crate::serve::ConnectionLimits::default(),
            max_request_bytes: 1 << 20,
            max_upload_bytes: 32 << 20,
            authorization_form: FormLimits::default(),
            hashing: crate::identity::passwords::HashSettings::default(),
            portal_limits: crate::portal::PortalLimits::default(),
            client_registration: crate::identity::registration::RegistrationSettings::default(),
            device_code_ttl_secs: 600,
            mcp: crate::mcp::McpSettings::default(),
            engine: EngineSettings::default(),
            tokens: TokenSettings::default(),
            request_log: LogSettings::default(),
            worker: WorkerSettings::default(),
        }
    }
}

/// Refuses a PostgreSQL control plane without the named `keys` (environment
/// variable, configured value) — `SLUICE_SECRET_KEY` and `SLUICE_JWT_KEY`
/// for a server: nodes of a cluster must seal secrets and sign tokens
/// with the same keys, and a node generating its own would neither read the
/// others' connections nor accept their tokens.
///
/// # Errors
/// When `database_url` is set and a key is missing; the message names it.
pub fn require_shared_keys(
    database_url: Option<&str>,
    keys: &[(&str, Option<&str>)],
) -> anyhow::Result<()> {
    if database_url.is_none() {
        return Ok(());
    }
    let missing: Vec<&str> = keys
        .iter()
        .filter(|(_, key)| key.is_none())
        .map(|(name, _)| *name)
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "{} must be set when the control plane is PostgreSQL (SLUICE_DATABASE_URL): \
         every node must use the same keys; make each with `openssl rand -hex 32` \
         and give all nodes the same values",
        missing.join(" and ")
    );
    Ok(())
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            pool_instances: 1000,
            max_memory_bytes: 256 << 20,
            max_response_bytes: 8 << 20,
            default_limits: Limits {
                fuel: 500_000_000,
                memory_bytes: 64 << 20,
                timeout_ms: 5_000,
            },
            component_cache_dir: None,
            pre_initialize: true,
            host_caps: crate::host::HostCaps::default(),
        }
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Run the worker in this process (`SLUICE_WORKER`, default on).
    pub enabled: bool,
    /// Attempts per delivery before it is marked failed
    /// (`SLUICE_DELIVERY_ATTEMPTS`, default 8).
    pub max_attempts: u32,
    /// Delay before the second attempt, ms; each later one doubles it, ±20 %
    /// jitter, at most one hour (`SLUICE_RETRY_BASE_MS`, default 5000).
    pub retry_base_ms: u64,
    /// Time a webhook receiver has to answer, ms (`SLUICE_WEBHOOK_TIMEOUT_MS`,
    /// default 10 000).
    pub webhook_timeout_ms: u64,
    /// How often the outbox is polled for work other nodes queued, ms
    /// (local dispatches wake the worker at once).
    pub poll_ms: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery stays claimed, ms
    /// (`SLUICE_DELIVERY_LEASE_MS`, default 30 000): after a worker dies
    /// mid-attempt, another (or the restarted one) retries it this much
    /// later. An attempt that outlives its lease may be made twice, which
    /// at-least-once delivery allows.
    pub lease_ms: u64,
    /// Days finished deliveries (with their events and attempts) and
    /// cronjob runs are kept (`SLUICE_EVENT_RETENTION_DAYS`, default 30).
    pub retention_days: u32,
    /// Networks a consumer's webhook may be delivered to although the
    /// egress guard refuses them — loopback, private, link-local …
    /// ([`crate::egress`]) — (`SLUICE_WEBHOOK_ALLOW_NETWORKS`,
    /// comma-separated CIDRs or addresses; default none). Admin webhooks
    /// are not guarded.
    pub webhook_allow_networks: Vec<ipnet::IpNet>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: 8,
            retry_base_ms: 5_000,
            webhook_timeout_ms: 10_000,
            poll_ms: 500,
            concurrency: 32,
            lease_ms: 30_000,
            retention_days: 30,
            webhook_allow_networks: Vec::new(),
        }
    }
}

/// What a check answers when Redis cannot be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailurePolicy {
    /// Admit the request (the default: an outage of Redis does not become
    /// an outage of the API).
    #[default]
    Open,
    /// Refuse it with 503 (`SLUICE_RATE_LIMIT_FAILURE=closed`).
    Closed,
}

/// The default of [`FormLimits::max_bytes`]: the largest RFC 6749 request
/// (a refresh token, a PKCE verifier, a few scopes) is well under 4 KiB.
pub const DEFAULT_MAX_BYTES: usize = 16 << 10;

/// The default of [`FormLimits::max_fields`]: the most fields a grant of
/// RFC 6749 or RFC 7009 names is seven.
pub const DEFAULT_MAX_FIELDS: usize = 32;

/// What the authorization endpoints accept as a form.
#[derive(Debug, Clone, Copy)]
pub struct FormLimits {
    /// Largest body, bytes (`SLUICE_AUTHORIZATION_MAX_BODY_BYTES`, default
    /// 16 KiB); a larger one is refused with 413 before it is read whole.
    pub max_bytes: usize,
    /// Most fields (`SLUICE_AUTHORIZATION_MAX_FIELDS`, default 32).
    pub max_fields: usize,
}

impl Default for FormLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_fields: DEFAULT_MAX_FIELDS,
        }
    }
}
