//! `sluice export`: the server's state as a deploy file that deploys
//! unchanged onto an empty server. Secrets are not readable, so each one
//! becomes a `${CONNECTION_<NAME>_<FIELD>}` placeholder; each action's
//! latest component is written beside the file under `components/`. The
//! portal's settings follow as `portal:` when they differ from the
//! defaults.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde_json::{Map, Value};

use super::remote::{Remote, RemoteArgs};
use crate::deploy::Kind;

/// `sluice export`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice export -o sluice.yaml          # components go to ./components/
  sluice export > snapshot.yaml")]
pub struct ExportArgs {
    /// Write the file here (components beside it); default: stdout
    /// (components under ./components/).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// The server and the credentials.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Runs `sluice export`.
///
/// # Errors
/// When the server cannot be read or the files cannot be written.
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let remote = args.remote.connect().await?;
    let dir = args
        .output
        .as_deref()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let text = export(&remote, &dir).await?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("exported to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Drops members that equal their defaults' empty forms, so the file
/// shows what was set.
fn trim(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| {
            !(v.is_null()
                || v.as_str() == Some("")
                || v.as_array().is_some_and(Vec::is_empty)
                || v.as_object().is_some_and(Map::is_empty))
        });
    }
}

fn keep(row: &Value, fields: &[&str]) -> Value {
    let mut out = Map::new();
    for field in fields {
        if let Some(v) = row.get(*field) {
            out.insert((*field).to_string(), v.clone());
        }
    }
    let mut value = Value::Object(out);
    trim(&mut value);
    value
}

/// The variable name for a secret of connection `name`.
fn placeholder(name: &str, field: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("${{CONNECTION_{upper}_{field}}}")
}

/// A connection's shown config with placeholders where secrets are set.
fn connection_entry(row: &Value) -> Value {
    let name = row["name"].as_str().unwrap_or_default();
    let mut config = row["config"].clone();
    if let Some(map) = config.as_object_mut() {
        if map.remove("password_set") == Some(Value::Bool(true)) {
            match map
                .get_mut("url")
                .and_then(|u| u.as_str().map(str::to_string))
            {
                Some(url) => {
                    // The shown URL lost its password: put the placeholder back
                    // into its user information.
                    if let Some((scheme, rest)) = url.split_once("://")
                        && let Some((user, host)) = rest.split_once('@')
                    {
                        map.insert(
                            "url".into(),
                            Value::String(format!(
                                "{scheme}://{user}:{}@{host}",
                                placeholder(name, "PASSWORD")
                            )),
                        );
                    }
                }
                None => {
                    map.insert(
                        "password".into(),
                        Value::String(placeholder(name, "PASSWORD")),
                    );
                }
            }
        }
        if let Some(auth) = map.get_mut("auth").and_then(Value::as_object_mut)
            && auth.remove("secret_set") == Some(Value::Bool(true))
        {
            let field = match auth.get("type").and_then(Value::as_str) {
                Some("bearer") => "token",
                Some("basic") => "password",
                Some("oauth2_authorization_code" | "oauth2_client_credentials") => "client_secret",
                _ => "value",
            };
            auth.insert(
                field.into(),
                Value::String(placeholder(name, &field.to_ascii_uppercase())),
            );
        }
        // A command's environment is shown by name only: each value
        // becomes a placeholder.
        if let Some(Value::Array(keys)) = map.remove("env_keys") {
            let env: Map<String, Value> = keys
                .iter()
                .filter_map(Value::as_str)
                .map(|key| {
                    let field = format!("ENV_{key}");
                    (key.to_string(), Value::String(placeholder(name, &field)))
                })
                .collect();
            if !env.is_empty() {
                map.insert("env".into(), Value::Object(env));
            }
        }
    }
    let mut entry = Map::new();
    entry.insert("class".into(), row["class"].clone());
    entry.insert("config".into(), config);
    Value::Object(entry)
}

/// The `portal:` section: the portal's settings as `GET /admin/portal`
/// shows them, members at their empty defaults left out. Left out whole
/// while the settings are the defaults, so an export of a server that never
/// set them does not pin them.
async fn portal_section(remote: &Remote) -> anyhow::Result<String> {
    let settings = remote.get("/admin/portal").await?;
    let defaults = serde_json::to_value(crate::portal::PortalSettings::default())?;
    if settings == defaults {
        return Ok(String::new());
    }
    let mut entry = settings;
    trim(&mut entry);
    let mut section = Map::new();
    section.insert("portal".into(), entry);
    Ok(serde_norway::to_string(&Value::Object(section))?)
}

/// The export of the server behind `remote`, with components written to
/// `dir/components/`.
///
/// # Errors
/// When the server cannot be read or a component cannot be written.
pub async fn export(remote: &Remote, dir: &Path) -> anyhow::Result<String> {
    let mut yaml = String::new();
    for kind in Kind::ALL {
        let rows = remote.get(&format!("/admin/{}", kind.path())).await?;
        let mut entries = Map::new();
        for row in rows.as_array().into_iter().flatten() {
            let name = row["name"].as_str().unwrap_or_default().to_string();
            if kind.is_fixed(&name) {
                continue;
            }
            let entry = match kind {
                Kind::Connections => connection_entry(row),
                // The built-ins come with the binary; actions made from one
                // name it instead of a component.
                Kind::Actions if row["read_only"] == Value::Bool(true) => continue,
                Kind::Actions if row["builtin"].is_string() => {
                    let mut entry = keep(row, &["description", "limits", "config", "connections"]);
                    entry["builtin"] = row["builtin"].clone();
                    entry
                }
                Kind::Actions => {
                    let Some(sha) = row["latest_version"]["sha256"].as_str() else {
                        continue;
                    };
                    let bytes = remote.bytes(&format!("/admin/components/{sha}")).await?;
                    let relative = format!("components/{name}.wasm");
                    let path = dir.join(&relative);
                    std::fs::create_dir_all(dir.join("components"))?;
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    let mut entry = keep(row, &["description", "limits", "config", "connections"]);
                    entry["source"] = Value::String(relative);
                    entry
                }
                _ => keep(row, kind.body_fields()),
            };
            entries.insert(name, entry);
        }
        if !entries.is_empty() {
            // One kind at a time, so the file reads in apply order.
            let mut section = Map::new();
            section.insert(kind.as_str().into(), Value::Object(entries));
            yaml.push_str(&serde_norway::to_string(&Value::Object(section))?);
        }
    }
    yaml.push_str(&portal_section(remote).await?);
    Ok(format!(
        "# Exported by `sluice export` from {}.\n# Set the CONNECTION_* variables to the secrets before deploying.\n{yaml}",
        remote.base()
    ))
}
