//! `sluice up`: `sluice serve` on the embedded default plus a deploy of the
//! project, and with `--watch` a redeploy whenever a file it names changes.
//! The first start creates the admin user `admin` (its generated password
//! in `<data dir>/admin-password`, mode 0600); secrets the deploy creates
//! go to `<data dir>/secrets/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use notify::{RecursiveMode, Watcher};

use super::deploy::{PlanFormat, print_plan, print_secrets, save_secrets, send, upload_components};
use super::project::{self, Sources};
use super::remote::Remote;
use super::serve::ServeArgs;
use crate::identity::random_hex;
use crate::identity::tokens::Subject;
use crate::resources::users::{UserInput, create_user};
use crate::startup::Application;
use crate::state::AppState;
use crate::store::roles::ADMIN_ROLE;

/// `sluice up`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice up                             # sluice.yaml here, on 127.0.0.1:8080, data in ./data
  sluice up -f examples/sluice.yaml --watch
  SLUICE_LISTEN=0.0.0.0:9000 sluice up")]
pub struct UpArgs {
    /// The deploy file.
    #[arg(short = 'f', long = "file", default_value = "sluice.yaml")]
    pub file: PathBuf,
    /// Redeploy whenever a file the project names changes.
    #[arg(long)]
    pub watch: bool,
    /// Every flag of `sluice serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Runs `sluice up` until SIGINT or SIGTERM.
///
/// # Errors
/// When the file is invalid, the server cannot start, or the first deploy
/// is refused.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    // A broken file stops here, before a server starts.
    project::load(&args.file, Sources::Read)?;
    let settings = args.serve.settings();
    let data_dir = settings.data_dir.clone();
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    // The admin API the deploy goes through: the admin listener's when
    // there is one.
    let base = format!("http://{}", app.admin_local_addr());
    let public = format!("http://{}", app.local_addr());
    ensure_admin(&state, &data_dir).await?;
    let server = tokio::spawn(app.run_until_stopped());
    let secrets_dir = data_dir.join("secrets");
    let files = deploy(&state, &base, &args.file, &secrets_dir).await?;
    if base == public {
        eprintln!(
            "sluice is up at {base} (data in {}); admin API: user admin, password in {}",
            data_dir.display(),
            data_dir.join("admin-password").display()
        );
    } else {
        eprintln!(
            "sluice is up at {public} (data in {}); admin API and console at {base}: user \
             admin, password in {}",
            data_dir.display(),
            data_dir.join("admin-password").display()
        );
    }
    if args.watch {
        let watching = watch(&state, &base, &args.file, &secrets_dir, files);
        tokio::select! {
            served = server => served??,
            watched = watching => watched?,
        }
    } else {
        server.await??;
    }
    Ok(())
}

/// Creates the admin user `admin` when nobody could use the admin API.
async fn ensure_admin(state: &AppState, data_dir: &Path) -> anyhow::Result<()> {
    if crate::store::users::any_active_with_role(&state.db, ADMIN_ROLE).await? {
        return Ok(());
    }
    let password = random_hex(16);
    create_user(
        &state.db,
        UserInput {
            name: "admin".into(),
            email: None,
            password: password.clone(),
            roles: vec![ADMIN_ROLE.into()],
            active: true,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the admin user: {e}"))?;
    let path = data_dir.join("admin-password");
    crate::secrets::write_private(&path, password.as_bytes())?;
    eprintln!(
        "created the admin user `admin`; its password is in {}",
        path.display()
    );
    Ok(())
}

/// Deploys `file` to this server with a short-lived token of an admin
/// user; answers the files the project read.
async fn deploy(
    state: &AppState,
    base: &str,
    file: &Path,
    secrets_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let project = project::load(file, Sources::Read)?;
    let admin = crate::store::users::list(&state.db)
        .await?
        .into_iter()
        .find(|u| u.active && u.roles.0.iter().any(|r| r == ADMIN_ROLE))
        .context("no active user holds the admin role any more")?;
    let issued = state
        .tokens
        .issue(
            Subject {
                app: None,
                user: Some(&admin),
            },
            vec![ADMIN_ROLE.into()],
            false,
            Some(300),
        )
        .await?;
    let remote = Remote::new(base.to_string(), issued.access_token);
    upload_components(&remote, &project).await?;
    let outcome = send(&remote, &project, false, false).await?;
    print_plan(&outcome, PlanFormat::Table)?;
    print_secrets(&outcome.secrets);
    save_secrets(secrets_dir, &outcome.secrets)?;
    Ok(project.files)
}

/// Redeploys whenever one of `files` changes; a failed deploy is printed
/// and the server keeps what it had.
async fn watch(
    state: &AppState,
    base: &str,
    file: &Path,
    secrets_dir: &Path,
    mut files: Vec<PathBuf>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event.paths);
        }
    })?;
    loop {
        // Editors replace files by renaming: watch the directories.
        let absolute: BTreeSet<PathBuf> =
            files.iter().filter_map(|f| f.canonicalize().ok()).collect();
        let dirs: BTreeSet<PathBuf> = absolute
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        for dir in &dirs {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
        }
        eprintln!("watching {} files for changes", absolute.len());
        loop {
            let Some(paths) = rx.recv().await else {
                return Ok(());
            };
            if paths.iter().any(|p| absolute.contains(p)) {
                break;
            }
        }
        // Let a build or an editor finish writing before reading.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
        for dir in &dirs {
            let _ = watcher.unwatch(dir);
        }
        eprintln!("a file changed: deploying {}", file.display());
        match deploy(state, base, file, secrets_dir).await {
            Ok(read) => files = read,
            Err(e) => eprintln!("the deploy failed, nothing changed: {e:#}"),
        }
    }
}
