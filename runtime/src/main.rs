//! `sluice`: the command line. Thin: parses flags and environment, sets up
//! logging, and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sluice::config::Settings;
use sluice::startup::Application;
use sluice::telemetry::{self, LogFormat};

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
    /// Admin bearer token (at least 16 characters). Without it a token is
    /// generated on first start and printed once; only its hash is kept.
    #[arg(long, env = "SLUICE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
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
        ..Settings::default()
    };
    settings.engine.pool_instances = args.pool_instances;
    settings.engine.max_memory_bytes = args.max_memory_bytes;
    let data_dir = settings.data_dir.clone();
    let app = Application::build(settings).await?;
    if let Some(token) = app.generated_admin_token() {
        // Printed once, on stdout rather than in the log, so log shipping
        // does not carry it; only its hash is stored.
        println!("Generated admin token (shown once, store it now): {token}");
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
