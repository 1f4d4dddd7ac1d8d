//! Prometheus text exposition (format 0.0.4) of everything the dashboard counts about itself.

use std::{fmt::Write, sync::atomic::Ordering};

use super::{BUCKETS, END_REASONS, FrameKind, Histogram};
use crate::state::AppState;

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes one metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    let (cumulative, sum, count) = h.snapshot();
    let sep = if labels.is_empty() { "" } else { "," };
    for (i, n) in cumulative.iter().enumerate() {
        let le = BUCKETS
            .get(i)
            .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {n}");
    }
    sample(out, &format!("{name}_sum"), labels, sum);
    sample(out, &format!("{name}_count"), labels, count);
}

/// The whole exposition.
pub fn render(state: &AppState) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let o = &mut out;

    family(
        o,
        "kato_dashboard_build_info",
        "gauge",
        "Version of this dashboard.",
    );
    sample(
        o,
        "kato_dashboard_build_info",
        &format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        1,
    );
    family(
        o,
        "kato_dashboard_uptime_seconds",
        "gauge",
        "Seconds since the dashboard started serving.",
    );
    sample(
        o,
        "kato_dashboard_uptime_seconds",
        "",
        state.started_at.elapsed().as_secs_f64(),
    );

    // --- /ws ---
    let ws = &state.ws_limits;
    family(
        o,
        "kato_dashboard_ws_connections",
        "gauge",
        "Open /ws connections.",
    );
    sample(o, "kato_dashboard_ws_connections", "", ws.open());
    family(
        o,
        "kato_dashboard_ws_connections_max",
        "gauge",
        "Configured /ws connection cap.",
    );
    sample(o, "kato_dashboard_ws_connections_max", "", ws.max);
    family(
        o,
        "kato_dashboard_ws_accepted_total",
        "counter",
        "/ws connections accepted.",
    );
    sample(
        o,
        "kato_dashboard_ws_accepted_total",
        "",
        ws.accepted.load(Ordering::Relaxed),
    );
    family(
        o,
        "kato_dashboard_ws_refused_total",
        "counter",
        "/ws upgrades refused (connection cap or Origin).",
    );
    sample(
        o,
        "kato_dashboard_ws_refused_total",
        "",
        ws.refused.load(Ordering::Relaxed),
    );
    family(
        o,
        "kato_dashboard_ws_messages_sent_total",
        "counter",
        "Frames sent to /ws clients, per stream.",
    );
    for s in FrameKind::ALL {
        sample(
            o,
            "kato_dashboard_ws_messages_sent_total",
            &format!("stream=\"{}\"", s.label()),
            ws.traffic.totals(s).0,
        );
    }
    family(
        o,
        "kato_dashboard_ws_bytes_sent_total",
        "counter",
        "Payload bytes sent to /ws clients, per stream.",
    );
    for s in FrameKind::ALL {
        sample(
            o,
            "kato_dashboard_ws_bytes_sent_total",
            &format!("stream=\"{}\"", s.label()),
            ws.traffic.totals(s).1,
        );
    }
    family(
        o,
        "kato_dashboard_ws_resyncs_total",
        "counter",
        "resync frames sent to clients that fell behind.",
    );
    sample(
        o,
        "kato_dashboard_ws_resyncs_total",
        "",
        ws.traffic.resyncs.load(Ordering::Relaxed),
    );
    family(
        o,
        "kato_dashboard_ws_disconnects_total",
        "counter",
        "Ended /ws connections, per reason (stalled = dropped slow client).",
    );
    for (reason, n) in END_REASONS.iter().zip(ws.traffic.ends()) {
        sample(
            o,
            "kato_dashboard_ws_disconnects_total",
            &format!("reason=\"{reason}\""),
            n,
        );
    }

    // --- hub ---
    let hub = &state.hub.stats;
    family(
        o,
        "kato_dashboard_hub_ticks_total",
        "counter",
        "Broadcast ticks built.",
    );
    sample(
        o,
        "kato_dashboard_hub_ticks_total",
        "",
        hub.ticks.load(Ordering::Relaxed),
    );
    family(
        o,
        "kato_dashboard_hub_tick_duration_seconds",
        "histogram",
        "Time to build one tick (every topic combination serialized once).",
    );
    histogram(
        o,
        "kato_dashboard_hub_tick_duration_seconds",
        "",
        &hub.tick_seconds,
    );
    family(
        o,
        "kato_dashboard_hub_events_total",
        "counter",
        "Events published on the event topics.",
    );
    sample(
        o,
        "kato_dashboard_hub_events_total",
        "",
        hub.events.load(Ordering::Relaxed),
    );

    // --- collectors and upstreams ---
    let collectors = &state.collected.stats;
    family(
        o,
        "kato_dashboard_collector_round_duration_seconds",
        "histogram",
        "Duration of one collector round (its upstream calls).",
    );
    for (name, round) in collectors.rounds() {
        histogram(
            o,
            "kato_dashboard_collector_round_duration_seconds",
            &format!("collector=\"{name}\""),
            &round.latency,
        );
    }
    family(
        o,
        "kato_dashboard_collector_errors_total",
        "counter",
        "Collector rounds that failed.",
    );
    for (name, round) in collectors.rounds() {
        sample(
            o,
            "kato_dashboard_collector_errors_total",
            &format!("collector=\"{name}\""),
            round.errors.load(Ordering::Relaxed),
        );
    }
    let kato = state.kato.request_stats();
    family(
        o,
        "kato_dashboard_kato_requests_total",
        "counter",
        "Requests to KATO, per outcome (the true error rate comes from these).",
    );
    for (outcome, n) in [
        ("ok", kato.succeeded),
        ("not_found", kato.not_found),
        ("timeout", kato.timeouts),
        ("unreachable", kato.unreachable),
        ("http_error", kato.http_errors),
        ("decode_error", kato.decode_errors),
        ("upstream_error", kato.upstream_errors),
        ("invalid_request", kato.invalid_requests),
    ] {
        sample(
            o,
            "kato_dashboard_kato_requests_total",
            &format!("outcome=\"{outcome}\""),
            n,
        );
    }
    if let Some(docker) = &state.collected.docker {
        let snap = docker.current();
        family(
            o,
            "kato_dashboard_docker_up",
            "gauge",
            "1 while the Docker engine answers.",
        );
        sample(
            o,
            "kato_dashboard_docker_up",
            "",
            u8::from(snap.docker.is_ok()),
        );
        family(
            o,
            "kato_dashboard_containers_missing",
            "gauge",
            "Monitored containers that do not exist.",
        );
        sample(
            o,
            "kato_dashboard_containers_missing",
            "",
            snap.missing.len(),
        );
    }

    out
}
