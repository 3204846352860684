//! `sluice build`: runs each action's `build.command` (split into words,
//! never through a shell) in its directory, and copies `build.output` to
//! `source` when they differ.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::project::{self, Sources};

/// `sluice build`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  sluice build -f sluice.yaml && sluice deploy")]
pub struct BuildArgs {
    /// The deploy file.
    #[arg(short = 'f', long = "file", default_value = "sluice.yaml")]
    pub file: PathBuf,
}

/// Runs every build step of the project, in file order.
///
/// # Errors
/// When the file is invalid, a command fails or does not make its output.
pub async fn run(args: &BuildArgs) -> anyhow::Result<()> {
    let project = project::load(&args.file, Sources::Skip)?;
    if project.builds.is_empty() {
        eprintln!("no action in {} has a build step", args.file.display());
    }
    for step in &project.builds {
        eprintln!("==> {}: {}", step.action, step.command.join(" "));
        let status = tokio::process::Command::new(&step.command[0])
            .args(&step.command[1..])
            .current_dir(&step.workdir)
            .status()
            .await
            .with_context(|| {
                format!(
                    "cannot run {:?} for action {}",
                    step.command[0], step.action
                )
            })?;
        if !status.success() {
            bail!("the build of action {} failed ({status})", step.action);
        }
        if !step.output.exists() {
            bail!(
                "the build of action {} did not make {}",
                step.action,
                step.output.display()
            );
        }
        if step.output != step.source {
            if let Some(dir) = step.source.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::copy(&step.output, &step.source).with_context(|| {
                format!(
                    "copying {} to {}",
                    step.output.display(),
                    step.source.display()
                )
            })?;
        }
    }
    Ok(())
}
