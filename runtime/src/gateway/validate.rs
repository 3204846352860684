//! Checks a request against its operation's contract before the action
//! runs, and optionally the action's response after: declared parameters
//! by presence and type, the body by the `incoming` JSON Schema. Every
//! finding is reported at once, each with a JSON pointer (`/path/<name>`,
//! `/query/<name>`, `/body/...`).

use axum::http::HeaderMap;
use serde_json::Value;

use super::routes::CompiledContract;
use crate::contract::{OutgoingValidation, ParamLocation};
use crate::error::{ApiError, FieldError};
use crate::media;
use crate::schemas;

/// Whether the body is declared JSON (`application/json` or
/// `application/<name>+json`, see [`media::is_json`]); `None` without a
/// `Content-Type`, and a malformed one counts as not JSON.
fn is_json(headers: &HeaderMap) -> Option<bool> {
    match media::content_type(headers) {
        Ok(None) => None,
        Ok(Some(mime)) => Some(media::is_json(&mime)),
        Err(_) => Some(false),
    }
}

/// Checks `params`, `query` and `body` against `contract`.
///
/// # Errors
/// [`ApiError::UnsupportedMediaType`] (415) for a body declared as another
/// media type; [`ApiError::ValidationFailed`] (400) listing every finding.
pub fn check_request(
    contract: &CompiledContract,
    params: &[(String, String)],
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (p, bounds) in &contract.parameters {
        let (values, root) = match p.location {
            ParamLocation::Path => (params, "path"),
            ParamLocation::Query => (query, "query"),
        };
        let pointer = format!("/{root}/{}", p.name.replace('~', "~0").replace('/', "~1"));
        match values.iter().find(|(k, _)| *k == p.name) {
            None if p.required => errors.push(FieldError {
                pointer,
                message: format!("{root} parameter {:?} is required", p.name),
            }),
            None => {}
            // Only a bounded parameter is built into a JSON value: the
            // common, unbounded one is checked by its type alone, with no
            // allocation per request.
            Some((_, v)) => match bounds {
                None if p.type_.accepts(v) => {}
                Some(bounds) if let Some(value) = p.value_of(v) => {
                    errors.extend(schemas::errors(bounds, &value, &pointer));
                }
                _ => errors.push(FieldError {
                    pointer,
                    message: format!("{v:?} is not a valid {}", p.type_.as_str()),
                }),
            },
        }
    }
    if let Some(validator) = &contract.incoming {
        if is_json(headers) == Some(false) {
            return Err(ApiError::UnsupportedMediaType(
                "this operation takes a JSON body: send content-type: application/json".into(),
            ));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => errors.extend(schemas::errors(validator, &value, "/body")),
            Err(e) if body.is_empty() => errors.push(FieldError {
                pointer: "/body".into(),
                message: format!("a JSON body is required ({e})"),
            }),
            Err(e) => errors.push(FieldError {
                pointer: "/body".into(),
                message: format!("the body is not valid JSON: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::ValidationFailed(errors))
    }
}

/// Checks an action's response with `status` and `body` against the
/// `outgoing` schema for that status, if any: logs findings, and with
/// `enforce` answers 500 instead.
///
/// # Errors
/// `invalid-response` (500) under `enforce` when the body contradicts the schema.
pub fn check_response(
    contract: &CompiledContract,
    operation: &str,
    status: u16,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(validator) = contract.outgoing.get(&status) else {
        return Ok(());
    };
    let errors = match serde_json::from_slice::<Value>(body) {
        Ok(value) => schemas::errors(validator, &value, ""),
        Err(e) => vec![FieldError {
            pointer: String::new(),
            message: format!("the body is not valid JSON: {e}"),
        }],
    };
    if errors.is_empty() {
        return Ok(());
    }
    let summary: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                if e.pointer.is_empty() {
                    "/"
                } else {
                    &e.pointer
                },
                e.message
            )
        })
        .collect();
    tracing::warn!(operation, status, errors = ?summary, "the action's response contradicts its outgoing schema");
    if contract.outgoing_validation == OutgoingValidation::Enforce {
        return Err(ApiError::Custom {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            slug: "invalid-response",
            title: "Invalid response",
            detail: format!(
                "the action's {status} response contradicts the operation's outgoing schema: {}",
                summary.join("; ")
            ),
            fuel_used: None,
        });
    }
    Ok(())
}
