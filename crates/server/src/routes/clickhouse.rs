//! `/databases/patterns/*` and `/databases/symbols/*`: KATO 3.x's knowledge bases, on the old dashboard's (v0.3.7)
//! paths, composed from the three stores KATO splits them over — the pattern rows in ClickHouse
//! ([`kato_dashboard_browse_clickhouse`]), frequencies, emotives, metadata, symbols and affinities in Redis
//! ([`kato_dashboard_browse_redis::kato_kb`]), vectors in Qdrant (`vectors_<kb_id>`).
//!
//! ClickHouse is required for pattern answers, Redis and ClickHouse (the coverage's denominator) for symbol
//! answers; a store that only adds to an answer (Redis frequencies on a length-sorted page, Qdrant point counts)
//! fails alone: its fields are `null` and `sources` says why. Deleting a knowledge base ([`delete`]) needs the admin token, read-only off and the kb_id
//! typed back, and has a dry run that lists exactly what would go.

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use kato_dashboard_browse_clickhouse::{PatternQuery, SortKey, SortOrder, validate_kb_id};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, openapi::UpstreamErrors, state::AppState};

mod delete;
mod patterns;
mod statistics;
mod symbols;

/// The prefix KATO gives a knowledge base's Qdrant collection.
const VECTORS_PREFIX: &str = "vectors_";

/// The routes, for `routes::router` to merge.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(processors))
        .routes(routes!(delete::delete_knowledge_base))
        .routes(routes!(patterns::page))
        .routes(routes!(patterns::detail))
        .routes(routes!(statistics::statistics))
        .routes(routes!(symbols::page))
        .routes(routes!(symbols::statistics))
        .routes(routes!(symbols::affinity))
}

/// `{kb_id}`: a knowledge base.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct Kb {
    /// Knowledge base id (KATO's processor id, e.g. sensor_alpha_kato)
    pub(super) kb_id: String,
}

/// `{kb_id}` and `{name}`: one pattern.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct KbPattern {
    /// Knowledge base id (KATO's processor id, e.g. sensor_alpha_kato)
    pub(super) kb_id: String,
    /// Pattern name: the sha1, with or without PTRN|
    pub(super) name: String,
}

/// `{kb_id}` and `{symbol}`: one symbol.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct KbSymbol {
    /// Knowledge base id (KATO's processor id, e.g. sensor_alpha_kato)
    pub(super) kb_id: String,
    /// The symbol (URL-encoded; may hold : | and /)
    pub(super) symbol: String,
}

/// A kb_id from a path, checked (400 for one KATO cannot produce).
pub(super) fn kb(kb_id: &str) -> Result<&str, ApiError> {
    Ok(validate_kb_id(kb_id)?)
}

/// How each optional store fared: `{"redis": {"available": true, "reason": null}, …}`.
#[derive(Debug, Default)]
pub(super) struct Sources(Map<String, Value>);

impl Sources {
    /// A store that answered.
    pub(super) fn ok(&mut self, name: &str) {
        self.0
            .insert(name.into(), json!({"available": true, "reason": null}));
    }

    /// The value of an optional store's answer, or `None` with the reason recorded.
    pub(super) fn take<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => {
                self.ok(name);
                Some(v)
            }
            Err(e) => {
                self.0.insert(
                    name.into(),
                    json!({"available": false, "reason": e.to_string()}),
                );
                None
            }
        }
    }

    pub(super) fn json(self) -> Value {
        Value::Object(self.0)
    }
}

/// Points of each `vectors_<kb_id>` collection, by kb_id (or why Qdrant cannot say).
async fn vector_counts(state: &AppState) -> Result<BTreeMap<String, Option<u64>>, String> {
    let browser = state.qdrant.as_ref().map_err(Clone::clone)?;
    let collections = browser.collections().await.map_err(|e| e.to_string())?;
    Ok(collections
        .into_iter()
        .filter_map(|c| {
            let kb_id = c.name.strip_prefix(VECTORS_PREFIX)?.to_owned();
            Some((kb_id, c.points_count))
        })
        .collect())
}

