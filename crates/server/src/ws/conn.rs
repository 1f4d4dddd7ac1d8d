//! One `/ws` connection: a single `select!` loop over client frames, hub ticks, hub events, the heartbeat
//! timer and shutdown. Decisions come from [`ConnState`]; this file only moves bytes. Generic over the socket so
//! tests can drive it with any `Stream + Sink` of messages.
//!
//! Back-pressure: state arrives through a `watch`, so a slow client simply gets the newest tick next; events
//! arrive through a bounded `broadcast`, and a client that falls behind catches up from the replay buffer or is
//! told to `resync`. A send that does not complete within the send timeout ends the connection.

use std::{
    fmt::Display,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use kato_dashboard_core::protocol::{ServerMsg, Topic, TopicSet};
use tokio::{sync::broadcast::error::RecvError, time::Instant};
use tokio_util::sync::CancellationToken;

use super::state::{Action, ConnState, heartbeat};
use crate::{
    hub::{EventFrame, HubHandle, Replay, Tick},
    metrics::FrameKind,
};

/// What a connection needs besides its socket.
#[derive(Clone)]
pub struct ConnCtx {
    /// The hub.
    pub hub: HubHandle,
    /// Topics offered by configuration.
    pub offered: TopicSet,
    /// Whether `subscribe` is honoured.
    pub selective: bool,
    /// Unsolicited heartbeat and protocol ping period.
    pub heartbeat: Duration,
    /// Longest a single send may take before the client counts as stalled.
    pub send_timeout: Duration,
    /// Server shutdown.
    pub cancel: CancellationToken,
    /// Connection cap and traffic counters (`/metrics`).
    pub limits: Arc<super::WsLimits>,
}

/// Why a connection ended (for logs and metrics).
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The client closed or went away.
    ClientClosed,
    /// No frame (not even a pong) for too long.
    HeartbeatTimeout,
    /// A send did not complete in time.
    Stalled,
    /// Protocol abuse or an oversize frame.
    Closed(u16),
    /// Server shutdown.
    Shutdown,
}

impl End {
    /// Index into [`crate::metrics::END_REASONS`].
    pub fn reason_index(&self) -> usize {
        match self {
            End::ClientClosed => 0,
            End::HeartbeatTimeout => 1,
            End::Stalled => 2,
            End::Closed(_) => 3,
            End::Shutdown => 4,
        }
    }
}

struct Conn<S> {
    socket: S,
    ctx: ConnCtx,
    state: ConnState,
    next_seq: [u64; 3],
}

/// Runs the connection until it ends.
pub async fn serve<S, E>(socket: S, ctx: ConnCtx) -> End
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: Display,
{
    // Subscribe to events before reading the sequence numbers, so nothing published in between is missed.
    let mut events = ctx.hub.events();
    let next_seq = Topic::EVENTS.map(|t| ctx.hub.last_seq(t) + 1);
    let mut ticks = ctx.hub.ticks();
    ticks.mark_unchanged();
    let state = ConnState::new(ctx.offered, ctx.selective);
    let mut conn = Conn {
        socket,
        ctx,
        state,
        next_seq,
    };
    let hb = conn.ctx.heartbeat;
    let mut heartbeat_timer = tokio::time::interval_at(Instant::now() + hb, hb);
    let mut last_seen = Instant::now();
    let cancel = conn.ctx.cancel.clone();

    loop {
        let step = tokio::select! {
            () = cancel.cancelled() => {
                conn.close(1001, "server shutting down").await;
                Err(End::Shutdown)
            }
            frame = conn.socket.next() => {
                last_seen = Instant::now();
                conn.on_frame(frame).await
            }
            changed = ticks.changed() => match changed {
                Ok(()) => {
                    let tick = ticks.borrow_and_update().clone();
                    conn.send_tick(&tick).await
                }
                Err(_) => Err(End::Shutdown),
            },
            event = events.recv() => match event {
                Ok(frame) => conn.deliver(&frame).await,
                Err(RecvError::Lagged(_)) => conn.catch_up_all().await,
                Err(RecvError::Closed) => Err(End::Shutdown),
            },
            _ = heartbeat_timer.tick() => {
                if last_seen.elapsed() > hb * 2 + Duration::from_secs(5) {
                    Err(End::HeartbeatTimeout)
                } else {
                    conn.send_heartbeat().await
                }
            }
        };
        if let Err(end) = step {
            break end;
        }
    }
}

type Step = Result<(), End>;

