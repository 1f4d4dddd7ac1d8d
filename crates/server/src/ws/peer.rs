//! The sending side of one `/ws` connection, shared by the connection's own task (replies, snapshots, replays)
//! and the fan-out shard that serves it (ticks, events, heartbeats). Every write happens under the peer's lock,
//! so frames never interleave, and is non-blocking: bytes go straight to the socket with `try_write`; what the
//! kernel does not take waits in a bounded queue that the connection's task drains when the socket is writable.
//!
//! Back-pressure: a tick is never queued behind a backlog — the peer just remembers that one is owed and sends
//! the newest tick once the backlog is gone (state coalesces). A peer that leaves a protocol ping unanswered for
//! [`PING_GRACE`] is not reading: it is owed ticks rather than sent them and its other frames are queued without
//! touching the socket, so a stalled client costs the fan-out a lock and a flag until it reads again. Events are
//! queued; a queue over its bound, or a backlog older than the send timeout, ends the connection (never a silent
//! loss: a reconnecting client resumes from its `seq`).
//!
//! The peer is generic over its [`Socket`] (the client's `TcpStream` in the server, an in-memory socket in the
//! unit tests); nothing here blocks or reads the disk — a catch-up that needs the archive waits for the connection
//! task (`peer_events.rs`).

use std::{
    collections::VecDeque,
    io,
    sync::{Arc, Mutex, MutexGuard, atomic::Ordering},
    time::Duration,
};

use bytes::Bytes;
use kato_dashboard_core::protocol::{ServerMsg, Topic};
use tokio::{net::TcpStream, sync::Notify, time::Instant};

use super::{End, WsLimits, frame, socket::Socket, state::ConnState};
use crate::{
    hub::{HubHandle, Tick},
    metrics::FrameKind,
};

/// How long a protocol ping may stay unanswered before the peer counts as not reading.
pub const PING_GRACE: Duration = Duration::from_secs(2);
/// When the first ping goes out after the connection opens (so a client that never reads is found early).
pub const FIRST_PING: Duration = Duration::from_secs(1);

/// Settings every peer shares.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Unsolicited heartbeat and protocol ping period.
    pub heartbeat: Duration,
    /// Longest a backlog may wait for the socket before the client counts as stalled.
    pub send_timeout: Duration,
    /// Most bytes queued behind a full socket.
    pub queue_limit: usize,
}

/// What both the connection task and the shard touch.
pub struct Peer<S = TcpStream> {
    /// The client's socket.
    pub stream: S,
    state: Mutex<PeerState>,
    /// Wakes the connection task: a backlog to drain, a catch-up waiting for the archive, or the end.
    pub wake: Notify,
    hub: HubHandle,
    limits: Arc<WsLimits>,
    config: PeerConfig,
}

/// The peer's protocol state and output queue.
pub struct PeerState {
    /// Subscriptions and protocol decisions.
    pub conn: ConnState,
    next_seq: [u64; 3],
    /// Per event topic, the lowest seq from which this connection has delivered every event up to `next_seq`
    /// (`None`: nothing delivered since the last `resync`, or a skipped event broke the run). A `resume` never
    /// replays what lies in that range.
    held_from: [Option<u64>; 3],
    /// Per event topic, a catch-up waiting for the archive (read by the connection task, off the lock). Until it
    /// is done the shard leaves the topic alone: the catch-up reads up to the newest event when it is applied.
    /// Boxed: rare, and the state the fan-out walks every tick stays small.
    waiting: [Option<Box<events::CatchUp>>; 3],
    /// Catch-ups put to wait so far (each one's ticket).
    waits: u64,
    out: VecDeque<Bytes>,
    out_bytes: usize,
    blocked_since: Option<Instant>,
    tick_owed: bool,
    last_tick: u64,
    ping_sent: Option<Instant>,
    last_seen: Instant,
    next_heartbeat: Instant,
    next_ping: Instant,
    end: Option<End>,
}

