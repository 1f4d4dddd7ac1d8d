//! The analytics tests' side of the comparison: what the history API holds (totals, latest values, markers), what
//! KATO's recorded stores hold (`tests/fixtures/kato/stores-*`), and the waits and checks that put the page next to
//! them (sessions counted, knowledge-base sizes sampled, KB charts and top patterns as the server answers).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use kato_dashboard_e2e::{Stack, Tab, wait_for};
use kato_dashboard_testkit::kato_fixtures_dir;
use serde_json::Value;

use super::{expected_bars, hover, legend, top_bars};
use crate::kb_support::{LOAD, api};

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The history API's answer for `series` over the last `span` seconds, in `step`-second buckets.
pub async fn history(stack: &Stack, series: &str, span: i64, step: i64) -> Value {
    let to = now() + 1;
    api(
        stack,
        &format!(
            "/api/v1/system/history?from={}&to={to}&step={step}&series={series}",
            to - span
        ),
    )
    .await
}

/// The total of each count series matching `series` over the last 15 minutes (sum of its buckets' `sum`).
pub async fn totals(stack: &Stack, series: &str) -> BTreeMap<String, f64> {
    let h = history(stack, series, 900, 60).await;
    h["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let sum = s["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[4].as_f64().unwrap_or(0.0))
                .sum();
            (s["name"].as_str().unwrap().to_owned(), sum)
        })
        .collect()
}

/// The latest value (`avg`) of each series matching `series` over the last 15 minutes.
pub async fn latest(stack: &Stack, series: &str) -> BTreeMap<String, f64> {
    let h = history(stack, series, 900, 1).await;
    h["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let last = s["points"].as_array()?.last()?;
            Some((s["name"].as_str()?.to_owned(), last[2].as_f64()?))
        })
        .collect()
}

/// The markers of the last 15 minutes: `(t, kind, label)`.
pub async fn markers(stack: &Stack) -> Vec<(i64, String, String)> {
    let h = history(stack, "kato.up", 900, 60).await;
    h["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["t"].as_i64().unwrap(),
                m["kind"].as_str().unwrap().to_owned(),
                m["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// KATO d1391ac's recorded sizes (MongoDB): `(kb_id, patterns_kb documents, symbols_kb documents)`.
pub fn recorded_v1_sizes() -> Vec<(String, u64, u64)> {
    let dir = kato_fixtures_dir().join("stores-d1391ac/mongodb");
    let count = |kb: &str, coll: &str| {
        let text = std::fs::read_to_string(dir.join(kb).join(format!("{coll}.json"))).unwrap();
        serde_json::from_str::<Value>(&text)
            .unwrap()
            .as_array()
            .unwrap()
            .len() as u64
    };
    let mut kbs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    kbs.sort();
    kbs.into_iter()
        .map(|kb| {
            let (p, s) = (count(&kb, "patterns_kb"), count(&kb, "symbols_kb"));
            (kb, p, s)
        })
        .collect()
}

/// Sessions KATO c584167 left in Redis (the dashboard counts each as created once it finds it).
pub fn recorded_sessions() -> usize {
    let dump = kato_fixtures_dir().join("stores-c584167/redis-keys.json");
    let dump: Value = serde_json::from_str(&std::fs::read_to_string(dump).unwrap()).unwrap();
    dump["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| {
            k["key"]
                .as_str()
                .unwrap()
                .starts_with("kato:session:session-")
        })
        .count()
}

/// Waits until the history holds `created` and `ended` session counts over the last 15 minutes.
pub async fn wait_sessions(stack: &Stack, created: f64, ended: f64) {
    wait_for(
        LOAD,
        &format!("{created} created, {ended} ended"),
        || async {
            let t = totals(stack, "sessions.*").await;
            let got = |s: &str| t.get(s).copied().unwrap_or(0.0);
            Ok(
                (got("sessions.created") == created && got("sessions.ended") == ended)
                    .then_some(()),
            )
        },
    )
    .await
    .unwrap();
}

/// Waits until the sampler recorded `sizes` (`kb_id`, patterns, symbols) as the latest `kb.*` values.
pub async fn wait_kb_sizes(stack: &Stack, sizes: &[(String, u64, u64)]) {
    wait_for(LOAD, "the recorded knowledge-base sizes", || async {
        let got = latest(stack, "kb.*").await;
        Ok(sizes
            .iter()
            .all(|(kb, p, s)| {
                got.get(&format!("kb.{kb}.patterns")) == Some(&(*p as f64))
                    && got.get(&format!("kb.{kb}.symbols")) == Some(&(*s as f64))
            })
            .then_some(()))
    })
    .await
    .unwrap();
}

/// The KB charts name each recorded knowledge base and read out its recorded size at the right edge.
pub async fn assert_kb_charts(tab: &Tab, stack: &Stack, sizes: &[(String, u64, u64)]) {
    let mut ids: Vec<String> = latest(stack, "kb.*")
        .await
        .keys()
        .filter_map(|k| k.strip_prefix("kb.")?.strip_suffix(".patterns"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    for (testid, of) in [("chart-kb-patterns", 1), ("chart-kb-symbols", 2)] {
        wait_for(LOAD, &format!("{testid} to list {ids:?}"), || async {
            let mut shown = legend(tab, testid).await;
            shown.sort();
            Ok((shown == ids).then_some(()))
        })
        .await
        .unwrap();
        let rows = hover(tab, testid, 0.995).await;
        for (kb, patterns, symbols) in sizes {
            let value = if of == 1 { patterns } else { symbols };
            assert!(
                rows.contains(&(kb.clone(), value.to_string())),
                "{testid}: {kb} = {value} in the read-out {rows:?}"
            );
        }
    }
}

/// Waits until the top-patterns panel shows the server's `/analytics/patterns/frequency` answer for `query`.
pub async fn assert_top_patterns(tab: &Tab, stack: &Stack, query: &str, source: &str) {
    let answer = api(
        stack,
        &format!("/api/v1/analytics/patterns/frequency?limit=15{query}"),
    )
    .await;
    assert_eq!(answer["source"], source, "{answer}");
    let mut kbs: Vec<&str> = answer["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["processor_id"].as_str().unwrap())
        .collect();
    kbs.sort();
    kbs.dedup();
    let expected = expected_bars(&answer, query.is_empty() && kbs.len() > 1);
    assert_eq!(expected.len(), 15, "{answer}");
    wait_for(LOAD, "the top patterns of the stores", || async {
        Ok((top_bars(tab).await == expected).then_some(()))
    })
    .await
    .unwrap();
}
