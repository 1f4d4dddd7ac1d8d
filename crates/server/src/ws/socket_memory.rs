//! An in-memory [`Socket`] for unit tests: the server's side ([`MemSocket`]) writes into a buffer of exactly
//! `capacity` bytes that the test's side ([`MemClient`]) empties when it reads, so "the client does not read"
//! and "the socket is full" are states a test sets, not races with a kernel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io,
    sync::{Arc, Mutex, MutexGuard},
};

use kato_dashboard_loadgen::wire::frame_len;
use tokio::sync::Notify;

use super::Socket;
use crate::ws::frame;

/// Both ends' shared state.
#[derive(Default)]
struct Pipe {
    /// Bytes the server may have in flight to the client.
    capacity: usize,
    to_client: Vec<u8>,
    to_server: Vec<u8>,
    /// The client closed its side (or went away).
    client_closed: bool,
    /// The server half-closed.
    server_shut: bool,
    /// The server asked for a reset on close.
    reset: bool,
    /// `try_write` calls that reached the socket.
    writes: usize,
}

#[derive(Default)]
struct Shared {
    pipe: Mutex<Pipe>,
    /// Any change of the pipe.
    changed: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pipe> {
        self.pipe.lock().unwrap()
    }

    /// Waits until `ready` holds (checked after registering for the wake-up, so none is missed).
    async fn until(&self, ready: impl Fn(&Pipe) -> bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if ready(&self.lock()) {
                return;
            }
            changed.await;
        }
    }
}

/// The server's end.
pub struct MemSocket(Arc<Shared>);

/// The test's end.
pub struct MemClient {
    shared: Arc<Shared>,
    /// Bytes received and not yet a complete frame.
    partial: Vec<u8>,
}

/// A connected pair whose server side takes at most `capacity` unread bytes.
pub fn pair(capacity: usize) -> (MemSocket, MemClient) {
    let shared = Arc::new(Shared::default());
    shared.lock().capacity = capacity;
    (
        MemSocket(shared.clone()),
        MemClient {
            shared,
            partial: Vec::new(),
        },
    )
}

impl Socket for MemSocket {
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut p = self.0.lock();
        p.writes += 1;
        if p.client_closed || p.server_shut {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(p.capacity.saturating_sub(p.to_client.len()));
        if n == 0 && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        p.to_client.extend_from_slice(&buf[..n]);
        drop(p);
        self.0.changed.notify_waiters();
        Ok(n)
    }

    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut p = self.0.lock();
        if p.to_server.is_empty() {
            return if p.client_closed {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = p.to_server.len().min(buf.capacity() - buf.len());
        buf.extend(p.to_server.drain(..n));
        Ok(n)
    }

    async fn writable(&self) -> io::Result<()> {
        self.0
            .until(|p| p.client_closed || p.to_client.len() < p.capacity)
            .await;
        Ok(())
    }

    async fn readable(&self) -> io::Result<()> {
        self.0
            .until(|p| p.client_closed || !p.to_server.is_empty())
            .await;
        Ok(())
    }

    fn shutdown_write(&self) {
        self.0.lock().server_shut = true;
        self.0.changed.notify_waiters();
    }

    fn reset_on_close(&self) {
        self.0.lock().reset = true;
    }
}

impl MemClient {
    /// Everything the server wrote since the last read (which frees the room it took).
    pub fn read(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.shared.lock().to_client);
        self.shared.changed.notify_waiters();
        bytes
    }

    /// The complete frames read so far (`read` for the bytes), as (opcode, payload).
    pub fn frames(&mut self) -> Vec<(u8, Vec<u8>)> {
        let bytes = self.read();
        self.partial.extend_from_slice(&bytes);
        let mut frames = Vec::new();
        while let Some((head, len)) = frame_len(&self.partial).unwrap() {
            if self.partial.len() < head + len {
                break;
            }
            let opcode = self.partial[0] & 0x0F;
            frames.push((opcode, self.partial[head..head + len].to_vec()));
            self.partial.drain(..head + len);
        }
        frames
    }

    /// The JSON text frames read so far.
    pub fn messages(&mut self) -> Vec<serde_json::Value> {
        self.frames()
            .into_iter()
            .filter(|(op, _)| *op == frame::TEXT)
            .map(|(_, payload)| serde_json::from_slice(&payload).unwrap())
            .collect()
    }

    /// Waits until the server has written something (or shut its side).
    pub async fn wait_readable(&self) {
        self.shared
            .until(|p| p.server_shut || !p.to_client.is_empty())
            .await;
    }

    /// Sends a (masked) client frame.
    pub fn send_text(&self, text: &str) {
        let bytes = kato_dashboard_loadgen::wire::client_frame(frame::TEXT, text.as_bytes());
        self.shared.lock().to_server.extend_from_slice(&bytes);
        self.shared.changed.notify_waiters();
    }

    /// `try_write` calls so far.
    pub fn writes(&self) -> usize {
        self.shared.lock().writes
    }

    /// Whether the server half-closed, and whether it asked for a reset.
    pub fn closed(&self) -> (bool, bool) {
        let p = self.shared.lock();
        (p.server_shut, p.reset)
    }
}

impl Drop for MemClient {
    fn drop(&mut self) {
        self.shared.lock().client_closed = true;
        self.shared.changed.notify_waiters();
    }
}
