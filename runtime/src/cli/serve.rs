//! `sluice serve` and the flags it shares with `sluice up`, `sluice
//! worker` and `sluice token`.

use crate::gateway::rate_limit::FailurePolicy;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::config::Settings;
use crate::identity::TokenSettings;
use crate::identity::keys::TokenAlgorithm;
use crate::request_log::LogSettings;
use crate::startup::Application;
use crate::worker::WorkerSettings;

/// Flags of the outbox worker and the cron scheduler.
#[derive(Debug, Clone, Args)]
pub struct WorkerFlags {
    /// Attempts per event delivery before it is marked failed.
    #[arg(long, env = "SLUICE_DELIVERY_ATTEMPTS", default_value_t = 8)]
    pub delivery_attempts: u32,
    /// Delay before the second delivery attempt, ms; doubling each time (±20 % jitter).
    #[arg(long, env = "SLUICE_RETRY_BASE_MS", default_value_t = 5000)]
    pub retry_base_ms: u64,
    /// Time a webhook receiver has to answer, ms.
    #[arg(long, env = "SLUICE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// How long a claimed delivery stays claimed, ms; a crashed worker's
    /// deliveries are retried this much later.
    #[arg(long, env = "SLUICE_DELIVERY_LEASE_MS", default_value_t = 30_000)]
    pub delivery_lease_ms: u64,
    /// Days finished deliveries and cronjob runs are kept.
    #[arg(long, env = "SLUICE_EVENT_RETENTION_DAYS", default_value_t = 30)]
    pub event_retention_days: u32,
    /// Networks consumers' webhooks may reach although they are loopback,
    /// private, link-local or otherwise internal: comma-separated CIDRs or
    /// addresses (`127.0.0.0/8,10.1.0.0/16`). Default: none.
    #[arg(long, env = "SLUICE_WEBHOOK_ALLOW_NETWORKS", default_value = "", value_parser = check_allow_networks)]
    pub webhook_allow_networks: String,
}

/// Checks `SLUICE_WEBHOOK_ALLOW_NETWORKS` when the flags are parsed.
fn check_allow_networks(list: &str) -> Result<String, String> {
    crate::egress::parse_networks(list).map(|_| list.to_string())
}

impl WorkerFlags {
    /// The worker settings, running when `enabled`.
    pub fn settings(&self, enabled: bool) -> WorkerSettings {
        WorkerSettings {
            enabled,
            max_attempts: self.delivery_attempts.max(1),
            retry_base_ms: self.retry_base_ms,
            webhook_timeout_ms: self.webhook_timeout_ms,
            lease_ms: self.delivery_lease_ms.max(1000),
            retention_days: self.event_retention_days,
            webhook_allow_networks: crate::egress::parse_networks(&self.webhook_allow_networks)
                .unwrap_or_default(),
            ..WorkerSettings::default()
        }
    }
}

/// Flags of access tokens.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// `iss` and `aud` of access tokens and the authorization server's
    /// issuer identifier (RFC 8414 §2). Default: SLUICE_PUBLIC_URL, else the
    /// URL the server listens at.
    #[arg(long, env = "SLUICE_TOKEN_ISSUER")]
    pub token_issuer: Option<String>,
    /// Access-token lifetime, seconds.
    #[arg(long, env = "SLUICE_ACCESS_TOKEN_TTL", default_value_t = 3600)]
    pub access_token_ttl: i64,
    /// Refresh-token (session) lifetime, seconds.
    #[arg(long, env = "SLUICE_REFRESH_TOKEN_TTL", default_value_t = 30 * 86_400)]
    pub refresh_token_ttl: i64,
    /// How access tokens are signed: `EdDSA` (Ed25519 keys kept in the
    /// control plane and published at /authorization/jwks) or `HS256` (one
    /// shared secret, SLUICE_JWT_KEY; for deployments that verify tokens
    /// with it).
    #[arg(
        long,
        env = "SLUICE_TOKEN_ALGORITHM",
        value_enum,
        default_value = "EdDSA"
    )]
    pub token_algorithm: TokenAlgorithm,
    /// HS256 key signing access tokens under SLUICE_TOKEN_ALGORITHM=HS256:
    /// 64 hex characters. Without it `<data dir>/jwt.key` is used,
    /// generated (mode 0600) on first start.
    #[arg(long, env = "SLUICE_JWT_KEY", hide_env_values = true)]
    pub jwt_key: Option<String>,
    /// Days an EdDSA signing key signs before a new one replaces it; 0
    /// rotates only when an admin asks (POST /admin/signing-keys).
    #[arg(long, env = "SLUICE_SIGNING_KEY_ROTATION_DAYS", default_value_t = 90)]
    pub signing_key_rotation_days: u32,
    /// Seconds a replaced signing key keeps verifying the tokens it signed
    /// (at least the access-token lifetime); the default, 366 days, covers
    /// the longest personal access token.
    #[arg(long, env = "SLUICE_SIGNING_KEY_OVERLAP", default_value_t = 366 * 86_400)]
    pub signing_key_overlap: i64,
}

