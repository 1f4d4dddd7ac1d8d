//! The dashboard's own metrics, in Prometheus text format at `GET /metrics`.
//!
//! Counters live where the work happens and are plain atomics (a `/ws` send costs one relaxed add per counter,
//! whatever the number of clients): [`WsTraffic`] in the WebSocket limits, [`Histogram`] of tick durations in
//! the hub, [`CollectorStats`] in the collectors. [`render`] reads them all at scrape time, together with KATO's
//! request accounting, each upstream's state and the alert engine's transitions. No global registry.

mod render;

use std::sync::atomic::{AtomicU64, Ordering};

pub use render::{CONTENT_TYPE, render};

/// Upper bounds (seconds) of every histogram's buckets; `+Inf` is implied.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A Prometheus histogram of durations, lock-free.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Sum of observations, in nanoseconds.
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, d: std::time::Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Cumulative bucket counts (one per [`BUCKETS`] entry, then `+Inf`), sum in seconds, count.
    pub fn snapshot(&self) -> (Vec<u64>, f64, u64) {
        let mut acc = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                acc += b.load(Ordering::Relaxed);
                acc
            })
            .collect();
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        (cumulative, sum, self.count.load(Ordering::Relaxed))
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
            Topic::Metrics | Topic::Containers | Topic::Sessions => FrameKind::State,
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
#[derive(Debug, Default)]
pub struct WsTraffic {
    messages: [AtomicU64; 5],
    bytes: [AtomicU64; 5],
    /// `resync` frames sent (a client fell too far behind or asked for events no longer kept).
    pub resyncs: AtomicU64,
    ends: [AtomicU64; 5],
    /// Per fan-out shard and tick: from the tick's timestamp until the shard has handed its last frame to the
    /// kernel (the server's share of tick → client latency).
    pub fanout_seconds: Histogram,
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
        self.messages[stream.index()].fetch_add(frames, Ordering::Relaxed);
        self.bytes[stream.index()].fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts a disconnect; `reason` is an index into [`END_REASONS`].
    pub fn ended(&self, reason: usize) {
        if let Some(c) = self.ends.get(reason) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Frames and bytes sent on `stream`.
    pub fn totals(&self, stream: FrameKind) -> (u64, u64) {
        (
            self.messages[stream.index()].load(Ordering::Relaxed),
            self.bytes[stream.index()].load(Ordering::Relaxed),
        )
    }

    /// Disconnects per [`END_REASONS`] entry.
    pub fn ends(&self) -> [u64; 5] {
        std::array::from_fn(|i| self.ends[i].load(Ordering::Relaxed))
    }
}

/// One collector's rounds: how long each took and how many failed.
#[derive(Debug, Default)]
pub struct CollectorRound {
    /// Round durations (the upstream calls of one poll).
    pub latency: Histogram,
    /// Rounds that failed.
    pub errors: AtomicU64,
}

impl CollectorRound {
    /// Records one round.
    pub fn record(&self, took: std::time::Duration, ok: bool) {
        self.latency.observe(took);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
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
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_sum_in_seconds() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let (buckets, sum, count) = h.snapshot();
        assert_eq!(count, 3);
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        assert_eq!(buckets[0], 1, "0.1 ms ≤ 0.5 ms");
        assert_eq!(buckets[3], 2, "3 ms ≤ 5 ms");
        assert_eq!(
            buckets[BUCKETS.len() - 1],
            2,
            "10 s is above the last bound"
        );
        assert_eq!(buckets[BUCKETS.len()], 3, "+Inf holds everything");
        assert!((sum - 10.0031).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn traffic_counts_per_stream_and_reason() {
        let t = WsTraffic::default();
        t.sent(FrameKind::State, 100);
        t.sent(FrameKind::State, 50);
        t.sent(
            FrameKind::of_topic(kato_dashboard_core::protocol::Topic::KatoEvents),
            7,
        );
        t.ended(2);
        t.ended(99);
        assert_eq!(t.totals(FrameKind::State), (2, 150));
        assert_eq!(t.totals(FrameKind::KatoEvents), (1, 7));
        assert_eq!(t.totals(FrameKind::Control), (0, 0));
        assert_eq!(t.ends(), [0, 0, 1, 0, 0]);
    }
}
