//! `/analytics/patterns/frequency`: the most frequent patterns of one knowledge base, or of all merged.
//!
//! KATO 1.x: `patterns_kb` sorted by `frequency` on the server (KATO's index `frequency_-1_name_1`), `pattern` =
//! the document's `name` (the old dashboard read a `pattern` field that does not exist: defect D20). KATO 3.x:
//! every name of the knowledge base from ClickHouse and its frequency from Redis (`MGET`), sorted here, ties by
//! name — the same path as the pattern browser's frequency sort. The store follows KATO's generation
//! ([`crate::recorder::kb`]).

use futures_util::{StreamExt, stream};
use kato_dashboard_browse_mongo::{PatternQuery, SortKey};
use serde::Serialize;
use serde_json::Value;

use super::Errors;
use crate::{
    error::ApiError,
    recorder::kb::{self, KbStore, Unreachable},
    state::AppState,
};

/// KATO 1.x's patterns collection.
const PATTERNS: &str = "patterns_kb";
/// Knowledge bases read at once when merging.
const CONCURRENCY: usize = 4;

/// A knowledge base's most frequent patterns and its pattern count.
type Top = (Vec<PatternFrequency>, u64);

/// One pattern and how often it was learned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternFrequency {
    /// The pattern's name (its sha1; KATO's API shows it as `PTRN|<name>`).
    pattern: String,
    /// Learns.
    frequency: u64,
    /// Its knowledge base.
    processor_id: String,
}

/// The answer, in the old API's two shapes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Frequency {
    /// One knowledge base.
    One {
        /// The knowledge base.
        processor_id: String,
        /// Its most frequent patterns.
        patterns: Vec<PatternFrequency>,
        /// Its pattern count.
        total_patterns: u64,
        /// The store read.
        source: KbStore,
    },
    /// All knowledge bases, merged.
    All {
        /// The most frequent patterns over all.
        patterns: Vec<PatternFrequency>,
        /// Knowledge bases read.
        total_processors: usize,
        /// Patterns compared (each knowledge base's top ones).
        total_patterns_analyzed: usize,
        /// Patterns of all knowledge bases.
        total_patterns: u64,
        /// The store read.
        source: KbStore,
        /// Knowledge bases that could not be read.
        errors: Errors,
    },
}

/// The error to answer with when no store answered: one that says what is wrong with the request (404, 400)
/// before one that says a store is down.
pub(super) fn worst(failures: Vec<Unreachable>) -> ApiError {
    let mut first = None;
    for (_, e) in failures {
        if e.status().is_client_error() {
            return e;
        }
        first.get_or_insert(e);
    }
    first.unwrap_or_else(|| ApiError::Internal("no knowledge-base store was asked".into()))
}

/// The top `limit` patterns of `processor_id`, or of every knowledge base.
pub(super) async fn frequency(
    state: &AppState,
    processor_id: Option<&str>,
    limit: usize,
) -> Result<Frequency, ApiError> {
    match processor_id {
        Some(kb_id) => one(state, kb_id, limit).await,
        None => all(state, limit).await,
    }
}

async fn one(state: &AppState, kb_id: &str, limit: usize) -> Result<Frequency, ApiError> {
    let mut failures = Vec::new();
    for store in KbStore::for_generation(kb::generation(&state.hub)) {
        match top(state, *store, kb_id, limit).await {
            Ok((patterns, total_patterns)) => {
                return Ok(Frequency::One {
                    processor_id: kb_id.to_owned(),
                    patterns,
                    total_patterns,
                    source: *store,
                });
            }
            Err(e) => failures.push((store.as_str(), e)),
        }
    }
    Err(worst(failures))
}