/// Points of `vectors_<kb_id>`: `Ok(None)` when there is no such collection.
pub(super) async fn vector_count(state: &AppState, kb_id: &str) -> Result<Option<u64>, String> {
    let browser = state.qdrant.as_ref().map_err(Clone::clone)?;
    match browser
        .collection(&format!("{VECTORS_PREFIX}{kb_id}"))
        .await
    {
        Ok(detail) => Ok(Some(detail.points_count.unwrap_or(0))),
        Err(kato_dashboard_browse_qdrant::BrowseError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Knowledge bases of KATO 3.x
///
/// Every kb_id any store knows (ClickHouse rows, Redis keys, Qdrant vectors_<kb_id>), with patterns (ClickHouse),
/// symbols (Redis `<kb>:symbols:freq`) and vectors (Qdrant points) counts; `sources` tells which optional store did not
/// answer.
#[utoipa::path(
    get,
    path = "/databases/patterns/processors",
    tag = "knowledge bases",
    responses(UpstreamErrors)
)]
async fn processors(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (rows, redis_ids, vectors) = tokio::join!(
        state.clickhouse.knowledge_bases(),
        state.redis_browser.kato_kb_ids(),
        vector_counts(&state)
    );
    let rows = rows?;
    let mut sources = Sources::default();
    sources.ok("clickhouse");
    let redis_ids = sources.take("redis", redis_ids);
    let vectors = sources.take("qdrant", vectors);
    let mut ids: std::collections::BTreeSet<String> =
        rows.iter().map(|r| r.kb_id.clone()).collect();
    ids.extend(redis_ids.iter().flatten().cloned());
    ids.extend(vectors.iter().flat_map(|v| v.keys().cloned()));
    let ids: Vec<String> = ids.into_iter().collect();
    let symbols = match &redis_ids {
        Some(_) => sources.take("redis", state.redis_browser.kato_symbol_counts(&ids).await),
        None => None,
    };
    let processors: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, kb_id)| {
            let row = rows.iter().find(|r| &r.kb_id == kb_id);
            let points = vectors.as_ref().map(|v| v.get(kb_id).copied().flatten());
            json!({
                "kb_id": kb_id,
                "processor_id": kb_id,
                "patterns_count": row.map_or(0, |r| r.patterns),
                "symbols_count": symbols.as_ref().map(|s| s[i]),
                "vectors_count": points.flatten(),
                "stores": {
                    "clickhouse": row.is_some(),
                    "redis": redis_ids.as_ref().map(|r| r.contains(kb_id)),
                    "qdrant": vectors.as_ref().map(|v| v.contains_key(kb_id)),
                },
                "statistics": row.map(|r| json!({
                    "total_patterns": r.patterns,
                    "avg_length": r.avg_length,
                    "min_length": r.min_length,
                    "max_length": r.max_length,
                    "avg_token_count": r.avg_token_count,
                })),
            })
        })
        .collect();
    Ok(Json(json!({
        "processors": processors,
        "total": ids.len(),
        "sources": sources.json(),
    })))
}

/// Page parameters shared by patterns and symbols (`skip`, `limit`, `sort_by`, `sort_order`, `search`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageParams {
    /// Offset (0..=2^63-1)
    #[serde(default)]
    skip: u64,
    /// Page size 1..=1000 (100)
    #[serde(default = "default_limit")]
    limit: u64,
    /// Patterns: frequency (default; Redis), length, name, created_at (time) or token_count; symbols: frequency
    /// (default), pattern_member_frequency (pmf), freq_pmf_ratio (ratio) or name
    #[serde(default)]
    sort_by: Option<String>,
    /// -1/desc (default) or 1/asc
    #[serde(default)]
    sort_order: Option<String>,
    /// Patterns: literal text (ILIKE, % and _ escaped) in the name or any symbol, over the whole knowledge base;
    /// symbols: text in the symbol, ignoring case
    #[serde(default)]
    search: Option<String>,
}

fn default_limit() -> u64 {
    100
}

impl PageParams {
    /// The pattern query, checked (400 for a bad sort, page size or skip).
    pub(super) fn pattern_query(&self) -> Result<PatternQuery, ApiError> {
        let q = PatternQuery {
            skip: self.skip,
            limit: self.limit,
            sort_by: SortKey::parse(self.sort_by.as_deref())?,
            sort_order: SortOrder::parse(self.sort_order.as_deref())?,
            search: self.search.clone(),
        };
        q.validate()?;
        Ok(q)
    }
}
