//! Prompts: templates the MCP server offers its clients (`prompts/list`,
//! `prompts/get`), each filled with the client's arguments into a user
//! message. Templates use MiniJinja (Jinja2) syntax, `{{ topic }}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::error::{ApiError, ApiResult};
use crate::resources::check_name;
use crate::store::Json as SqlJson;
use crate::store::prompts::{self, PromptArgument, PromptRow};

/// Largest template, bytes.
const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// Most arguments a prompt takes.
const MAX_ARGUMENTS: usize = 32;

/// Rendering steps a template may take (MiniJinja fuel): a loop over a
/// huge range stops instead of holding a worker.
const FUEL: u64 = 100_000;

/// Largest rendered prompt, bytes.
const MAX_RENDERED_BYTES: usize = 1 << 20;

/// Largest argument value, bytes.
const MAX_ARGUMENT_BYTES: usize = 64 * 1024;

/// Body of `POST /admin/prompts`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromptInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// What the prompt is for (shown to the user picking it).
    #[serde(default)]
    pub description: String,
    /// The arguments it takes: `[{"name", "description", "required"}]`.
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// The template, at most 64 KiB; may use only the declared arguments.
    pub template: String,
}

/// Body of `PUT /admin/prompts/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptUpdate {
    /// What the prompt is for.
    #[serde(default)]
    pub description: String,
    /// The arguments it takes.
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// The template.
    pub template: String,
}

/// A MiniJinja environment for prompts, fuel-bounded.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(FUEL));
    env
}

/// Checks `input` and stores it, replacing `existing` (keeping its
/// creation time) when given.
///
/// # Errors
/// 400 for a bad name, argument or template (its syntax error, or a
/// variable that is no argument).
pub async fn write(
    conn: &mut AnyConnection,
    input: PromptInput,
    existing: Option<PromptRow>,
) -> ApiResult<PromptRow> {
    check_name("prompt", &input.name)?;
    if input.arguments.len() > MAX_ARGUMENTS {
        return Err(ApiError::BadRequest(format!(
            "arguments: at most {MAX_ARGUMENTS}"
        )));
    }
    let mut names = std::collections::BTreeSet::new();
    for argument in &input.arguments {
        let ok = (1..=64).contains(&argument.name.len())
            && argument
                .name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && argument
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(ApiError::BadRequest(format!(
                "arguments: {:?} must be 1-64 letters, digits and '_', not starting with a digit",
                argument.name
            )));
        }
        if !names.insert(argument.name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "arguments: {:?} is named twice",
                argument.name
            )));
        }
    }
    if input.template.len() > MAX_TEMPLATE_BYTES {
        return Err(ApiError::BadRequest(format!(
            "template: at most {MAX_TEMPLATE_BYTES} bytes"
        )));
    }
    let env = environment();
    let template = env
        .template_from_str(&input.template)
        .map_err(|e| ApiError::BadRequest(format!("template: {e}")))?;
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !names.contains(v.as_str()) && !globals.contains(&v.as_str()))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(ApiError::BadRequest(format!(
            "template: {} is not an argument; declare it under arguments",
            unknown.join(", ")
        )));
    }
    let now = crate::store::now();
    let row = PromptRow {
        name: input.name,
        description: input.description,
        arguments: SqlJson(input.arguments),
        template: input.template,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    prompts::upsert(&mut *conn, &row).await?;
    Ok(row)
}

/// Deletes prompt `name`.
///
/// # Errors
/// 404 when there is none.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    if !prompts::delete(&mut *conn, name).await? {
        return Err(ApiError::NotFound(format!(
            "prompt {name:?} does not exist"
        )));
    }
    Ok(())
}

/// Why a prompt could not be filled.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A required argument is missing.
    #[error("argument {0:?} is required")]
    Missing(String),
    /// An argument the prompt does not take.
    #[error("{0:?} is not an argument of this prompt")]
    Unknown(String),
    /// An argument longer than 64 KiB.
    #[error("argument {0:?} is longer than 64 KiB")]
    TooLong(String),
    /// The template failed (out of fuel, a filter's error) or made too
    /// much text.
    #[error("the prompt's template failed: {0}")]
    Template(String),
}

/// `row`'s template filled with `arguments` (absent optional ones are
/// empty).
///
/// # Errors
/// [`RenderError`].
pub fn render(
    row: &PromptRow,
    arguments: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    if let Some(name) = arguments
        .keys()
        .find(|k| !row.arguments.0.iter().any(|a| &a.name == *k))
    {
        return Err(RenderError::Unknown(name.clone()));
    }
    if let Some((name, _)) = arguments.iter().find(|(_, v)| v.len() > MAX_ARGUMENT_BYTES) {
        return Err(RenderError::TooLong(name.clone()));
    }
    let mut context = BTreeMap::new();
    for argument in &row.arguments.0 {
        match arguments.get(&argument.name) {
            Some(value) => {
                context.insert(argument.name.clone(), value.clone());
            }
            None if argument.required => return Err(RenderError::Missing(argument.name.clone())),
            None => {
                context.insert(argument.name.clone(), String::new());
            }
        }
    }
    let env = environment();
    let template = env
        .template_from_str(&row.template)
        .map_err(|e| RenderError::Template(e.to_string()))?;
    // Written into a buffer that refuses to grow past the limit: fuel
    // bounds the steps, not what each step writes.
    let mut out = Limited(Vec::new());
    template
        .render_captured_to(minijinja::Value::from(context), &mut out)
        .map_err(|e| RenderError::Template(e.to_string()))?;
    String::from_utf8(out.0).map_err(|e| RenderError::Template(e.to_string()))
}

/// A buffer of at most [`MAX_RENDERED_BYTES`].
struct Limited(Vec<u8>);

impl std::io::Write for Limited {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MAX_RENDERED_BYTES {
            return Err(std::io::Error::other(format!(
                "the prompt grew past {MAX_RENDERED_BYTES} bytes"
            )));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
