//! The knowledge-base sampler and the inventory it reads: how many patterns and symbols every knowledge base
//! holds, from the store KATO's generation keeps them in — MongoDB's `patterns_kb` / `symbols_kb` on 1.x,
//! ClickHouse's `patterns_data` rows and Redis's `<kb>:symbols:freq` hashes on 3.x. Which generation runs is read
//! from the hub's latest `metrics` value; while it is unknown, whichever store answers is used.
//!
//! Every `HISTORY_KB_SAMPLE_SECONDS` (first round a few seconds after start) the sampler writes the gauges
//! `kb.<kb_id>.patterns` and `kb.<kb_id>.symbols` into the history. A store that is down skips the round: the
//! outage is logged once (warn), its repeats at debug, its end at info; nothing here can stop the dashboard.
//! The analytics routes read the same [`inventory`]. Depends on the browsers of `AppState`, never on routes.

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::{kato::KatoGeneration, protocol::Topic, topics::TopicState};
use kato_dashboard_history_store::{Sample, SeriesKind};
use serde::Serialize;

use crate::{error::ApiError, hub::HubHandle, state::AppState};

/// Delay of the first round after start (or the interval, when that is shorter).
const FIRST_SAMPLE: Duration = Duration::from_secs(5);
/// Shortest interval between rounds, whatever the configuration says.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// KATO 1.x's symbols collection.
const SYMBOLS: &str = "symbols_kb";

/// A store that holds knowledge bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KbStore {
    /// KATO 1.x: one database per knowledge base.
    Mongodb,
    /// KATO 3.x: `patterns_data` rows by `kb_id` (symbols in Redis).
    Clickhouse,
}

impl KbStore {
    /// Its name in answers and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mongodb => "mongodb",
            Self::Clickhouse => "clickhouse",
        }
    }

    /// The stores to ask for `generation`, in order of preference.
    pub fn for_generation(generation: KatoGeneration) -> &'static [KbStore] {
        match generation {
            KatoGeneration::V1 => &[KbStore::Mongodb],
            KatoGeneration::V3 => &[KbStore::Clickhouse],
            KatoGeneration::Unknown => &[KbStore::Mongodb, KbStore::Clickhouse],
        }
    }
}

/// The sizes of one knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbFigures {
    /// KATO's processor id (database name on 1.x, `kb_id` on 3.x).
    pub kb_id: String,
    /// Patterns (`None`: not countable, e.g. a database allow-listed without `patterns_kb`).
    pub patterns: Option<u64>,
    /// Symbols (`None`: not asked for, or the store holding them did not answer).
    pub symbols: Option<u64>,
}

/// The knowledge bases of the store that answered.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Where they were read.
    pub store: KbStore,
    /// By kb_id.
    pub kbs: Vec<KbFigures>,
    /// Stores that only add to the answer and did not answer (Redis for 3.x symbols): (store, reason).
    pub partial: Vec<(&'static str, String)>,
}

