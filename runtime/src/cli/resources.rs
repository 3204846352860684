//! `sluice get`, `sluice delete` and `sluice logs`: the admin API's
//! resources and the request log from the command line.

use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use reqwest::Method;
use serde_json::Value;

use super::remote::RemoteArgs;
use crate::deploy::Kind;

/// How `sluice get` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    #[default]
    Table,
    /// The admin API's JSON.
    Json,
    /// The same as YAML.
    Yaml,
}

/// `sluice get`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice get operations
  sluice get actions hello -o yaml
  sluice get rate-limits -o json")]
pub struct GetArgs {
    /// scopes, roles, schemas, connections, actions, events, operations,
    /// triggers, webhooks, cronjobs, apps, rate-limits (or rate_limits), users.
    pub kind: String,
    /// One resource; all when absent.
    pub name: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// The server and the credentials.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// `sluice delete`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  sluice delete operations hello")]
pub struct DeleteArgs {
    /// The resource kind, as for `sluice get`.
    pub kind: String,
    /// The resource's name.
    pub name: String,
    /// The server and the credentials.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// `sluice logs`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice logs --limit 20
  sluice logs --follow --operation todo-list")]
pub struct LogsArgs {
    /// Keep printing new requests as they come (every second).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only requests to this operation.
    #[arg(long)]
    pub operation: Option<String>,
    /// Only failed requests.
    #[arg(long)]
    pub failed: bool,
    /// How many of the latest requests to show first.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// The server and the credentials.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// The admin path segment of a kind named on the command line.
fn path_of(kind: &str) -> anyhow::Result<&'static str> {
    if kind == "users" {
        return Ok("users");
    }
    match Kind::parse(kind) {
        Some(k) => Ok(k.path()),
        None => bail!(
            "unknown kind {kind:?}; one of: {}, users",
            Kind::ALL.map(Kind::path).join(", ")
        ),
    }
}

/// The columns `sluice get KIND` shows besides the name.
fn columns(path: &str) -> &'static [&'static str] {
    match path {
        "operations" => &["method", "path", "action", "public", "scopes"],
        "actions" => &[
            "latest_version.version",
            "latest_version.sha256",
            "connections",
        ],
        "connections" => &["class", "granted_to"],
        "schemas" | "scopes" | "events" => &["description"],
        "roles" => &["scopes"],
        "apps" => &["client_id", "scopes", "active"],
        "users" => &["roles", "active"],
        "triggers" => &["event", "action", "active"],
        "webhooks" => &["event", "url", "active"],
        "cronjobs" => &["schedule", "action", "active"],
        "rate-limits" => &[
            "requests",
            "window_seconds",
            "operation",
            "app",
            "anonymous",
        ],
        _ => &[],
    }
}

fn cell(row: &Value, column: &str) -> String {
    let mut value = row;
    for part in column.split('.') {
        value = &value[part];
    }
    match value {
        Value::Null => "-".into(),
        Value::String(s) if column.ends_with("sha256") => s.chars().take(12).collect(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// Prints `rows` as aligned columns under a header.
fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(headers);
    for row in rows {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}

/// Runs `sluice get`.
///
/// # Errors
/// For an unknown kind or a refused request.
pub async fn get(args: GetArgs) -> anyhow::Result<()> {
    let path = path_of(&args.kind)?;
    let remote = args.remote.connect().await?;
    let url = match &args.name {
        Some(name) => format!("/admin/{path}/{name}"),
        None => format!("/admin/{path}"),
    };
    let value = remote.get(&url).await?;
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&value)?),
        Format::Yaml => print!("{}", serde_norway::to_string(&value)?),
        Format::Table => {
            let rows: Vec<Value> = match value {
                Value::Array(rows) => rows,
                one => vec![one],
            };
            let cols = columns(path);
            let headers: Vec<String> = std::iter::once("NAME")
                .chain(cols.iter().copied())
                .map(|h| h.rsplit('.').next().unwrap_or(h).to_ascii_uppercase())
                .collect();
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    std::iter::once(cell(r, "name"))
                        .chain(cols.iter().map(|c| cell(r, c)))
                        .collect()
                })
                .collect();
            println!("{}", table(&headers, &cells));
        }
    }
    Ok(())
}

/// Runs `sluice delete`.
///
/// # Errors
/// For an unknown kind or a refused request (e.g. 409 while in use).
pub async fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let path = path_of(&args.kind)?;
    let remote = args.remote.connect().await?;
    remote
        .json(
            Method::DELETE,
            &format!("/admin/{path}/{}", args.name),
            None,
        )
        .await?;
    println!("deleted {path}/{}", args.name);
    Ok(())
}

fn log_line(entry: &Value) -> String {
    format!(
        "{}  {:>3}  {:<6} {}  {}  {:.1} ms{}{}",
        entry["at"].as_str().unwrap_or_default(),
        entry["status"],
        entry["method"].as_str().unwrap_or_default(),
        entry["path"].as_str().unwrap_or_default(),
        entry["operation"].as_str().unwrap_or("-"),
        entry["duration_us"].as_f64().unwrap_or_default() / 1000.0,
        entry["fuel_used"]
            .as_u64()
            .map(|f| format!("  fuel {f}"))
            .unwrap_or_default(),
        entry["error"]
            .as_str()
            .map(|e| format!("  {e}"))
            .unwrap_or_default(),
    )
}

/// Runs `sluice logs`: the latest requests, oldest first, then (with
/// `--follow`) each new one as it is logged.
///
/// # Errors
/// When the server refuses or cannot be reached.
pub async fn logs(args: LogsArgs) -> anyhow::Result<()> {
    let remote = args.remote.connect().await?;
    let mut filter = String::new();
    if let Some(op) = &args.operation {
        filter.push_str(&format!("&operation={op}"));
    }
    if args.failed {
        filter.push_str("&failed=true");
    }
    let mut last_id = 0_i64;
    let mut limit = args.limit.clamp(1, 1000);
    loop {
        let page = remote
            .get(&format!("/admin/logs?limit={limit}{filter}"))
            .await?;
        let mut fresh: Vec<&Value> = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["id"].as_i64().unwrap_or(0) > last_id)
            .collect();
        fresh.sort_by_key(|e| e["id"].as_i64().unwrap_or(0));
        for entry in fresh {
            last_id = last_id.max(entry["id"].as_i64().unwrap_or(0));
            println!("{}", log_line(entry));
        }
        if !args.follow {
            return Ok(());
        }
        limit = 1000;
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
