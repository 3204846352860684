//! The service under the edge layers: a request under one of the
//! platform's reserved prefixes (`/admin`, `/system`, `/authorization`,
//! `/console`) goes to the axum router of the platform's own endpoints;
//! any other path can only be a hosted operation's and goes straight to
//! the gateway, without passing through axum's routing first — a route
//! lookup that cannot match, the fallback's own service, a handler and its
//! extractors, for every hosted request (BENCHMARKS.md, issue 13).

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use futures_util::FutureExt as _;
use futures_util::future::{Either, Map};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;

use super::routes::reserved_prefix;
use crate::edge::codecs::into_axum;
use crate::state::AppState;

/// Sends each request to the platform's router or to the gateway.
#[derive(Clone)]
pub struct Dispatch {
    router: Router,
    state: AppState,
    /// Whether paths outside the reserved prefixes go to the gateway;
    /// `false` on the admin listener, whose router answers them (404).
    gateway: bool,
    /// The listeners' origins, when the admin surface has its own: the
    /// gateway lets the console's origin in by CORS ([`super::surfaces`]).
    surfaces: Option<super::surfaces::PublicSide>,
}

impl Dispatch {
    /// Dispatches between `router` (the platform's endpoints, with the
    /// gateway as its fallback) and the gateway serving `state`'s routes;
    /// without `gateway`, every request goes to `router`.
    pub fn new(
        router: Router,
        state: AppState,
        gateway: bool,
        surfaces: Option<super::surfaces::PublicSide>,
    ) -> Self {
        Self {
            router,
            state,
            gateway,
            surfaces,
        }
    }
}

impl tower::Service<Request> for Dispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        RouteFuture<Infallible>,
        Map<super::Answer, fn(Response) -> Result<Response, Infallible>>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both are always ready: the router says so, the gateway has no
        // back-pressure of its own (the pool and the rate limits answer).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if !self.gateway || reserved_prefix(request.uri().path()).is_some() {
            Either::Left(tower::Service::call(&mut self.router, request))
        } else {
            if let Some(surfaces) = &self.surfaces {
                request.extensions_mut().insert(surfaces.clone());
            }
            Either::Right(super::respond(self.state.clone(), request).map(Ok as fn(_) -> _))
        }
    }
}

/// The whole application as one service: the layers every request passes,
/// outermost first — the panic catcher, the request context (request id,
/// server span), response compression (when `compression_min_bytes` is not
/// 0) and request decompression (both passed by when a request needs
/// neither, see [`crate::edge::codecs`]), the client-address and IP-rule
/// guard — over [`Dispatch`] between `router` and, with `gateway`, the
/// gateway (the admin listener has none).
pub fn app_service(
    router: Router,
    state: AppState,
    gateway: bool,
    surfaces: Option<super::surfaces::PublicSide>,
) -> impl crate::serve::AppService {
    let min_bytes = state.settings.compression_min_bytes;
    let guarded = ServiceBuilder::new()
        .layer(crate::edge::GuardLayer {
            client_ip_header: state.settings.client_ip_header.clone(),
            trusted_proxies: state.settings.trusted_proxies.clone().into(),
            ip_rules: state.ip_rules.clone(),
        })
        .service(Dispatch::new(router, state, gateway, surfaces));
    ServiceBuilder::new()
        .map_response(into_axum)
        .layer(CatchPanicLayer::custom(crate::telemetry::panic_response))
        .layer(crate::telemetry::RequestContextLayer)
        .service(crate::edge::codecs::layers(guarded, min_bytes))
}
