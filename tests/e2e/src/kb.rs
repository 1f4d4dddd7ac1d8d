//! KATO 3.x's knowledge-base stores behind the stack, for the knowledge-base tests and the screenshots: the real
//! ClickHouse engine (chDB behind the HTTP interface, [`ClickHouseServer`]) loaded with KATO c584167's
//! `patterns_data`, the Qdrant test server with its five collections, and the stack's own Redis loaded with the
//! 4,008 keys KATO wrote (`tests/fixtures/kato/stores-c584167`). kato-sim runs as v3 (3.10.1) in front.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use kato_dashboard_sim::{Flavour, SimConfig};
use kato_dashboard_testkit::{ClickHouseServer, kato_fixtures_dir, qdrant::QdrantTestServer};
use serde_json::Value;

use crate::Stack;

/// Keys in the recorded Redis dump.
pub const RECORDED_REDIS_KEYS: usize = 4008;

/// ClickHouse and Qdrant holding what KATO c584167 stored; stopped on drop.
pub struct KbStores {
    pub clickhouse: ClickHouseServer,
    pub qdrant: QdrantTestServer,
}

impl KbStores {
    /// Starts both (chDB is installed into the test venv on first use, which takes a minute).
    pub fn start() -> anyhow::Result<Self> {
        let clickhouse = ClickHouseServer::start_with_kato_fixture()
            .context("chDB (PyPI, in the test venv) starts and loads KATO's patterns_data")?;
        let qdrant = QdrantTestServer::start_kato_c584167()
            .context("the Qdrant test server with KATO c584167's collections")?;
        Ok(Self { clickhouse, qdrant })
    }

    /// The dashboard settings that point at them.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CLICKHOUSE_URL", self.clickhouse.url()),
            ("QDRANT_GRPC_URL", self.qdrant.url()),
        ]
    }
}

impl Stack {
    /// A quiet v3 KATO (3.10.1) whose stores are `kbs` and the stack's Redis, loaded with KATO's recorded keys;
    /// `extra` adds dashboard settings (admin token, read-only mode).
    pub async fn start_v3_with_kbs(kbs: &KbStores, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with_kbs(SimConfig::idle(Flavour::V3), kbs, extra).await
    }

    /// Like [`Stack::start_v3_with_kbs`] with a simulator configuration of the caller's.
    pub async fn start_with_kbs(
        sim: SimConfig,
        kbs: &KbStores,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let env = kbs.env();
        let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        let stack = Self::start_with_env(sim, &all).await?;
        let dump = kato_fixtures_dir().join("stores-c584167/redis-keys.json");
        let loaded = stack
            .redis
            .load_kato_dump(&dump)
            .with_context(|| format!("loading {}", dump.display()))?;
        if loaded != RECORDED_REDIS_KEYS {
            return Err(anyhow!(
                "{} holds {RECORDED_REDIS_KEYS} keys, {loaded} were loaded",
                dump.display()
            ));
        }
        Ok(stack)
    }
}

/// The recorded sizes of every knowledge base with pattern rows: `(kb_id, rows in ClickHouse's patterns_data,
/// fields of Redis's `<kb>:symbols:freq`)` — what the dashboard's knowledge-base sampler must record.
pub fn recorded_sizes() -> anyhow::Result<Vec<(String, u64, u64)>> {
    let dir = kato_fixtures_dir().join("stores-c584167");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).with_context(|| format!("reading {name}"))
    };
    let mut patterns: BTreeMap<String, u64> = BTreeMap::new();
    for line in read("clickhouse/kato.patterns_data.jsonl")?.lines() {
        let row: Value = serde_json::from_str(line)?;
        let kb = row["kb_id"].as_str().context("a row without kb_id")?;
        *patterns.entry(kb.to_owned()).or_default() += 1;
    }
    let dump: Value = serde_json::from_str(&read("redis-keys.json")?)?;
    let keys = dump["keys"]
        .as_array()
        .context("redis-keys.json has keys")?;
    let symbols = |kb: &str| {
        let key = format!("{kb}:symbols:freq");
        keys.iter()
            .find(|k| k["key"] == key.as_str())
            .and_then(|k| k["value"].as_object())
            .map_or(0, |h| h.len() as u64)
    };
    Ok(patterns
        .into_iter()
        .map(|(kb, n)| {
            let s = symbols(&kb);
            (kb, n, s)
        })
        .collect())
}
