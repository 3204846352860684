//! `sluice sdk typescript|python`: a typed client of the hosted API,
//! generated from the server's OpenAPI 3.1 document
//! (`/system/openapi.json`) by well-kept generators — openapi-typescript
//! with openapi-fetch for TypeScript, openapi-python-client for Python.
//!
//! The generator runs as a program (never through a shell): the one on
//! `PATH` if there is one, else a pinned version through `npx` (Node.js) or
//! `uvx`/`pipx` (Python). The client is written to a staging folder beside
//! the output and moved into place only when every step succeeded, so a
//! failed run leaves an earlier client as it was.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::login::Credentials;

/// openapi-typescript's version run through `npx` when none is on `PATH`.
const OPENAPI_TYPESCRIPT: &str = "openapi-typescript@7.13.0";
/// openapi-fetch's version the TypeScript client depends on.
const OPENAPI_FETCH: &str = "0.17.0";
/// TypeScript's version the TypeScript client builds with.
const TYPESCRIPT: &str = "5.9.3";
/// openapi-python-client's version run through `uvx` or `pipx` when none is
/// on `PATH`.
const OPENAPI_PYTHON_CLIENT: &str = "0.29.1";

/// The client's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// TypeScript types from openapi-typescript and a client on openapi-fetch.
    Typescript,
    /// A Python package (httpx, attrs) from openapi-python-client.
    Python,
}

/// `sluice sdk`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sluice sdk typescript -o ./my-api-client --url http://127.0.0.1:8080
  sluice sdk python -o ./my_api_client      # the server `sluice login` saved
  sluice sdk python --document openapi.json --base-url https://api.example.com

The generator on PATH is used (openapi-typescript; openapi-python-client); without one,
a pinned version runs through npx (Node.js) or uvx / pipx (Python).")]
pub struct SdkArgs {
    /// The client's language.
    pub language: Language,
    /// The folder to write the client to; default `./sluice-client` for
    /// TypeScript, `./sluice_client` for Python.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Replace the folder when it exists and is not empty.
    #[arg(long)]
    pub force: bool,
    /// The package's name; default `sluice-client` (TypeScript and the
    /// Python project) — the Python module is the name with `_` for `-`.
    #[arg(long, default_value = "sluice-client")]
    pub name: String,
    /// Read the OpenAPI document from this file instead of the server.
    #[arg(long)]
    pub document: Option<PathBuf>,
    /// The server whose hosted API the client calls, e.g.
    /// `http://127.0.0.1:8080`; default: the one `sluice login` saved.
    #[arg(long, env = "SLUICE_URL")]
    pub url: Option<String>,
    /// The base URL the client calls by default; default: `--url`.
    #[arg(long)]
    pub base_url: Option<String>,
}

/// Runs `sluice sdk`.
///
/// # Errors
/// When no server is known, the document cannot be read, the output folder
/// is not empty (without `--force`), the package name is not
/// `[a-z][a-z0-9-]*`, or no generator can be run or it fails.
pub async fn run(args: SdkArgs) -> anyhow::Result<()> {
    check_package_name(&args.name)?;
    let server = match (&args.url, Credentials::load()?) {
        (Some(url), _) => Some(url.trim_end_matches('/').to_string()),
        (None, Some(saved)) => Some(saved.url),
        (None, None) => None,
    };
    let mut document = match &args.document {
        Some(path) => {
            let text =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a JSON document", path.display()))?
        }
        None => {
            let Some(server) = &server else {
                bail!(
                    "no server: pass --url (SLUICE_URL), log in with `sluice login URL`, or \
                     pass --document FILE"
                );
            };
            fetch_document(server).await?
        }
    };
    let base_url = args.base_url.clone().or(server).unwrap_or_default();
    if !base_url.is_empty() {
        // The document's own `servers` is `/`: relative to wherever it was
        // read, which a client on another machine cannot know.
        document["servers"] = json!([{"url": base_url}]);
    }
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(match args.language {
            Language::Typescript => "sluice-client",
            Language::Python => "sluice_client",
        })
    });
    let staging = Staging::beside(&output, args.force)?;
    match args.language {
        Language::Typescript => {
            typescript(&document, &args.name, &base_url, staging.path()).await?
        }
        Language::Python => python(&document, &args.name, staging.path()).await?,
    }
    staging.commit(&output)?;
    eprintln!(
        "wrote a {} client of {} operations to {}",
        match args.language {
            Language::Typescript => "TypeScript",
            Language::Python => "Python",
        },
        count_operations(&document),
        output.display()
    );
    Ok(())
}

