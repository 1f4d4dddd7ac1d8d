//! What the analytics tests expect, read from the recorded stores (`tests/fixtures/kato/stores-*`): each
//! knowledge base's patterns with their frequencies, sorted as the analytics must sort them, and the history's
//! latest values of a series family.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use kato_dashboard_testkit::kato_fixtures_dir;
use serde_json::{Value, json};

use super::support::Dashboard;

/// `(frequency, name)` of every pattern of a knowledge base.
pub type Patterns = Vec<(u64, String)>;

/// A BSON extended-JSON number (`{"$numberInt": "3"}`) or a plain one.
fn number(v: &Value) -> u64 {
    match v {
        Value::Object(m) => m
            .values()
            .next()
            .and_then(Value::as_str)
            .map(|s| s.parse::<f64>().unwrap() as u64)
            .unwrap(),
        other => other.as_u64().unwrap(),
    }
}

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(kato_fixtures_dir().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// KATO 1.x (d1391ac): the documents of one collection of one knowledge base.
pub fn mongo_documents(kb: &str, collection: &str) -> Vec<Value> {
    read_json(&format!("stores-d1391ac/mongodb/{kb}/{collection}.json"))
        .as_array()
        .unwrap()
        .clone()
}

/// KATO 1.x: `patterns_kb` of one knowledge base.
pub fn mongo_patterns(kb: &str) -> Patterns {
    mongo_documents(kb, "patterns_kb")
        .iter()
        .map(|d| {
            (
                number(&d["frequency"]),
                d["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// KATO 3.x (c584167): the names of one knowledge base's ClickHouse rows with their Redis frequencies.
pub fn clickhouse_patterns(kb: &str) -> Patterns {
    let keys = read_json("stores-c584167/redis-keys.json");
    let frequency: BTreeMap<String, u64> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| {
            let name = k["key"]
                .as_str()?
                .strip_prefix(&format!("{kb}:frequency:"))?;
            Some((name.to_owned(), k["value"].as_str()?.parse().ok()?))
        })
        .collect();
    std::fs::read_to_string(
        kato_fixtures_dir().join("stores-c584167/clickhouse/kato.patterns_data.jsonl"),
    )
    .unwrap()
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).unwrap())
    .filter(|r| r["kb_id"] == kb)
    .map(|r| {
        let name = r["name"].as_str().unwrap().to_owned();
        (frequency.get(&name).copied().unwrap_or(0), name)
    })
    .collect()
}

/// The `limit` most frequent of `kbs`' patterns as the old shape lists them: frequency descending, then name,
/// then knowledge base (each knowledge base's own top `limit` first, as the merge does).
pub fn top(kbs: &[(&str, Patterns)], limit: usize) -> Vec<Value> {
    let mut all: Vec<(u64, String, String)> = Vec::new();
    for (kb, patterns) in kbs {
        let mut own = patterns.clone();
        own.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.extend(
            own.into_iter()
                .take(limit)
                .map(|(f, n)| (f, n, (*kb).to_owned())),
        );
    }
    all.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    all.into_iter()
        .take(limit)
        .map(|(f, n, kb)| json!({"pattern": n, "frequency": f, "processor_id": kb}))
        .collect()
}

/// `GET` that must answer 200.
pub async fn ok(dash: &Dashboard, path: &str) -> Value {
    let (status, body) = dash.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The latest value (`avg`) of every series matching `pattern` over the last 10 minutes of the history.
pub async fn latest(dash: &Dashboard, pattern: &str) -> BTreeMap<String, f64> {
    let from = chrono::Utc::now().timestamp() - 600;
    let body = ok(
        dash,
        &format!("/api/v1/system/history?series={pattern}&from={from}"),
    )
    .await;
    body["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let last = s["points"].as_array()?.last()?.clone();
            Some((s["name"].as_str()?.to_owned(), last[2].as_f64()?))
        })
        .collect()
}
