//! Shutdown: the first SIGINT/SIGTERM cancels one `CancellationToken` that every task watches (a graceful drain of
//! at most `SHUTDOWN_GRACE_SECONDS`); a second one means "now", and `main` exits at once.
//!
//! Tokio keeps its own handler for a signal installed once anything listened for it, so after the first signal the
//! default action (terminate) never comes back: without listening for the second one, a second Ctrl-C would do
//! nothing while the server drains.

use tokio_util::sync::CancellationToken;

/// A shutdown signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`docker stop`, systemd, Kubernetes).
    Terminate,
}

impl Signal {
    /// Its conventional name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit status of a process ended by this signal, as shells report it: 128 + its number (130, 143).
    pub fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// Listens for SIGINT and SIGTERM from now on (call it before serving, inside the runtime). The future cancels
/// `token` on the first signal and resolves with the second one, for the caller to exit at once (see `main`); it
/// never resolves where signals cannot be listened for.
pub fn cancel_on_signal(token: CancellationToken) -> impl Future<Output = Signal> + Send {
    let signals = Signals::listen();
    async move {
        let mut signals = match signals {
            Ok(signals) => signals,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGINT/SIGTERM; stop the server with SIGKILL");
                return std::future::pending().await;
            }
        };
        let first = signals.next().await;
        tracing::info!(
            "{} received, shutting down (send it again to exit at once)",
            first.name()
        );
        token.cancel();
        signals.next().await
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Signal {
        // `recv` yields `None` only once the runtime shuts down: then no signal comes any more.
        tokio::select! {
            Some(()) = self.interrupt.recv() => Signal::Interrupt,
            Some(()) = self.terminate.recv() => Signal::Terminate,
            else => std::future::pending().await,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> Signal {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Signal::Interrupt,
            Err(_) => std::future::pending().await,
        }
    }
}