/// npm's and PyPI's rules, narrowed to what both accept.
fn check_package_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let good = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 64
        && !name.ends_with('-');
    if !good {
        bail!("--name {name:?}: use lowercase letters, digits and `-`, starting with a letter");
    }
    Ok(())
}

async fn fetch_document(server: &str) -> anyhow::Result<Value> {
    let url = format!("{server}/system/openapi.json");
    let client = reqwest::Client::builder()
        .user_agent(concat!("sluice-cli/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let answer = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("reading {url}: is the server running?"))?;
    let status = answer.status();
    let body = answer.bytes().await?;
    if !status.is_success() {
        bail!(
            "reading {url}: {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        );
    }
    serde_json::from_slice(&body).with_context(|| format!("{url} did not answer JSON"))
}

fn count_operations(document: &Value) -> usize {
    document["paths"].as_object().map_or(0, |paths| {
        paths
            .values()
            .filter_map(Value::as_object)
            .map(|p| p.len())
            .sum()
    })
}

/// A folder beside the output that becomes it at the end, so that a failed
/// run leaves nothing half written.
struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    fn beside(output: &Path, force: bool) -> anyhow::Result<Self> {
        if !force && output.exists() {
            let empty = std::fs::read_dir(output)
                .with_context(|| format!("{} exists and is not a folder", output.display()))?
                .next()
                .is_none();
            if !empty {
                bail!(
                    "{} exists and is not empty: pass --force to replace it",
                    output.display()
                );
            }
        }
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        // Absolute: the generators run inside it, where a relative path
        // would mean something else.
        let parent = parent
            .canonicalize()
            .with_context(|| format!("resolving {}", parent.display()))?;
        let name = output
            .file_name()
            .map_or_else(|| "client".into(), |n| n.to_string_lossy().into_owned());
        let path = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self {
            path,
            committed: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn commit(mut self, output: &Path) -> anyhow::Result<()> {
        if output.exists() {
            std::fs::remove_dir_all(output)
                .with_context(|| format!("removing the old {}", output.display()))?;
        }
        std::fs::rename(&self.path, output)
            .with_context(|| format!("moving the client to {}", output.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the first of `candidates` (program and arguments) that exists,
/// with `args` appended, in `dir`; `install` says how to get one when none
/// does.
async fn run_generator(
    candidates: &[&[&str]],
    args: &[&str],
    dir: &Path,
    install: &str,
) -> anyhow::Result<()> {
    for candidate in candidates {
        let (program, fixed) = candidate.split_first().expect("a program");
        let output = tokio::process::Command::new(program)
            .args(fixed.iter())
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .await;
        match output {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("running {program}")),
            Ok(out) if out.status.success() => return Ok(()),
            Ok(out) => bail!(
                "{} failed ({}):\n{}{}",
                candidate.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    bail!("no generator found: {install}")
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

async fn typescript(
    document: &Value,
    name: &str,
    base_url: &str,
    dir: &Path,
) -> anyhow::Result<()> {
    write(
        &dir.join("openapi.json"),
        &serde_json::to_string_pretty(document)?,
    )?;
    let npx = format!("npx --yes {OPENAPI_TYPESCRIPT}");
    let npx: Vec<&str> = npx.split(' ').collect();
    run_generator(
        &[&["openapi-typescript"], npx.as_slice()],
        &["openapi.json", "--output", "src/schema.d.ts"],
        dir,
        "install Node.js (for npx), or `npm install --global openapi-typescript`",
    )
    .await?;
    let package = json!({
        "name": name,
        "version": document["info"]["version"].as_str().unwrap_or("0.0.0"),
        "description": format!("A typed client of {}", document["info"]["title"].as_str().unwrap_or("the API")),
        "type": "module",
        "main": "dist/index.js",
        "types": "dist/index.d.ts",
        "exports": {".": {"types": "./dist/index.d.ts", "default": "./dist/index.js"}},
        "scripts": {"build": "tsc -p ."},
        "dependencies": {"openapi-fetch": OPENAPI_FETCH},
        "devDependencies": {"typescript": TYPESCRIPT},
    });
    write(
        &dir.join("package.json"),
        &(serde_json::to_string_pretty(&package)? + "\n"),
    )?;
    let tsconfig = json!({
        "compilerOptions": {
            "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
            "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true,
            "declaration": true, "outDir": "dist", "rootDir": "src", "skipLibCheck": false,
            "lib": ["ES2022", "DOM"]
        },
        "include": ["src"]
    });
    write(
        &dir.join("tsconfig.json"),
        &(serde_json::to_string_pretty(&tsconfig)? + "\n"),
    )?;
    write(&dir.join("src/index.ts"), &typescript_index(base_url))?;
    write(&dir.join("README.md"), &typescript_readme(name, document))?;
    Ok(())
}

fn typescript_index(base_url: &str) -> String {
    let base = serde_json::to_string(base_url).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"// Generated by `sluice sdk typescript`: a typed client of the hosted API.
// Types come from openapi-typescript (./schema.d.ts); requests go through
// openapi-fetch. Regenerate when the API changes.
import createClient, {{ type Client, type ClientOptions }} from "openapi-fetch";
import type {{ paths }} from "./schema.js";

export type {{ paths, components, operations }} from "./schema.js";

/** The server this client was generated from. */
export const DEFAULT_BASE_URL: string = {base};

/** Options of {{@link createSluiceClient}}. */
export interface SluiceClientOptions extends ClientOptions {{
  /** A bearer token (an app's, a user's or a personal access token), sent as `Authorization: Bearer <token>`. */
  token?: string;
}}

/**
 * A client of every operation: `client.GET("/todos/{{id}}", {{ params: {{ path: {{ id: 1 }} }} }})`.
 * Paths, parameters, bodies and answers are typed from the API's OpenAPI document.
 */
export function createSluiceClient(options: SluiceClientOptions = {{}}): Client<paths> {{
  const {{ token, headers, ...rest }} = options;
  const merged = new Headers(headers as HeadersInit | undefined);
  if (token !== undefined) {{
    merged.set("Authorization", `Bearer ${{token}}`);
  }}
  return createClient<paths>({{ baseUrl: DEFAULT_BASE_URL, ...rest, headers: merged }});
}}
"#
    )
}

fn typescript_readme(name: &str, document: &Value) -> String {
    let title = document["info"]["title"].as_str().unwrap_or("the API");
    format!(
        "# {name}\n\nA typed client of {title}, generated by `sluice sdk typescript` with \
         openapi-typescript and openapi-fetch.\n\n```sh\nnpm install && npm run build\n```\n\n\
         ```ts\nimport {{ createSluiceClient }} from \"{name}\";\n\nconst api = \
         createSluiceClient({{ token: process.env.TOKEN }});\nconst {{ data, error }} = await \
         api.GET(\"/some/path\");\n```\n\n`openapi.json` is the document it was generated \
         from.\n"
    )
}

async fn python(document: &Value, name: &str, dir: &Path) -> anyhow::Result<()> {
    let work = dir.join(".generate");
    std::fs::create_dir(&work)?;
    write(
        &work.join("openapi.json"),
        &serde_json::to_string(document)?,
    )?;
    let module = name.replace('-', "_");
    write(
        &work.join("config.yaml"),
        // No formatting hooks: they need ruff, which the client does not.
        &format!(
            "project_name_override: {name}\npackage_name_override: {module}\npost_hooks: []\n"
        ),
    )?;
    let uvx = format!("openapi-python-client@{OPENAPI_PYTHON_CLIENT}");
    let pipx = format!("openapi-python-client=={OPENAPI_PYTHON_CLIENT}");
    let out = dir.join("out");
    let out_arg = out.to_string_lossy().into_owned();
    run_generator(
        &[
            &["openapi-python-client"],
            &["uvx", &uvx],
            &["pipx", "run", &pipx],
        ],
        &[
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.yaml",
            "--meta",
            "pdm",
            "--output-path",
            &out_arg,
        ],
        &work,
        "`pipx install openapi-python-client` (or install uv, or pip install it into the active \
         environment)",
    )
    .await?;
    // The project's files go to the output itself; the document beside
    // them says what it was generated from.
    let moved = || -> std::io::Result<()> {
        for entry in std::fs::read_dir(&out)? {
            let entry = entry?;
            std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
        }
        std::fs::rename(work.join("openapi.json"), dir.join("openapi.json"))?;
        std::fs::remove_dir_all(&work)?;
        std::fs::remove_dir(&out)
    };
    moved().with_context(|| format!("arranging the generated project in {}", dir.display()))
}
