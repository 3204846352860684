//! `sluice`: the command line. Thin: parses flags and environment, sets up
//! logging, and hands over to the library.

use clap::{Args, Parser, Subcommand};
use sluice::cli;
use sluice::cli::serve::{DataDirArg, ServeArgs, TokenArgs, WorkerFlags};
use sluice::config::Settings;
use sluice::request_log::LogSettings;
use sluice::telemetry::{self, LogFormat};

/// mimalloc instead of glibc's malloc: a request allocates and frees many
/// small objects (the store, the WIT request, headers); under load glibc's
/// malloc, free and consolidation took 9 % of the server's samples, mimalloc
/// takes about 5 % (BENCHMARKS.md, issue 13).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    #[command(after_help = "Examples:
  sluice serve
  SLUICE_LISTEN=0.0.0.0:8080 SLUICE_DATA_DIR=/var/lib/sluice sluice serve --log-format json")]
    Serve(ServeArgs),
    /// Apply pending control-plane migrations and exit.
    #[command(after_help = "Example:
  sluice migrate --data-dir /var/lib/sluice")]
    Migrate(DataDirArg),
    /// Manage users (people who log in with the password grant).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage apps (OAuth2 clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Run only the worker: deliver the outbox (triggers, webhooks) and run
    /// cronjobs, without serving HTTP; several may share one data directory.
    #[command(after_help = "Example:
  SLUICE_WORKER=false sluice serve & sluice worker   # delivery in its own process")]
    Worker(WorkerArgs),
    /// Print an access token for a user or an app, for scripts:
    /// `curl -H "Authorization: Bearer $(sluice token --user admin)" …`.
    #[command(after_help = "Examples:
  sluice token --user admin
  sluice token --app demo --scope todo --ttl 600")]
    Token(TokenCommand),
    /// Log in to a server as an admin user; the session is kept in the
    /// config directory (mode 0600) for the commands below.
    #[command(after_help = "Examples:
  sluice login http://127.0.0.1:8080 --user admin
  cat data/admin-password | sluice login http://127.0.0.1:8080 --password-stdin
  sluice login https://api.example.com --device")]
    Login(LoginArgs),
    /// End the saved session (revoked on the server) and forget it.
    #[command(after_help = "Example:
  sluice logout")]
    Logout,
    /// Apply a deploy file to a server: upload what it lacks, print the
    /// plan, apply it in one transaction.
    Deploy(cli::deploy::DeployArgs),
    /// Write the server's state as a deploy file.
    Export(cli::export::ExportArgs),
    /// Serve on the embedded default and deploy a file into it (with
    /// --watch, again whenever a file it names changes).
    Up(cli::up::UpArgs),
    /// Create a new action project from a template.
    New(cli::new::NewArgs),
    /// Run each action's build command from the deploy file.
    Build(cli::build::BuildArgs),
    /// List resources of a kind, or show one.
    Get(cli::resources::GetArgs),
    /// Delete a resource.
    Delete(cli::resources::DeleteArgs),
    /// Show the request log.
    Logs(cli::resources::LogsArgs),
    /// Generate a typed client (TypeScript or Python) of the hosted API
    /// from its OpenAPI document.
    Sdk(cli::sdk::SdkArgs),
    /// Serve MCP on stdin/stdout for a desktop agent, forwarding to a
    /// server's `/mcp` with the CLI's credentials.
    Mcp(cli::mcp::McpArgs),
}

#[derive(Args)]
struct LoginArgs {
    /// The server's base URL.
    url: String,
    /// The admin user's name.
    #[arg(long, default_value = "admin")]
    user: String,
    /// Read the password from the first line of stdin instead of a prompt.
    #[arg(long, conflicts_with = "device")]
    password_stdin: bool,
    /// Approve the login in the console (in a browser anywhere) instead of
    /// typing a password here: prints a link and a code, and waits (RFC
    /// 8628 device authorization grant).
    #[arg(long)]
    device: bool,
}

#[derive(Args)]
struct WorkerArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Key sealing connection configs and webhook secrets at rest.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Key signing access tokens under SLUICE_TOKEN_ALGORITHM=HS256 (64 hex
    /// characters); required then, like --secret-key, with a PostgreSQL
    /// control plane.
    #[arg(long, env = "SLUICE_JWT_KEY", hide_env_values = true)]
    jwt_key: Option<String>,
    /// How access tokens are signed (`EdDSA` or `HS256`), as the servers say.
    #[arg(
        long,
        env = "SLUICE_TOKEN_ALGORITHM",
        value_enum,
        default_value = "EdDSA"
    )]
    token_algorithm: sluice::identity::keys::TokenAlgorithm,
    #[command(flatten)]
    worker: WorkerFlags,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints it as JSON, with the password when generated.
    #[command(
        after_help = "Examples:\n  sluice user add boss --admin\n  echo 'a long passphrase' | sluice user add ada --role editor --password-stdin"
    )]
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
    #[command(
        after_help = "Example:\n  sluice app add mobile --scope todo --description 'The phone app'"
    )]
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
    /// Key sealing the token signing keys (and connection configs) at rest.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
}

