//! `sluice new rust|python|js NAME`: a new action project that builds as
//! generated: the action (a crate, a Python module or a JavaScript
//! module), a `sluice.yaml`
//! with one operation, a README of three commands, and — so it builds
//! anywhere, offline too — the SDK and the WIT interface of this Sluice
//! beside it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

/// Languages `sluice new` has templates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// A Rust crate built for `wasm32-wasip2`.
    Rust,
    /// A Python module built with `componentize-py` (sdk-python).
    Python,
    /// A JavaScript module bundled by rolldown and built with
    /// `componentize-js` (sdk-js).
    Js,
}

/// `sluice new`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  sluice new rust greeter && cd greeter && sluice build && sluice up
  sluice new python greeter   (needs componentize-py==0.25.1 on PATH)
  sluice new js greeter       (then `npm install` once in it)")]
pub struct NewArgs {
    /// The template's language.
    #[arg(value_enum)]
    pub language: Language,
    /// The action's name (and the directory's): `[a-z][a-z0-9-]*`.
    pub name: String,
    /// Where to create the project directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// The Rust template's files: (path in the project, contents).
const RUST: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../../templates/rust/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../templates/rust/src/lib.rs"),
    ),
    (
        "sluice.yaml",
        include_str!("../../../templates/rust/sluice.yaml"),
    ),
    (
        "README.md",
        include_str!("../../../templates/rust/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../templates/rust/gitignore"),
    ),
    ("wit/action.wit", include_str!("../../../wit/action.wit")),
    (
        "sluice-sdk/Cargo.toml",
        include_str!("../../../sdk/Cargo.toml"),
    ),
    (
        "sluice-sdk/src/lib.rs",
        include_str!("../../../sdk/src/lib.rs"),
    ),
    (
        "sluice-sdk/src/command.rs",
        include_str!("../../../sdk/src/command.rs"),
    ),
    (
        "sluice-sdk/src/error.rs",
        include_str!("../../../sdk/src/error.rs"),
    ),
    (
        "sluice-sdk/src/files.rs",
        include_str!("../../../sdk/src/files.rs"),
    ),
    (
        "sluice-sdk/src/events.rs",
        include_str!("../../../sdk/src/events.rs"),
    ),
    (
        "sluice-sdk/src/http.rs",
        include_str!("../../../sdk/src/http.rs"),
    ),
    (
        "sluice-sdk/src/kv.rs",
        include_str!("../../../sdk/src/kv.rs"),
    ),
    (
        "sluice-sdk/src/log.rs",
        include_str!("../../../sdk/src/log.rs"),
    ),
    (
        "sluice-sdk/src/request.rs",
        include_str!("../../../sdk/src/request.rs"),
    ),
    (
        "sluice-sdk/src/response.rs",
        include_str!("../../../sdk/src/response.rs"),
    ),
    (
        "sluice-sdk/src/smtp.rs",
        include_str!("../../../sdk/src/smtp.rs"),
    ),
    (
        "sluice-sdk/src/sql.rs",
        include_str!("../../../sdk/src/sql.rs"),
    ),
];

/// The Python template's files: (path in the project, contents).
const PYTHON: &[(&str, &str)] = &[
    ("app.py", include_str!("../../../templates/python/app.py")),
    (
        "sluice.yaml",
        include_str!("../../../templates/python/sluice.yaml"),
    ),
    (
        "README.md",
        include_str!("../../../templates/python/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../templates/python/gitignore"),
    ),
    ("wit/action.wit", include_str!("../../../wit/action.wit")),
    (
        "sluice-sdk/sluice/__init__.py",
        include_str!("../../../sdk-python/sluice/__init__.py"),
    ),
    (
        "sluice-sdk/sluice/_action.py",
        include_str!("../../../sdk-python/sluice/_action.py"),
    ),
    (
        "sluice-sdk/sluice/_convert.py",
        include_str!("../../../sdk-python/sluice/_convert.py"),
    ),
    (
        "sluice-sdk/sluice/command.py",
        include_str!("../../../sdk-python/sluice/command.py"),
    ),
    (
        "sluice-sdk/sluice/errors.py",
        include_str!("../../../sdk-python/sluice/errors.py"),
    ),
    (
        "sluice-sdk/sluice/events.py",
        include_str!("../../../sdk-python/sluice/events.py"),
    ),
    (
        "sluice-sdk/sluice/files.py",
        include_str!("../../../sdk-python/sluice/files.py"),
    ),
    (
        "sluice-sdk/sluice/http.py",
        include_str!("../../../sdk-python/sluice/http.py"),
    ),
    (
        "sluice-sdk/sluice/kv.py",
        include_str!("../../../sdk-python/sluice/kv.py"),
    ),
    (
        "sluice-sdk/sluice/log.py",
        include_str!("../../../sdk-python/sluice/log.py"),
    ),
    (
        "sluice-sdk/sluice/smtp.py",
        include_str!("../../../sdk-python/sluice/smtp.py"),
    ),
    (
        "sluice-sdk/sluice/sql.py",
        include_str!("../../../sdk-python/sluice/sql.py"),
    ),
    ("sluice-sdk/sluice/py.typed", ""),
];