async fn all(state: &AppState, limit: usize) -> Result<Frequency, ApiError> {
    let inventory = kb::inventory(state, false).await.map_err(worst)?;
    let total_patterns = inventory.kbs.iter().filter_map(|k| k.patterns).sum();
    let ids: Vec<String> = inventory
        .kbs
        .iter()
        .filter(|k| k.patterns.is_some_and(|n| n > 0))
        .map(|k| k.kb_id.clone())
        .collect();
    let store = inventory.store;
    let tops: Vec<(String, Result<Top, ApiError>)> = stream::iter(ids)
        .map(|id| async move {
            let got = top(state, store, &id, limit).await;
            (id, got)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let read = tops.iter().filter(|(_, r)| r.is_ok()).count();
    let mut errors = Errors::default();
    let mut patterns = Vec::new();
    let mut failures = Vec::new();
    for (id, result) in tops {
        match result {
            Ok((top, _)) => patterns.extend(top),
            Err(e) => {
                errors.add(&id, &e);
                failures.push((store.as_str(), e));
            }
        }
    }
    if read == 0 && !failures.is_empty() {
        return Err(worst(failures));
    }
    let total_patterns_analyzed = patterns.len();
    sort(&mut patterns);
    patterns.truncate(limit);
    Ok(Frequency::All {
        patterns,
        total_processors: read,
        total_patterns_analyzed,
        total_patterns,
        source: store,
        errors,
    })
}

/// Most frequent first; ties by name, then knowledge base.
fn sort(patterns: &mut [PatternFrequency]) {
    patterns.sort_by(|a, b| {
        b.frequency
            .cmp(&a.frequency)
            .then_with(|| a.pattern.cmp(&b.pattern))
            .then_with(|| a.processor_id.cmp(&b.processor_id))
    });
}

/// The `limit` most frequent patterns of one knowledge base in `store`, and its pattern count.
async fn top(state: &AppState, store: KbStore, kb_id: &str, limit: usize) -> Result<Top, ApiError> {
    match store {
        KbStore::Mongodb => mongo_top(state, kb_id, limit).await,
        KbStore::Clickhouse => clickhouse_top(state, kb_id, limit).await,
    }
}

async fn mongo_top(state: &AppState, kb_id: &str, limit: usize) -> Result<Top, ApiError> {
    let query = PatternQuery {
        skip: 0,
        limit: i64::try_from(limit).unwrap_or(i64::MAX),
        sort_by: SortKey::Frequency,
        sort_order: -1,
        ..PatternQuery::default()
    };
    let page = state.mongo.patterns(kb_id, PATTERNS, &query).await?;
    let patterns = page
        .documents
        .iter()
        .map(|doc| PatternFrequency {
            pattern: doc
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            frequency: doc.get("frequency").map_or(0, count),
            processor_id: kb_id.to_owned(),
        })
        .collect();
    Ok((patterns, page.total))
}

/// A count however MongoDB typed it (`3`, `3.0`).
fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .unwrap_or(0)
}

async fn clickhouse_top(state: &AppState, kb_id: &str, limit: usize) -> Result<Top, ApiError> {
    let names = state.clickhouse.pattern_names(kb_id, None).await?;
    if names.is_empty() {
        // 404 when the knowledge base has no rows at all.
        state.clickhouse.knowledge_base(kb_id).await?;
    }
    let frequencies = state.redis_browser.kato_frequencies(kb_id, &names).await?;
    let total = names.len() as u64;
    let mut patterns: Vec<PatternFrequency> = names
        .into_iter()
        .zip(frequencies)
        .map(|(pattern, frequency)| PatternFrequency {
            pattern,
            frequency: frequency.unwrap_or(0),
            processor_id: kb_id.to_owned(),
        })
        .collect();
    sort(&mut patterns);
    patterns.truncate(limit);
    Ok((patterns, total))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(pattern: &str, frequency: u64, kb: &str) -> PatternFrequency {
        PatternFrequency {
            pattern: pattern.into(),
            frequency,
            processor_id: kb.into(),
        }
    }

    #[test]
    fn merged_patterns_sort_by_frequency_then_name() {
        let mut all = vec![
            p("b", 2, "x"),
            p("a", 2, "y"),
            p("c", 5, "x"),
            p("a", 2, "x"),
        ];
        sort(&mut all);
        assert_eq!(
            all,
            [
                p("c", 5, "x"),
                p("a", 2, "x"),
                p("a", 2, "y"),
                p("b", 2, "x")
            ]
        );
    }

    #[test]
    fn a_request_error_wins_over_a_store_that_is_down() {
        let down = ApiError::Unavailable {
            upstream: "mongodb",
            reason: "refused".into(),
        };
        let missing = ApiError::NotFound("no kb".into());
        assert_eq!(
            worst(vec![("mongodb", down), ("clickhouse", missing)]).status(),
            404
        );
        assert_eq!(count(&serde_json::json!(3.0)), 3);
    }
}