impl TokenArgs {
    /// The token settings.
    pub fn settings(self) -> TokenSettings {
        TokenSettings {
            issuer: self.token_issuer.unwrap_or_default(),
            derived_issuer: None,
            access_ttl_secs: self.access_token_ttl,
            refresh_ttl_secs: self.refresh_token_ttl,
            algorithm: self.token_algorithm,
            key: self.jwt_key,
            key_rotation_days: self.signing_key_rotation_days,
            key_overlap_secs: self.signing_key_overlap,
        }
    }
}

/// Where the control plane lives: the data directory, and the PostgreSQL
/// database that replaces its SQLite file when given.
#[derive(Debug, Clone, Args)]
pub struct DataDirArg {
    /// Data directory holding the control plane (sluice.db, unless
    /// --database-url is given); created if missing.
    #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// A postgres:// URL: keep the control plane in that PostgreSQL database,
    /// shared by every node of a cluster, instead of SQLite in the data
    /// directory. Requires SLUICE_SECRET_KEY and SLUICE_JWT_KEY.
    #[arg(long, env = "SLUICE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Flags of `sluice serve` (and `sluice up`).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SLUICE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve the admin API and the console on this address instead
    /// (`127.0.0.1:8081`), on an origin of their own: the main address then
    /// answers /admin and /console with 404, and this one serves no
    /// operation. Unset: one address serves everything.
    #[arg(long, env = "SLUICE_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
    /// Bootstrap admin bearer token (at least 16 characters), an explicit
    /// opt-in; without it the admin API takes access tokens with the admin
    /// scope only (create an admin with `sluice user add NAME --admin`).
    #[arg(long, env = "SLUICE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Access-token settings.
    #[command(flatten)]
    pub tokens: TokenArgs,
    /// Record every request in the request log (`GET /admin/logs`).
    #[arg(long, env = "SLUICE_REQUEST_LOG", default_value_t = true, action = clap::ArgAction::Set)]
    pub request_log: bool,
    /// Days the request log keeps a request.
    #[arg(long, env = "SLUICE_LOG_RETENTION_DAYS", default_value_t = 30)]
    pub log_retention_days: u32,
    /// Most rows the request log keeps; the oldest go first. A row takes
    /// about 150 bytes with its index, so the default bounds it near 1.5 GB.
    #[arg(long, env = "SLUICE_LOG_MAX_ROWS", default_value_t = crate::request_log::DEFAULT_MAX_ROWS)]
    pub log_max_rows: u64,
    /// Share of successful requests (status below 400) the request log
    /// keeps, from 0 to 1: 0.1 keeps every tenth, and each kept row counts
    /// as 10 in the statistics. Failures are always kept.
    #[arg(long, env = "SLUICE_LOG_SAMPLE", default_value_t = 1.0)]
    pub log_sample: f64,
    /// Run the worker (outbox delivery, cronjobs) in this process too.
    #[arg(long, env = "SLUICE_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker: bool,
    /// Worker settings.
    #[command(flatten)]
    pub worker_flags: WorkerFlags,
    /// Key sealing connection configs at rest: 64 hex characters. Without it
    /// `<data dir>/secret.key` is used, generated (mode 0600) on first start.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Where rate-limit counts live: `memory` (each node alone) or a
    /// redis:// URL shared by every node of a cluster.
    #[arg(
        long,
        env = "SLUICE_RATE_LIMIT_STORE",
        default_value = "memory",
        hide_env_values = true
    )]
    pub rate_limit_store: String,
    /// When the Redis rate-limit store is unreachable: admit requests
    /// (`open`) or refuse them with 503 (`closed`).
    #[arg(long, env = "SLUICE_RATE_LIMIT_FAILURE", value_enum, default_value_t = FailurePolicy::Open)]
    pub rate_limit_failure: FailurePolicy,
    /// After SIGTERM, keep serving this long (ms) while /system/ready
    /// answers 503, so a load balancer takes the node out first.
    #[arg(long, env = "SLUICE_DRAIN_MS", default_value_t = 0)]
    pub drain_ms: u64,
    /// Origins allowed to call operations from a browser (CORS), comma-
    /// separated (`https://app.example,http://localhost:5173`); `*` reaches
    /// public operations only. An operation's `cors` field overrides it.
    #[arg(long, env = "SLUICE_CORS_ORIGINS", default_value = "", value_parser = check_cors_origins)]
    pub cors_origins: String,
    /// Proxies whose forwarding header (--client-ip-header) is believed:
    /// comma-separated networks or addresses (`10.0.0.0/8,127.0.0.1`).
    #[arg(long, env = "SLUICE_TRUSTED_PROXIES", default_value = "", value_parser = check_trusted_proxies)]
    pub trusted_proxies: String,
    /// The header trusted proxies append the client's address to:
    /// `x-forwarded-for`, `forwarded` (RFC 7239) or another name; no other
    /// header is read.
    #[arg(
        long,
        env = "SLUICE_CLIENT_IP_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub client_ip_header: crate::edge::client::ForwardingHeader,
    /// IPv6 clients are banned, counted and rate-limited by this prefix
    /// (their /64 by default), not by single address.
    #[arg(long, env = "SLUICE_IPV6_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ipv6_prefix: u8,
    /// The URL this server is reached at (`https://api.example.com`), for
    /// the OAuth2 callback of connections; default: the scheme and Host of
    /// the admin's request.
    #[arg(long, env = "SLUICE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs
    /// --tls-key. Reloaded on SIGHUP and when the file changes.
    #[arg(long, env = "SLUICE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "SLUICE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// What plain HTTP on the HTTPS port gets: a redirect to https:// or a
    /// 400 refusal.
    #[arg(long, env = "SLUICE_TLS_PLAIN_HTTP", value_enum, default_value_t = crate::edge::tls::PlainHttp::Redirect)]
    pub tls_plain_http: crate::edge::tls::PlainHttp,
    /// Compress answers larger than this many bytes when the client
    /// accepts gzip, br or zstd (0: never).
    #[arg(long, env = "SLUICE_COMPRESSION_MIN_BYTES", default_value_t = 1024)]
    pub compression_min_bytes: u16,
    /// Failed token requests from one address that earn it a ban (0: no bans).
    #[arg(long, env = "SLUICE_TOKEN_BAN_ATTEMPTS", default_value_t = 10)]
    pub token_ban_attempts: u32,
    /// The window those failures are counted in, seconds.
    #[arg(long, env = "SLUICE_TOKEN_BAN_WINDOW_SECS", default_value_t = 300)]
    pub token_ban_window_secs: u64,
    /// How long a ban lasts, seconds.
    #[arg(long, env = "SLUICE_TOKEN_BAN_SECS", default_value_t = 900)]
    pub token_ban_secs: u64,
    /// Time to receive a request's whole header, which is also the longest
    /// a keep-alive connection may sit idle, ms.
    #[arg(long, env = "SLUICE_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// Close a connection that had no request in flight and moved no byte
    /// for this long, ms (HTTP/1.1 and HTTP/2).
    #[arg(long, env = "SLUICE_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "SLUICE_MAX_CONNECTIONS", default_value_t = 4_096)]
    pub max_connections: usize,
    /// Largest request header section, bytes (431 beyond it).
    #[arg(long, env = "SLUICE_MAX_HEADER_BYTES", default_value_t = 64 << 10)]
    pub max_header_bytes: usize,
    /// Most header fields in a request (431 beyond them).
    #[arg(long, env = "SLUICE_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,
    /// Record metrics (GET /system/metrics, and OTLP when configured).
    #[arg(long, env = "SLUICE_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Largest request body an operation accepts, bytes.
    #[arg(long, env = "SLUICE_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
    pub max_request_bytes: usize,
    /// Largest component upload, bytes.
    #[arg(long, env = "SLUICE_MAX_UPLOAD_BYTES", default_value_t = 32 << 20)]
    pub max_upload_bytes: usize,
    /// Largest form the token and revoke endpoints read, bytes (413 beyond it).
    #[arg(long, env = "SLUICE_AUTHORIZATION_MAX_BODY_BYTES", default_value_t = crate::api::oauth_form::DEFAULT_MAX_BYTES)]
    pub authorization_max_body_bytes: usize,
    /// Most fields in a form to the token and revoke endpoints (400 beyond them).
    #[arg(long, env = "SLUICE_AUTHORIZATION_MAX_FIELDS", default_value_t = crate::api::oauth_form::DEFAULT_MAX_FIELDS)]
    pub authorization_max_fields: usize,
    /// Password and client-secret checks that run at once (default: the
    /// number of cores); each takes 19 MiB and tens of ms.
    #[arg(long, env = "SLUICE_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,
    /// Password checks that may wait for a turn (default: 4 per concurrent
    /// check); beyond them the token endpoint answers 503 with Retry-After.
    #[arg(long, env = "SLUICE_HASH_QUEUE")]
    pub hash_queue: Option<usize>,
    /// Dynamic client registration (RFC 7591) at /authorization/register:
    /// `open` lets any client register itself (MCP clients, CLIs); `off`
    /// (the default) leaves apps to the admin.
    #[arg(long, env = "SLUICE_CLIENT_REGISTRATION", default_value = "off", value_parser = ["off", "open"])]
    pub client_registration: String,
    /// The API scopes a self-registered client may ask for, comma-separated
    /// (default none: it may only sign users in with openid, profile and
    /// email).
    #[arg(long, env = "SLUICE_CLIENT_REGISTRATION_SCOPES", value_delimiter = ',')]
    pub client_registration_scopes: Vec<String>,
    /// Client registrations one client network may make per hour.
    #[arg(
        long,
        env = "SLUICE_CLIENT_REGISTRATIONS_PER_HOUR",
        default_value_t = 10
    )]
    pub client_registrations_per_hour: u32,
    /// Seconds a device code (`sluice login --device`, RFC 8628) waits for
    /// the user to approve it.
    #[arg(long, env = "SLUICE_DEVICE_CODE_LIFETIME_SECS", default_value_t = 600, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub device_code_lifetime_secs: i64,
    /// Whether an operation without an `mcp` field is an MCP tool (at
    /// `/mcp`); by default only operations with `mcp.enabled` are.
    #[arg(long, env = "SLUICE_MCP_TOOLS_BY_DEFAULT", default_value_t = false, action = clap::ArgAction::Set)]
    pub mcp_tools_by_default: bool,
    /// `Host` values `/mcp` answers (DNS-rebinding protection of the MCP
    /// Streamable HTTP transport), comma-separated names or `name:port`;
    /// `*` accepts any. Default: loopback names and the hosts of
    /// `SLUICE_PUBLIC_URL` and the token issuer.
    #[arg(long, env = "SLUICE_MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub mcp_allowed_hosts: Vec<String>,
    /// Browser origins that may call `/mcp` (`scheme://host[:port]`,
    /// comma-separated); a request with any other `Origin` gets 403.
    /// Default: the origins of `SLUICE_PUBLIC_URL` and the token issuer.
    #[arg(long, env = "SLUICE_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub mcp_allowed_origins: Vec<String>,
    /// Seconds an unused MCP session lives before it is forgotten.
    #[arg(long, env = "SLUICE_MCP_SESSION_IDLE_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(i64).range(60..=2_592_000))]
    pub mcp_session_idle_secs: i64,
    /// MCP sessions one node holds in memory at most; a client starting
    /// one more gets 503 (a session leaves memory after 5 minutes unused).
    #[arg(long, env = "SLUICE_MCP_MAX_SESSIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub mcp_max_sessions: u32,
    /// Live MCP sessions one app and user may hold; one more gets 429.
    #[arg(long, env = "SLUICE_MCP_MAX_SESSIONS_PER_CALLER", default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..))]
    pub mcp_max_sessions_per_caller: i64,
    /// Portal sign-ups (and password-reset requests) one client network may
    /// make per hour.
    #[arg(long, env = "SLUICE_PORTAL_SIGNUPS_PER_HOUR", default_value_t = 10)]
    pub portal_signups_per_hour: u32,
    /// Portal mails one client network may cause per hour.
    #[arg(long, env = "SLUICE_PORTAL_MAILS_PER_HOUR", default_value_t = 20)]
    pub portal_mails_per_hour: u32,
    /// Portal mails one address may receive per hour.
    #[arg(
        long,
        env = "SLUICE_PORTAL_MAILS_PER_ADDRESS_PER_HOUR",
        default_value_t = 5
    )]
    pub portal_mails_per_address_per_hour: u32,
    /// Invocations that may run at once (pooling allocator slots).
    #[arg(long, env = "SLUICE_POOL_INSTANCES", default_value_t = 1000)]
    pub pool_instances: u32,
    /// Keep compiled components in <data dir>/cache/components, so that a
    /// restart does not compile them again.
    #[arg(long, env = "SLUICE_COMPONENT_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub component_cache: bool,
    /// Largest linear memory any action may be given, bytes.
    #[arg(long, env = "SLUICE_MAX_MEMORY_BYTES", default_value_t = 256 << 20)]
    pub max_memory_bytes: u64,
    /// Run a component's start functions (`_initialize`) once when it is
    /// compiled and instantiate the state they leave, instead of running
    /// them per request (see docs/actions.md).
    #[arg(long, env = "SLUICE_PRE_INITIALIZE", default_value_t = true, action = clap::ArgAction::Set)]
    pub pre_initialize: bool,
    /// Calls to Sluice's interfaces (log, sql, http, kv …) one invocation
    /// may make; the call past it ends the invocation (500).
    #[arg(long, env = "SLUICE_MAX_HOST_CALLS", default_value_t = 10_000)]
    pub max_host_calls: u32,
    /// Guest log records (log messages and printed lines) kept per
    /// invocation; later ones are dropped and counted in the request log.
    #[arg(long, env = "SLUICE_MAX_LOG_MESSAGES", default_value_t = 256)]
    pub max_log_messages: u32,
    /// Bytes of guest log records kept per invocation; later records are
    /// dropped and counted in the request log.
    #[arg(long, env = "SLUICE_MAX_LOG_BYTES", default_value_t = 1 << 20)]
    pub max_log_bytes: u64,
}

