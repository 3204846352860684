//! Running an action and turning what it did into an HTTP response; shared
//! by the gateway and `POST /admin/actions/{name}/execute`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::bindings::types::{self, ActionError};
use crate::engine::{Invocation, InvokeError, Limits, Outcome, Prepared};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::actions;

/// Headers an action may not set: hop-by-hop headers (RFC 9110 §7.6.1) and
/// framing, which the host computes.
pub const DROPPED_HEADERS: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Request headers as WIT pairs (lower-case names; non-UTF-8 values dropped).
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// The version of an action to run: its component's SHA-256 and, for a
/// route, where the compiled component is kept once fetched (`None`: look
/// it up in the engine's cache each time).
#[derive(Clone, Copy)]
pub struct Version<'a> {
    /// SHA-256 of the component, hex.
    pub sha256: &'a str,
    /// The route's slot for the compiled component.
    pub kept: Option<&'a std::sync::OnceLock<Prepared>>,
}

impl<'a> From<&'a str> for Version<'a> {
    fn from(sha256: &'a str) -> Self {
        Self { sha256, kept: None }
    }
}

/// Where an invocation's guest log is reported besides the host log.
#[derive(Debug)]
pub struct GuestLog<'a> {
    /// Keeps the records for the caller (the admin execute endpoint).
    pub capture: Option<crate::host::log::LogCapture>,
    /// Receives what the log dropped past its caps, however the run ends
    /// (the gateway counts it in the request log row).
    pub dropped: &'a mut crate::host::log::LogDropped,
}

/// Invokes `version` of `action` on `request`.
///
/// Returns the HTTP response a consumer gets and, when the guest ran to
/// completion, the [`Outcome`]'s fuel and duration. The guest's log is
/// reported to `log`.
///
/// # Errors
/// [`ApiError`] for the guest's typed errors (their status), limit breaches
/// (500 fuel / memory, 504 deadline), traps (500), and internal failures.
pub async fn run(
    state: &AppState,
    action: &std::sync::Arc<str>,
    version: Version<'_>,
    limits: Limits,
    grants: std::sync::Arc<[String]>,
    request: types::Request,
    log: GuestLog<'_>,
) -> ApiResult<(Response, Outcome)> {
    let prepared = match version.kept.and_then(std::sync::OnceLock::get) {
        Some(prepared) => {
            state.engine.count_cache_hit();
            prepared.clone()
        }
        None => {
            let db = state.db.clone();
            let sha = version.sha256.to_string();
            let prepared = state
                .engine
                .prepared(version.sha256, async move {
                    actions::wasm_by_sha(&db, &sha)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("component {sha} is missing from the store"))
                })
                .await?;
            if let Some(kept) = version.kept {
                let _ = kept.set(prepared.clone());
            }
            prepared
        }
    };
    let request_id: std::sync::Arc<str> = request.context.request_id.as_str().into();
    let mut outcome = state
        .engine
        .invoke(
            &prepared,
            Invocation {
                action: action.clone(),
                request_id: request_id.clone(),
                limits,
                request,
                grants,
                registry: Some(state.registry.clone()),
                catalog: Some(state.events.load_full()),
                capture: log.capture,
            },
            log.dropped,
        )
        .await
        .map_err(invoke_error)?;
    let response = match &outcome.result {
        Ok(response) => to_http(response)?,
        Err(error) => return Err(action_error(error, outcome.fuel_used)),
    };
    if !outcome.events.is_empty() {
        // Durable before the answer: a consumer that got the response can
        // count on the events; if writing fails, the request fails.
        state
            .outbox
            .write(
                std::mem::take(&mut outcome.events),
                action,
                &request_id,
                crate::telemetry::propagation::traceparent(),
            )
            .await?;
    }
    Ok((response, outcome))
}

/// Runs the latest version of `action` for the platform itself — a
/// trigger (`kind` event) or a cronjob (`kind` cron) named `operation` —
/// with a `POST` of `body` to `path`; returns the status and body.
///
/// # Errors
/// As [`run`], plus 404 when the action or its latest version is gone.
pub async fn run_internal(
    state: &AppState,
    action: &str,
    kind: types::InvocationKind,
    operation: &str,
    path: &str,
    body: Vec<u8>,
) -> ApiResult<(u16, bytes::Bytes)> {
    let row = actions::get(&state.db, action)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("action {action:?} was deleted")))?;
    let version = actions::latest_version(&state.db, action)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("action {action:?} has no version")))?;
    let grants = crate::store::connections::granted_to(&state.db, action)
        .await?
        .into();
    let request_id = uuid::Uuid::now_v7().to_string();
    let request = types::Request {
        method: "POST".into(),
        path: path.into(),
        params: Vec::new(),
        query: Vec::new(),
        headers: vec![("content-type".into(), "application/cloudevents+json".into())],
        body,
        context: types::Context {
            kind,
            operation: operation.into(),
            request_id: request_id.clone(),
            config: row.config.clone(),
            app: None,
            user: None,
            scopes: Vec::new(),
        },
    };
    let name: std::sync::Arc<str> = action.into();
    // Triggers and cronjobs have no request log row to count drops in;
    // the host log says when a cap was reached.
    let mut log_dropped = crate::host::log::LogDropped::default();
    let run = run(
        state,
        &name,
        version.sha256.as_str().into(),
        row.limits(),
        grants,
        request,
        GuestLog {
            capture: None,
            dropped: &mut log_dropped,
        },
    );
    let (response, _) = crate::error::REQUEST_ID.scope(request_id, run).await?;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    Ok((status, bytes))
}

