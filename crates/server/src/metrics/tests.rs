//! The metric types and adaptors, encoded the way `GET /metrics` encodes them.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use prometheus_client::{
    encoding::prometheus_text,
    metrics::{counter::ConstCounter, gauge::ConstGauge},
    registry::Registry,
};

use super::{
    series::{Labelled, Scraped},
    *,
};

fn exposition(register: impl FnOnce(&mut Registry)) -> String {
    let mut registry = Registry::with_prefix("kato_dashboard");
    register(&mut registry);
    let mut out = String::new();
    prometheus_text::encode(&mut out, &registry).unwrap();
    out
}

#[test]
fn histogram_buckets_are_cumulative_and_sum_in_seconds() {
    let h = Histogram::default();
    h.observe(Duration::from_micros(100));
    h.observe(Duration::from_millis(3));
    h.observe(Duration::from_secs(10));
    let text = exposition(|r| r.register("tick_duration_seconds", "Tick time", h.0.clone()));
    let bucket = |le: &str| format!("kato_dashboard_tick_duration_seconds_bucket{{le=\"{le}\"}} ");
    for (le, n) in [
        ("0.0005", 1),
        ("0.005", 2),
        ("1", 2),
        ("2.5", 2),
        ("+Inf", 3),
    ] {
        assert!(
            text.contains(&format!("{}{n}\n", bucket(le))),
            "le={le}: {text}"
        );
    }
    assert_eq!(text.matches("_bucket{").count(), BUCKETS.len() + 1);
    assert!(text.contains("# TYPE kato_dashboard_tick_duration_seconds histogram\n"));
    assert!(text.contains("kato_dashboard_tick_duration_seconds_count 3\n"));
    let sum: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("kato_dashboard_tick_duration_seconds_sum "))
        .unwrap()
        .parse()
        .unwrap();
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
    t.sent_many(FrameKind::Control, 3, 0);
    t.ended(2);
    t.ended(99);
    let total = |family: &Labelled<Counter, 5>, i: usize| family.get(i).unwrap().get();
    assert_eq!((total(&t.messages, 0), total(&t.bytes, 0)), (2, 150));
    assert_eq!((total(&t.messages, 3), total(&t.bytes, 3)), (1, 7));
    assert_eq!(
        (total(&t.messages, 4), total(&t.bytes, 4)),
        (0, 0),
        "no byte, no frame"
    );
    assert_eq!([0, 1, 2, 3, 4].map(|i| total(&t.ends, i)), [0, 0, 1, 0, 0]);
}

#[test]
fn families_keep_their_label_order_counters_get_total_and_scraped_values_are_read_late() {
    let t = WsTraffic::default();
    t.ended(4);
    let kept_elsewhere = std::sync::Arc::new(AtomicU64::new(1));
    let read = kept_elsewhere.clone();
    let text = exposition(|r| {
        r.register("ws_disconnects", "Ended connections", t.ends.clone());
        r.register(
            "hub_ticks",
            "Ticks",
            Scraped(move || ConstCounter::new(read.load(Ordering::Relaxed))),
        );
        r.register("ws_connections_max", "Cap", ConstGauge::new(7usize));
    });
    kept_elsewhere.store(5, Ordering::Relaxed);
    t.ended(4);
    let again = exposition(|r| {
        let read = kept_elsewhere.clone();
        r.register(
            "hub_ticks",
            "Ticks",
            Scraped(move || ConstCounter::new(read.load(Ordering::Relaxed))),
        );
    });
    let expected = "\
# HELP kato_dashboard_ws_disconnects_total Ended connections.
# TYPE kato_dashboard_ws_disconnects_total counter
kato_dashboard_ws_disconnects_total{reason=\"client_closed\"} 0
kato_dashboard_ws_disconnects_total{reason=\"heartbeat_timeout\"} 0
kato_dashboard_ws_disconnects_total{reason=\"stalled\"} 0
kato_dashboard_ws_disconnects_total{reason=\"closed_by_server\"} 0
kato_dashboard_ws_disconnects_total{reason=\"shutdown\"} 1
# HELP kato_dashboard_hub_ticks_total Ticks.
# TYPE kato_dashboard_hub_ticks_total counter
kato_dashboard_hub_ticks_total 1
# HELP kato_dashboard_ws_connections_max Cap.
# TYPE kato_dashboard_ws_connections_max gauge
kato_dashboard_ws_connections_max 7
";
    assert_eq!(text, expected);
    assert!(
        again.ends_with("kato_dashboard_hub_ticks_total 5\n"),
        "{again}"
    );
    assert_eq!(
        t.ends.get(4).unwrap().get(),
        2,
        "the registry shares the counters"
    );
}

#[test]
fn a_collector_round_counts_failures_only() {
    let stats = CollectorStats::default();
    stats.kato_stats.record(Duration::from_millis(2), true);
    stats.kato_stats.record(Duration::from_millis(2), false);
    assert_eq!(stats.kato_stats.errors.get(), 1);
    assert_eq!(stats.kato_metrics.errors.get(), 0);
    let [(name, _), ..] = stats.rounds();
    assert_eq!(name, "kato_metrics");
}
