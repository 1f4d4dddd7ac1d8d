//! The hub: one task that owns the latest value of every state topic and the sequence numbers of every event
//! topic. Collectors send it inputs; it ticks at `BROADCAST_INTERVAL`, serializing each changed topic once per
//! tick (and framing it once for the WebSocket), and publishes events the moment they arrive. The `/ws` fan-out
//! shards read ticks from a `watch` (so a slow client coalesces to the latest) and events from a `broadcast` backed
//! by replay buffers (so nothing is lost silently).

pub mod catch_up;
pub mod history;
mod replay;
mod tick;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use kato_dashboard_core::{
    protocol::{ServerMsg, Topic},
    topics::TopicState,
};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use replay::{EventFrame, Replay, ReplayBuffer};
pub use tick::{SentVersions, Tick, TickBuilder, TopicValue};

/// Hub settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Time between ticks.
    pub interval: Duration,
    /// Events kept per topic for replay.
    pub replay_capacity: usize,
    /// Oldest event kept for replay.
    pub replay_max_age: Duration,
    /// Events a connection may fall behind before it must catch up from the replay buffer.
    pub event_channel: usize,
    /// Hidden in every frame (an upstream's error text may quote a URL with its password).
    pub secrets: Arc<kato_dashboard_core::redact::Secrets>,
}

/// Durable history of an event topic (the alert store), consulted when the replay buffer no longer holds what a
/// client missed. Its reads block (disk, SQLite): the hub makes them on the blocking pool, never on a runtime
/// thread ([`HubHandle::replay_after`]).
pub trait EventArchive: Send + Sync {
    /// The newest sequence number stored (read once, when the archive is set at start-up).
    fn last_seq(&self) -> u64;
    /// Up to `limit` stored events after `seq`, in order. Blocking.
    fn after(&self, seq: u64, limit: usize) -> Vec<Arc<EventFrame>>;
}

/// Something a collector tells the hub.
#[derive(Debug)]
pub enum HubInput {
    /// The latest value of a state topic.
    State(TopicState),
    /// An event; the hub assigns its `seq` unless the message carries one already (a durable producer such as
    /// the alert store numbers its own events; they must be increasing).
    Event(Topic, ServerMsg),
}

/// Counters the hub keeps about itself.
#[derive(Debug, Default)]
pub struct HubStats {
    /// Ticks built.
    pub ticks: AtomicU64,
    /// Duration of the last tick build, in microseconds.
    pub last_tick_micros: AtomicU64,
    /// Durations of every tick build.
    pub tick_seconds: crate::metrics::Histogram,
    /// Events published, all topics.
    pub events: AtomicU64,
}

/// Per-topic replay buffers, shared read-mostly with connections.
#[derive(Debug)]
pub struct ReplayBuffers([ReplayBuffer; 3]);

/// Per-event-topic extras: a durable archive and a "sticky" frame sent on every subscribe (e.g. the alerts
/// firing right now).
#[derive(Default)]
struct Extras {
    archives: [Option<Arc<dyn EventArchive>>; 3],
    sticky: [Option<Arc<str>>; 3],
}

fn event_slot(topic: Topic) -> Option<usize> {
    Topic::EVENTS.iter().position(|t| *t == topic)
}

impl ReplayBuffers {
    fn slot(&mut self, topic: Topic) -> Option<&mut ReplayBuffer> {
        Topic::EVENTS
            .iter()
            .position(|t| *t == topic)
            .map(|i| &mut self.0[i])
    }
}

/// A cheap handle to the hub for collectors, connections and handlers.
#[derive(Clone)]
pub struct HubHandle {
    input: mpsc::Sender<HubInput>,
    ticks: watch::Receiver<Arc<Tick>>,
    events: broadcast::Sender<Arc<EventFrame>>,
    replay: Arc<Mutex<ReplayBuffers>>,
    extras: Arc<std::sync::RwLock<Extras>>,
    /// The hub's own counters.
    pub stats: Arc<HubStats>,
}

