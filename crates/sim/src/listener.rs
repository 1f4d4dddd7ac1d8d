//! The restartable accept loop. [`SimListener`] is an `axum::serve::Listener` that can close its
//! socket for a while (connection refused) and bind the SAME address again afterwards. Every
//! accepted stream is a [`SimStream`] tied to the connection generation: a simulated restart
//! cancels the generation, which makes all its streams (HTTP keep-alive and upgraded
//! `/ws/events` sockets alike) fail at once, the way a dying process drops its sockets.
//! Each accepted connection is also assigned to one simulated worker (round robin).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::state::lock;

/// Switches the listener down and up; owned by the shared state.
pub(crate) struct ListenerControl {
    down_until: watch::Sender<Option<Instant>>,
    connections: Mutex<CancellationToken>,
}

impl ListenerControl {
    pub(crate) fn new() -> ListenerControl {
        ListenerControl {
            down_until: watch::Sender::new(None),
            connections: Mutex::new(CancellationToken::new()),
        }
    }

    /// Closes the socket for `duration` (extending a running downtime, never shortening it);
    /// with `kill_connections`, drops every open connection too.
    pub(crate) fn go_down(&self, duration: Duration, kill_connections: bool) {
        if kill_connections {
            let mut current = lock(&self.connections);
            current.cancel();
            *current = CancellationToken::new();
        }
        let until = Instant::now() + duration;
        self.down_until.send_modify(|d| {
            *d = Some(d.map_or(until, |old| old.max(until)));
        });
    }

    /// Whether the socket is (supposed to be) closed right now.
    pub(crate) fn is_down(&self) -> bool {
        self.down_until
            .borrow()
            .is_some_and(|until| until > Instant::now())
    }

    fn generation(&self) -> CancellationToken {
        lock(&self.connections).clone()
    }

    /// Drops every connection (used at shutdown, after the graceful phase).
    pub(crate) fn kill_connections(&self) {
        lock(&self.connections).cancel();
    }
}

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// The listener handed to `axum::serve`.
pub(crate) struct SimListener {
    addr: SocketAddr,
    inner: Option<TcpListener>,
    control: std::sync::Arc<ListenerControl>,
    /// Never sees `changed()` fail: `control` (which owns the sender) lives as long as `self`.
    down_rx: watch::Receiver<Option<Instant>>,
    workers: usize,
    next_worker: usize,
    /// Whether the last attempt to bind again failed (warn once, not every retry).
    rebind_failing: bool,
}

impl SimListener {
    /// Binds `addr` (port 0 picks a free port, kept across restarts).
    pub(crate) fn bind(
        addr: SocketAddr,
        control: std::sync::Arc<ListenerControl>,
        workers: usize,
    ) -> io::Result<SimListener> {
        let inner = bind(addr)?;
        let addr = inner.local_addr()?;
        let down_rx = control.down_until.subscribe();
        Ok(SimListener {
            addr,
            inner: Some(inner),
            control,
            down_rx,
            workers: workers.max(1),
            next_worker: 0,
            rebind_failing: false,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn current_downtime(&mut self) -> Option<Instant> {
        let until = *self.down_rx.borrow_and_update();
        until.filter(|u| *u > Instant::now())
    }
}

impl axum::serve::Listener for SimListener {
    type Io = SimStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SimStream, SocketAddr) {
        loop {
            if let Some(until) = self.current_downtime() {
                if self.inner.take().is_some() {
                    tracing::debug!(addr = %self.addr, "listener closed");
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = self.down_rx.changed() => {}
                }
                continue;
            }
            let Some(listener) = self.inner.as_ref() else {
                match bind(self.addr) {
                    Ok(l) => {
                        tracing::debug!(addr = %self.addr, "listener open again");
                        self.inner = Some(l);
                        self.rebind_failing = false;
                    }
                    Err(e) => {
                        if !std::mem::replace(&mut self.rebind_failing, true) {
                            tracing::warn!(addr = %self.addr, error = %e, "cannot bind again; retrying every 100 ms");
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                continue;
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        let worker = self.next_worker % self.workers;
                        self.next_worker = self.next_worker.wrapping_add(1);
                        let killed = Box::pin(self.control.generation().cancelled_owned());
                        return (SimStream { inner: stream, killed, dead: false, worker }, peer);
                    }
                    Err(e) => {
                        // Per-connection errors (ECONNABORTED, EMFILE, …): back off briefly.
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                },
                _ = self.down_rx.changed() => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// An accepted connection that fails as soon as its generation is cancelled.
pub(crate) struct SimStream {
    inner: TcpStream,
    killed: Pin<Box<WaitForCancellationFutureOwned>>,
    dead: bool,
    /// The simulated worker serving this connection.
    pub(crate) worker: usize,
}

impl SimStream {
    fn check_killed(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.dead && self.killed.as_mut().poll(cx).is_ready() {
            self.dead = true;
        }
        self.dead
    }
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "simulated KATO process exited",
    )
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.check_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.check_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.check_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Per-connection facts handed to handlers through `ConnectInfo`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnMeta {
    pub worker: usize,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        ConnMeta {
            worker: stream.io().worker,
        }
    }
}
