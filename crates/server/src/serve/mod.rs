//! The accept loop: HTTP/1.1 through hyper, with the limits `axum::serve` does not have. (No cleartext HTTP/2:
//! browsers speak it only over TLS, which a reverse proxy in front ends; detecting it would also read the first
//! bytes of every connection before any timeout runs.)
//!
//! - **A total connection cap** (`HTTP_MAX_CONNECTIONS`, lowered to fit the open-file limit): one permit per
//!   connection, HTTP or `/ws`. Past it, a new connection gets an immediate `503` JSON answer and is closed, so the
//!   server never runs out of descriptors and keeps answering everyone it has accepted.
//! - **A header-read timeout** (`HTTP_HEADER_TIMEOUT_SECONDS`): hyper's, which runs from the moment a connection
//!   is ready for a request head, so it also closes idle keep-alive connections.
//! - **A maximum head size** ([`MAX_HEAD_BYTES`]): hyper's read buffer; more gets `431`. URIs over
//!   [`MAX_URI_BYTES`] get `414` from [`crate::json_errors`].
//! - **A stall timeout** (`HTTP_STALL_TIMEOUT_SECONDS`): a body or response that moves no byte for that long
//!   closes its connection ([`conn::Conn`]).
//!
//! On shutdown every connection is asked to finish its request and close (hyper's graceful shutdown).

pub mod conn;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use crate::{config::Config, error::ApiError};

pub use conn::Conn;

/// Largest request head (request line and headers) read; hyper's minimum is 8 KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest request URI (path and query) routed.
pub const MAX_URI_BYTES: usize = 12 * 1024;
/// Descriptors kept out of the cap for everything else (Redis, Docker, KATO, the alert store, logs).
const RESERVED_FDS: u64 = 128;
/// Refusals written at once; past that, connections over the cap are closed without an answer.
const REFUSAL_WRITERS: usize = 64;

/// The connection cap and what happened at it, shared with `/metrics`.
#[derive(Debug)]
pub struct HttpConns {
    permits: Arc<Semaphore>,
    /// The cap in force (configured, or lowered to fit the open-file limit).
    pub max: usize,
    /// Connections refused at the cap.
    pub refused: AtomicU64,
    /// Errors from `accept` (out of descriptors, …).
    pub accept_errors: AtomicU64,
    header_timeout: Duration,
    stall_timeout: Duration,
}

impl HttpConns {
    /// The cap from the configuration and the process's open-file limit.
    pub fn new(config: &Config) -> Self {
        let fd_room = rlimit::getrlimit(rlimit::Resource::NOFILE)
            .map(|(soft, _)| soft.saturating_sub(RESERVED_FDS).max(16))
            .unwrap_or(u64::MAX);
        let max = config
            .http
            .max_connections
            .min(usize::try_from(fd_room).unwrap_or(usize::MAX));
        if max < config.http.max_connections {
            tracing::warn!(
                configured = config.http.max_connections,
                max,
                "the open-file limit lowers HTTP_MAX_CONNECTIONS"
            );
        }
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            refused: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
            header_timeout: crate::config::secs(config.http.header_timeout_seconds),
            stall_timeout: crate::config::secs(config.http.stall_timeout_seconds),
        }
    }

    /// Connections open now (HTTP and `/ws`).
    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// Serves `app` on `listener` until `cancel`, then waits for the connections' graceful close.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    conns: Arc<HttpConns>,
    cancel: CancellationToken,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(conns.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let refusing = Arc::new(Semaphore::new(REFUSAL_WRITERS));
    let refusal: Arc<[u8]> = ApiError::Unavailable {
        upstream: "dashboard",
        reason: format!("connection limit of {} reached; retry shortly", conns.max),
    }
    .to_http1_close()
    .into();
    let tracker = TaskTracker::new();
    let mut last_accept_warning: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    conns.accept_errors.fetch_add(1, Ordering::Relaxed);
                    if last_accept_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                        last_accept_warning = Some(Instant::now());
                        tracing::warn!(error = %e, "accept failed (repeats are counted in /metrics, not logged)");
                    }
                    // Out of descriptors: give closing connections a moment instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = conns.permits.clone().try_acquire_owned() else {
            conns.refused.fetch_add(1, Ordering::Relaxed);
            refuse(stream, &refusing, refusal.clone());
            continue;
        };
        let io = TokioIo::new(Conn::new(
            stream,
            permit,
            conns.stall_timeout,
            MAX_HEAD_BYTES,
        ));
        let (builder, app, cancel) = (builder.clone(), app.clone(), cancel.clone());
        tracker.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req)
            });
            let connection = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = cancel.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::trace!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    tracker.close();
    tracker.wait().await;
}

/// Answers a connection over the cap with 503 and closes it, reading what it sent for a moment so the answer is
/// not lost to a reset; at most [`REFUSAL_WRITERS`] at once, each for at most 1.25 s.
fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>, answer: Arc<[u8]>) {
    let Ok(writer) = refusing.clone().try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let sent = tokio::time::timeout(Duration::from_secs(1), async {
            stream.write_all(&answer).await?;
            stream.shutdown().await
        })
        .await;
        if matches!(sent, Ok(Ok(()))) {
            // Read what the client sent for a moment, so closing does not reset the answer away.
            let _ = tokio::time::timeout(Duration::from_millis(250), async {
                let mut sink = [0u8; 4096];
                while stream.read(&mut sink).await.is_ok_and(|n| n > 0) {}
            })
            .await;
        }
        drop(writer);
    });
}

/// The socket, the permit and the bytes already read past the request, of a connection upgraded to `/ws`.
pub fn upgraded_socket(
    upgraded: hyper::upgrade::Upgraded,
) -> Option<(TcpStream, tokio::sync::OwnedSemaphorePermit, Vec<u8>)> {
    let parts = upgraded.downcast::<TokioIo<Conn>>().ok()?;
    let (stream, permit) = parts.io.into_inner().into_parts();
    Some((stream, permit, parts.read_buf.to_vec()))
}
