//! The HTTP server's accept loop, with the connection hygiene a public
//! endpoint needs (hyper-util's server, the same stack `axum::serve` uses,
//! with hyper's timer installed so its timeouts take effect):
//!
//! - a header-read timeout: a client must send a request's whole header
//!   within it, so connections that trickle half a header cannot pile up
//!   (hyper, `http1::Builder::header_read_timeout`; hyper runs the same
//!   timer while an HTTP/1.1 connection waits for its next request);
//! - an idle timeout for every connection, HTTP/2 too: one that moved no
//!   byte and had no request in flight for that long is closed;
//! - caps on the size and count of a request's headers (431 beyond them);
//! - a cap on concurrent connections: at the cap the loop stops accepting,
//!   so new connections wait in the kernel's backlog while the ones held are
//!   served;
//! - a graceful stop: stop accepting, let each connection finish the
//!   request it is serving, then close it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// What [`serve`] serves: the whole application as one service (see
/// [`crate::gateway::dispatch::app_service`]), cloned for each request.
pub trait AppService:
    tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> AppService for S where
    S: tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Connection limits (`sluice serve` flags and `SLUICE_*` variables).
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Time to receive a request's whole header, and the longest a
    /// keep-alive connection may sit idle, ms (`SLUICE_HEADER_READ_TIMEOUT_MS`,
    /// default 10 000).
    pub header_read_timeout_ms: u64,
    /// A connection with no request in flight that moved no byte for this
    /// long is closed, ms (`SLUICE_IDLE_TIMEOUT_MS`, default 60 000).
    pub idle_timeout_ms: u64,
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
            idle_timeout_ms: 60_000,
            max_connections: 4_096,
            max_header_bytes: 64 << 10,
            max_headers: 100,
        }
    }
}

/// Serves `service` (the whole application: its layers, the platform's
/// endpoints and the gateway) on `listener` until `shutdown` completes, then stops
/// accepting and waits for the open connections to finish their requests.
/// With `tls`, each connection must begin with a TLS handshake (ALPN picks
/// HTTP/2 or HTTP/1.1); one that begins in plain HTTP is redirected to
/// `https://` or refused, as [`crate::edge::tls::PlainHttp`] says. Without
/// it, HTTP/1.1 and HTTP/2 with prior knowledge (h2c) are served.
///
/// # Errors
/// When the TLS configuration cannot be built; a failed accept is logged
/// and retried.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    limits: &ConnectionLimits,
    tls: Option<Arc<crate::edge::tls::Certificates>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: AppService,
{
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
    let acceptor = match &tls {
        Some(certificates) => Some(certificates.acceptor().map_err(std::io::Error::other)?),
        None => None,
    };
    let plain_http = tls.as_ref().map(|c| c.plain_http());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let header_timeout = Duration::from_millis(limits.header_read_timeout_ms);
    let idle = Duration::from_millis(limits.idle_timeout_ms);
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
        // Streamed answers (SSE: MCP, …) are written a piece at a time;
        // Nagle's algorithm would hold each last piece back until the
        // client's delayed ACK, some 40 ms later.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY could not be set");
        }
        let connection = Connection {
            builder: builder.clone(),
            service: service.clone(),
            peer,
            watcher: graceful.watcher(),
            idle,
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match (acceptor, plain_http) {
                (Some(acceptor), Some(plain)) => {
                    // A TLS record starts with 0x16 (handshake); anything
                    // else is a client speaking plain HTTP to this port.
                    let mut first = [0u8; 1];
                    match tokio::time::timeout(header_timeout, stream.peek(&mut first)).await {
                        Ok(Ok(1)) if first[0] == 0x16 => {
                            match tokio::time::timeout(header_timeout, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(tls)) => connection.run(tls).await,
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed")
                                }
                                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                            }
                        }
                        Ok(Ok(1)) => connection.answer_plain_http(stream, plain).await,
                        _ => {}
                    }
                }
                _ => connection.run(stream).await,
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One accepted connection and what serving it needs.
struct Connection<S> {
    builder: Arc<auto::Builder<TokioExecutor>>,
    service: S,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
    idle: Duration,
}

impl<S: AppService> Connection<S> {
    /// Serves requests on `io` until the client closes it, it sits idle
    /// past the idle timeout, or the server stops.
    async fn run<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self {
            builder,
            service: app,
            peer,
            watcher,
            idle,
        } = self;
        let activity = Activity::default();
        let tracked = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            let in_flight = tracked.begin();
            async move {
                let response = app
                    .oneshot(request.map(axum::body::Body::new))
                    .await
                    .unwrap_or_else(|never| match never {});
                drop(in_flight);
                Ok::<_, Infallible>(response)
            }
        });
        let connection = watcher.watch(
            builder
                .serve_connection_with_upgrades(
                    TokioIo::new(Watched {
                        stream: io,
                        activity: activity.clone(),
                    }),
                    service,
                )
                .into_owned(),
        );
        tokio::select! {
            ended = connection => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
            }
            // Dropping the connection closes the socket; nothing is in
            // flight on it.
            () = activity.idle_for(idle) => {
                tracing::debug!(%peer, "closing an idle connection");
            }
        }
    }

    /// Answers plain HTTP on the TLS port: each request is redirected to
    /// `https://` with its host and path (308, RFC 9110 section 15.4.9) or
    /// refused with a problem.
    async fn answer_plain_http(self, stream: TcpStream, plain: crate::edge::tls::PlainHttp) {
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let response = crate::edge::plain_http_answer(&request, plain);
            async move { Ok::<_, Infallible>(response) }
        });
        let connection = self.watcher.watch(
            hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(self.idle.min(Duration::from_secs(10)))
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service),
        );
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, peer = %self.peer, "plain-HTTP connection ended with an error");
        }
    }
}

/// What a connection is doing: when it last moved a byte, and how many
/// requests it has in flight.
#[derive(Clone, Default)]
struct Activity(Arc<ActivityState>);

#[derive(Default)]
struct ActivityState {
    /// Milliseconds since `EPOCH` at the last read or write.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

/// The clock `Activity` reads: milliseconds since the first use.
fn now_ms() -> u64 {
    static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Marks a request in flight until dropped.
struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

impl Activity {
    fn touch(&self) {
        self.0.last_ms.store(now_ms(), Ordering::Relaxed);
    }

    fn begin(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Completes once the connection has been idle for `limit`: no request
    /// in flight and no byte moved. Checks at the moment it could expire,
    /// so an active connection costs a timer per `limit`, not per byte.
    async fn idle_for(&self, limit: Duration) {
        self.touch();
        let limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        loop {
            let due = self
                .0
                .last_ms
                .load(Ordering::Relaxed)
                .saturating_add(limit_ms);
            let now = now_ms();
            if now < due {
                tokio::time::sleep(Duration::from_millis(due - now)).await;
                continue;
            }
            if self.0.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            // A request is running (a slow action): look again later.
            self.touch();
        }
    }
}

/// A connection's stream (TCP or TLS), noting each read and write in its
/// `Activity`.
struct Watched<S> {
    stream: S,
    activity: Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
