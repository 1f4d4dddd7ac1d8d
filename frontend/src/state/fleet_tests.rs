//! The fleet's view model against `metrics` and `instances` payloads as the server sends them.

use serde_json::{Value, json};

use super::*;
use crate::state::metrics::MetricsState;

fn instance(id: &str, up: bool, rps: f64, error_rate: f64) -> Value {
    let source = if up {
        json!({"state": "ok"})
    } else {
        json!({"state": "unavailable", "reason": "connection refused", "since": "2026-11-22T08:00:00.000Z"})
    };
    json!({"id": id, "url": format!("http://{id}"), "origin": "static", "source": source,
        "status": if up { json!("healthy") } else { Value::Null }, "generation": "v3",
        "uptime_seconds": if up { json!(120.0) } else { Value::Null }, "restarts": 1,
        "last_restart_at": "2026-11-22T07:58:00.000Z",
        "requests_per_second": if up { json!(rps) } else { Value::Null },
        "error_rate": if up { json!(error_rate) } else { Value::Null }, "error_rate_requests": 400,
        "latency_ms": if up { json!(4.2) } else { Value::Null }, "poll_latency_ms": 1.5,
        "cpu_percent": if up { json!(30.0) } else { Value::Null }, "memory_percent": 40.0, "processors": 2,
        "last_ok_at": "2026-11-22T08:08:30.000Z"})
}

/// A fleet's `metrics` value (the aggregate) and its `instances` value.
fn fleet(updated: &str, instances: Vec<Value>) -> (Value, Value) {
    let metrics = json!({
        "performance": {"average_response_time": 0.004, "error_rate": 0.0, "total_requests": 900.0},
        "resources": {"cpu_percent": 30.0, "memory_percent": 40.0, "disk_percent": 10.0},
        "timestamp": 1795334912.5,
        "derived": {"source": {"state": "ok"}, "kato_status": "healthy", "generation": "v3",
            "requests_per_second": 9.0, "error_rate": 0.01, "updated_at": updated, "restarts": 3}
    });
    let total = instances.len();
    (
        metrics,
        json!({"fleet": true, "instances": instances, "healthy": 0, "total": total}),
    )
}

/// Both values applied, as the socket delivers them.
fn apply(s: &mut MetricsState, (metrics, instances): (Value, Value), now_ms: f64) {
    s.apply(&metrics, now_ms);
    s.apply_instances(&instances, now_ms);
}

/// The view after both values.
fn view_of(values: (Value, Value)) -> MetricsView {
    let mut s = MetricsState::default();
    apply(&mut s, values, 1.0);
    s.view.unwrap()
}

#[test]
fn a_fleet_reading_lists_its_instances() {
    let v = view_of(fleet(
        "2026-11-22T08:08:32.000Z",
        vec![
            instance("a:8000", true, 4.0, 0.02),
            instance("b:8000", false, 0.0, 0.0),
        ],
    ));
    assert_eq!(
        v.requests_per_second,
        Some(9.0),
        "the rest is the aggregate"
    );
    let [a, b] = &v.instances[..] else {
        panic!("two instances: {:?}", v.instances);
    };
    assert_eq!(
        (a.id.as_str(), a.url.as_deref()),
        ("a:8000", Some("http://a:8000"))
    );
    assert_eq!((a.status_label(), a.tone()), ("healthy", "ok"));
    assert_eq!(
        (a.requests_per_second, a.latency_ms),
        (Some(4.0), Some(4.2))
    );
    assert_eq!(a.generation, "v3");
    assert!(a.is_healthy() && !a.discovered);
    let at = a.updated_at_ms.unwrap();
    assert_eq!(a.uptime_at(at + 5000.0), Some(125.0), "uptime counts on");
    assert_eq!((b.status_label(), b.tone()), ("unreachable", "bad"));
    assert_eq!(b.down_reason(), Some("connection refused"));
    assert!(!b.is_healthy());
    assert_eq!(b.requests_per_second, None, "not known, never 0");
    assert_eq!(healthy_of(&v.instances), (1, 2));
    assert_eq!(instances_of(&v).len(), 2);
}

#[test]
fn a_single_kato_is_one_row_made_of_the_aggregate() {
    let single = json!({
        "performance": {"average_response_time": 0.002, "total_requests": 10.0},
        "resources": {"cpu_percent": 12.0, "memory_percent": 34.0, "disk_percent": 1.0},
        "derived": {"source": {"state": "ok"}, "kato_status": "degraded", "generation": "v1",
            "kato_uptime_seconds": 60.0, "requests_per_second": 2.5, "error_rate": 0.0,
            "updated_at": "2026-11-22T08:08:32.000Z", "restarts": 2,
            "last_restart_at": "2026-11-22T08:00:00.000Z"}
    });
    let v = MetricsView::from_value(&single);
    assert!(
        v.instances.is_empty(),
        "no list on the wire for a single KATO"
    );
    let rows = instances_of(&v);
    let [one] = &rows[..] else {
        panic!("one row: {rows:?}");
    };
    assert_eq!((one.id.as_str(), one.url.as_deref()), (SINGLE_ID, None));
    assert_eq!((one.status_label(), one.tone()), ("degraded", "warn"));
    assert!(one.is_healthy(), "degraded still serves");
    assert_eq!((one.requests_per_second, one.cpu), (Some(2.5), Some(12.0)));
    assert_eq!((one.restarts, one.generation.as_str()), (2.0, "v1"));
    assert!(one.last_restart_ms.is_some());
    let down = MetricsView::from_value(&json!({"error": "timeout", "derived": {
        "source": {"state": "unavailable", "reason": "timeout", "since": "2026-11-22T08:00:00.000Z"},
        "updated_at": "2026-11-22T08:00:05.000Z"}}));
    let row = InstanceView::single(&down);
    assert_eq!(
        (row.status_label(), row.down_reason()),
        ("unreachable", Some("timeout"))
    );
    let nothing = InstanceView::single(&MetricsView::default());
    assert_eq!(
        (nothing.status_label(), nothing.tone()),
        ("waiting", "idle")
    );
}

