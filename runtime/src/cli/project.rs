//! Reading a deploy file (`sluice.yaml`, or JSON) into the body of
//! `POST /admin/deploy`: YAML parsed with every node's line and column
//! kept for error messages, checked against the deploy schema, `include`d
//! files merged, `${VAR}` and `${VAR:-default}` taken from the environment
//! (secrets only from there), `{"$file": path}` objects replaced by the
//! file, and each action's `source` replaced by its component's SHA-256.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::yaml::{escape, index, is_reference, secret_in, substitute, whole_reference};
use crate::deploy::Kind;

/// A project read from its files, ready to deploy.
#[derive(Debug, Default)]
pub struct Project {
    /// `{kind: {name: entry}, "portal": settings}`, the body of `POST
    /// /admin/deploy`.
    pub body: Map<String, Value>,
    /// The component file of each SHA-256 the body names.
    pub components: BTreeMap<String, PathBuf>,
    /// Every file read (deploy files, `$file`s, components), for `--watch`.
    pub files: Vec<PathBuf>,
    /// Each action's build step, when it has one.
    pub builds: Vec<BuildStep>,
    /// Where each resource is defined, `file:line:column`, by kind and name.
    pub locations: HashMap<(String, String), String>,
}

/// What `sluice build` runs for one action.
#[derive(Debug, Clone)]
pub struct BuildStep {
    /// The action's name.
    pub action: String,
    /// Program and arguments (run without a shell).
    pub command: Vec<String>,
    /// Where it runs.
    pub workdir: PathBuf,
    /// The file it makes.
    pub output: PathBuf,
    /// Where the deploy reads the component (`output` is copied there).
    pub source: PathBuf,
}

/// Whether actions' `source` files must exist (a deploy) or not yet (a build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// Read and hash every source.
    Read,
    /// Leave sources alone.
    Skip,
}

/// Reads `path` and everything it includes.
///
/// # Errors
/// With the file, line and column: YAML syntax errors, members the deploy
/// schema does not allow, environment variables that are not set, literal
/// secrets, a resource named twice, a `$file` or `source` that cannot be
/// read, a source that is not a WebAssembly component.
pub fn load(path: &Path, sources: Sources) -> anyhow::Result<Project> {
    load_with(path, sources, &|path| std::fs::read(path))
}

/// Reads a file's bytes for [`load_with`].
pub type ReadFile<'a> = dyn Fn(&Path) -> std::io::Result<Vec<u8>> + 'a;

/// [`load`] with every file (deploy files, `$file`s, sources) read through
/// `read` instead of from the disk: the fuzz target
/// ([`crate::fuzzing::deploy_file`]) gives it files held in memory.
///
/// # Errors
/// As [`load`].
pub fn load_with(path: &Path, sources: Sources, read: &ReadFile<'_>) -> anyhow::Result<Project> {
    let mut loader = Loader {
        sources,
        read,
        origin: HashMap::new(),
        loaded: HashMap::new(),
    };
    let mut project = Project::default();
    loader.load_into(path, &mut project, None, 0)?;
    Ok(project)
}

/// What one [`load_with`] keeps while it follows includes.
struct Loader<'r, 'a> {
    sources: Sources,
    read: &'r ReadFile<'a>,
    /// The file that defines each `(kind, name)`.
    origin: HashMap<(String, String), PathBuf>,
    /// Each deploy file read (its path with `.` and `..` resolved) and
    /// where it was included from, if it was.
    loaded: HashMap<PathBuf, Option<String>>,
}

/// `path` with `.` components dropped and `..` taken against what precedes
/// it, without asking the file system: the key that finds a deploy file
/// included twice under two spellings (`a.yaml`, `./x/../a.yaml`).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn read_text(read: &ReadFile<'_>, path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

