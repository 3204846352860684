//! `sluice`: the command line. Thin: parses flags and environment, sets up
//! logging, and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sluice::cli;
use sluice::config::Settings;
use sluice::identity::TokenSettings;
use sluice::request_log::LogSettings;
use sluice::startup::Application;
use sluice::telemetry::{self, LogFormat};
use sluice::worker::WorkerSettings;

/// Sluice: an API platform whose actions are WebAssembly components, each
/// request running in a fresh, limited sandbox.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Log format: human-readable `text` or one JSON object per line.
    #[arg(
        long,
        env = "SLUICE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the admin API (/admin), system routes (/system) and every
    /// operation; applies pending migrations first. Stops gracefully on
    /// SIGINT or SIGTERM, letting requests in flight finish.
    Serve(ServeArgs),
    /// Apply pending control-plane migrations and exit.
    Migrate(DataDirArg),
    /// Manage users (people who log in with the password grant).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage apps (OAuth2 clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Run only the worker: deliver the outbox (triggers, webhooks) and run
    /// cronjobs, without serving HTTP; several may share one data directory.
    Worker(WorkerArgs),
    /// Print an access token for a user or an app, for scripts:
    /// `curl -H "Authorization: Bearer $(sluice token --user admin)" …`.
    Token(TokenCommand),
}

#[derive(Args)]
struct WorkerArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Key sealing connection configs and webhook secrets at rest.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    #[command(flatten)]
    worker: WorkerFlags,
}

#[derive(Args)]
struct WorkerFlags {
    /// Attempts per event delivery before it is marked failed.
    #[arg(long, env = "SLUICE_DELIVERY_ATTEMPTS", default_value_t = 8)]
    delivery_attempts: u32,
    /// Delay before the second delivery attempt, ms; doubling each time (±20 % jitter).
    #[arg(long, env = "SLUICE_RETRY_BASE_MS", default_value_t = 5000)]
    retry_base_ms: u64,
    /// Time a webhook receiver has to answer, ms.
    #[arg(long, env = "SLUICE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    webhook_timeout_ms: u64,
    /// How long a claimed delivery stays claimed, ms; a crashed worker's
    /// deliveries are retried this much later.
    #[arg(long, env = "SLUICE_DELIVERY_LEASE_MS", default_value_t = 30_000)]
    delivery_lease_ms: u64,
    /// Days finished deliveries and cronjob runs are kept.
    #[arg(long, env = "SLUICE_EVENT_RETENTION_DAYS", default_value_t = 30)]
    event_retention_days: u32,
}

