//! The WIT `http` interface: a guest sends a request through a granted
//! `http` connection. The URL rules live in
//! [`crate::connections::http_client`]; here the guest's headers are
//! checked, the credentials injected, and the answer read within the
//! connection's size limit with echoed credentials redacted from its
//! headers and body ([`crate::connections::redact`]).

use std::borrow::Cow;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::bindings::sluice::action::http::{Error, Host, Request, Response};
use crate::connections::http_client::{HttpClient, RedirectRefused};
use crate::connections::registry::Backend;
use crate::host::lend::Refusal;
use crate::host::{HostState, error_chain};

/// Headers a guest may not set: the host owns framing, routing and the
/// connection (RFC 9110 §7.6.1 hop-by-hop fields, `host`, `content-length`).
const HOST_OWNED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
];

impl Host for HostState {
    // A client span (OpenTelemetry HTTP conventions); its context travels
    // to the upstream as `traceparent`.
    #[tracing::instrument(target = "sluice::trace", name = "http send", skip_all,
        fields(otel.kind = "client", http.request.method = %request.method,
               server.address = tracing::field::Empty,
               http.response.status_code = tracing::field::Empty))]
    async fn send(&mut self, connection: String, request: Request) -> Result<Response, Error> {
        self.calls.count();
        let client = match self.lender.lend(&connection, "http").await {
            Ok(Backend::Http(client)) => client,
            Ok(_) => return Err(Error::NoSuchConnection(connection)),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::ConnectFailed(m)),
        };
        let span = tracing::Span::current();
        if let Some(host) = client.base.host_str() {
            span.record("server.address", host);
        }
        let answer = if client.config.auth.is_oauth2() {
            match self.lender.registry() {
                Some(registry) => send_oauth2(&client, &connection, registry, request).await,
                None => Err(Error::ConnectFailed(
                    "OAuth2 tokens are unavailable here".into(),
                )),
            }
        } else {
            send(&client, None, request).await
        };
        let status = answer.as_ref().ok().map(|r| r.status);
        if let Some(status) = status {
            span.record("http.response.status_code", status);
        }
        if let Some(metrics) = &self.metrics {
            metrics.outbound(&connection, status);
        }
        answer
    }
}

/// Sends `request` through an OAuth2 connection: with its current access
/// token, and once more with a refreshed one if the upstream answers 401.
///
/// # Errors
/// As [`send`]; `connect-failed` when there is no access token (the
/// connection needs an admin to authorize it, or the token endpoint failed).
async fn send_oauth2(
    client: &HttpClient,
    connection: &str,
    registry: &crate::connections::Registry,
    request: Request,
) -> Result<Response, Error> {
    let tokens = registry.oauth2();
    let auth = &client.config.auth;
    let token = tokens
        .access_token(connection, auth)
        .await
        .map_err(Error::ConnectFailed)?;
    let answer = send(client, Some(&token), request.clone()).await?;
    if answer.status != 401 {
        return Ok(answer);
    }
    let token = tokens
        .after_unauthorized(connection, auth, &token)
        .await
        .map_err(Error::ConnectFailed)?;
    send(client, Some(&token), request).await
}

/// Sends `request` through `client`, with `Authorization: Bearer <token>`
/// when an OAuth2 `token` is given.
///
/// # Errors
/// `invalid-request` for a refused method, path or header or a redirect
/// out of the base URL; `timeout`, `connect-failed`, `response-too-large`.
pub async fn send(
    client: &HttpClient,
    token: Option<&str>,
    request: Request,
) -> Result<Response, Error> {
    let method = Method::from_bytes(request.method.as_bytes()).map_err(|_| {
        Error::InvalidRequest(format!("{:?} is not an HTTP method", request.method))
    })?;
    let url = client
        .url(&request.path, &request.query)
        .map_err(Error::InvalidRequest)?;
    let mut headers = headers(client, request.headers)?;
    if let Some(token) = token {
        let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            Error::ConnectFailed("the provider's access token is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    crate::telemetry::propagation::inject(&mut headers);
    let mut response = client
        .client
        .request(method, url)
        .headers(headers)
        .body(request.body)
        .send()
        .await
        .map_err(map_error)?;

    let max = client.config.max_response_bytes;
    if response.content_length().is_some_and(|n| n > max) {
        return Err(Error::ResponseTooLarge(max));
    }
    let redactor = client
        .redactor_with(token.filter(|t| !t.is_empty()))
        .map_err(Error::ConnectFailed)?;
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(&redactor.redact(value.as_bytes())).into_owned();
            (name.as_str().to_string(), text)
        })
        .collect();
    let status = response.status().as_u16();
    // Sized once when the upstream says how long the body is (it is
    // within `max`, checked above).
    let mut body = Vec::with_capacity(
        response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
    );
    while let Some(chunk) = response.chunk().await.map_err(map_error)? {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(Error::ResponseTooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    // Whole, so a secret split between chunks is found too. The limit is
    // on what the guest gets, so it is checked again when markers longer
    // than the secrets they replace made the body grow.
    let redacted = match redactor.redact(&body) {
        Cow::Owned(redacted) => Some(redacted),
        Cow::Borrowed(_) => None,
    };
    if let Some(redacted) = redacted {
        if redacted.len() as u64 > max {
            return Err(Error::ResponseTooLarge(max));
        }
        body = redacted;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The connection's default headers, the guest's (replacing defaults of
/// the same name), then the credentials.
///
/// # Errors
/// `invalid-request` for a guest header whose name or value is not valid
/// HTTP, or that the host sets itself (framing, the credentials' header).
pub fn headers(client: &HttpClient, guest: Vec<(String, String)>) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::new();
    for (name, value) in &client.config.headers {
        // Checked when the connection was saved.
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            map.insert(name, value);
        }
    }
    let mut replaced = Vec::new();
    for (name, value) in guest {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|_| Error::InvalidRequest(format!("{name:?} is not a valid header name")))?;
        let owned = HOST_OWNED.contains(&name.as_str())
            || client.config.auth.header_name().as_deref() == Some(name.as_str());
        if owned {
            return Err(Error::InvalidRequest(format!(
                "header {name} is set by the host and may not be sent by an action"
            )));
        }
        let value = HeaderValue::try_from(value).map_err(|_| {
            Error::InvalidRequest(format!(
                "the value of header {name} is not a valid header value"
            ))
        })?;
        if !replaced.contains(&name) {
            map.remove(&name);
            replaced.push(name.clone());
        }
        map.append(name, value);
    }
    if let Some((name, value)) = &client.auth_header {
        map.insert(name.clone(), value.clone());
    }
    Ok(map)
}

/// The WIT error for a reqwest error. Messages never include the URL,
/// whose query may carry the API key.
fn map_error(error: reqwest::Error) -> Error {
    if error.is_timeout() {
        return Error::Timeout;
    }
    if error.is_redirect() {
        let mut message = "the redirect was refused".to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<RedirectRefused>() {
                message = refused.to_string();
                break;
            }
            source = e.source();
        }
        return Error::InvalidRequest(message);
    }
    if error.is_builder() {
        return Error::InvalidRequest(error_chain(&error.without_url()));
    }
    Error::ConnectFailed(error_chain(&error.without_url()))
}
