//! The MCP server's prompts (`prompts/list`, `prompts/get`): the admin's
//! prompts ([`crate::resources::prompts`]), each filled into one user
//! message.

use std::collections::BTreeMap;

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt};
use serde_json::{Value, json};

use crate::resources::prompts::{RenderError, render};
use crate::state::AppState;
use crate::store::prompts;

use super::call::internal;

/// Every prompt, by name.
///
/// # Errors
/// `internal_error` when the control plane cannot be read.
pub async fn list(state: &AppState) -> Result<Vec<Prompt>, ErrorData> {
    prompts::list(&state.db)
        .await
        .map_err(|e| internal(&e))?
        .into_iter()
        .map(|row| {
            serde_json::from_value(json!({
                "name": row.name,
                "description": row.description,
                "arguments": row.arguments.0,
            }))
            .map_err(|e| internal(&e))
        })
        .collect()
}

/// Prompt `name` filled with `arguments` (strings, as MCP has them).
///
/// # Errors
/// `invalid_params` for an unknown prompt, a missing required argument,
/// an argument the prompt does not take or one that is not a string;
/// `internal_error` when the template fails or the control plane cannot
/// be read.
pub async fn get(
    state: &AppState,
    name: &str,
    arguments: Option<JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    let row = prompts::get(&state.db, name)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| {
            ErrorData::invalid_params(
                format!("unknown prompt {name:?}: prompts/list names them"),
                None,
            )
        })?;
    let mut given = BTreeMap::new();
    for (key, value) in arguments.unwrap_or_default() {
        match value {
            Value::String(text) => {
                given.insert(key, text);
            }
            Value::Null => {}
            _ => {
                return Err(ErrorData::invalid_params(
                    format!("argument {key:?} must be a string"),
                    None,
                ));
            }
        }
    }
    let text = render(&row, &given).map_err(|e| match e {
        RenderError::Template(_) => internal(&e),
        _ => ErrorData::invalid_params(e.to_string(), None),
    })?;
    serde_json::from_value(json!({
        "description": row.description,
        "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
    }))
    .map_err(|e| internal(&e))
}
