//! [`Metrics`]: the `prometheus-client` registry behind `GET /metrics`, encoded in the Prometheus text format
//! 0.0.4. Families are registered in the order the exposition lists them; names leave out the `kato_dashboard_`
//! prefix (the registry adds it), `_total` (added to counters) and `_info`, and help texts their final period
//! (added by the registry).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use kato_dashboard_kato::KatoClient;
use prometheus_client::{
    encoding::prometheus_text,
    metrics::{counter::ConstCounter, gauge::ConstGauge, info::Info},
    registry::Registry,
};

use super::series::{Labelled, Scraped};
use crate::{
    alerts::AlertService, collectors::Collected, hub::HubStats, serve::HttpConns, ws::WsLimits,
};

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Where the registered metrics come from: handles `AppState::start` has built.
pub struct Sources<'a> {
    /// When the dashboard started serving.
    pub started_at: Instant,
    /// The total connection cap and its counters.
    pub http: &'a Arc<HttpConns>,
    /// `/ws` limits, counters and traffic.
    pub ws: &'a Arc<WsLimits>,
    /// The hub's counters and tick histogram.
    pub hub: &'a Arc<HubStats>,
    /// Collector rounds and the Docker collector.
    pub collected: &'a Collected,
    /// KATO's request accounting.
    pub kato: &'a KatoClient,
    /// Alert engine transitions and webhook deliveries.
    pub alerts: &'a AlertService,
    /// The history on disk.
    pub recorder: &'a crate::recorder::Recorder,
}

/// Every metric the dashboard exposes about itself.
#[derive(Debug)]
pub struct Metrics(Registry);

impl Metrics {
    /// Registers everything; values kept elsewhere are read at each scrape.
    pub fn new(s: &Sources<'_>) -> Self {
        let mut r = Registry::with_prefix("kato_dashboard");
        let version = [("version", env!("CARGO_PKG_VERSION"))];
        r.register("build", "Version of this dashboard", Info::new(version));
        let started_at = s.started_at;
        r.register(
            "uptime_seconds",
            "Seconds since the dashboard started serving",
            Scraped(move || ConstGauge::new(started_at.elapsed().as_secs_f64())),
        );
        connections(&mut r, s.http, s.ws);
        ws(&mut r, s.ws);
        hub(&mut r, s.hub);
        upstreams(&mut r, s.collected, s.kato);
        alerts(&mut r, s.alerts);
        history(&mut r, s.recorder);
        Self(r)
    }

    /// The exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_text::encode(&mut out, &self.0)?;
        Ok(out)
    }
}

/// A counter another module keeps as an atomic inside `owner`, read at scrape time.
fn atomic<T: Send + Sync + 'static>(
    owner: &Arc<T>,
    field: fn(&T) -> &AtomicU64,
) -> Scraped<impl Fn() -> ConstCounter + Send + Sync + use<T>> {
    let owner = owner.clone();
    Scraped(move || ConstCounter::new(field(&owner).load(Ordering::Relaxed)))
}

fn connections(r: &mut Registry, http: &Arc<HttpConns>, ws: &Arc<WsLimits>) {
    let open = http.clone();
    r.register(
        "http_connections",
        "Open connections, HTTP and /ws",
        Scraped(move || ConstGauge::new(open.open())),
    );
    r.register(
        "http_connections_max",
        "Connection cap in force (HTTP_MAX_CONNECTIONS, lowered to fit the open-file limit)",
        ConstGauge::new(http.max),
    );
    r.register(
        "http_refused",
        "Connections answered 503 and closed at the cap",
        atomic(http, |h| &h.refused),
    );
    r.register(
        "http_accept_errors",
        "Failed accepts (for example, out of file descriptors)",
        atomic(http, |h| &h.accept_errors),
    );
    let open = ws.clone();
    r.register(
        "ws_connections",
        "Open /ws connections",
        Scraped(move || ConstGauge::new(open.open())),
    );
    r.register(
        "ws_connections_max",
        "Configured /ws connection cap",
        ConstGauge::new(ws.max),
    );
    r.register(
        "ws_accepted",
        "/ws connections accepted",
        atomic(ws, |w| &w.accepted),
    );
    r.register(
        "ws_refused",
        "/ws upgrades refused (connection cap or Origin)",
        atomic(ws, |w| &w.refused),
    );
}