impl<S, E> Conn<S>
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: Display,
{
    async fn send(&mut self, msg: Message) -> Step {
        match tokio::time::timeout(self.ctx.send_timeout, self.socket.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::ClientClosed),
            Err(_) => Err(End::Stalled),
        }
    }

    async fn send_text(&mut self, stream: FrameKind, text: Utf8Bytes) -> Step {
        self.ctx.limits.traffic.sent(stream, text.len());
        self.send(Message::Text(text)).await
    }

    async fn send_msg(&mut self, msg: &ServerMsg) -> Step {
        if matches!(msg, ServerMsg::Resync { .. }) {
            self.ctx
                .limits
                .traffic
                .resyncs
                .fetch_add(1, Ordering::Relaxed);
        }
        match serde_json::to_string(msg) {
            Ok(text) => self.send_text(FrameKind::Control, text.into()).await,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize a control message");
                Ok(())
            }
        }
    }

    async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            self.socket.send(Message::Close(Some(frame))),
        )
        .await;
    }

    async fn on_frame(&mut self, frame: Option<Result<Message, E>>) -> Step {
        let actions = match frame {
            None | Some(Ok(Message::Close(_))) => return Err(End::ClientClosed),
            Some(Err(e)) => {
                let text = e.to_string();
                if text.contains("too long")
                    || text.contains("Space limit")
                    || text.contains("too big")
                {
                    self.close(1009, "frame too large").await;
                    return Err(End::Closed(1009));
                }
                return Err(End::ClientClosed);
            }
            Some(Ok(Message::Text(text))) => self.state.on_text(&text),
            Some(Ok(Message::Binary(_))) => self.state.on_binary(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(()),
        };
        for action in actions {
            match action {
                Action::Send(msg) => self.send_msg(&msg).await?,
                Action::Snapshot => self.send_snapshot().await?,
                Action::Replay { topic, after } => self.resume(topic, after).await?,
                Action::Close(code, reason) => {
                    self.close(code, reason).await;
                    return Err(End::Closed(code));
                }
            }
        }
        Ok(())
    }

    /// The current state of every subscribed state topic, then each subscribed event topic's sticky frame (the
    /// alerts firing right now).
    async fn send_snapshot(&mut self) -> Step {
        let tick = self.ctx.hub.latest();
        if let Some(frame) = tick.frame(self.state.subs) {
            let frame = frame.clone();
            self.send_text(FrameKind::State, frame).await?;
            tick.mark_sent(self.state.subs, &mut self.state.sent_versions);
        }
        for topic in Topic::EVENTS {
            if let Some(frame) = self
                .ctx
                .hub
                .sticky(topic)
                .filter(|_| self.state.subs.contains(topic))
            {
                self.send_text(FrameKind::of_topic(topic), frame).await?;
            }
        }
        Ok(())
    }

    async fn send_tick(&mut self, tick: &Arc<Tick>) -> Step {
        let subs = self.state.subs;
        if self.state.deltas {
            if let Some(frame) = tick.delta_frame(subs, &mut self.state.sent_versions) {
                self.send_text(FrameKind::State, frame).await?;
            }
        } else if let Some(frame) = tick.frame(subs) {
            self.send_text(FrameKind::State, frame.clone()).await?;
        }
        Ok(())
    }

    async fn send_heartbeat(&mut self) -> Step {
        self.send_msg(&heartbeat()).await?;
        self.send(Message::Ping(Default::default())).await
    }

    fn slot(topic: Topic) -> usize {
        Topic::EVENTS.iter().position(|t| *t == topic).unwrap_or(0)
    }

    async fn deliver(&mut self, frame: &Arc<EventFrame>) -> Step {
        let i = Self::slot(frame.topic);
        if !self.state.subs.contains(frame.topic) {
            self.next_seq[i] = self.next_seq[i].max(frame.seq + 1);
            return Ok(());
        }
        if frame.seq < self.next_seq[i] {
            return Ok(());
        }
        if frame.seq == self.next_seq[i] {
            self.next_seq[i] += 1;
            return self
                .send_text(FrameKind::of_topic(frame.topic), frame.text.clone())
                .await;
        }
        self.catch_up(frame.topic, "lagged").await
    }

    async fn catch_up_all(&mut self) -> Step {
        for topic in Topic::EVENTS {
            if self.state.subs.contains(topic) {
                self.catch_up(topic, "lagged").await?;
            }
        }
        Ok(())
    }

    async fn resume(&mut self, topic: Topic, after: u64) -> Step {
        self.next_seq[Self::slot(topic)] = after + 1;
        self.catch_up(topic, "gap").await
    }

    /// Sends every buffered event from this connection's cursor on, or a `resync` when some are gone.
    async fn catch_up(&mut self, topic: Topic, reason: &str) -> Step {
        let i = Self::slot(topic);
        let mut after = self.next_seq[i].saturating_sub(1);
        for _ in 0..2 {
            match self.ctx.hub.replay_after(topic, after) {
                Replay::Events(frames) => {
                    for f in frames {
                        self.next_seq[i] = f.seq + 1;
                        self.send_text(FrameKind::of_topic(topic), f.text.clone())
                            .await?;
                    }
                    return Ok(());
                }
                Replay::Gap { resume_from } => {
                    let msg = ServerMsg::Resync {
                        topic: topic.as_str().into(),
                        reason: reason.into(),
                        from_seq: resume_from,
                    };
                    self.send_msg(&msg).await?;
                    after = resume_from - 1;
                }
                Replay::Ahead => {
                    let msg = ServerMsg::Resync {
                        topic: topic.as_str().into(),
                        reason: "server_restarted".into(),
                        from_seq: 1,
                    };
                    self.send_msg(&msg).await?;
                    after = 0;
                }
            }
        }
        Ok(())
    }
}
