//! A tool call made into the HTTP request its operation serves and run
//! through the gateway, and the answer made into a tool result; the
//! resources (the OpenAPI document, the stored schemas).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderName, Method};
use http_body_util::BodyExt as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

use crate::contract::ParamLocation;
use crate::edge::client::ClientIp;
use crate::gateway::ToolCall;
use crate::identity::Caller;
use crate::state::AppState;
use crate::tool::{BodyArguments, ToolSpec};

/// Characters a path segment keeps as they are (RFC 3986 §3.3 `pchar`
/// unreserved characters); the rest are percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Headers of the MCP request a tool call carries on: the client's
/// identity and its trace context (W3C Trace Context).
const CARRIED: [HeaderName; 3] = [
    USER_AGENT,
    HeaderName::from_static("traceparent"),
    HeaderName::from_static("tracestate"),
];

/// Runs tool `params.name` for `caller`, whose MCP request is `parts`.
///
/// # Errors
/// A protocol error (`invalid_params`) for a tool that does not exist or
/// that `caller` may not call (the same answer, so that a tool's existence
/// does not leak); everything else — a wrong argument, a refused or failed
/// call — is a tool result with `isError`.
pub async fn run(
    state: &AppState,
    params: CallToolRequestParams,
    parts: &axum::http::request::Parts,
    caller: Arc<Caller>,
) -> Result<CallToolResult, ErrorData> {
    let route = {
        let table = state.routes.load();
        table
            .tools
            .get(params.name.as_ref())
            .filter(|route| super::server::reachable(route, &caller))
            .cloned()
    };
    let Some((route, spec)) = route.and_then(|r| r.tool.clone().map(|t| (r, t))) else {
        return Err(ErrorData::invalid_params(
            format!(
                "unknown tool {:?}: tools/list names the tools you may call",
                params.name
            ),
            None,
        ));
    };
    let arguments = params.arguments.unwrap_or_default();
    let mut request = match build(&route.path, &spec, &arguments) {
        Ok(built) => built,
        Err(problem) => return Ok(problem),
    };
    for name in CARRIED {
        if let Some(value) = parts.headers.get(&name) {
            request.headers_mut().insert(name, value.clone());
        }
    }
    request
        .extensions_mut()
        .insert(ClientIp::from_extensions(&parts.extensions));
    request.extensions_mut().insert(ToolCall {
        caller: Some(caller),
        operation: route.operation.clone(),
    });
    let gateway = state.clone();
    let response = crate::telemetry::request::serve_within(request, move |request| {
        crate::gateway::respond(gateway, request)
    })
    .await;
    Ok(result(&spec, response).await)
}

