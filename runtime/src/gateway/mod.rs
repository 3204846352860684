//! The gateway: every path that is not `/admin`, `/system` (or later
//! `/authorization`) is routed to its operation, whose action runs in a
//! fresh instance.

pub mod auth;
pub mod cors;
pub mod dispatch;
pub mod invoke;
pub mod rate_limit;
pub mod rate_limit_redis;
pub mod routes;
pub mod surfaces;
pub mod validate;

use std::fmt::Write as _;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tracing::Instrument as _;

use crate::bindings::types::{Context, InvocationKind};
use crate::body::read_limited;
use crate::edge::client::{CLIENT_IP_HEADER, ClientIp};
use crate::error::{ApiError, ApiResult, current_request_id, current_trace_id};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::request_log::LogRow;
use crate::telemetry::TRACE_TARGET;
use routes::Lookup;

/// What the request log records about a request beyond its line.
#[derive(Default)]
struct Note {
    operation: Option<String>,
    meters: Option<Arc<crate::telemetry::metrics::OperationMeters>>,
    caller: Option<Arc<Caller>>,
    fuel_used: Option<u64>,
    rate: Option<rate_limit::Decision>,
    log_dropped: crate::host::log::LogDropped,
    /// Set for a tool call of the MCP server.
    via_mcp: bool,
}

/// The mark of a request the MCP server makes for a tool call
/// ([`crate::mcp`]): its caller was authenticated at `/mcp` (where a
/// token bound to the MCP resource is valid), so the gateway takes it as
/// it is, and the request log records the call as `via: mcp`.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// Who calls the tool.
    pub caller: Option<Arc<Caller>>,
    /// The operation the tool is: the request built from the arguments
    /// must route to it and nowhere else (a parameter's value could match
    /// another operation's static path, `/users/me` beside `/users/:id`).
    pub operation: String,
}

/// The gateway's answer to one request, boxed (see [`respond`]).
pub type Answer = Pin<Box<dyn Future<Output = Response> + Send>>;

/// Axum fallback that serves hosted operations: what [`respond`] answers
/// for paths under the platform's reserved prefixes that no platform
/// route matched (other paths reach [`respond`] directly, see
/// [`dispatch`]).
pub async fn gateway_handle(State(state): State<AppState>, request: Request) -> Response {
    respond(state, request).await
}

/// The answer to a request for a hosted operation: a CORS preflight
/// answered by the route's policy, a problem (404, 405, 401, 403, 429 …),
/// or the action's response; the request is recorded in the request log.
///
/// One boxed future: serving holds the engine's futures (kilobytes), and
/// the layers above move their futures by value; boxed here, that state
/// is copied once instead of at every layer.
pub fn respond(state: AppState, request: Request) -> Answer {
    let preflight = cors::preflight_method(&request);
    let (lookup, layer) = {
        let table = state.routes.load();
        let path = request.uri().path();
        match preflight.as_deref() {
            Some(asked) => match table.lookup(asked, path) {
                Lookup::Found(route, params) if route.cors.is_some() => {
                    let layer = route.cors.clone();
                    (Lookup::Found(route, params), layer)
                }
                Lookup::NotFound => (Lookup::NotFound, table.fallback_cors.clone()),
                // No policy lets a browser in: an ordinary OPTIONS request.
                _ => (table.lookup("OPTIONS", path), None),
            },
            None => {
                let found = table.lookup(request.method().as_str(), path);
                let layer = match &found {
                    Lookup::Found(route, _) => route.cors.clone(),
                    _ => table.fallback_cors.clone(),
                };
                (found, layer)
            }
        }
    };
    // The console on a separate admin listener calls operations ("Try
    // it") from its own origin, whatever their CORS policy.
    let layer = console_layer(&request).or(layer);
    let span = tracing::debug_span!("gateway", operation = tracing::field::Empty);
    Box::pin(
        async move {
            match layer {
                // The layer answers a preflight itself: no action, no rate limit.
                Some(layer) => {
                    cors::apply(&layer, request, |request| handle(&state, request, lookup)).await
                }
                None => handle(&state, request, lookup).await,
            }
        }
        .instrument(span),
    )
}

/// The console's CORS layer, when `request` comes from the console's origin
/// on a server with a separate admin listener ([`surfaces`]).
fn console_layer(request: &Request) -> Option<Arc<tower_http::cors::CorsLayer>> {
    let surfaces = request.extensions().get::<surfaces::PublicSide>()?;
    let origin = request.headers().get(axum::http::header::ORIGIN)?;
    surfaces
        .0
        .is_console_origin(origin, request.headers())
        .then(|| surfaces.0.console_cors().clone())
}

