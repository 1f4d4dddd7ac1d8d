//! The dashboard's own metrics, in Prometheus text format at `GET /metrics`, on `prometheus-client`.
//!
//! What the dashboard measures lives where the work happens, as `prometheus-client` counters and histograms:
//! [`WsTraffic`] in the WebSocket limits (a `/ws` send costs one relaxed atomic add per counter, whatever the
//! number of clients, and takes no lock), the [`Histogram`] of tick durations in the hub, [`CollectorStats`] in the
//! collectors. [`Metrics`] registers them, together with values other modules keep (connection counts, KATO's
//! request accounting, each upstream's state, the alert engine's transitions), read at scrape time. No global
//! registry: [`Metrics`] lives in `AppState`.

mod registry;
mod series;

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::{counter::Counter, histogram};

pub use registry::{CONTENT_TYPE, Metrics, Sources};
use series::Labelled;

/// Upper bounds (seconds) of every histogram's buckets; `+Inf` is implied.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A Prometheus histogram of durations over [`BUCKETS`].
///
/// An observation takes a short uncontended lock (`prometheus-client` keeps sum, count and buckets together):
/// fine once per tick, fan-out shard or collector round; never use one per frame.
#[derive(Debug, Clone)]
pub struct Histogram(histogram::Histogram);

impl Default for Histogram {
    fn default() -> Self {
        Self(histogram::Histogram::new(BUCKETS))
    }
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, d: std::time::Duration) {
        self.0.observe(d.as_secs_f64());
    }
}

/// What a `/ws` frame carries, for the per-stream traffic counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// `realtime_update` (full or delta) with the subscribed state topics.
    State,
    /// `session_event`.
    SessionEvents,
    /// `system_alert` and `alert_update`.
    SystemAlerts,
    /// `kato_event`.
    KatoEvents,
    /// `heartbeat`, `subscribed`, `error`, `resync`, `features` and other replies.
    Control,
}

impl FrameKind {
    /// Every stream, in label order.
    pub const ALL: [FrameKind; 5] = [
        FrameKind::State,
        FrameKind::SessionEvents,
        FrameKind::SystemAlerts,
        FrameKind::KatoEvents,
        FrameKind::Control,
    ];

    /// The `stream` label.
    pub fn label(self) -> &'static str {
        match self {
            FrameKind::State => "state",
            FrameKind::SessionEvents => "session_events",
            FrameKind::SystemAlerts => "system_alerts",
            FrameKind::KatoEvents => "kato_events",
            FrameKind::Control => "control",
        }
    }

    /// The stream of an event topic's frames.
    pub fn of_topic(topic: kato_dashboard_core::protocol::Topic) -> FrameKind {
        use kato_dashboard_core::protocol::Topic;
        match topic {
            Topic::SessionEvents => FrameKind::SessionEvents,
            Topic::SystemAlerts => FrameKind::SystemAlerts,
            Topic::KatoEvents => FrameKind::KatoEvents,
            Topic::Metrics | Topic::Containers | Topic::Sessions | Topic::Instances => {
                FrameKind::State
            }
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why a `/ws` connection ended (label values of `kato_dashboard_ws_disconnects_total`).
pub const END_REASONS: [&str; 5] = [
    "client_closed",
    "heartbeat_timeout",
    "stalled",
    "closed_by_server",
    "shutdown",
];

/// `/ws` traffic: frames and bytes per stream, resyncs, and disconnects per reason.
#[derive(Debug)]
pub struct WsTraffic {
    messages: Labelled<Counter, 5>,
    bytes: Labelled<Counter, 5>,
    /// `resync` frames sent (a client fell too far behind or asked for events no longer kept). A plain atomic
    /// that `ws::peer` bumps itself; the registry reads it at scrape time.
    pub resyncs: AtomicU64,
    ends: Labelled<Counter, 5>,
    /// Per fan-out shard and tick: from the tick's timestamp until the shard has handed its last frame to the
    /// kernel (the server's share of tick → client latency).
    pub fanout_seconds: Histogram,
}

impl Default for WsTraffic {
    fn default() -> Self {
        let per_stream = || {
            Labelled::new(
                "stream",
                FrameKind::ALL.map(|s| (s.label(), Counter::default())),
            )
        };
        Self {
            messages: per_stream(),
            bytes: per_stream(),
            resyncs: AtomicU64::new(0),
            ends: Labelled::new("reason", END_REASONS.map(|r| (r, Counter::default()))),
            fanout_seconds: Histogram::default(),
        }
    }
}

impl WsTraffic {
    /// Counts one frame of `len` bytes.
    pub fn sent(&self, stream: FrameKind, len: usize) {
        self.sent_many(stream, 1, len);
    }

    /// Counts `frames` frames of `bytes` bytes in all (nothing when no byte went out).
    pub fn sent_many(&self, stream: FrameKind, frames: u64, bytes: usize) {
        if bytes == 0 {
            return;
        }
        if let (Some(m), Some(b)) = (
            self.messages.get(stream.index()),
            self.bytes.get(stream.index()),
        ) {
            m.inc_by(frames);
            b.inc_by(bytes as u64);
        }
    }

    /// Counts a disconnect; `reason` is an index into [`END_REASONS`].
    pub fn ended(&self, reason: usize) {
        if let Some(c) = self.ends.get(reason) {
            c.inc();
        }
    }
}

/// One collector's rounds: how long each took and how many failed.
#[derive(Debug, Default)]
pub struct CollectorRound {
    /// Round durations (the upstream calls of one poll).
    pub latency: Histogram,
    /// Rounds that failed.
    pub errors: Counter,
}

impl CollectorRound {
    /// Records one round.
    pub fn record(&self, took: std::time::Duration, ok: bool) {
        self.latency.observe(took);
        if !ok {
            self.errors.inc();
        }
    }
}

/// Every polling collector's rounds (label `collector`).
#[derive(Debug, Default)]
pub struct CollectorStats {
    /// KATO `/metrics` every `KATO_METRICS_INTERVAL_SECONDS`.
    pub kato_metrics: CollectorRound,
    /// KATO `/health` + `/stats` every `KATO_STATS_INTERVAL_SECONDS`.
    pub kato_stats: CollectorRound,
    /// Redis `SCAN kato:session:*` reconciliation.
    pub redis_sessions: CollectorRound,
}

impl CollectorStats {
    /// `(label, round)` pairs.
    pub fn rounds(&self) -> [(&'static str, &CollectorRound); 3] {
        [
            ("kato_metrics", &self.kato_metrics),
            ("kato_stats", &self.kato_stats),
            ("redis_sessions", &self.redis_sessions),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
