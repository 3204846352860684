//! Admin request bodies checked against the admin API's own OpenAPI
//! document (`runtime/openapi/admin.yaml`) before a handler sees them, so
//! that what the document declares is exactly what the server enforces: a
//! body the document calls invalid (an array where it says object, `null`
//! where it says object, a name off its pattern) is a 400 with a JSON
//! pointer per violation (RFC 6901, from the body's root as in the admin
//! handlers' own problems), whatever serde would have made of it.
//!
//! The schemas are the document's `requestBody` schemas for
//! `application/json`, keyed by method and path template (the same
//! template axum matched, `/apps/{name}`), compiled once.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonschema::Validator;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// The validators, by `(METHOD, "/admin/path/{param}")`.
type Validators = HashMap<(Method, String), Validator>;

static VALIDATORS: LazyLock<Result<Validators, String>> = LazyLock::new(build);

/// Compiles every JSON request body schema of the admin document.
fn build() -> Result<Validators, String> {
    let document = crate::documents::admin().map_err(|e| e.to_string())?;
    let mut validators = HashMap::new();
    let Some(paths) = document["paths"].as_object() else {
        return Ok(validators);
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            // `#/components/...` references resolve against the schema's
            // own root, so the components ride along beside it.
            let mut root = schema.clone();
            if let Value::Object(map) = &mut root {
                map.insert("components".into(), document["components"].clone());
            }
            let validator = jsonschema::draft202012::options()
                .with_pattern_options(jsonschema::PatternOptions::regex())
                .build(&root)
                .map_err(|e| format!("admin.yaml {method} {path}: {e}"))?;
            validators.insert((method, format!("/admin{path}")), validator);
        }
    }
    Ok(validators)
}

/// Checks the request's JSON body against its route's documented schema;
/// other bodies (uploads, forms) and routes without one pass untouched, as
/// does a body that is not JSON at all (the handler's extractor names that
/// error).
///
/// `limit` is the admin API's body limit in bytes (`max_upload_bytes`):
/// the body is read here, before any extractor would apply it.
///
/// # Errors
/// 400 [`ApiError::InvalidAt`] listing every violation; 413 past
/// `limit`; 500 when the admin document's schemas do not compile (a bug
/// the tests catch).
pub async fn check(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let is_json = matches!(
        crate::media::content_type(request.headers()),
        Ok(Some(mime)) if crate::media::is_json(&mime)
    );
    if !is_json {
        return next.run(request).await;
    }
    let validators = match VALIDATORS.as_ref() {
        Ok(v) => v,
        Err(e) => return ApiError::Internal(anyhow::anyhow!(e.clone())).into_response(),
    };
    let Some(template) = request.extensions().get::<MatchedPath>() else {
        return next.run(request).await;
    };
    let key = (request.method().clone(), template.as_str().to_string());
    let Some(validator) = validators.get(&key) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::PayloadTooLarge { limit }.into_response();
    };
    let mut bytes = bytes;
    if let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) {
        if let Some(problem) = violations(validator, &value) {
            return problem.into_response();
        }
        // JSON has one number type: `262144.0` is the integer the schema
        // allows, which the handler's integer fields should take too.
        if integral_floats_to_integers(&mut value)
            && let Ok(normal) = serde_json::to_vec(&value)
        {
            bytes = normal.into();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Every way `value` breaks `validator`, as a 400 whose pointers start at
/// the body's root like the admin handlers' own (a missing member is
/// pointed at where it belongs, `/mailer`, not at its object), and whose
/// detail names the first few; `None` when it is valid.
fn violations(validator: &Validator, value: &Value) -> Option<ApiError> {
    if validator.is_valid(value) {
        return None;
    }
    let errors: Vec<FieldError> = validator
        .iter_errors(value)
        .map(|e| {
            let mut pointer = e.instance_path().as_str().to_string();
            if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind()
                && let Some(name) = property.as_str()
            {
                pointer = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            }
            FieldError {
                pointer,
                message: e.to_string(),
            }
        })
        .collect();
    let mut detail: Vec<String> = errors
        .iter()
        .take(3)
        .map(|e| {
            let at = if e.pointer.is_empty() {
                "the body"
            } else {
                &e.pointer
            };
            format!("{at}: {}", e.message)
        })
        .collect();
    if errors.len() > 3 {
        detail.push(format!("and {} more (see errors)", errors.len() - 3));
    }
    Some(ApiError::InvalidAt {
        detail: format!(
            "the body does not match the admin API's schema: {}",
            detail.join("; ")
        ),
        errors,
    })
}

/// Rewrites every float in `value` with no fractional part that fits a
/// 64-bit integer as that integer; whether anything changed.
fn integral_floats_to_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Both bounds are exact in f64: -2^63 and 2^64.
            let integer = if f.fract() != 0.0 || !f.is_finite() {
                None
            } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
                Some(Value::from(f as i64))
            } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                Some(Value::from(f as u64))
            } else {
                None
            };
            integer.map(|i| *value = i).is_some()
        }
        // Every member is visited: `any` would stop at the first change.
        Value::Array(items) => {
            let mut changed = false;
            for v in items {
                changed |= integral_floats_to_integers(v);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            for v in map.values_mut() {
                changed |= integral_floats_to_integers(v);
            }
            changed
        }
        _ => false,
    }
}

/// The number of documented JSON request bodies, for a test that every
/// one compiled.
///
/// # Errors
/// When a schema does not compile.
pub fn count() -> Result<usize, String> {
    VALIDATORS.as_ref().map(HashMap::len).map_err(Clone::clone)
}
