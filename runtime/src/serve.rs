//! The HTTP server's accept loop, with the connection hygiene a public
//! endpoint needs (hyper-util's server, the same stack `axum::serve` uses,
//! with hyper's timer installed so its timeouts take effect):
//!
//! - a header-read timeout: a client must send a request's whole header
//!   within it, and an idle keep-alive connection is closed when no new
//!   request starts within it, so connections that trickle half a header
//!   cannot pile up (hyper, `http1::Builder::header_read_timeout`);
//! - caps on the size and count of a request's headers (431 beyond them);
//! - a cap on concurrent connections: at the cap the loop stops accepting,
//!   so new connections wait in the kernel's backlog while the ones held are
//!   served;
//! - a graceful stop: stop accepting, let each connection finish the
//!   request it is serving, then close it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// Connection limits (`sluice serve` flags and `SLUICE_*` variables).
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Time to receive a request's whole header, and the longest a
    /// keep-alive connection may sit idle, ms (`SLUICE_HEADER_READ_TIMEOUT_MS`,
    /// default 10 000).
    pub header_read_timeout_ms: u64,
    /// Connections served at once; more wait to be accepted
    /// (`SLUICE_MAX_CONNECTIONS`, default 4 096).
    pub max_connections: usize,
    /// Largest request header section, bytes (`SLUICE_MAX_HEADER_BYTES`,
    /// default 64 KiB; at least 8 KiB).
    pub max_header_bytes: usize,
    /// Most header fields in a request (`SLUICE_MAX_HEADERS`, default 100).
    pub max_headers: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout_ms: 10_000,
            max_connections: 4_096,
            max_header_bytes: 64 << 10,
            max_headers: 100,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the open connections to finish their requests.
///
/// # Errors
/// None today (a failed accept is logged and retried); the `Result`
/// matches `axum::serve`'s.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .max_buf_size(limits.max_header_bytes.max(8 << 10) + (8 << 10))
        .max_headers(limits.max_headers);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(
                    router
                        .oneshot(request.map(axum::body::Body::new))
                        .await
                        .unwrap_or_else(|never| match never {}),
                )
            }
        });
        let builder = builder.clone();
        let connection = graceful.watch(
            builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned(),
        );
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