/// Adds `resource_metadata` (RFC 9728 §5.1) to a bearer challenge, so that
/// a client refused for want of a token (an MCP client, say) finds where to
/// get one; nothing when the issuer is not a URL.
fn name_resource_metadata(state: &AppState, response: &mut Response) {
    if let Some(url) = crate::identity::resource_metadata_url(&state.tokens.settings().issuer) {
        add_resource_metadata(response, &url);
    }
}

/// Adds `resource_metadata="{url}"` (RFC 9728 §5.1) to the bearer
/// challenge of `response`, when it has one.
pub(crate) fn add_resource_metadata(response: &mut Response, url: &str) {
    let headers = response.headers_mut();
    let Some(challenge) = headers
        .get(axum::http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    if let Ok(value) =
        axum::http::HeaderValue::from_str(&format!("{challenge}, resource_metadata=\"{url}\""))
    {
        headers.insert(axum::http::header::WWW_AUTHENTICATE, value);
    }
}

/// Serves `request`, routed to `lookup`, and records it.
async fn handle(state: &AppState, request: Request, lookup: Lookup) -> Response {
    let started = Instant::now();
    let at_ms = crate::store::now_ms();
    let client = ClientIp::from_extensions(request.extensions()).0;
    // Sized for the longest address up front: `to_string` grows the
    // string as each part is written.
    let mut ip = String::with_capacity(45);
    let _ = write!(ip, "{client}");
    let method = request.method().clone();
    let line = state
        .request_log
        .enabled()
        .then(|| request.uri().path().to_string());
    let mut note = Note::default();
    let (mut response, error) = match serve(state, request, lookup, client, &ip, &mut note).await {
        Ok(response) => (response, None),
        Err(error) => {
            if let ApiError::Custom { fuel_used, .. } = &error {
                note.fuel_used = *fuel_used;
            }
            let detail = error.to_string();
            let challenge = matches!(
                error,
                ApiError::Unauthorized(_)
                    | ApiError::InvalidToken(_)
                    | ApiError::InsufficientScope { .. }
            );
            let mut response = error.into_response();
            if challenge {
                name_resource_metadata(state, &mut response);
            }
            (response, Some(detail))
        }
    };
    if let Some(decision) = &note.rate {
        decision.write_headers(response.headers_mut());
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    state.metrics.request(
        note.meters.as_deref(),
        &method,
        status,
        elapsed.as_secs_f64(),
    );
    if let Some(fuel) = note.fuel_used {
        if let Some(meters) = &note.meters {
            state.metrics.fuel(meters, fuel);
        }
        crate::telemetry::on_server_span(|span| {
            let fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
            crate::telemetry::propagation::annotate(
                span,
                None,
                [opentelemetry::KeyValue::new("sluice.fuel_used", fuel)],
            );
        });
    }
    if let Some(path) = line {
        let caller = note.caller.as_ref();
        state.request_log.record(LogRow {
            id: 0,
            at_ms,
            request_id: current_request_id().unwrap_or_default(),
            trace_id: current_trace_id(),
            weight: 1,
            operation: note.operation,
            app: caller.and_then(|c| c.app.clone()),
            user: caller.and_then(|c| c.user.clone()),
            ip,
            method: method.to_string(),
            path,
            status: i64::from(status),
            duration_us: i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
            fuel_used: note.fuel_used.and_then(|f| i64::try_from(f).ok()),
            error,
            log_dropped_messages: i64::try_from(note.log_dropped.messages).unwrap_or(i64::MAX),
            log_dropped_bytes: i64::try_from(note.log_dropped.bytes).unwrap_or(i64::MAX),
            via: if note.via_mcp { "mcp" } else { "http" }.to_string(),
        });
    }
    response
}

async fn serve(
    state: &AppState,
    request: Request,
    lookup: Lookup,
    client: IpAddr,
    ip: &str,
    note: &mut Note,
) -> ApiResult<Response> {
    let (mut parts, body) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let (route, raw_params) = match lookup {
        Lookup::Found(route, params) => (route, params),
        Lookup::MethodNotAllowed(allow) => {
            return Err(ApiError::MethodNotAllowed { method, allow });
        }
        Lookup::NotFound => {
            return Err(ApiError::NotFound(format!(
                "no operation matches {method} {path}"
            )));
        }
    };
    tracing::Span::current().record("operation", route.operation.as_str());
    crate::telemetry::on_server_span(|span| {
        crate::telemetry::propagation::annotate(
            span,
            Some(route.trace_name.clone()),
            route.trace_attributes.iter().cloned(),
        );
    });
    note.operation = Some(route.operation.clone());
    note.meters = Some(route.meters.clone());
    state.ip_rules.check(Some(&route.operation), client)?;
    if let Some(call) = parts.extensions.remove::<ToolCall>() {
        note.via_mcp = true;
        if call.operation != route.operation {
            return Err(ApiError::BadRequest(format!(
                "the arguments make {method} {path}, which is operation {:?}, not this tool's; \
                 give the parameters values of their own",
                route.operation
            )));
        }
        note.caller = call.caller;
    } else {
        // A span only when a token came: without one there is nothing to
        // verify (a private operation then fails in `authorize` at once).
        let _authenticating = parts
            .headers
            .contains_key(AUTHORIZATION)
            .then(|| tracing::info_span!(target: TRACE_TARGET, "authenticate").entered());
        note.caller = auth::authenticate_at(&state.tokens, &parts.headers, Some(parts.uri.path()))?;
        // The token is for the platform; the action gets the caller instead.
        if note.caller.is_some() {
            parts.headers.remove(AUTHORIZATION);
        }
    }
    auth::authorize(
        &route.operation,
        route.public,
        &route.scopes,
        note.caller.as_deref(),
    )?;
    if let Some(decision) = state
        .rate_limits
        .check(&route.operation, note.caller.as_deref(), client)
        .await
    {
        note.rate = Some(decision);
        if decision.unavailable {
            return Err(ApiError::Custom {
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                slug: "rate-limit-store-unavailable",
                title: "Rate limits cannot be checked",
                detail: "the shared rate-limit store is unreachable and its policy is to refuse; \
                         retry shortly"
                    .into(),
                fuel_used: None,
            });
        }
        if !decision.allowed {
            state.metrics.rate_limited(&route.operation);
            return Err(ApiError::RateLimited {
                limit: decision.limit,
                retry_after_secs: decision.retry_after_secs,
            });
        }
    }
    let mut params = Vec::with_capacity(raw_params.len());
    for (name, span) in route.params.iter().zip(raw_params) {
        let value = percent_decode_str(&path[span]).decode_utf8().map_err(|_| {
            ApiError::BadRequest(format!("path parameter :{name} is not UTF-8 once decoded"))
        })?;
        params.push((name.clone(), value.into_owned()));
    }
    let query = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let body = read_limited(&parts.headers, body, state.settings.max_request_bytes).await?;
    if let Some(contract) = &route.contract {
        let _validating = tracing::info_span!(target: TRACE_TARGET, "validate request").entered();
        validate::check_request(contract, &params, &query, &parts.headers, &body)?;
    }
    let request = crate::bindings::types::Request {
        method,
        path,
        params,
        query,
        headers: {
            let mut headers = invoke::header_pairs(&parts.headers);
            headers.retain(|(name, _)| name != CLIENT_IP_HEADER);
            headers.push((CLIENT_IP_HEADER.to_string(), ip.to_string()));
            headers
        },
        body: body.to_vec(),
        context: Context {
            kind: InvocationKind::Http,
            operation: route.operation.clone(),
            request_id: current_request_id().unwrap_or_default(),
            config: route.config.clone(),
            app: note.caller.as_ref().and_then(|c| c.app.clone()),
            user: note.caller.as_ref().and_then(|c| c.user.clone()),
            scopes: note
                .caller
                .as_ref()
                .map(|c| c.scopes.clone())
                .unwrap_or_default(),
        },
    };
    let (mut response, outcome) = invoke::run(
        state,
        &route.action,
        invoke::Version {
            sha256: &route.sha256,
            kept: Some(&route.prepared.0),
        },
        route.limits,
        route.grants.clone(),
        request,
        invoke::GuestLog {
            capture: None,
            dropped: &mut note.log_dropped,
        },
    )
    .await?;
    note.fuel_used = Some(outcome.fuel_used);
    invoke::harden(response.headers_mut(), route.sandbox);
    if let (Some(contract), Ok(answer)) = (&route.contract, &outcome.result) {
        let _validating = tracing::info_span!(target: TRACE_TARGET, "validate response").entered();
        validate::check_response(contract, &route.operation, answer.status, &answer.body)?;
    }
    Ok(response)
}