impl HubHandle {
    /// Sends an input; waits only if the hub is far behind. Returns false once the hub has stopped.
    pub async fn send(&self, input: HubInput) -> bool {
        self.input.send(input).await.is_ok()
    }

    /// Publishes the latest value of a state topic.
    pub async fn publish_state(&self, state: impl Into<TopicState>) -> bool {
        self.send(HubInput::State(state.into())).await
    }

    /// Publishes an event.
    pub async fn publish_event(&self, topic: Topic, msg: ServerMsg) -> bool {
        self.send(HubInput::Event(topic, msg)).await
    }

    /// A receiver of ticks (always holds the latest).
    pub fn ticks(&self) -> watch::Receiver<Arc<Tick>> {
        self.ticks.clone()
    }

    /// The latest tick.
    pub fn latest(&self) -> Arc<Tick> {
        self.ticks.borrow().clone()
    }

    /// A receiver of events from now on.
    pub fn events(&self) -> broadcast::Receiver<Arc<EventFrame>> {
        self.events.subscribe()
    }

    /// The newest sequence number of an event topic.
    pub fn last_seq(&self, topic: Topic) -> u64 {
        self.with_replay(topic, |b| b.last_seq()).unwrap_or(0)
    }

    /// Every event of `topic` after `seq` as far as the replay buffer knows (in memory, never the archive: a
    /// [`Replay::Gap`] here may still be filled by [`Self::replay_after`] when [`Self::has_archive`]).
    pub fn replay_buffered(&self, topic: Topic, seq: u64) -> Replay {
        self.with_replay(topic, |b| b.after(seq, Utc::now()))
            .unwrap_or(Replay::Events(Vec::new()))
    }

    /// Whether `topic` has an archive that may fill a gap of its replay buffer.
    pub fn has_archive(&self, topic: Topic) -> bool {
        self.archive(topic).is_some()
    }

    /// Every event of `topic` after `seq`: from the replay buffer, else from the topic's archive, read on the
    /// blocking pool.
    pub async fn replay_after(&self, topic: Topic, seq: u64) -> Replay {
        let replay = self.replay_buffered(topic, seq);
        let Replay::Gap { .. } = replay else {
            return replay;
        };
        let Some(archive) = self.archive(topic) else {
            return replay;
        };
        let limit = self.with_replay(topic, |b| b.capacity()).unwrap_or(1000);
        let stored = match tokio::task::spawn_blocking(move || archive.after(seq, limit)).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(error = %e, %topic, "archive read failed");
                return replay;
            }
        };
        if stored.first().is_some_and(|f| f.seq == seq + 1) {
            Replay::Events(stored)
        } else {
            replay
        }
    }

    fn archive(&self, topic: Topic) -> Option<Arc<dyn EventArchive>> {
        let extras = self
            .extras
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        event_slot(topic).and_then(|i| extras.archives[i].clone())
    }

    /// Gives an event topic a durable archive whose newest event is `last_seq` (read by the caller, off the
    /// runtime threads); numbering continues after it.
    pub fn set_archive(&self, topic: Topic, archive: Arc<dyn EventArchive>, last_seq: u64) {
        self.with_replay(topic, |b| b.continue_from(last_seq));
        let mut extras = self
            .extras
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = event_slot(topic) {
            extras.archives[i] = Some(archive);
        }
    }

    /// Sets (or clears) the frame every client subscribing to `topic` receives first.
    pub fn set_sticky(&self, topic: Topic, frame: Option<Arc<str>>) {
        let mut extras = self
            .extras
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = event_slot(topic) {
            extras.sticky[i] = frame;
        }
    }

    /// The sticky frame of `topic`.
    pub fn sticky(&self, topic: Topic) -> Option<Arc<str>> {
        let extras = self
            .extras
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        event_slot(topic).and_then(|i| extras.sticky[i].clone())
    }

    fn with_replay<R>(&self, topic: Topic, f: impl FnOnce(&mut ReplayBuffer) -> R) -> Option<R> {
        let mut guard = self
            .replay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.slot(topic).map(f)
    }
}