/// A store that did not answer: (its name, the error).
pub type Unreachable = (&'static str, ApiError);

/// KATO's generation as the hub's latest `metrics` value tells it.
pub fn generation(hub: &HubHandle) -> KatoGeneration {
    let tick = hub.latest();
    match tick.topic(Topic::Metrics).map(|v| &v.state) {
        Some(TopicState::Metrics(m)) => m
            .derived
            .as_ref()
            .map_or(KatoGeneration::Unknown, |d| d.generation),
        _ => KatoGeneration::Unknown,
    }
}

/// Every knowledge base with its pattern count (and symbol count when `symbols`), from the store of KATO's
/// generation; with the generation unknown, the first store (MongoDB, then ClickHouse) that holds any, else the
/// first that answered. `Err` lists every store asked when none answered.
pub async fn inventory(state: &AppState, symbols: bool) -> Result<Inventory, Vec<Unreachable>> {
    let stores = KbStore::for_generation(generation(&state.hub));
    let answers =
        futures_util::future::join_all(stores.iter().map(|s| read(state, *s, symbols))).await;
    let mut failed = Vec::new();
    let mut answered = Vec::new();
    for (store, answer) in stores.iter().zip(answers) {
        match answer {
            Ok(inventory) => answered.push(inventory),
            Err(e) => failed.push((store.as_str(), e)),
        }
    }
    let chosen = match answered.iter().position(|i| !i.kbs.is_empty()) {
        Some(i) => Some(answered.swap_remove(i)),
        None => answered.into_iter().next(),
    };
    chosen.ok_or(failed)
}

async fn read(state: &AppState, store: KbStore, symbols: bool) -> Result<Inventory, ApiError> {
    match store {
        KbStore::Mongodb => mongo(state, symbols).await,
        KbStore::Clickhouse => clickhouse(state, symbols).await,
    }
}

/// 1.x: `knowledge_bases()` counts `patterns_kb`; `symbols_kb` is counted per knowledge base.
async fn mongo(state: &AppState, symbols: bool) -> Result<Inventory, ApiError> {
    let kbs = state.mongo.knowledge_bases().await?;
    let mut partial = Vec::new();
    let mut out = Vec::with_capacity(kbs.len());
    for kb in kbs {
        let symbols = if symbols && kb.collections.iter().any(|c| c == SYMBOLS) {
            match state.mongo.collection_info(&kb.processor_id, SYMBOLS).await {
                Ok(info) => Some(info.count),
                Err(e) => {
                    partial.push(("mongodb", format!("{}: {e}", kb.processor_id)));
                    None
                }
            }
        } else {
            None
        };
        out.push(KbFigures {
            kb_id: kb.processor_id,
            patterns: kb.patterns_count,
            symbols,
        });
    }
    Ok(Inventory {
        store: KbStore::Mongodb,
        kbs: out,
        partial,
    })
}

/// 3.x: ClickHouse's rows per `kb_id`; with symbols, also the kb_ids only Redis knows and `HLEN <kb>:symbols:freq`.
async fn clickhouse(state: &AppState, symbols: bool) -> Result<Inventory, ApiError> {
    let rows = state.clickhouse.knowledge_bases().await?;
    let mut kbs: Vec<KbFigures> = rows
        .iter()
        .map(|r| KbFigures {
            kb_id: r.kb_id.clone(),
            patterns: Some(r.patterns),
            symbols: None,
        })
        .collect();
    let mut partial = Vec::new();
    if symbols {
        match redis_symbols(state, &mut kbs).await {
            Ok(()) => {}
            Err(e) => partial.push(("redis", e.to_string())),
        }
    }
    Ok(Inventory {
        store: KbStore::Clickhouse,
        kbs,
        partial,
    })
}

/// Adds the knowledge bases only Redis knows (no pattern rows yet) and every symbol count.
async fn redis_symbols(state: &AppState, kbs: &mut Vec<KbFigures>) -> Result<(), ApiError> {
    let ids = state.redis_browser.kato_kb_ids().await?;
    for id in ids {
        if !kbs.iter().any(|k| k.kb_id == id) {
            kbs.push(KbFigures {
                kb_id: id,
                patterns: Some(0),
                symbols: None,
            });
        }
    }
    kbs.sort_by(|a, b| a.kb_id.cmp(&b.kb_id));
    let names: Vec<String> = kbs.iter().map(|k| k.kb_id.clone()).collect();
    let counts = state.redis_browser.kato_symbol_counts(&names).await?;
    for (kb, count) in kbs.iter_mut().zip(counts) {
        kb.symbols = Some(count);
    }
    Ok(())
}

/// The gauges of one inventory.
pub fn samples(inventory: &Inventory) -> Vec<Sample> {
    let mut out = Vec::with_capacity(inventory.kbs.len() * 2);
    for kb in &inventory.kbs {
        for (what, value) in [("patterns", kb.patterns), ("symbols", kb.symbols)] {
            if let Some(value) = value {
                out.push(Sample {
                    series: format!("kb.{}.{what}", kb.kb_id),
                    kind: SeriesKind::Gauge,
                    value: value as f64,
                });
            }
        }
    }
    out
}

/// Starts the sampler (when the history is on); it stops with the dashboard.
pub fn spawn(state: &AppState) {
    if !state.config.history.enabled {
        return;
    }
    state.tracker.spawn(run(state.clone()));
}

/// Whether the last round failed, so an outage is logged once.
#[derive(Debug, Default)]
struct Outage {
    down: bool,
}

impl Outage {
    fn failed(&mut self, failures: &[Unreachable]) {
        let reasons: Vec<String> = failures.iter().map(|(s, e)| format!("{s}: {e}")).collect();
        if self.down {
            tracing::debug!(?reasons, "knowledge bases still unreadable; round skipped");
        } else {
            tracing::warn!(
                ?reasons,
                "knowledge bases cannot be read; their sizes are not recorded until a store answers"
            );
        }
        self.down = true;
    }

    fn answered(&mut self, inventory: &Inventory) {
        if self.down {
            tracing::info!(
                store = inventory.store.as_str(),
                "knowledge-base sizes are recorded again"
            );
        }
        self.down = false;
        for (store, reason) in &inventory.partial {
            tracing::debug!(
                store,
                reason,
                "part of the knowledge-base sizes is unknown this round"
            );
        }
    }
}

async fn run(state: AppState) {
    let every = state.config.history.kb_sample_interval().max(MIN_INTERVAL);
    let start = tokio::time::Instant::now() + FIRST_SAMPLE.min(every);
    let mut ticks = tokio::time::interval_at(start, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut outage = Outage::default();
    let cancel = state.cancel.clone();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = round(&state, &mut outage) => {}
        }
    }
}

async fn round(state: &AppState, outage: &mut Outage) {
    match inventory(state, true).await {
        Ok(inventory) => {
            outage.answered(&inventory);
            let samples = samples(&inventory);
            state
                .recorder
                .write(Utc::now().timestamp(), samples, Vec::new())
                .await;
        }
        Err(failures) => outage.failed(&failures),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_decides_the_store() {
        assert_eq!(
            KbStore::for_generation(KatoGeneration::V1),
            [KbStore::Mongodb]
        );
        assert_eq!(
            KbStore::for_generation(KatoGeneration::V3),
            [KbStore::Clickhouse]
        );
        assert_eq!(
            KbStore::for_generation(KatoGeneration::Unknown),
            [KbStore::Mongodb, KbStore::Clickhouse]
        );
    }

    #[test]
    fn gauges_are_written_for_what_is_known() {
        let inventory = Inventory {
            store: KbStore::Clickhouse,
            kbs: vec![
                KbFigures {
                    kb_id: "sensor_alpha_kato".into(),
                    patterns: Some(22),
                    symbols: Some(40),
                },
                KbFigures {
                    kb_id: "scratch".into(),
                    patterns: None,
                    symbols: Some(0),
                },
            ],
            partial: Vec::new(),
        };
        let got: Vec<(String, f64)> = samples(&inventory)
            .into_iter()
            .map(|s| {
                assert_eq!(s.kind, SeriesKind::Gauge);
                (s.series, s.value)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("kb.sensor_alpha_kato.patterns".to_owned(), 22.0),
                ("kb.sensor_alpha_kato.symbols".to_owned(), 40.0),
                ("kb.scratch.symbols".to_owned(), 0.0),
            ]
        );
    }
}