impl WorkerFlags {
    fn settings(&self, enabled: bool) -> WorkerSettings {
        WorkerSettings {
            enabled,
            max_attempts: self.delivery_attempts.max(1),
            retry_base_ms: self.retry_base_ms,
            webhook_timeout_ms: self.webhook_timeout_ms,
            lease_ms: self.delivery_lease_ms.max(1000),
            retention_days: self.event_retention_days,
            ..WorkerSettings::default()
        }
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints it as JSON, with the password when generated.
    Add {
        /// Login name.
        name: String,
        /// Give the user the `admin` role (the admin API).
        #[arg(long)]
        admin: bool,
        /// Further roles (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Contact address.
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of stdin; without it a
        /// random password is generated and printed once.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app; prints it as JSON with `client_id` and
    /// `client_secret` (shown this once).
    Add {
        /// App name.
        name: String,
        /// Scopes the app may obtain (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Free text.
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Args)]
struct TokenCommand {
    /// Issue the token for this user.
    #[arg(long, conflicts_with = "app", required_unless_present = "app")]
    user: Option<String>,
    /// Issue the token for this app (as `client_credentials` would).
    #[arg(long)]
    app: Option<String>,
    /// Scopes to grant (repeatable); all the user or app may obtain when absent.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Lifetime in seconds; the configured access-token lifetime when absent.
    #[arg(long)]
    ttl: Option<i64>,
    #[command(flatten)]
    data: DataDirArg,
    #[command(flatten)]
    tokens: TokenArgs,
}

#[derive(Args)]
struct TokenArgs {
    /// `iss` and `aud` of access tokens.
    #[arg(long, env = "SLUICE_TOKEN_ISSUER", default_value = "sluice")]
    token_issuer: String,
    /// Access-token lifetime, seconds.
    #[arg(long, env = "SLUICE_ACCESS_TOKEN_TTL", default_value_t = 3600)]
    access_token_ttl: i64,
    /// Refresh-token (session) lifetime, seconds.
    #[arg(long, env = "SLUICE_REFRESH_TOKEN_TTL", default_value_t = 30 * 86_400)]
    refresh_token_ttl: i64,
    /// HS256 key signing access tokens: 64 hex characters. Without it
    /// `<data dir>/jwt.key` is used, generated (mode 0600) on first start.
    #[arg(long, env = "SLUICE_JWT_KEY", hide_env_values = true)]
    jwt_key: Option<String>,
}

impl TokenArgs {
    fn settings(self) -> TokenSettings {
        TokenSettings {
            issuer: self.token_issuer,
            access_ttl_secs: self.access_token_ttl,
            refresh_ttl_secs: self.refresh_token_ttl,
            key: self.jwt_key,
        }
    }
}

#[derive(Args)]
struct DataDirArg {
    /// Data directory holding the control plane (sluice.db); created if missing.
    #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SLUICE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    data: DataDirArg,
    /// Bootstrap admin bearer token (at least 16 characters), an explicit
    /// opt-in; without it the admin API takes access tokens with the admin
    /// scope only (create an admin with `sluice user add NAME --admin`).
    #[arg(long, env = "SLUICE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    #[command(flatten)]
    tokens: TokenArgs,
    /// Record every request in the request log (`GET /admin/logs`).
    #[arg(long, env = "SLUICE_REQUEST_LOG", default_value_t = true, action = clap::ArgAction::Set)]
    request_log: bool,
    /// Days the request log keeps a request.
    #[arg(long, env = "SLUICE_LOG_RETENTION_DAYS", default_value_t = 30)]
    log_retention_days: u32,
    /// Run the worker (outbox delivery, cronjobs) in this process too.
    #[arg(long, env = "SLUICE_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    worker: bool,
    #[command(flatten)]
    worker_flags: WorkerFlags,
    /// Key sealing connection configs at rest: 64 hex characters. Without it
    /// `<data dir>/secret.key` is used, generated (mode 0600) on first start.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Largest request body an operation accepts, bytes.
    #[arg(long, env = "SLUICE_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
    max_request_bytes: usize,
    /// Largest component upload, bytes.
    #[arg(long, env = "SLUICE_MAX_UPLOAD_BYTES", default_value_t = 32 << 20)]
    max_upload_bytes: usize,
    /// Invocations that may run at once (pooling allocator slots).
    #[arg(long, env = "SLUICE_POOL_INSTANCES", default_value_t = 1000)]
    pool_instances: u32,
    /// Largest linear memory any action may be given, bytes.
    #[arg(long, env = "SLUICE_MAX_MEMORY_BYTES", default_value_t = 256 << 20)]
    max_memory_bytes: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        Command::Migrate(args) => {
            let db = sluice::store::open(&args.data_dir).await?;
            sluice::store::migrate(&db).await?;
            tracing::info!(data_dir = %args.data_dir.display(), "migrations applied");
            Ok(())
        }
        Command::Serve(args) => serve(args).await,
        Command::User(UserCommand::Add {
            name,
            admin,
            roles,
            email,
            password_stdin,
            data,
        }) => {
            let added =
                cli::user_add(&data.data_dir, name, email, roles, admin, password_stdin).await?;
            println!("{}", serde_json::to_string_pretty(&added)?);
            Ok(())
        }
        Command::App(AppCommand::Add {
            name,
            scopes,
            description,
            data,
        }) => {
            let app = cli::app_add(&data.data_dir, name, description, scopes).await?;
            println!("{}", serde_json::to_string_pretty(&app)?);
            Ok(())
        }
        Command::Worker(args) => {
            let settings = Settings {
                data_dir: args.data.data_dir,
                secret_key: args.secret_key,
                request_log: LogSettings {
                    enabled: false,
                    ..LogSettings::default()
                },
                worker: args.worker.settings(true),
                ..Settings::default()
            };
            let _state = sluice::startup::AppState::build(settings).await?;
            tracing::info!("worker running; stop with Ctrl-C or SIGTERM");
            sluice::startup::shutdown_signal().await;
            Ok(())
        }
        Command::Token(args) => {
            let token = cli::token(
                &args.data.data_dir,
                args.tokens.settings(),
                args.user,
                args.app,
                args.scopes,
                args.ttl,
            )
            .await?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut settings = Settings {
        listen: args.listen,
        data_dir: args.data.data_dir,
        admin_token: args.admin_token,
        secret_key: args.secret_key,
        max_request_bytes: args.max_request_bytes,
        max_upload_bytes: args.max_upload_bytes,
        tokens: args.tokens.settings(),
        request_log: LogSettings {
            enabled: args.request_log,
            retention_days: args.log_retention_days,
        },
        worker: args.worker_flags.settings(args.worker),
        ..Settings::default()
    };
    settings.engine.pool_instances = args.pool_instances;
    settings.engine.max_memory_bytes = args.max_memory_bytes;
    let data_dir = settings.data_dir.clone();
    let app = Application::build(settings).await?;
    if settings_have_no_admin(&app).await? {
        tracing::warn!(
            "no admin user yet and no SLUICE_ADMIN_TOKEN: create one with \
             `sluice user add <name> --admin`, then `sluice token --user <name>`"
        );
    }
    tracing::info!(
        address = %app.local_addr(),
        data_dir = %data_dir.display(),
        "sluice is listening"
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn settings_have_no_admin(app: &Application) -> anyhow::Result<bool> {
    let state = app.state();
    Ok(state.admin_token_hash.is_none()
        && !sluice::store::users::any_active_with_role(&state.db, "admin").await?)
}