/// Starts the hub task.
pub fn spawn(config: HubConfig, cancel: CancellationToken, tracker: &TaskTracker) -> HubHandle {
    let (input_tx, input_rx) = mpsc::channel(1024);
    let (ticks_tx, ticks_rx) = watch::channel(Arc::new(Tick::empty(Utc::now())));
    let (events_tx, _) = broadcast::channel(config.event_channel.max(16));
    let replay = Arc::new(Mutex::new(ReplayBuffers(std::array::from_fn(|_| {
        ReplayBuffer::new(config.replay_capacity, config.replay_max_age)
    }))));
    let handle = HubHandle {
        input: input_tx,
        ticks: ticks_rx,
        events: events_tx,
        replay,
        extras: Arc::default(),
        stats: Arc::default(),
    };
    let hub = Hub {
        handle: handle.clone(),
        builder: TickBuilder::new(config.secrets.clone()),
        ticks: ticks_tx,
        secrets: config.secrets,
    };
    tracker.spawn(hub.run(input_rx, config.interval, cancel));
    handle
}

struct Hub {
    handle: HubHandle,
    builder: TickBuilder,
    ticks: watch::Sender<Arc<Tick>>,
    secrets: Arc<kato_dashboard_core::redact::Secrets>,
}

impl Hub {
    async fn run(
        mut self,
        mut inputs: mpsc::Receiver<HubInput>,
        interval: Duration,
        cancel: CancellationToken,
    ) {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = timer.tick() => self.tick(),
                input = inputs.recv() => match input {
                    Some(HubInput::State(state)) => { self.builder.set(state); }
                    Some(HubInput::Event(topic, msg)) => self.publish(topic, msg),
                    None => break,
                },
            }
        }
        tracing::debug!("hub stopped");
    }

    fn tick(&mut self) {
        let started = Instant::now();
        let tick = self.builder.build(Utc::now());
        self.ticks.send_replace(Arc::new(tick));
        let stats = &self.handle.stats;
        stats.ticks.fetch_add(1, Ordering::Relaxed);
        stats.tick_seconds.observe(started.elapsed());
        stats.last_tick_micros.store(
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn publish(&mut self, topic: Topic, mut msg: ServerMsg) {
        let now = Utc::now();
        let frame = {
            let mut guard = self
                .handle
                .replay
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(buffer) = guard.slot(topic) else {
                tracing::error!(%topic, "event published on a state topic; dropped");
                return;
            };
            let seq = match seq_of(&msg) {
                0 => buffer.last_seq() + 1,
                given if given > buffer.last_seq() => given,
                given => {
                    tracing::error!(%topic, given, last = buffer.last_seq(), "event numbered out of order; dropped");
                    return;
                }
            };
            set_seq(&mut msg, seq);
            let text = match serde_json::to_string(&msg) {
                Ok(text) => self.secrets.redact(&text).into_owned(),
                Err(e) => {
                    tracing::error!(error = %e, %topic, "cannot serialize event; dropped");
                    return;
                }
            };
            let frame = Arc::new(EventFrame::new(topic, seq, now, text.into()).with_msg(msg));
            buffer.push(frame.clone(), now);
            frame
        };
        self.handle.stats.events.fetch_add(1, Ordering::Relaxed);
        // No receivers is fine: the event stays in the replay buffer for clients that resume.
        let _ = self.handle.events.send(frame);
    }
}

fn seq_of(msg: &ServerMsg) -> u64 {
    match msg {
        ServerMsg::SessionEvent { seq, .. }
        | ServerMsg::SystemAlert { seq, .. }
        | ServerMsg::AlertUpdate { seq, .. }
        | ServerMsg::KatoEvent { seq, .. } => *seq,
        _ => 0,
    }
}

fn set_seq(msg: &mut ServerMsg, value: u64) {
    match msg {
        ServerMsg::SessionEvent { seq, .. }
        | ServerMsg::SystemAlert { seq, .. }
        | ServerMsg::AlertUpdate { seq, .. }
        | ServerMsg::KatoEvent { seq, .. } => {
            *seq = value;
        }
        _ => {}
    }
}
