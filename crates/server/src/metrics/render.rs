//! Prometheus text exposition (format 0.0.4) of everything the dashboard counts about itself.

use std::{fmt::Display, fmt::Write, sync::atomic::Ordering};

use super::{BUCKETS, END_REASONS, FrameKind, Histogram};
use crate::state::AppState;

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Builds the exposition: one family header, then its samples.
struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &str, value: impl Display) {
        if labels.is_empty() {
            let _ = writeln!(self.0, "{name} {value}");
        } else {
            let _ = writeln!(self.0, "{name}{{{labels}}} {value}");
        }
    }

    /// A family with one unlabelled sample.
    fn scalar(&mut self, name: &str, kind: &str, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, "", value);
    }

    /// A family with one sample per value of `label`.
    fn labelled<V: Display>(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        label: &str,
        samples: impl IntoIterator<Item = (&'static str, V)>,
    ) {
        self.family(name, kind, help);
        for (value_of_label, value) in samples {
            self.sample(name, &format!("{label}=\"{value_of_label}\""), value);
        }
    }

    fn histogram(&mut self, name: &str, labels: &str, h: &Histogram) {
        let (cumulative, sum, count) = h.snapshot();
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, n) in cumulative.iter().enumerate() {
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(self.0, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {n}");
        }
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, count);
    }
}

/// The whole exposition.
pub fn render(state: &AppState) -> String {
    let mut o = Out(String::with_capacity(8 * 1024));
    o.family(
        "kato_dashboard_build_info",
        "gauge",
        "Version of this dashboard.",
    );
    o.sample(
        "kato_dashboard_build_info",
        &format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        1,
    );
    o.scalar(
        "kato_dashboard_uptime_seconds",
        "gauge",
        "Seconds since the dashboard started serving.",
        state.started_at.elapsed().as_secs_f64(),
    );

    // --- connections ---
    let count = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let http = &state.http_conns;
    o.scalar(
        "kato_dashboard_http_connections",
        "gauge",
        "Open connections, HTTP and /ws.",
        http.open(),
    );
    o.scalar(
        "kato_dashboard_http_connections_max",
        "gauge",
        "Connection cap in force (HTTP_MAX_CONNECTIONS, lowered to fit the open-file limit).",
        http.max,
    );
    o.scalar(
        "kato_dashboard_http_refused_total",
        "counter",
        "Connections answered 503 and closed at the cap.",
        count(&http.refused),
    );
    o.scalar(
        "kato_dashboard_http_accept_errors_total",
        "counter",
        "Failed accepts (for example, out of file descriptors).",
        count(&http.accept_errors),
    );

    // --- /ws ---
    let ws = &state.ws_limits;
    o.scalar(
        "kato_dashboard_ws_connections",
        "gauge",
        "Open /ws connections.",
        ws.open(),
    );
    o.scalar(
        "kato_dashboard_ws_connections_max",
        "gauge",
        "Configured /ws connection cap.",
        ws.max,
    );
    o.scalar(
        "kato_dashboard_ws_accepted_total",
        "counter",
        "/ws connections accepted.",
        count(&ws.accepted),
    );
    o.scalar(
        "kato_dashboard_ws_refused_total",
        "counter",
        "/ws upgrades refused (connection cap or Origin).",
        count(&ws.refused),
    );
    o.family(
        "kato_dashboard_ws_fanout_duration_seconds",
        "histogram",
        "Per fan-out shard and tick: from the tick's timestamp until its last frame went to the kernel.",
    );
    o.histogram(
        "kato_dashboard_ws_fanout_duration_seconds",
        "",
        &ws.traffic.fanout_seconds,
    );
    let per_stream = |i: usize| {
        FrameKind::ALL.map(|s| {
            let totals = ws.traffic.totals(s);
            (s.label(), if i == 0 { totals.0 } else { totals.1 })
        })
    };
    o.labelled(
        "kato_dashboard_ws_messages_sent_total",
        "counter",
        "Frames sent to /ws clients, per stream.",
        "stream",
        per_stream(0),
    );
    o.labelled(
        "kato_dashboard_ws_bytes_sent_total",
        "counter",
        "Payload bytes sent to /ws clients, per stream.",
        "stream",
        per_stream(1),
    );
    o.scalar(
        "kato_dashboard_ws_resyncs_total",
        "counter",
        "resync frames sent to clients that fell behind.",
        count(&ws.traffic.resyncs),
    );
    o.labelled(
        "kato_dashboard_ws_disconnects_total",
        "counter",
        "Ended /ws connections, per reason (stalled = a slow client dropped).",
        "reason",
        END_REASONS.into_iter().zip(ws.traffic.ends()),
    );

    // --- hub ---
    let hub = &state.hub.stats;
    o.scalar(
        "kato_dashboard_hub_ticks_total",
        "counter",
        "Broadcast ticks built.",
        count(&hub.ticks),
    );
    o.family(
        "kato_dashboard_hub_tick_duration_seconds",
        "histogram",
        "Time to build one tick (every topic combination serialized once).",
    );
    o.histogram(
        "kato_dashboard_hub_tick_duration_seconds",
        "",
        &hub.tick_seconds,
    );
    o.scalar(
        "kato_dashboard_hub_events_total",
        "counter",
        "Events published on the event topics.",
        count(&hub.events),
    );

    // --- collectors and upstreams ---
    let rounds = state.collected.stats.rounds();
    o.family(
        "kato_dashboard_collector_round_duration_seconds",
        "histogram",
        "Duration of one collector round (its upstream calls).",
    );
    for (name, round) in rounds {
        o.histogram(
            "kato_dashboard_collector_round_duration_seconds",
            &format!("collector=\"{name}\""),
            &round.latency,
        );
    }
    o.labelled(
        "kato_dashboard_collector_errors_total",
        "counter",
        "Collector rounds that failed.",
        "collector",
        rounds.map(|(name, round)| (name, count(&round.errors))),
    );
    let kato = state.kato.request_stats();
    o.labelled(
        "kato_dashboard_kato_requests_total",
        "counter",
        "Requests to KATO, per outcome (the true error rate comes from these).",
        "outcome",
        [
            ("ok", kato.succeeded),
            ("not_found", kato.not_found),
            ("timeout", kato.timeouts),
            ("unreachable", kato.unreachable),
            ("http_error", kato.http_errors),
            ("decode_error", kato.decode_errors),
            ("upstream_error", kato.upstream_errors),
            ("invalid_request", kato.invalid_requests),
        ],
    );
    if let Some(docker) = &state.collected.docker {
        let snap = docker.current();
        o.scalar(
            "kato_dashboard_docker_up",
            "gauge",
            "1 while the Docker engine answers.",
            u8::from(snap.docker.is_ok()),
        );
        o.scalar(
            "kato_dashboard_containers_missing",
            "gauge",
            "Monitored containers that do not exist.",
            snap.missing.len(),
        );
    }

    // --- alerts ---
    o.labelled(
        "kato_dashboard_alert_transitions_total",
        "counter",
        "Alert engine transitions since start, per kind.",
        "kind",
        state.alerts.transition_counts(),
    );
    if let Some(webhook) = state.alerts.webhook() {
        let w = webhook.stats();
        o.labelled(
            "kato_dashboard_alert_webhook_notifications_total",
            "counter",
            "Webhook notifications: delivered, failed after every retry, dropped (queue full), retried attempts.",
            "outcome",
            [
                ("sent", count(&w.sent)),
                ("failed", count(&w.failed)),
                ("dropped", count(&w.dropped)),
                ("retried", count(&w.retries)),
            ],
        );
    }
    o.0
}