/// The JavaScript template's files: (path in the project, contents).
const JS: &[(&str, &str)] = &[
    ("app.js", include_str!("../../../templates/js/app.js")),
    (
        "package.json",
        include_str!("../../../templates/js/package.json"),
    ),
    (
        "rolldown.config.js",
        include_str!("../../../templates/js/rolldown.config.js"),
    ),
    (
        "sluice.yaml",
        include_str!("../../../templates/js/sluice.yaml"),
    ),
    ("README.md", include_str!("../../../templates/js/README.md")),
    (
        ".gitignore",
        include_str!("../../../templates/js/gitignore"),
    ),
    ("wit/action.wit", include_str!("../../../wit/action.wit")),
    (
        "sluice-sdk/package.json",
        include_str!("../../../sdk-js/package.json"),
    ),
    (
        "sluice-sdk/README.md",
        include_str!("../../../sdk-js/README.md"),
    ),
    (
        "sluice-sdk/index.js",
        include_str!("../../../sdk-js/index.js"),
    ),
    (
        "sluice-sdk/index.d.ts",
        include_str!("../../../sdk-js/index.d.ts"),
    ),
    (
        "sluice-sdk/src/action.js",
        include_str!("../../../sdk-js/src/action.js"),
    ),
    (
        "sluice-sdk/src/command.js",
        include_str!("../../../sdk-js/src/command.js"),
    ),
    (
        "sluice-sdk/src/convert.js",
        include_str!("../../../sdk-js/src/convert.js"),
    ),
    (
        "sluice-sdk/src/errors.js",
        include_str!("../../../sdk-js/src/errors.js"),
    ),
    (
        "sluice-sdk/src/events.js",
        include_str!("../../../sdk-js/src/events.js"),
    ),
    (
        "sluice-sdk/src/files.js",
        include_str!("../../../sdk-js/src/files.js"),
    ),
    (
        "sluice-sdk/src/http.js",
        include_str!("../../../sdk-js/src/http.js"),
    ),
    (
        "sluice-sdk/src/json.js",
        include_str!("../../../sdk-js/src/json.js"),
    ),
    (
        "sluice-sdk/src/kv.js",
        include_str!("../../../sdk-js/src/kv.js"),
    ),
    (
        "sluice-sdk/src/log.js",
        include_str!("../../../sdk-js/src/log.js"),
    ),
    (
        "sluice-sdk/src/request.js",
        include_str!("../../../sdk-js/src/request.js"),
    ),
    (
        "sluice-sdk/src/response.js",
        include_str!("../../../sdk-js/src/response.js"),
    ),
    (
        "sluice-sdk/src/smtp.js",
        include_str!("../../../sdk-js/src/smtp.js"),
    ),
    (
        "sluice-sdk/src/sql.js",
        include_str!("../../../sdk-js/src/sql.js"),
    ),
];

/// Creates the project; answers its directory.
///
/// # Errors
/// For an invalid name, an existing directory, or a write failure.
pub fn run(args: &NewArgs) -> anyhow::Result<PathBuf> {
    let name = &args.name;
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("{name:?} must be a lowercase letter, then lowercase letters, digits or '-'");
    }
    let root = args.dir.join(name);
    if root.exists() {
        bail!("{} exists already", root.display());
    }
    let files = match args.language {
        Language::Rust => RUST,
        Language::Python => PYTHON,
        Language::Js => JS,
    };
    let crate_name = name.replace('-', "_");
    for (relative, template) in files {
        let text = template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name);
        write(&root.join(relative), &text)?;
    }
    Ok(root)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