impl PeerState {
    /// Why the peer ended, if it did.
    pub fn ended(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// Whether bytes wait for the socket.
    pub fn backlogged(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the backlog should be written as soon as the socket takes it (not while the client is not
    /// reading: its pong comes first).
    pub fn wants_socket(&self) -> bool {
        self.backlogged() && !self.not_reading(Instant::now())
    }

    /// Any frame from the client.
    pub fn seen(&mut self) {
        self.last_seen = Instant::now();
    }

    fn not_reading(&self, now: Instant) -> bool {
        self.ping_sent
            .is_some_and(|at| now.saturating_duration_since(at) > PING_GRACE)
    }
}

type Guard<'a> = MutexGuard<'a, PeerState>;

impl<S: Socket> Peer<S> {
    /// A peer for a freshly upgraded socket.
    pub fn new(
        stream: S,
        conn: ConnState,
        hub: HubHandle,
        limits: Arc<WsLimits>,
        config: PeerConfig,
    ) -> Self {
        // Subscribe-time sequence numbers: events published from now on are this client's.
        let next_seq = Topic::EVENTS.map(|t| hub.last_seq(t) + 1);
        let now = Instant::now();
        let state = PeerState {
            conn,
            next_seq,
            held_from: [None; 3],
            waiting: Default::default(),
            waits: 0,
            out: VecDeque::new(),
            out_bytes: 0,
            blocked_since: None,
            tick_owed: false,
            last_tick: hub.latest().number,
            ping_sent: None,
            last_seen: now,
            next_heartbeat: now + config.heartbeat,
            next_ping: now + FIRST_PING.min(config.heartbeat),
            end: None,
        };
        Self {
            stream,
            state: Mutex::new(state),
            wake: Notify::new(),
            hub,
            limits,
            config,
        }
    }

    /// Locks the peer's state.
    pub fn lock(&self) -> Guard<'_> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends the peer (the connection task closes the socket).
    pub fn end(&self, s: &mut PeerState, end: End) {
        if s.end.is_none() {
            s.end = Some(end);
            self.wake.notify_one();
        }
    }

    /// Writes a frame now, or queues it behind the backlog. Returns the bytes accepted (0 once ended).
    pub fn write(&self, s: &mut PeerState, frame: Bytes) -> usize {
        if s.end.is_some() {
            return 0;
        }
        let len = frame.len();
        let now = Instant::now();
        // Behind a backlog, or to a client that is not reading: queued (a non-reading client costs no syscall).
        if !s.out.is_empty() || s.not_reading(now) {
            if s.out_bytes + len > self.config.queue_limit {
                self.end(s, End::Stalled);
                return 0;
            }
            s.out_bytes += len;
            s.out.push_back(frame);
            s.blocked_since.get_or_insert(now);
            return len;
        }
        match self.write_now(&frame) {
            Ok(n) if n == len => {}
            Ok(n) => {
                s.out_bytes = len - n;
                s.out.push_back(frame.slice(n..));
                s.blocked_since = Some(now);
                self.wake.notify_one();
            }
            Err(_) => {
                self.end(s, End::ClientClosed);
                return 0;
            }
        }
        len
    }

    /// Writes a close frame if nothing waits before it (a stalled socket gets none), whether or not the peer
    /// has ended.
    pub fn send_close(&self, s: &PeerState, code: u16, reason: &str) {
        if s.out.is_empty() {
            let _ = self.write_now(&frame::close(code, reason));
        }
    }

    /// Writes as much of `buf` as the socket takes without waiting.
    fn write_now(&self, buf: &[u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.stream.try_write(&buf[done..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Drains the backlog as far as the socket allows (nothing while the client is not reading); then pays an
    /// owed tick. Returns whether a backlog is left.
    pub fn flush(&self, s: &mut PeerState) -> bool {
        if s.not_reading(Instant::now()) {
            return s.backlogged();
        }
        while let Some(front) = s.out.front_mut() {
            if s.end.is_some() {
                return false;
            }
            match self.write_now(front) {
                Ok(n) if n == front.len() => {
                    s.out_bytes -= n;
                    s.out.pop_front();
                }
                Ok(n) => {
                    s.out_bytes -= n;
                    let rest = front.slice(n..);
                    *front = rest;
                    return true;
                }
                Err(_) => {
                    self.end(s, End::ClientClosed);
                    return false;
                }
            }
        }
        s.blocked_since = None;
        if s.tick_owed {
            self.pay_tick(s, Instant::now());
        }
        s.backlogged()
    }

    /// Sends a text frame of the given stream, counting it.
    pub fn send_text(&self, s: &mut PeerState, kind: FrameKind, text: &str) {
        let n = self.write(s, frame::text(text));
        self.limits.traffic.sent(kind, n);
    }

    /// Sends a control message.
    pub fn send_msg(&self, s: &mut PeerState, msg: &ServerMsg) {
        if matches!(msg, ServerMsg::Resync { .. }) {
            self.limits.traffic.resyncs.fetch_add(1, Ordering::Relaxed);
        }
        match serde_json::to_string(msg) {
            Ok(text) => self.send_text(s, FrameKind::Control, &text),
            Err(e) => tracing::error!(error = %e, "cannot serialize a control message"),
        }
    }

    /// A tick from the shard. Returns the bytes written.
    pub fn on_tick(&self, tick: &Tick, now: Instant) -> usize {
        let mut s = self.lock();
        if s.end.is_some() || tick.number <= s.last_tick {
            return 0;
        }
        if s.backlogged() || s.not_reading(now) {
            s.tick_owed = true;
            return 0;
        }
        self.send_tick(&mut s, tick)
    }

    fn pay_tick(&self, s: &mut PeerState, now: Instant) {
        if s.not_reading(now) {
            return;
        }
        s.tick_owed = false;
        let tick = self.hub.latest();
        if tick.number > s.last_tick {
            let n = self.send_tick(s, &tick);
            self.limits.traffic.sent(FrameKind::State, n);
        }
    }

    fn send_tick(&self, s: &mut PeerState, tick: &Tick) -> usize {
        s.last_tick = tick.number;
        let subs = s.conn.delivery(std::time::Instant::now());
        if s.conn.deltas {
            match tick.delta_frame(subs, &mut s.conn.sent_versions) {
                Some(text) => self.write(s, frame::text(&text)),
                None => 0,
            }
        } else {
            // What the client now has, so a re-subscribe does not send it again.
            tick.mark_sent(subs, &mut s.conn.sent_versions);
            tick.wire(subs).map_or(0, |f| self.write(s, f.clone()))
        }
    }

    /// What a (re)subscribe owes the client: the current value of each subscribed state topic it has not received
    /// yet, then each subscribed event topic's sticky frame (the alerts firing now) unless it already got that
    /// very frame. Nothing is sent twice because a client subscribed again (the old React client re-subscribes
    /// after every frame it receives, and would otherwise loop with the server).
    pub fn send_snapshot(&self, s: &mut PeerState) {
        let tick = self.hub.latest();
        let subs = s.conn.delivery(std::time::Instant::now());
        if let Some(wire) = tick.catch_up(subs, &mut s.conn.sent_versions) {
            let n = self.write(s, wire);
            self.limits.traffic.sent(FrameKind::State, n);
        }
        s.last_tick = s.last_tick.max(tick.number);
        for topic in Topic::EVENTS {
            if !subs.contains(topic) {
                continue;
            }
            if let Some(text) = self.hub.sticky(topic)
                && s.conn.sticky_is_new(topic, &text)
            {
                self.send_text(s, FrameKind::of_topic(topic), &text);
            }
        }
    }

    /// A protocol pong: the client reads again, so an owed tick goes out now (after the backlog, which the
    /// connection task drains next).
    pub fn on_pong(&self, s: &mut PeerState) {
        s.ping_sent = None;
        if s.tick_owed && !s.backlogged() {
            self.pay_tick(s, Instant::now());
        }
    }

    /// The shard's periodic check: heartbeat and ping when due, dead peers and stalled backlogs ended.
    /// Returns whether the peer is still open.
    pub fn housekeep(&self, now: Instant, heartbeat: &Bytes) -> bool {
        let mut s = self.lock();
        if s.end.is_some() {
            return false;
        }
        let hb = self.config.heartbeat;
        if now.saturating_duration_since(s.last_seen) > hb * 2 + Duration::from_secs(5) {
            self.end(&mut s, End::HeartbeatTimeout);
            return false;
        }
        if s.blocked_since
            .is_some_and(|at| now.saturating_duration_since(at) > self.config.send_timeout)
        {
            self.end(&mut s, End::Stalled);
            return false;
        }
        if now >= s.next_ping {
            s.next_ping = now + hb;
            self.write(&mut s, frame::encode(frame::PING, b"kato"));
            s.ping_sent.get_or_insert(now);
        }
        if now >= s.next_heartbeat {
            s.next_heartbeat = now + hb;
            let n = self.write(&mut s, heartbeat.clone());
            self.limits.traffic.sent(FrameKind::Control, n);
        }
        true
    }
}

#[path = "peer_events.rs"]
mod events;

#[cfg(test)]
#[path = "peer_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "peer_archive_tests.rs"]
mod archive_tests;