fn ws(r: &mut Registry, ws: &Arc<WsLimits>) {
    let traffic = &ws.traffic;
    r.register(
        "ws_fanout_duration_seconds",
        "Per fan-out shard and tick: from the tick's timestamp until its last frame went to the kernel",
        traffic.fanout_seconds.0.clone(),
    );
    r.register(
        "ws_messages_sent",
        "Frames sent to /ws clients, per stream",
        traffic.messages.clone(),
    );
    r.register(
        "ws_bytes_sent",
        "Payload bytes sent to /ws clients, per stream",
        traffic.bytes.clone(),
    );
    r.register(
        "ws_resyncs",
        "resync frames sent to clients that fell behind",
        atomic(ws, |w| &w.traffic.resyncs),
    );
    r.register(
        "ws_disconnects",
        "Ended /ws connections, per reason (stalled = a slow client dropped)",
        traffic.ends.clone(),
    );
}

fn hub(r: &mut Registry, hub: &Arc<HubStats>) {
    r.register(
        "hub_ticks",
        "Broadcast ticks built",
        atomic(hub, |h| &h.ticks),
    );
    r.register(
        "hub_tick_duration_seconds",
        "Time to build one tick (every topic combination serialized once)",
        hub.tick_seconds.0.clone(),
    );
    r.register(
        "hub_events",
        "Events published on the event topics",
        atomic(hub, |h| &h.events),
    );
}

fn upstreams(r: &mut Registry, collected: &Collected, kato: &KatoClient) {
    let rounds = collected.stats.rounds();
    r.register(
        "collector_round_duration_seconds",
        "Duration of one collector round (its upstream calls)",
        Labelled::new(
            "collector",
            rounds.map(|(n, round)| (n, round.latency.0.clone())),
        ),
    );
    r.register(
        "collector_errors",
        "Collector rounds that failed",
        Labelled::new(
            "collector",
            rounds.map(|(n, round)| (n, round.errors.clone())),
        ),
    );
    let kato = kato.clone();
    r.register(
        "kato_requests",
        "Requests to KATO, per outcome (the true error rate comes from these)",
        Scraped(move || {
            let k = kato.request_stats();
            Labelled::new(
                "outcome",
                [
                    ("ok", k.succeeded),
                    ("not_found", k.not_found),
                    ("timeout", k.timeouts),
                    ("unreachable", k.unreachable),
                    ("http_error", k.http_errors),
                    ("decode_error", k.decode_errors),
                    ("upstream_error", k.upstream_errors),
                    ("invalid_request", k.invalid_requests),
                ]
                .map(|(outcome, n)| (outcome, ConstCounter::new(n))),
            )
        }),
    );
    if let Some(docker) = &collected.docker {
        let d = docker.clone();
        r.register(
            "docker_up",
            "1 while the Docker engine answers",
            Scraped(move || ConstGauge::new(i64::from(d.snapshot.borrow().docker.is_ok()))),
        );
        let d = docker.clone();
        r.register(
            "containers_missing",
            "Monitored containers that do not exist",
            Scraped(move || ConstGauge::new(d.snapshot.borrow().missing.len())),
        );
    }
}

fn alerts(r: &mut Registry, alerts: &AlertService) {
    let engine = alerts.clone();
    r.register(
        "alert_transitions",
        "Alert engine transitions since start, per kind",
        Scraped(move || {
            let counts = engine.transition_counts();
            Labelled::new("kind", counts.map(|(kind, n)| (kind, ConstCounter::new(n))))
        }),
    );
    if let Some(webhook) = alerts.webhook().cloned() {
        r.register(
            "alert_webhook_notifications",
            "Webhook notifications: delivered, failed after every retry, dropped (queue full), retried attempts",
            Scraped(move || {
                let w = webhook.stats();
                Labelled::new(
                    "outcome",
                    [
                        ("sent", &w.sent),
                        ("failed", &w.failed),
                        ("dropped", &w.dropped),
                        ("retried", &w.retries),
                    ]
                    .map(|(outcome, n)| (outcome, ConstCounter::new(n.load(Ordering::Relaxed)))),
                )
            }),
        );
    }
}

fn history(r: &mut Registry, recorder: &crate::recorder::Recorder) {
    let stats = &recorder.stats;
    r.register(
        "history_rounds",
        "Sampling rounds written to the history on disk",
        atomic(stats, |s| &s.rounds),
    );
    r.register(
        "history_write_failures",
        "Writes to the history on disk that failed (full disk, I/O errors)",
        atomic(stats, |s| &s.write_failures),
    );
    let bytes = stats.clone();
    r.register(
        "history_bytes",
        "Bytes the history uses on disk (file and journal), after the last roll-up",
        Scraped(move || ConstGauge::new(bytes.bytes.load(Ordering::Relaxed) as i64)),
    );
    let recording = recorder.clone();
    r.register(
        "history_recording",
        "1 while the history on disk records, 0 when it cannot (see /api/v1/system/history/series)",
        Scraped(move || ConstGauge::new(i64::from(recording.status().ok))),
    );
}
