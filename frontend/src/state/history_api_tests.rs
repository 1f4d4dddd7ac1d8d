//! Tests of the history answers: parsing, gaps, merging the live edge, sums, queries, store status and the
//! "no data" texts.

use serde_json::json;

use super::*;

fn answer() -> Value {
    json!({
        "from": 1_765_100_000, "to": 1_765_103_600, "step": 60, "tier": "1m",
        "series": [
            {"name": "kato.cpu_percent", "kind": "gauge",
             "points": [[1_765_100_000, 1.0, 2.0, 3.0, 20.0, 10], [1_765_100_060, 1.0, null, 3.0, 20.0, 10],
                        [1_765_100_180, 4.0, 5.0, 6.0, 50.0, 10]]},
            {"name": "sessions.created", "kind": "count", "points": [[1_765_100_000, 1, 1, 1, 7, 7]]},
            {"name": "alerts.fired.high_cpu", "kind": "count", "points": []},
            {"name": "kb.node-a.patterns", "kind": "gauge", "points": []},
            {"name": "kb.node-a.symbols", "kind": "gauge", "points": []},
            {"kind": "gauge", "points": []}
        ],
        "markers": [
            {"t": 1_765_100_100, "kind": "alert", "label": "high_cpu kato", "severity": "warning"},
            {"t": 1_765_100_200, "kind": "kato_restart", "label": "kato", "severity": "info"},
            {"kind": "alert"}
        ]
    })
}

#[test]
fn answers_become_series_with_gaps_and_markers() {
    let h = HistoryData::from_value(&answer()).unwrap();
    assert_eq!(
        (h.from_ms, h.to_ms, h.step_s),
        (1_765_100_000_000.0, 1_765_103_600_000.0, 60.0)
    );
    assert_eq!(h.tier, "1m");
    assert_eq!(h.series.len(), 5, "a series without a name is skipped");
    let cpu = h.get("kato.cpu_percent").unwrap();
    assert!(!cpu.count);
    assert_eq!(
        cpu.values(),
        vec![(1_765_100_000_000.0, 2.0), (1_765_100_180_000.0, 5.0)],
        "gauges plot the mean; a bucket without one is left out"
    );
    let created = h.get("sessions.created").unwrap();
    assert!(created.count);
    assert_eq!(
        created.values(),
        vec![(1_765_100_000_000.0, 7.0)],
        "counts plot the sum"
    );
    assert_eq!(created.total(), 7.0);
    // The missing bucket at +120 s is a gap: 180 s apart > 1.5 steps.
    assert_eq!(h.gap_ms(), 90_000.0);
    let g = crate::state::history::geometry(&cpu.values(), h.from_ms, h.to_ms, 10.0, h.gap_ms());
    assert_eq!(g.line.matches('M').count(), 2, "{}", g.line);
    assert_eq!(h.markers.len(), 2, "a marker without a time is skipped");
    assert_eq!(h.markers[0].tone(), "warn");
    assert_eq!(h.markers[1].tone(), "info");
    let kbs: Vec<&str> = h
        .matching("kb.", ".patterns")
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(kbs, vec!["node-a"]);
    let rules: Vec<&str> = h
        .matching("alerts.fired.", "")
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(rules, vec!["high_cpu"]);
    assert!(HistoryData::from_value(&json!({"error": "x"})).is_err());
}

#[test]
fn marker_tones_follow_kind_and_severity() {
    let m = |kind: &str, severity: &str| Marker {
        t_ms: 0.0,
        kind: kind.into(),
        label: String::new(),
        severity: severity.into(),
    };
    assert_eq!(m("alert", "critical").tone(), "bad");
    assert_eq!(m("alert", "info").tone(), "warn");
    assert_eq!(m("kato_restart", "").tone(), "info");
    assert_eq!(m("kato_unreachable", "").tone(), "bad");
    assert_eq!(m("kato_reachable", "").tone(), "ok");
    assert_eq!(m("deploy", "").tone(), "idle");
}

fn data(step: f64, series: &[(&str, &[f64])], markers: &[f64], from: f64, to: f64) -> HistoryData {
    HistoryData {
        from_ms: from,
        to_ms: to,
        step_s: step,
        tier: "raw".into(),
        series: series
            .iter()
            .map(|(name, ts)| HistSeries {
                name: (*name).into(),
                count: false,
                buckets: ts
                    .iter()
                    .map(|t| Bucket {
                        t_ms: *t,
                        min: 0.0,
                        avg: *t,
                        max: 0.0,
                        sum: 0.0,
                        n: 1.0,
                    })
                    .collect(),
            })
            .collect(),
        markers: markers
            .iter()
            .map(|t| Marker {
                t_ms: *t,
                kind: "alert".into(),
                label: String::new(),
                severity: String::new(),
            })
            .collect(),
    }
}

fn times(h: &HistoryData, name: &str) -> Vec<f64> {
    h.get(name)
        .unwrap()
        .buckets
        .iter()
        .map(|b| b.t_ms)
        .collect()
}