/// The HTTP request of a call with `arguments`; a tool error for an
/// argument that cannot be one.
fn build(path: &str, spec: &ToolSpec, arguments: &JsonObject) -> Result<Request, CallToolResult> {
    let mut uri = String::with_capacity(path.len() + 16);
    for segment in path.split('/').skip(1) {
        uri.push('/');
        let (name, rest) = match (segment.strip_prefix(':'), segment.strip_prefix('*')) {
            (Some(name), _) => (name, false),
            (_, Some(name)) => (name, true),
            _ => {
                uri.push_str(segment);
                continue;
            }
        };
        let value = match arguments.get(name) {
            None | Some(Value::Null) => {
                return Err(argument_error(name, "is required"));
            }
            Some(value) => text(name, value)?,
        };
        if rest {
            // A catch-all parameter spans segments: each is encoded alone.
            let encoded: Vec<String> = value
                .split('/')
                .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
                .collect();
            uri.push_str(&encoded.join("/"));
        } else {
            uri.extend(utf8_percent_encode(&value, SEGMENT));
        }
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut has_query = false;
    for (name, location) in &spec.params {
        if *location != ParamLocation::Query {
            continue;
        }
        if let Some(value) = arguments.get(name).filter(|v| !v.is_null()) {
            query.append_pair(name, &text(name, value)?);
            has_query = true;
        }
    }
    if has_query {
        uri.push('?');
        uri.push_str(&query.finish());
    }
    let is_param = |name: &str| spec.params.iter().any(|(p, _)| p == name);
    let body = match spec.body {
        BodyArguments::None => {
            if let Some(name) = arguments.keys().find(|k| !is_param(k)) {
                return Err(argument_error(
                    name,
                    "is not an argument of this tool (see its inputSchema)",
                ));
            }
            None
        }
        BodyArguments::Flattened => Some(Value::Object(
            arguments
                .iter()
                .filter(|(k, _)| !is_param(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )),
        BodyArguments::Nested => {
            if let Some(name) = arguments.keys().find(|k| !is_param(k) && *k != "body") {
                return Err(argument_error(
                    name,
                    "is not an argument of this tool (see its inputSchema)",
                ));
            }
            arguments.get("body").cloned()
        }
    };
    let method = Method::from_bytes(spec.method.as_bytes()).unwrap_or(Method::POST);
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(ACCEPT, "application/json");
    let built = match body {
        Some(body) => builder
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    };
    built.map_err(|e| argument_error("", &format!("does not make a request: {e}")))
}

/// A scalar argument as the text of a path or query parameter.
fn text(name: &str, value: &Value) -> Result<String, CallToolResult> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(argument_error(
            name,
            "must be a string, a number or a boolean",
        )),
    }
}

/// The JSON pointer (RFC 6901) of argument `name`.
fn pointer(name: &str) -> String {
    if name.is_empty() {
        return String::new();
    }
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// A tool error about argument `name`, shaped like the gateway's
/// validation problem (RFC 9457 with `errors`).
fn argument_error(name: &str, message: &str) -> CallToolResult {
    let at = pointer(name);
    let detail = format!("argument {at} {message}");
    problem_result(json!({
        "type": "https://sluice.dev/problems/validation-failed",
        "title": "Request validation failed",
        "status": 400,
        "detail": detail,
        "errors": [{"pointer": at, "message": message}],
    }))
}

/// A tool error carrying `problem` (RFC 9457, with `errors` pointing at
/// arguments), written out for the model to read. Not as
/// `structuredContent`: clients check that against the tool's output
/// schema, errors included, and would drop the message.
fn problem_result(problem: Value) -> CallToolResult {
    let mut text = format!(
        "{} ({}): {}",
        problem["title"].as_str().unwrap_or("The call failed"),
        problem["status"],
        problem["detail"].as_str().unwrap_or_default()
    );
    for error in problem["errors"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "\n- {}: {}",
            error["pointer"].as_str().unwrap_or_default(),
            error["message"].as_str().unwrap_or_default()
        ));
    }
    text.push_str("\n\n");
    text.push_str(&problem.to_string());
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result of the operation's `response`.
async fn result(spec: &ToolSpec, response: axum::response::Response) -> CallToolResult {
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            return CallToolResult::error(vec![ContentBlock::text(format!(
                "the answer could not be read: {e}"
            ))]);
        }
    };
    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
    let status = parts.status;
    if !status.is_success() {
        let problem = match json {
            Some(Value::Object(mut problem)) => {
                relocate_pointers(&mut problem, spec.body);
                Value::Object(problem)
            }
            _ => json!({
                "title": status.canonical_reason().unwrap_or("Failed"),
                "status": status.as_u16(),
                "detail": String::from_utf8_lossy(&bytes),
            }),
        };
        return problem_result(problem);
    }
    // Structured content only where it is what the output schema
    // describes: the status the schema is for, or any JSON object when
    // the tool has no schema.
    let described = match spec.output_status {
        Some(expected) => status.as_u16() == expected,
        None => json.as_ref().is_some_and(Value::is_object),
    };
    match json {
        Some(value) if described => {
            let structured = if spec.wrapped_output {
                json!({ "result": value })
            } else {
                value
            };
            // The text rendering is the answer as the operation gave it.
            let mut result =
                CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&bytes))]);
            result.structured_content = Some(structured);
            result
        }
        Some(_) => {
            CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&bytes))])
        }
        None if bytes.is_empty() => CallToolResult::success(vec![ContentBlock::text(format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        ))]),
        None => CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&bytes))]),
    }
}

