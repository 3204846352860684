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

use crate::cluster::Change;
use crate::state::AppState;
use client::ClientIp;

/// The layer of [`Guard`].
#[derive(Clone)]
pub struct GuardLayer(pub AppState);

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            state: self.0.clone(),
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
    state: AppState,
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
                &self.state.settings.client_ip_header,
                &self.state.settings.trusted_proxies,
            ),
            None => IpAddr::from([0, 0, 0, 0]),
        };
        request.extensions_mut().insert(ClientIp(ip));
        if !request.uri().path().starts_with("/system/")
            && let Err(refused) = self.state.ip_rules.check(None, ip)
        {
            return futures_util::future::Either::Left(std::future::ready(Ok(
                refused.into_response()
            )));
        }
        futures_util::future::Either::Right(self.inner.call(request))
    }
}

/// Counts a failed token request from `ip` — against its network
/// ([`client::network_of`]: the address, or an IPv6 client's
/// `SLUICE_IPV6_PREFIX` subnet), in the store the cluster shares when there
/// is one — and bans the network once it reaches
/// `SLUICE_TOKEN_BAN_ATTEMPTS` within the window: a deny rule that expires,
/// listed in `/admin/ip-rules` and removable there.
pub async fn note_failed_token_request(state: &AppState, ip: IpAddr) {
    let network = client::network_of(ip, state.settings.ipv6_prefix);
    if !state.ip_rules.failed_token_request(network).await {
        return;
    }
    let row = ip_rules::ban_row(network, state.ip_rules.ban_settings());
    let stored = async {
        crate::store::ip_rules::delete_expired_bans(&state.db, crate::store::now_ms()).await?;
        crate::store::ip_rules::upsert(&state.db, &row).await?;
        state.changed(Change::IpRules).await?;
        anyhow::Ok(())
    };
    match stored.await {
        Ok(()) => {
            tracing::warn!(%ip, %network, rule = %row.name, "network banned after failed token requests")
        }
        Err(e) => tracing::error!(%ip, %network, error = ?e, "could not store a ban"),
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
