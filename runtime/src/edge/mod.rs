//! The edge: what the server decides about a request before any route
//! sees it — the client's address behind trusted proxies, and the IP rules
//! (with the token endpoint's brute-force bans).

pub mod client;
pub mod codecs;
pub mod compression;
pub mod ip_rules;
pub mod tls;

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use client::{ClientIp, ForwardingHeader};
use ip_rules::IpRules;

/// What [`Guard`] needs: where the client's address comes from and the
/// global IP rules. Handed down by the server's start, so that the edge
/// does not reach up into the shared state.
#[derive(Clone)]
pub struct GuardLayer {
    /// The header trusted proxies put the client's address in
    /// (`SLUICE_CLIENT_IP_HEADER`).
    pub client_ip_header: ForwardingHeader,
    /// The peers whose header is believed (`SLUICE_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// The global IP rules, bans included.
    pub ip_rules: Arc<IpRules>,
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            config: self.clone(),
        }
    }
}

/// Resolves the client's address into a [`ClientIp`] extension and
/// refuses, with 403, an address the global IP rules deny (`/system`
/// excepted, so probes and scrapes keep working). A plain service rather
/// than `middleware::from_fn`: it runs on every request, and this way costs
/// no allocation.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    config: GuardLayer,
}

impl<S> tower::Service<Request> for Guard<S>
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Either<
        std::future::Ready<Result<Response, std::convert::Infallible>>,
        S::Future,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let ip = match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(peer) => client::resolve(
                peer.0.ip(),
                request.headers(),
                &self.config.client_ip_header,
                &self.config.trusted_proxies,
            ),
            None => IpAddr::from([0, 0, 0, 0]),
        };
        request.extensions_mut().insert(ClientIp(ip));
        if !request.uri().path().starts_with("/system/")
            && let Err(refused) = self.config.ip_rules.check(None, ip)
        {
            return futures_util::future::Either::Left(std::future::ready(Ok(
                refused.into_response()
            )));
        }
        futures_util::future::Either::Right(self.inner.call(request))
    }
}

/// The answer to a plain-HTTP request on a TLS port: a 308 redirect to the
/// same host and path over `https://`, or a 400 problem, as `plain` says;
/// a 400 problem either way without a `Host` header to redirect to.
pub fn plain_http_answer<B>(request: &axum::http::Request<B>, plain: tls::PlainHttp) -> Response {
    use axum::http::{StatusCode, header};
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', '\\', '@']));
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let refuse = |detail: String| {
        crate::error::ApiError::Custom {
            status: StatusCode::BAD_REQUEST,
            slug: "https-required",
            title: "This port speaks HTTPS",
            detail,
            fuel_used: None,
        }
        .into_response()
    };
    match (host, plain) {
        (Some(host), tls::PlainHttp::Redirect) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, format!("https://{host}{path}"))],
        )
            .into_response(),
        (Some(host), tls::PlainHttp::Refuse) => refuse(format!(
            "plain HTTP is not served here; use https://{host}{path}"
        )),
        (None, _) => refuse("plain HTTP is not served here; use https://".into()),
    }
}
