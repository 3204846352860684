//! `sluice deploy`: upload the components the server lacks, then send the
//! whole project to `POST /admin/deploy` and print its plan.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use reqwest::Method;
use serde_json::{Value, json};

use super::project::{self, Project, Sources};
use super::remote::{Refused, Remote, RemoteArgs};
use crate::deploy::{ChangeKind, CreatedSecret, DeployOutcome};

/// How the plan is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A table, with a field-level diff for updates.
    #[default]
    Table,
    /// A JSON array of `{"kind", "name", "change"}` (and `fields` for updates).
    Json,
}

/// `sluice deploy`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice deploy                         # sluice.yaml in this directory
  sluice deploy -f api/sluice.yaml --dry-run
  SLUICE_URL=https://api.example.com SLUICE_TOKEN=... sluice deploy --prune --yes")]
pub struct DeployArgs {
    /// The deploy file.
    #[arg(short = 'f', long = "file", default_value = "sluice.yaml")]
    pub file: PathBuf,
    /// Show the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete what the file does not name (asks first, unless --yes).
    #[arg(long)]
    pub prune: bool,
    /// Do not ask before deleting.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How to print the plan.
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Table)]
    pub output: PlanFormat,
    /// Also write each secret created now to DIR/<kind>.<name>.json (0600).
    #[arg(long, value_name = "DIR")]
    pub save_secrets: Option<PathBuf>,
    /// The server and the credentials.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Runs `sluice deploy`.
///
/// # Errors
/// When the file is invalid or the server refuses a resource (nothing is
/// applied then).
pub async fn run(args: DeployArgs) -> anyhow::Result<()> {
    let project = project::load(&args.file, Sources::Read)?;
    let remote = args.remote.connect().await?;
    let confirm = args.prune && !args.yes && !args.dry_run;
    if confirm && !std::io::stdin().is_terminal() {
        bail!("--prune deletes resources: pass --yes to do it without a prompt");
    }
    let started = std::time::Instant::now();
    upload_components(&remote, &project).await?;
    let outcome = if confirm {
        let plan = send(&remote, &project, true, true).await?;
        print_plan(&plan, args.output)?;
        let deletes = plan
            .changes
            .iter()
            .filter(|c| c.change == ChangeKind::Delete)
            .count();
        if deletes > 0 && !ask(&format!("Delete {deletes} resource(s) and apply? [y/N] "))? {
            bail!("nothing applied");
        }
        send(&remote, &project, false, true).await?
    } else {
        let outcome = send(&remote, &project, args.dry_run, args.prune).await?;
        print_plan(&outcome, args.output)?;
        outcome
    };
    if args.output == PlanFormat::Table {
        eprintln!(
            "{} in {:.2} s with {} admin requests",
            if outcome.applied {
                "applied"
            } else {
                "dry run: nothing changed"
            },
            started.elapsed().as_secs_f64(),
            remote.requests()
        );
    }
    print_secrets(&outcome.secrets);
    if let Some(dir) = &args.save_secrets {
        save_secrets(dir, &outcome.secrets)?;
    }
    Ok(())
}

/// Uploads the components of `project` that the server does not hold.
///
/// # Errors
/// When a component is refused or cannot be read.
pub async fn upload_components(remote: &Remote, project: &Project) -> anyhow::Result<()> {
    for (sha256, path) in &project.components {
        let at = format!("/admin/components/{sha256}");
        if !remote.exists(&at).await? {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            remote
                .put_wasm(&at, bytes)
                .await
                .with_context(|| format!("uploading {}", path.display()))?;
        }
    }
    Ok(())
}

/// `POST /admin/deploy` of the project.
///
/// # Errors
/// The server's problem for the resource it refused.
pub async fn send(
    remote: &Remote,
    project: &Project,
    dry_run: bool,
    prune: bool,
) -> anyhow::Result<DeployOutcome> {
    let path = format!("/admin/deploy?dry_run={dry_run}&prune={prune}");
    let body = Value::Object(project.body.clone());
    let answer = match remote.json(Method::POST, &path, Some(&body)).await {
        Ok(answer) => answer,
        Err(e) => {
            let place = e
                .downcast_ref::<Refused>()
                .and_then(|r| refused_resource(&r.detail))
                .and_then(|resource| project.locations.get(&resource))
                .map(|at| format!(" (the resource is defined at {at})"))
                .unwrap_or_default();
            return Err(e.context(format!(
                "the deploy was refused; nothing was applied{place}"
            )));
        }
    };
    Ok(serde_json::from_value(answer)?)
}

/// The kind and name a deploy refusal's detail starts with
/// (`operations "hello": …`).
fn refused_resource(detail: &str) -> Option<(String, String)> {
    let (kind, rest) = detail.split_once(" \"")?;
    let (name, _) = rest.split_once("\":")?;
    Some((kind.to_string(), name.to_string()))
}

fn ask(question: &str) -> anyhow::Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}

/// Prints the plan on stdout.
///
/// # Errors
/// When stdout is closed.
pub fn print_plan(outcome: &DeployOutcome, format: PlanFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == PlanFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&outcome.changes)?)?;
        return Ok(());
    }
    let width = outcome
        .changes
        .iter()
        .map(|c| c.kind.as_str().len() + c.name.len() + 1)
        .max()
        .unwrap_or(0);
    for change in &outcome.changes {
        let label = match change.change {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Unchanged => "unchanged",
            ChangeKind::Delete => "delete",
        };
        let resource = format!("{}/{}", change.kind.as_str(), change.name);
        writeln!(out, "{resource:<width$}  {label}")?;
        for field in &change.fields {
            writeln!(
                out,
                "    {}: {} → {}",
                field.field,
                short(&field.from),
                short(&field.to)
            )?;
        }
    }
    let count = |k: ChangeKind| outcome.changes.iter().filter(|c| c.change == k).count();
    writeln!(
        out,
        "{} to create, {} to update, {} unchanged, {} to delete",
        count(ChangeKind::Create),
        count(ChangeKind::Update),
        count(ChangeKind::Unchanged),
        count(ChangeKind::Delete)
    )?;
    Ok(())
}

/// Prints the secrets created now on stderr: they are shown this once.
pub fn print_secrets(secrets: &[CreatedSecret]) {
    for secret in secrets {
        match &secret.client_id {
            Some(id) => eprintln!(
                "app {}: client_id {id} client_secret {} (shown once)",
                secret.name, secret.secret
            ),
            None => eprintln!(
                "webhook {}: secret {} (shown once)",
                secret.name, secret.secret
            ),
        }
    }
}

/// Writes each secret to `dir/<kind>.<name>.json`, readable by the owner only.
///
/// # Errors
/// When the directory cannot be written.
pub fn save_secrets(dir: &Path, secrets: &[CreatedSecret]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for secret in secrets {
        let path = dir.join(format!("{}.{}.json", secret.kind.as_str(), secret.name));
        let body = json!({
            "name": secret.name,
            "client_id": secret.client_id,
            "secret": secret.secret,
        });
        crate::secrets::write_private(&path, &serde_json::to_vec_pretty(&body)?)?;
    }
    Ok(())
}