#[test]
fn the_live_edge_merges_new_buckets_and_drops_old_ones() {
    let mut held = data(
        10.0,
        &[("a", &[0.0, 10.0, 20.0, 30.0]), ("b", &[30.0])],
        &[5.0, 25.0],
        0.0,
        35.0,
    );
    assert_eq!(held.last_bucket_ms(), Some(30.0));
    let newer = data(
        10.0,
        &[("a", &[30.0, 40.0]), ("c", &[40.0])],
        &[35.0],
        30.0,
        45.0,
    );
    held.merge(newer, 10.0);
    assert_eq!(
        times(&held, "a"),
        vec![10.0, 20.0, 30.0, 40.0],
        "the filling bucket replaced, the oldest dropped"
    );
    assert!(
        times(&held, "b").is_empty(),
        "a bucket in the refetched span without a new answer goes"
    );
    assert_eq!(times(&held, "c"), vec![40.0], "a new series joins");
    let marks: Vec<f64> = held.markers.iter().map(|m| m.t_ms).collect();
    assert_eq!(marks, vec![25.0, 35.0]);
    assert_eq!((held.from_ms, held.to_ms), (10.0, 45.0));
    let other_step = data(60.0, &[("a", &[0.0])], &[], 0.0, 60.0);
    held.merge(other_step.clone(), 0.0);
    assert_eq!(held, other_step, "another bucket size replaces everything");
}

#[test]
fn gauges_sum_bucket_by_bucket() {
    let a = HistSeries {
        name: "container.a.cpu_percent".into(),
        count: false,
        buckets: vec![
            Bucket {
                t_ms: 0.0,
                min: 0.0,
                avg: 1.0,
                max: 0.0,
                sum: 0.0,
                n: 1.0,
            },
            Bucket {
                t_ms: 10.0,
                min: 0.0,
                avg: 2.0,
                max: 0.0,
                sum: 0.0,
                n: 1.0,
            },
        ],
    };
    let mut b = a.clone();
    b.buckets[0].t_ms = 10.0;
    b.buckets[1].t_ms = 20.0;
    assert_eq!(
        sum_by_time(&[&a, &b]),
        vec![(0.0, 1.0), (10.0, 3.0), (20.0, 2.0)]
    );
    assert!(sum_by_time(&[]).is_empty());
}

#[test]
fn queries_name_the_window_step_and_series() {
    assert_eq!(
        history_query(100, 200, 5, "kato.cpu_percent,container.*", false),
        "from=100&to=200&step=5&series=kato.cpu_percent,container.*"
    );
    assert!(history_query(1, 2, 1, "a b", true).ends_with("series=a%20b&format=csv"));
    let range = TimeRange::Last(3_600);
    let now = 10_000_000.0;
    assert_eq!(
        refresh_query(None, &range, now, 5, "x"),
        "from=6400&to=10000&step=5&series=x"
    );
    let held = data(5.0, &[("x", &[9_990_000.0])], &[], 0.0, 0.0);
    assert_eq!(
        refresh_query(Some(&held), &range, now, 5, "x"),
        "from=9990&to=10000&step=5&series=x"
    );
}

#[test]
fn the_store_says_whether_it_works_and_since_when() {
    let info = StoreInfo::from_value(&json!({
        "series": [{"name": "kato.up", "kind": "gauge", "last": 1}],
        "usage": {"bytes": 4096, "budget_bytes": 1e9, "series": 1, "markers": 0,
                  "tiers": [{"tier": "raw", "rows": 5, "oldest": 300, "newest": 400},
                            {"tier": "1m", "rows": 2, "oldest": 120, "newest": 360},
                            {"tier": "1h", "rows": 0, "oldest": null, "newest": null}]},
        "status": {"ok": true, "error": null}
    }));
    assert!(info.ok && info.error.is_none());
    assert_eq!(info.oldest_ms, Some(120_000.0));
    let down = StoreInfo::from_value(&json!({"status": {"ok": false, "error": "disk full"}}));
    assert!(!down.ok);
    assert_eq!(down.error.as_deref(), Some("disk full"));
    assert_eq!(down.oldest_ms, None);
}

#[test]
fn empty_charts_say_why() {
    let when = |t: f64| format!("t{t}");
    let nothing = "No sessions ended in this range";
    assert_eq!(
        no_data_text(Some(0.0), (10.0, 20.0), nothing, when),
        "No sessions ended in this range."
    );
    assert_eq!(
        no_data_text(Some(15.0), (10.0, 20.0), nothing, when),
        "No sessions ended in this range. History is collected from t15."
    );
    assert_eq!(
        no_data_text(Some(30.0), (10.0, 20.0), nothing, when),
        "History is collected from t30, after this range."
    );
    assert!(
        no_data_text(None, (10.0, 20.0), nothing, when).starts_with("No history collected yet")
    );
}