/// Checks `SLUICE_CORS_ORIGINS` when the flags are parsed.
/// The non-empty items of a comma-separated list, trimmed.
fn trimmed(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn check_cors_origins(list: &str) -> Result<String, String> {
    crate::gateway::cors::parse_global(list).map(|_| list.to_string())
}

/// Checks `SLUICE_TRUSTED_PROXIES` when the flags are parsed.
fn check_trusted_proxies(list: &str) -> Result<String, String> {
    crate::edge::client::parse_trusted(list).map(|_| list.to_string())
}

impl ServeArgs {
    /// The server settings these flags give.
    pub fn settings(self) -> Settings {
        let args = self;
        let mut settings = Settings {
            listen: args.listen,
            admin_listen: args.admin_listen,
            data_dir: args.data.data_dir,
            database_url: args.data.database_url,
            admin_token: args.admin_token,
            secret_key: args.secret_key,
            drain_ms: args.drain_ms,
            metrics: args.metrics,
            cors_origins: crate::gateway::cors::parse_global(&args.cors_origins)
                .unwrap_or_default(),
            trusted_proxies: crate::edge::client::parse_trusted(&args.trusted_proxies)
                .unwrap_or_default(),
            client_ip_header: args.client_ip_header,
            ipv6_prefix: args.ipv6_prefix,
            public_url: args.public_url.map(|u| u.trim_end_matches('/').to_string()),
            compression_min_bytes: args.compression_min_bytes,
            tls: args
                .tls_cert
                .zip(args.tls_key)
                .map(|(cert, key)| crate::edge::tls::TlsSettings {
                    cert,
                    key,
                    plain_http: args.tls_plain_http,
                }),
            token_ban: crate::edge::ip_rules::BanSettings {
                attempts: args.token_ban_attempts,
                window_secs: args.token_ban_window_secs,
                ban_secs: args.token_ban_secs,
            },
            connections: crate::serve::ConnectionLimits {
                header_read_timeout_ms: args.header_read_timeout_ms,
                idle_timeout_ms: args.idle_timeout_ms,
                max_connections: args.max_connections,
                max_header_bytes: args.max_header_bytes,
                max_headers: args.max_headers,
            },
            rate_limit_store: args.rate_limit_store,
            rate_limit_failure: args.rate_limit_failure,
            max_request_bytes: args.max_request_bytes,
            max_upload_bytes: args.max_upload_bytes,
            authorization_form: crate::api::oauth_form::FormLimits {
                max_bytes: args.authorization_max_body_bytes,
                max_fields: args.authorization_max_fields,
            },
            hashing: {
                let default = crate::identity::passwords::HashSettings::default();
                let concurrency = args.hash_concurrency.unwrap_or(default.concurrency);
                crate::identity::passwords::HashSettings {
                    concurrency,
                    queue: args.hash_queue.unwrap_or(4 * concurrency),
                }
            },
            device_code_ttl_secs: args.device_code_lifetime_secs,
            mcp: crate::mcp::McpSettings {
                tools_by_default: args.mcp_tools_by_default,
                allowed_hosts: trimmed(&args.mcp_allowed_hosts),
                allowed_origins: trimmed(&args.mcp_allowed_origins),
                session_idle_secs: args.mcp_session_idle_secs,
                max_sessions: args.mcp_max_sessions as usize,
                max_sessions_per_caller: args.mcp_max_sessions_per_caller,
            },
            client_registration: crate::identity::registration::RegistrationSettings {
                open: args.client_registration == "open",
                scopes: args
                    .client_registration_scopes
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                per_hour: args.client_registrations_per_hour,
            },
            portal_limits: crate::portal::PortalLimits {
                signups_per_hour: args.portal_signups_per_hour,
                mails_per_hour: args.portal_mails_per_hour,
                mails_per_address_per_hour: args.portal_mails_per_address_per_hour,
            },
            tokens: args.tokens.settings(),
            request_log: LogSettings {
                enabled: args.request_log,
                retention_days: args.log_retention_days,
                max_rows: args.log_max_rows,
                sample: args.log_sample,
            },
            worker: args.worker_flags.settings(args.worker),
            ..Settings::default()
        };
        settings.engine.pool_instances = args.pool_instances;
        settings.engine.max_memory_bytes = args.max_memory_bytes;
        settings.engine.pre_initialize = args.pre_initialize;
        settings.engine.host_caps = crate::host::HostCaps {
            max_host_calls: args.max_host_calls,
            max_log_messages: args.max_log_messages,
            max_log_bytes: args.max_log_bytes,
        };
        settings.engine.component_cache_dir = args
            .component_cache
            .then(|| settings.data_dir.join("cache").join("components"));
        settings
    }
}

/// Runs `sluice serve` until SIGINT or SIGTERM.
///
/// # Errors
/// When the server cannot start or fails.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings();
    let data_dir = settings.data_dir.clone();
    let app = Application::build(settings).await?;
    if settings_have_no_admin(&app).await? {
        tracing::warn!(
            "no admin user yet and no SLUICE_ADMIN_TOKEN: create one with \
             `sluice user add <name> --admin`, then `sluice token --user <name>`"
        );
    }
    let scheme = if app.state().settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(
        address = %app.local_addr(),
        url = %format!("{scheme}://{}", app.local_addr()),
        data_dir = %data_dir.display(),
        "sluice is listening"
    );
    if app.has_admin_listener() {
        tracing::info!(
            address = %app.admin_local_addr(),
            url = %format!("{scheme}://{}", app.admin_local_addr()),
            "the admin API and the console are served here (SLUICE_ADMIN_LISTEN)"
        );
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Whether nobody could use the admin API: no bootstrap token, no active admin.
///
/// # Errors
/// On database failure.
pub async fn settings_have_no_admin(app: &Application) -> anyhow::Result<bool> {
    let state = app.state();
    Ok(state.admin_token_hash.is_none()
        && !crate::store::users::any_active_with_role(&state.db, "admin").await?)
}
