//! One `/ws` connection's own task: it reads and answers the client's frames, drains the peer's backlog when the
//! socket becomes writable, and closes the connection. Ticks, events and heartbeats are written by the fan-out
//! shard (`fanout.rs`), so this task sleeps until the client sends something or the socket needs it — or a
//! catch-up needs the archive, which this task reads (off the peer's lock, never on the shard).

use std::{io, sync::Arc, time::Duration};

use kato_dashboard_core::protocol::MAX_CLIENT_FRAME_BYTES;
use tokio_util::sync::CancellationToken;

use super::{
    frame::{self, Decoder, Incoming},
    peer::Peer,
    socket::Socket,
    state::Action,
};

/// Why a connection ended (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed or went away.
    ClientClosed,
    /// The client sent a close frame with this (valid) status code, which the server's close frame echoes.
    ClientClose(u16),
    /// No frame (not even a pong) for too long.
    HeartbeatTimeout,
    /// The client did not take its frames: its backlog overflowed or waited longer than the send timeout.
    Stalled,
    /// Protocol abuse, an oversize frame or a broken frame: closed with this code.
    Closed(u16),
    /// Server shutdown.
    Shutdown,
}

impl End {
    /// Index into [`crate::metrics::END_REASONS`].
    pub fn reason_index(&self) -> usize {
        match self {
            End::ClientClosed | End::ClientClose(_) => 0,
            End::HeartbeatTimeout => 1,
            End::Stalled => 2,
            End::Closed(_) => 3,
            End::Shutdown => 4,
        }
    }

    /// The close frame sent to the client, if one is worth sending.
    fn close_frame(self) -> Option<(u16, &'static str)> {
        match self {
            End::ClientClosed => Some((1000, "")),
            End::ClientClose(code) => Some((code, "")),
            End::HeartbeatTimeout => Some((1001, "no frame from the client for too long")),
            End::Stalled => None,
            End::Closed(1008) => Some((1008, "too many bad frames")),
            End::Closed(1009) => Some((1009, "frame too large")),
            End::Closed(1007) => Some((1007, "text is not UTF-8")),
            End::Closed(code) => Some((code, "protocol error")),
            End::Shutdown => Some((1001, "server shutting down")),
        }
    }
}

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 4096;

/// Runs the connection until it ends. `buf` holds bytes the HTTP layer read past the upgrade request.
pub async fn serve<S: Socket>(
    peer: Arc<Peer<S>>,
    mut buf: Vec<u8>,
    cancel: CancellationToken,
) -> End {
    let mut decoder = Decoder::new(MAX_CLIENT_FRAME_BYTES);
    let end = loop {
        if let Err(end) = read_buffered(&peer, &mut decoder, &mut buf) {
            break end;
        }
        if buf.is_empty() {
            // An idle connection keeps no read buffer.
            buf = Vec::new();
        }
        let (backlog, archive) = {
            let s = peer.lock();
            if let Some(end) = s.ended() {
                break *end;
            }
            (s.wants_socket(), s.waiting_for_archive())
        };
        if archive {
            // Finished before anything else: the shard holds the topic's events back until then.
            tokio::select! {
                () = cancel.cancelled() => break End::Shutdown,
                () = peer.catch_up_from_archive() => continue,
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break End::Shutdown,
            ready = peer.stream.readable() => {
                if ready.is_err() {
                    break End::ClientClosed;
                }
                buf.reserve(READ_CHUNK);
                match peer.stream.try_read_buf(&mut buf) {
                    Ok(0) => break End::ClientClosed,
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                    Err(_) => break End::ClientClosed,
                }
            }
            () = peer.wake.notified() => {}
            ready = peer.stream.writable(), if backlog => {
                if ready.is_err() {
                    break End::ClientClosed;
                }
                let mut s = peer.lock();
                peer.flush(&mut s);
            }
        }
    };
    finish(&peer, end).await
}

/// Handles every complete frame in `buf`.
fn read_buffered<S: Socket>(
    peer: &Peer<S>,
    decoder: &mut Decoder,
    buf: &mut Vec<u8>,
) -> Result<(), End> {
    loop {
        match decoder.next(buf) {
            Ok(Some(msg)) => on_message(peer, msg)?,
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::debug!(error = %e, "unreadable client frame");
                return Err(End::Closed(e.close_code()));
            }
        }
    }
}

fn on_message<S: Socket>(peer: &Peer<S>, msg: Incoming) -> Result<(), End> {
    let mut s = peer.lock();
    s.seen();
    let actions = match msg {
        Incoming::Close(Some(code)) => return Err(End::ClientClose(code)),
        Incoming::Close(None) => return Err(End::ClientClosed),
        Incoming::Ping(payload) => {
            peer.write(&mut s, frame::encode(frame::PONG, &payload));
            return Ok(());
        }
        Incoming::Pong => {
            peer.on_pong(&mut s);
            return Ok(());
        }
        Incoming::Text(text) => s.conn.on_text(&text),
        Incoming::Binary => s.conn.on_binary(),
    };
    for action in actions {
        match action {
            Action::Send(msg) => peer.send_msg(&mut s, &msg),
            Action::Snapshot => peer.send_snapshot(&mut s),
            Action::Replay { topic, after } => peer.resume(&mut s, topic, after),
            Action::Close(code, _) => return Err(End::Closed(code)),
        }
    }
    match s.ended() {
        Some(end) => Err(*end),
        None => Ok(()),
    }
}

/// Marks the peer ended (the shard stops writing), sends the close frame if nothing is queued before it,
/// half-closes, and waits briefly for the client to finish so it reads the close frame. A stalled client is reset.
async fn finish<S: Socket>(peer: &Peer<S>, end: End) -> End {
    {
        let mut s = peer.lock();
        if let Some((code, reason)) = end.close_frame() {
            peer.send_close(&s, code, reason);
        }
        peer.end(&mut s, end);
    }
    if end == End::Stalled {
        // The client takes nothing: reset instead of leaving its unsent backlog (and a FIN behind it) in the
        // kernel for minutes. The socket closes when the shard lets go of the peer.
        peer.stream.reset_on_close();
        return end;
    }
    peer.stream.shutdown_write();
    let _ = tokio::time::timeout(Duration::from_secs(1), drain(peer)).await;
    end
}

/// Reads and discards until the client closes its side.
async fn drain<S: Socket>(peer: &Peer<S>) {
    let mut scratch = Vec::with_capacity(512);
    loop {
        if peer.stream.readable().await.is_err() {
            return;
        }
        scratch.clear();
        match peer.stream.try_read_buf(&mut scratch) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}