/// The HTTP response a guest's answer becomes: its status, its headers
/// less the hop-by-hop and framing ones the host computes
/// ([`DROPPED_HEADERS`]), its body. Called after
/// [`crate::engine::check_response`].
///
/// # Errors
/// `invalid-action-response` (500) for a status `http` refuses or a header
/// name or value that is not valid HTTP.
pub fn to_http(response: &types::Response) -> ApiResult<Response> {
    let status = StatusCode::from_u16(response.status).map_err(|_| {
        invoke_error(InvokeError::InvalidResponse(format!(
            "status {} is not valid",
            response.status
        )))
    })?;
    let mut http = Response::new(Body::from(response.body.clone()));
    *http.status_mut() = status;
    let headers = http.headers_mut();
    for (name, value) in &response.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(invoke_error(InvokeError::InvalidResponse(format!(
                "header {name:?} is not a valid HTTP header"
            ))));
        };
        if DROPPED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        headers.append(name, value);
    }
    Ok(http)
}

/// Adds to an action's answer what keeps a page built from a consumer's
/// input from acting as this server: `X-Content-Type-Options: nosniff`
/// (a JSON or text answer is never read as HTML or script), and, with
/// `sandbox`, `Content-Security-Policy: sandbox`, under which a browser
/// renders the answer in an opaque origin — no script, no form, and no
/// access to the storage, cookies or service workers of this origin,
/// where the console keeps its session when it shares the listener.
///
/// The threat model: the action's developer is trusted, a consumer's input
/// the action reflects is not. So a `Content-Security-Policy` the action
/// sets itself is kept, and the sandbox is added beside it as a second
/// header: a browser enforces every policy it gets (CSP 3, section 4.1),
/// so the action's own policy can only narrow what the page may do, never
/// lift the sandbox. Lifting it is the operation's choice (`sandbox:
/// false`), made by an admin for an operation that serves a real page.
pub fn harden(headers: &mut HeaderMap, sandbox: bool) {
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    if sandbox {
        headers.append(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
    }
}

/// The problem a guest's typed error becomes.
pub fn action_error(error: &ActionError, fuel_used: u64) -> ApiError {
    let (status, slug, title, detail) = match error {
        ActionError::InvalidInput(m) => {
            (StatusCode::BAD_REQUEST, "invalid-input", "Invalid input", m)
        }
        ActionError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden", m),
        ActionError::NotFound(m) => (StatusCode::NOT_FOUND, "not-found", "Not found", m),
        ActionError::Conflict(m) => (StatusCode::CONFLICT, "conflict", "Conflict", m),
        ActionError::Unavailable(m) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            m,
        ),
        ActionError::Internal(m) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "action-error",
            "Action error",
            m,
        ),
    };
    ApiError::Custom {
        status,
        slug,
        title,
        detail: detail.clone(),
        fuel_used: Some(fuel_used),
    }
}

/// The problem an invocation failure becomes.
pub fn invoke_error(error: InvokeError) -> ApiError {
    let (status, slug, title) = match &error {
        InvokeError::FuelExhausted { .. } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "fuel-exhausted",
            "Fuel exhausted",
        ),
        InvokeError::Deadline { .. } => (
            StatusCode::GATEWAY_TIMEOUT,
            "deadline-exceeded",
            "Deadline exceeded",
        ),
        InvokeError::MemoryLimit { .. } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "memory-limit-exceeded",
            "Memory limit exceeded",
        ),
        InvokeError::HostCallLimit { .. } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "host-call-limit-exceeded",
            "Host-call limit exceeded",
        ),
        InvokeError::Trap { .. } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "action-trapped",
            "Action trapped",
        ),
        InvokeError::InvalidResponse(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "invalid-action-response",
            "Invalid action response",
        ),
        InvokeError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Too many invocations",
        ),
    };
    tracing::warn!(error = %error, "action failed");
    ApiError::Custom {
        status,
        slug,
        title,
        detail: error.to_string(),
        fuel_used: error.fuel_used(),
    }
}