impl Loader<'_, '_> {
    fn load_into(
        &mut self,
        path: &Path,
        project: &mut Project,
        included_at: Option<String>,
        depth: usize,
    ) -> anyhow::Result<()> {
        if depth > 16 {
            bail!(
                "{}: includes nest more than 16 deep (a cycle?)",
                path.display()
            );
        }
        // Each file once: a file included twice (or by itself) would be read
        // again for every path that leads to it, 2^16 times for a file that
        // includes itself twice, and its resources would clash anyway.
        if let Some(first) = self.loaded.get(&lexical(path)) {
            bail!(
                "{} is included more than once ({}); include each file once",
                lexical(path).display(),
                match first {
                    Some(at) => format!("first at {at}"),
                    None => "it is the deploy file itself".to_string(),
                }
            );
        }
        self.loaded.insert(lexical(path), included_at);
        let text = read_text(self.read, path)
            .with_context(|| format!("cannot read the deploy file {}", path.display()))?;
        project.files.push(path.to_path_buf());
        let file = SourceFile::parse(path, &text)?;
        file.check_schema()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut document = file.value.clone();
        file.check_secrets(&document, "")?;
        file.interpolate(&mut document, "")?;
        file.insert_files(&mut document, "", &dir, self.read, project)?;
        let Value::Object(top) = document else {
            bail!("{}: the file must be a mapping", path.display());
        };
        for (key, value) in top {
            if key == "include" {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    let included = dir.join(item.as_str().unwrap_or_default());
                    let at = file.locate(&format!("/include/{i}"));
                    self.load_into(&included, project, Some(at.clone()), depth + 1)
                        .with_context(|| format!("included at {at}"))?;
                }
                continue;
            }
            if key == "portal" {
                let origin = (key.clone(), String::new());
                if let Some(first) = self.origin.get(&origin) {
                    bail!(
                        "{}: portal is also set in {}; set it in one file",
                        file.locate("/portal"),
                        first.display()
                    );
                }
                self.origin.insert(origin, path.to_path_buf());
                project
                    .locations
                    .insert((key.clone(), "settings".into()), file.locate("/portal"));
                project.body.insert(key, value);
                continue;
            }
            let kind = Kind::parse(&key).with_context(|| format!("unknown kind {key}"))?;
            for (name, mut entry) in value.as_object().cloned().unwrap_or_default() {
                let pointer = format!("/{key}/{}", escape(&name));
                if let Some(first) = self.origin.get(&(key.clone(), name.clone())) {
                    bail!(
                        "{}: {key} {name:?} is also defined in {}",
                        file.locate(&pointer),
                        first.display()
                    );
                }
                self.origin
                    .insert((key.clone(), name.clone()), path.to_path_buf());
                project.locations.insert(
                    (kind.as_str().to_string(), name.clone()),
                    file.locate(&pointer),
                );
                if kind == Kind::Actions {
                    file.resolve_action(&name, &mut entry, &pointer, &dir, self, project)?;
                }
                if let Value::Object(entries) = project
                    .body
                    .entry(kind.as_str())
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    entries.insert(name, entry);
                }
            }
        }
        Ok(())
    }
}

/// One parsed file with the position of every node.
struct SourceFile {
    path: PathBuf,
    value: Value,
    /// JSON pointer → (line, column), both 1-based; a member's key position.
    positions: HashMap<String, (usize, usize)>,
    /// Pointers of unquoted scalars, which keep YAML's typing after
    /// substitution (`port: ${PORT}` is a number).
    plain: HashSet<String>,
}

impl SourceFile {
    fn parse(path: &Path, text: &str) -> anyhow::Result<Self> {
        let value: Value =
            serde_norway::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let value = if value.is_null() {
            Value::Object(Map::new())
        } else {
            value
        };
        let (positions, plain) = index(text);
        Ok(Self {
            path: path.to_path_buf(),
            value,
            positions,
            plain,
        })
    }

    /// `file:line:column` of `pointer`, or of its nearest ancestor known.
    fn locate(&self, pointer: &str) -> String {
        let mut p = pointer;
        loop {
            if let Some((line, col)) = self.positions.get(p) {
                return format!("{}:{line}:{col}", self.path.display());
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.path.display().to_string(),
            }
        }
    }