fn main() -> anyhow::Result<()> {
    heap_in_small_pages();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// Turns transparent huge pages off for this process (`prctl(2)`,
/// `PR_SET_THP_DISABLE`) before anything sizable is allocated. mimalloc
/// asks for huge pages on its arena (`MADV_HUGEPAGE`), so every 2 MiB of
/// heap that a compilation touched once stayed resident whole: a node
/// idled at 67 MiB before its first upload and at 130–158 MiB after
/// `hello`'s, against 38 and 62 MiB in small pages, with no measurable
/// cost per request (BENCHMARKS.md, "The heap in small pages"). Linear
/// memories are unaffected: wasmtime never asks for huge pages.
fn heap_in_small_pages() {
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        // Only kernels before 3.15 refuse (no such prctl); serving goes on.
        eprintln!("sluice: transparent huge pages stay on: {e}");
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init(cli.log_format)?;
    match cli.command {
        Command::Migrate(args) => {
            let db = sluice::store::open(&args.data_dir, args.database_url.as_deref()).await?;
            sluice::store::migrate(&db).await?;
            tracing::info!(data_dir = %args.data_dir.display(), "migrations applied");
            Ok(())
        }
        Command::Serve(args) => cli::serve::serve(args).await,
        Command::Login(args) if args.device => {
            let said = cli::login::login_device(&args.url, |line| {
                use std::io::Write;
                println!("{line}");
                let _ = std::io::stdout().flush();
            })
            .await?;
            println!("{said}");
            Ok(())
        }
        Command::Login(args) => {
            println!(
                "{}",
                cli::login::login(&args.url, &args.user, args.password_stdin).await?
            );
            Ok(())
        }
        Command::Logout => {
            println!("{}", cli::login::logout().await?);
            Ok(())
        }
        Command::Deploy(args) => cli::deploy::run(args).await,
        Command::Export(args) => cli::export::run(args).await,
        Command::Up(args) => cli::up::run(args).await,
        Command::New(args) => {
            let dir = cli::new::run(&args)?;
            println!(
                "created {}: cd {} && sluice build && sluice up",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
        Command::Build(args) => cli::build::run(&args).await,
        Command::Get(args) => cli::resources::get(args).await,
        Command::Delete(args) => cli::resources::delete(args).await,
        Command::Logs(args) => cli::resources::logs(args).await,
        Command::Sdk(args) => cli::sdk::run(args).await,
        Command::Mcp(args) => cli::mcp::run(args).await,
        Command::User(UserCommand::Add {
            name,
            admin,
            roles,
            email,
            password_stdin,
            data,
        }) => {
            let added = cli::user_add(&data, name, email, roles, admin, password_stdin).await?;
            println!("{}", serde_json::to_string_pretty(&added)?);
            Ok(())
        }
        Command::App(AppCommand::Add {
            name,
            scopes,
            description,
            data,
        }) => {
            let app = cli::app_add(&data, name, description, scopes).await?;
            println!("{}", serde_json::to_string_pretty(&app)?);
            Ok(())
        }
        Command::Worker(args) => {
            let settings = Settings {
                data_dir: args.data.data_dir,
                database_url: args.data.database_url,
                secret_key: args.secret_key,
                tokens: sluice::identity::TokenSettings {
                    key: args.jwt_key,
                    algorithm: args.token_algorithm,
                    ..sluice::identity::TokenSettings::default()
                },
                request_log: LogSettings {
                    enabled: false,
                    ..LogSettings::default()
                },
                worker: args.worker.settings(true),
                ..Settings::default()
            };
            let state = sluice::state::AppState::build(settings).await?;
            tracing::info!("worker running; stop with Ctrl-C or SIGTERM");
            sluice::startup::shutdown_signal().await;
            state.stop_background().await;
            Ok(())
        }
        Command::Token(args) => {
            let token = cli::token(
                &args.data,
                args.tokens.settings(),
                args.user,
                args.app,
                args.scopes,
                args.ttl,
                args.secret_key.as_deref(),
            )
            .await?;
            println!("{token}");
            Ok(())
        }
    }
}
