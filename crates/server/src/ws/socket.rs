//! What a `/ws` connection needs from its socket, as a trait: non-blocking writes of prebuilt frames and reads,
//! readiness, and the two ways of closing. The server uses the client's [`TcpStream`]; the peer's and the
//! connection's unit tests use [`memory::MemSocket`], whose "kernel buffer" holds exactly as many bytes as the test
//! says, so slow and stalled clients are deterministic. Generic, never boxed: the fan-out's hot path compiles to
//! the same `try_write` calls as before.

use std::{future::Future, io, time::Duration};

use socket2::SockRef;
use tokio::net::TcpStream;

/// A connected, non-blocking stream socket.
pub trait Socket: Send + Sync + 'static {
    /// Writes what the socket takes now; `WouldBlock` when it takes nothing.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    /// Reads what has arrived, appending to `buf`; `Ok(0)` at end of stream, `WouldBlock` when nothing waits.
    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize>;
    /// Resolves once a write may make progress (or fail).
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send;
    /// Resolves once a read may make progress (or fail).
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send;
    /// Half-closes: a FIN follows the bytes already written; reading goes on.
    fn shutdown_write(&self);
    /// Resets on close: bytes not yet taken by the client are dropped instead of lingering in the kernel.
    fn reset_on_close(&self);
}

impl Socket for TcpStream {
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, buf)
    }

    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        TcpStream::try_read_buf(self, buf)
    }

    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::writable(self)
    }

    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::readable(self)
    }

    fn shutdown_write(&self) {
        let _ = SockRef::from(self).shutdown(std::net::Shutdown::Write);
    }

    fn reset_on_close(&self) {
        let _ = SockRef::from(self).set_linger(Some(Duration::ZERO));
    }
}

#[cfg(test)]
#[path = "socket_memory.rs"]
pub mod memory;