    fn check_schema(&self) -> anyhow::Result<()> {
        // Compiled once: a project of many included files checks each.
        static VALIDATOR: std::sync::LazyLock<Result<jsonschema::Validator, String>> =
            std::sync::LazyLock::new(|| {
                let schema = crate::deploy::schema::deploy_schema().map_err(|e| e.to_string())?;
                jsonschema::draft202012::options()
                    .build(schema)
                    .map_err(|e| format!("the deploy schema does not compile: {e}"))
            });
        let validator = VALIDATOR.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut problems = Vec::new();
        for error in validator.iter_errors(&self.value) {
            let at = error.instance_path().as_str().to_string();
            match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        let pointer = format!("{at}/{}", escape(key));
                        problems.push(format!(
                            "{}: unknown key {key:?} in {}",
                            self.locate(&pointer),
                            if at.is_empty() { "the file" } else { &at }
                        ));
                    }
                }
                _ => problems.push(format!("{}: {at}: {error}", self.locate(&at))),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}", problems.join("\n"))
        }
    }

    /// Refuses a literal where a secret belongs: a connection's password,
    /// token or key must be exactly `${VAR}`, and a URL's password too.
    fn check_secrets(&self, value: &Value, pointer: &str) -> anyhow::Result<()> {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.check_secrets(v, &format!("{pointer}/{}", escape(k)))?;
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.check_secrets(v, &format!("{pointer}/{i}"))?;
                }
            }
            Value::String(text) => {
                if let Some(secret) = secret_in(pointer, text)
                    && !is_reference(secret)
                {
                    bail!(
                        "{}: {pointer} is a secret: write it as ${{VARIABLE}} and set the \
                         variable in the environment, never literally in the file",
                        self.locate(pointer)
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Replaces `${VAR}` and `${VAR:-default}` in every string; `$${`
    /// stands for a literal `${`.
    fn interpolate(&self, value: &mut Value, pointer: &str) -> anyhow::Result<()> {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    self.interpolate(v, &format!("{pointer}/{}", escape(k)))?;
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.interpolate(v, &format!("{pointer}/{i}"))?;
                }
            }
            Value::String(text) if text.contains('$') => {
                let whole = whole_reference(text);
                let replaced =
                    substitute(text, |name| std::env::var(name).ok()).map_err(|name| {
                        anyhow::anyhow!(
                            "{}: the environment variable {name} is not set (used in {pointer})",
                            self.locate(pointer)
                        )
                    })?;
                let typed =
                    (whole && self.plain.contains(pointer) && secret_in(pointer, text).is_none())
                        .then(|| serde_norway::from_str::<Value>(&replaced).ok())
                        .flatten()
                        .filter(|v| v.is_number() || v.is_boolean());
                *value = typed.unwrap_or(Value::String(replaced));
            }
            _ => {}
        }
        Ok(())
    }

    /// Replaces every `{"$file": path}` by the JSON or YAML it names.
    fn insert_files(
        &self,
        value: &mut Value,
        pointer: &str,
        dir: &Path,
        read: &ReadFile<'_>,
        project: &mut Project,
    ) -> anyhow::Result<()> {
        if let Value::Object(map) = value
            && map.len() == 1
            && let Some(Value::String(file)) = map.get("$file")
        {
            let path = dir.join(file);
            let text = read_text(read, &path).with_context(|| {
                format!("{}: cannot read {}", self.locate(pointer), path.display())
            })?;
            let parsed: Value = serde_norway::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            project.files.push(path);
            *value = parsed;
            return Ok(());
        }
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    self.insert_files(v, &format!("{pointer}/{}", escape(k)), dir, read, project)?;
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.insert_files(v, &format!("{pointer}/{i}"), dir, read, project)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes `source` and `build` out of an action's entry: the source's
    /// SHA-256 goes in instead, the build into the project's steps.
    fn resolve_action(
        &self,
        name: &str,
        entry: &mut Value,
        pointer: &str,
        dir: &Path,
        loader: &Loader<'_, '_>,
        project: &mut Project,
    ) -> anyhow::Result<()> {
        let Value::Object(map) = entry else {
            return Ok(());
        };
        // An action made from a built-in has no component of its own.
        if map.contains_key("builtin") {
            if map.contains_key("source") || map.contains_key("build") {
                anyhow::bail!(
                    "{}: action {name:?} names a built-in and a source; keep one",
                    self.locate(pointer)
                );
            }
            return Ok(());
        }
        let source = map
            .remove("source")
            .and_then(|s| s.as_str().map(|s| dir.join(s)))
            .with_context(|| {
                format!(
                    "{}: action {name:?} needs a source (or a builtin)",
                    self.locate(pointer)
                )
            })?;
        if let Some(build) = map.remove("build") {
            let command = match &build["command"] {
                Value::String(line) => shlex::split(line).with_context(|| {
                    format!(
                        "{}: the build command has an unclosed quote",
                        self.locate(&format!("{pointer}/build/command"))
                    )
                })?,
                Value::Array(words) => words
                    .iter()
                    .map(|w| w.as_str().unwrap_or_default().to_string())
                    .collect(),
                _ => Vec::new(),
            };
            if command.is_empty() {
                bail!(
                    "{}: the build command is empty",
                    self.locate(&format!("{pointer}/build"))
                );
            }
            project.builds.push(BuildStep {
                action: name.to_string(),
                command,
                workdir: build["workdir"]
                    .as_str()
                    .map_or_else(|| dir.to_path_buf(), |w| dir.join(w)),
                output: build["output"]
                    .as_str()
                    .map_or_else(|| source.clone(), |o| dir.join(o)),
                source: source.clone(),
            });
        }
        if loader.sources == Sources::Skip {
            return Ok(());
        }
        let at = self.locate(&format!("{pointer}/source"));
        let bytes = (loader.read)(&source).map_err(|e| {
            anyhow::anyhow!(
                "{at}: the source of action {name:?}, {}, cannot be read ({e}); build it first \
                 (sluice build)",
                source.display()
            )
        })?;
        if !wasmparser::Parser::is_component(&bytes) {
            bail!(
                "{at}: {} is not a WebAssembly component{}",
                source.display(),
                if wasmparser::Parser::is_core_wasm(&bytes) {
                    " (it is a core module: adapt it with `wasm-tools component new`)"
                } else {
                    ""
                }
            );
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        map.insert("sha256".into(), Value::String(sha256.clone()));
        project.files.push(source.clone());
        project.components.insert(sha256, source);
        Ok(())
    }
}
