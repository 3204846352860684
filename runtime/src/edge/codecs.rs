//! The compression layers, passed by when they have nothing to do.
//!
//! tower-http's layers wrap every request body and every answer's body, and
//! box both again for axum, even for a request that sends no
//! `Content-Encoding` and accepts none: about a microsecond per request
//! (BENCHMARKS.md, issue 13). [`Codecs`] sends such a request straight to
//! the service below and only adds the `Vary: Accept-Encoding` that the
//! compression layer would have added (RFC 9110 section 12.5.5: the answer
//! would have differed had the request accepted an encoding); every other
//! request passes through both layers as before.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_RANGE, VARY};
use axum::http::{self, HeaderValue};
use axum::response::Response;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Either};
use tower::ServiceBuilder;
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;
use tower_http::compression::Predicate as _;
use tower_http::decompression::{DecompressionBody, RequestDecompressionLayer};

use super::compression::Compressible;
use crate::serve::AppService;

/// Compression of answers (unless `min_bytes` is 0) and decompression of
/// request bodies over `inner`, skipped for requests that need neither.
pub fn layers<S: AppService>(inner: S, min_bytes: u16) -> Codecs<S> {
    let predicate = (min_bytes > 0).then(|| Compressible::new(min_bytes));
    let compression = predicate.map(|predicate| {
        ServiceBuilder::new()
            .map_response(into_axum)
            .layer(super::compression::layer(predicate))
            .into_inner()
    });
    let full = ServiceBuilder::new()
        .option_layer(compression)
        .map_response(into_axum)
        .layer(RequestDecompressionLayer::new())
        .map_request(|request: http::Request<DecompressionBody<Body>>| request.map(Body::new))
        .service(inner.clone());
    Codecs {
        inner,
        full: std::sync::Arc::new(BoxCloneSyncService::new(full)),
        predicate,
    }
}

/// See the [module](self) and [`layers`].
#[derive(Clone)]
pub struct Codecs<S> {
    inner: S,
    /// Shared, because the whole stack is cloned for every request and a
    /// boxed service's clone allocates; it is cloned out only for a
    /// request that takes this path.
    full: std::sync::Arc<BoxCloneSyncService<Request, Response, Infallible>>,
    predicate: Option<Compressible>,
}

pin_project_lite::pin_project! {
    /// The answer of the service below, with `Vary` added where due.
    pub struct Passed<F> {
        #[pin]
        answer: F,
        predicate: Option<Compressible>,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Passed<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut response) = std::task::ready!(this.answer.poll(cx));
        if let Some(predicate) = this.predicate {
            add_vary(&mut response, predicate);
        }
        Poll::Ready(Ok(response))
    }
}

impl<S: AppService> tower::Service<Request> for Codecs<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Passed<S::Future>, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The full path is readied by `oneshot` when it is taken.
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let headers = request.headers();
        if headers.contains_key(CONTENT_ENCODING) || headers.contains_key(ACCEPT_ENCODING) {
            return Either::Right(
                BoxCloneSyncService::clone(&self.full)
                    .oneshot(request)
                    .boxed(),
            );
        }
        Either::Left(Passed {
            answer: self.inner.call(request),
            predicate: self.predicate,
        })
    }
}

/// Adds `Vary: Accept-Encoding` where tower-http's compression layer does:
/// an answer it would compress for a client that accepts an encoding.
fn add_vary(response: &mut Response, predicate: &Compressible) {
    let headers = response.headers();
    let compressible = !headers.contains_key(CONTENT_ENCODING)
        && !headers.contains_key(CONTENT_RANGE)
        && predicate.should_compress(response);
    let varies = headers.get_all(VARY).iter().any(|value| {
        value
            .as_bytes()
            .split(|b| *b == b',')
            .any(|name| name.trim_ascii().eq_ignore_ascii_case(b"accept-encoding"))
    });
    if compressible && !varies {
        response
            .headers_mut()
            .append(VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// A layer's response with its body boxed as axum's.
pub fn into_axum<B>(response: http::Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    response.map(Body::new)
}