/// Rewrites the gateway's pointers (`/path/id`, `/query/limit`,
/// `/body/title`) into pointers at the tool's arguments.
fn relocate_pointers(problem: &mut serde_json::Map<String, Value>, body: BodyArguments) {
    let Some(Value::Array(errors)) = problem.get_mut("errors") else {
        return;
    };
    for error in errors {
        let Some(Value::String(at)) = error.get_mut("pointer") else {
            continue;
        };
        let moved = if let Some(rest) = at
            .strip_prefix("/path")
            .or_else(|| at.strip_prefix("/query"))
        {
            rest.to_string()
        } else if let Some(rest) = at.strip_prefix("/body") {
            match body {
                BodyArguments::Nested => at.clone(),
                _ => rest.to_string(),
            }
        } else {
            at.clone()
        };
        *at = moved;
    }
}

/// The resource of the OpenAPI document.
pub const OPENAPI_URI: &str = "sluice://openapi.json";

/// The prefix of a stored schema's resource.
pub const SCHEMA_URI: &str = "sluice://schemas/";

/// The resources: the OpenAPI document and each stored schema.
///
/// # Errors
/// `internal_error` when the control plane cannot be read.
pub async fn resources(state: &AppState) -> Result<Vec<rmcp::model::Resource>, ErrorData> {
    let schemas = crate::store::schemas::list(&state.db)
        .await
        .map_err(|e| internal(&e))?;
    let mut all = vec![json!({
        "uri": OPENAPI_URI,
        "name": "openapi.json",
        "title": "The API's OpenAPI document",
        "description": "OpenAPI 3.1 document of every active operation, with the schemas",
        "mimeType": "application/json",
    })];
    for row in schemas {
        all.push(json!({
            "uri": format!("{SCHEMA_URI}{}", row.name),
            "name": row.name,
            "description": row.description,
            "mimeType": "application/schema+json",
        }));
    }
    all.into_iter()
        .map(|r| serde_json::from_value(r).map_err(|e| internal(&e)))
        .collect()
}

/// A protocol error for a server-side failure: the details go to the log
/// (with the request id), not to the client.
pub(crate) fn internal(error: &dyn std::fmt::Display) -> ErrorData {
    tracing::error!(error = %error, "an MCP request failed");
    ErrorData::internal_error("the server failed to answer; its log has the details", None)
}

/// The contents of resource `uri`.
///
/// # Errors
/// `resource_not_found` for an unknown URI; `internal_error` when the
/// control plane cannot be read.
pub async fn read(
    state: &AppState,
    uri: &str,
) -> Result<rmcp::model::ReadResourceResult, ErrorData> {
    let (text, mime) = if uri == OPENAPI_URI {
        let document = crate::openapi::hosted(&state.db, &state.settings.cors_origins)
            .await
            .map_err(|e| internal(&e))?;
        (document.to_string(), "application/json")
    } else if let Some(name) = uri.strip_prefix(SCHEMA_URI) {
        let row = crate::store::schemas::get(&state.db, name)
            .await
            .map_err(|e| internal(&e))?
            .ok_or_else(|| {
                ErrorData::resource_not_found(format!("there is no schema named {name:?}"), None)
            })?;
        (row.schema.0.to_string(), "application/schema+json")
    } else {
        return Err(ErrorData::resource_not_found(
            format!("no resource {uri:?}: resources/list names them"),
            None,
        ));
    };
    serde_json::from_value(json!({
        "contents": [{"uri": uri, "mimeType": mime, "text": text}],
    }))
    .map_err(|e| internal(&e))
}