#[test]
fn each_instance_keeps_a_short_history_and_gone_ones_are_dropped() {
    let mut s = MetricsState::default();
    let two = |t: &str, rps: f64| {
        fleet(
            t,
            vec![
                instance("a:8000", true, rps, 0.02),
                instance("b:8000", true, 1.0, 0.0),
            ],
        )
    };
    apply(&mut s, two("2026-11-22T08:08:30.000Z", 4.0), 1.0);
    apply(&mut s, two("2026-11-22T08:08:30.000Z", 4.0), 2.0);
    apply(&mut s, two("2026-11-22T08:08:32.000Z", 5.0), 3.0);
    let a = s.fleet.of("a:8000").unwrap();
    assert_eq!(a.rps.len(), 2, "the same reading twice is one point");
    assert_eq!(a.rps.last().map(|p| p.1), Some(5.0));
    assert_eq!(a.errors.last().map(|p| p.1), Some(2.0), "in %");
    let b_down = fleet(
        "2026-11-22T08:08:34.000Z",
        vec![
            instance("a:8000", true, 6.0, 0.0),
            instance("b:8000", false, 0.0, 0.0),
        ],
    );
    apply(&mut s, b_down, 4.0);
    assert_eq!(
        s.fleet.of("b:8000").unwrap().rps.len(),
        2,
        "no point while down"
    );
    apply(
        &mut s,
        fleet(
            "2026-11-22T08:08:36.000Z",
            vec![instance("a:8000", true, 6.0, 0.0)],
        ),
        5.0,
    );
    assert!(s.fleet.of("b:8000").is_none(), "left the fleet");
    assert_eq!(s.fleet.len(), 1);
    assert!(s.fleet.of("a:8000").unwrap().rps.len() <= INSTANCE_POINTS);
}

#[test]
fn metrics_and_http_readings_keep_the_rows_of_the_instances_topic() {
    let mut s = MetricsState::default();
    apply(
        &mut s,
        fleet(
            "2026-11-22T08:08:40.000Z",
            vec![instance("a:8000", true, 7.0, 0.0)],
        ),
        1.0,
    );
    let (metrics, _) = fleet("2026-11-22T08:08:42.000Z", Vec::new());
    s.apply(&metrics, 2.0);
    assert_eq!(
        s.view.as_ref().unwrap().instances.len(),
        1,
        "a metrics reading lists none: the rows stay"
    );
    let raw = json!({"performance": {"total_requests": 2000.0}, "timestamp": 1795335999.0});
    assert!(s.apply_http(&raw, 3.0));
    let v = s.view.as_ref().unwrap();
    assert_eq!(
        v.instances.len(),
        1,
        "KATO's raw /metrics lists none: the rows stay"
    );
    s.apply_instances(
        &json!({"fleet": false, "instances": [], "healthy": 0, "total": 0}),
        4.0,
    );
    assert!(
        s.view.as_ref().unwrap().instances.is_empty(),
        "a single KATO: no rows"
    );
}

#[test]
fn the_table_filters_by_status_and_sorts_unknowns_last() {
    let v = view_of(fleet(
        "2026-11-22T08:08:32.000Z",
        vec![
            instance("c:8000", true, 1.0, 0.0),
            instance("a:8000", true, 9.0, 0.1),
            instance("b:8000", false, 0.0, 0.0),
        ],
    ));
    let ids = |rows: Vec<InstanceView>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut q = InstanceQuery::default();
    assert_eq!(
        ids(q.rows(&v.instances)),
        vec!["a:8000", "b:8000", "c:8000"]
    );
    q.toggle_sort(InstanceSort::Id);
    assert_eq!(
        ids(q.rows(&v.instances)),
        vec!["c:8000", "b:8000", "a:8000"]
    );
    q.toggle_sort(InstanceSort::Rps);
    assert!(q.desc, "a figure opens largest first");
    assert_eq!(
        ids(q.rows(&v.instances)),
        vec!["a:8000", "c:8000", "b:8000"]
    );
    q.toggle_sort(InstanceSort::Rps);
    assert_eq!(
        ids(q.rows(&v.instances)),
        vec!["c:8000", "a:8000", "b:8000"],
        "unknown stays last"
    );
    q.toggle_sort(InstanceSort::Status);
    assert_eq!(ids(q.rows(&v.instances))[0], "b:8000", "worst first");
    q.filter = StatusFilter::Unhealthy;
    assert_eq!(ids(q.rows(&v.instances)), vec!["b:8000"]);
    q.filter = StatusFilter::Healthy;
    assert_eq!(ids(q.rows(&v.instances)).len(), 2);
}

#[test]
fn a_short_history_fills_the_sparkline() {
    let now = 1_000_000.0;
    assert_eq!(spark_window(&[], now), (now - SPARK_WINDOW_MS, now));
    let recent = [(now - 60_000.0, 1.0), (now - 1_000.0, 2.0)];
    assert_eq!(spark_window(&recent, now), (now - 60_000.0, now));
    let old = [(now - 900_000.0, 1.0), (now - 1_000.0, 2.0)];
    assert_eq!(
        spark_window(&old, now),
        (now - SPARK_WINDOW_MS, now),
        "never more than five minutes"
    );
    let one = [(now, 1.0)];
    assert_eq!(
        spark_window(&one, now),
        (now - 1000.0, now),
        "never an empty span"
    );
}
