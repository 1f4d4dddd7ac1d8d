//! `GET /databases/patterns/{kb_id}/patterns` (a page: sorted, searched over the whole knowledge base) and
//! `GET /databases/patterns/{kb_id}/patterns/{name}` (one pattern: its row and what Redis holds for it).
//!
//! Sorting by frequency (the default) needs every name of the knowledge base (or of the search) from ClickHouse
//! and every frequency from Redis (`MGET` in batches), sorted here with ties broken by name; the page's rows
//! are then read by name. Other sorts run in ClickHouse, and Redis adds the page's frequencies.

use axum::{
    Json,
    extract::{Path, State},
};
use kato_dashboard_browse_clickhouse::{PatternSummary, SortKey, SortOrder, patterns_name};
use serde_json::{Value, json};

use super::{Kb, KbPattern, PageParams, Sources, kb};
use crate::{error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, state::AppState};

/// A listed pattern: its row, `_id` (the old dashboard's name for the name) and its frequency.
fn listed(p: PatternSummary, frequency: Option<u64>) -> Value {
    let mut v = serde_json::to_value(&p).unwrap_or(Value::Null);
    v["_id"] = json!(p.name);
    v["frequency"] = json!(frequency);
    v
}

/// The names of `kb_id` (or of the search) in frequency order, with their frequencies (Redis required).
async fn by_frequency(
    state: &AppState,
    kb_id: &str,
    search: Option<&str>,
    order: SortOrder,
) -> Result<Vec<(String, Option<u64>)>, ApiError> {
    let names = state.clickhouse.pattern_names(kb_id, search).await?;
    let frequencies = state.redis_browser.kato_frequencies(kb_id, &names).await?;
    let mut all: Vec<(String, Option<u64>)> = names.into_iter().zip(frequencies).collect();
    all.sort_by(|(a_name, a), (b_name, b)| {
        let (a, b) = (a.unwrap_or(0), b.unwrap_or(0));
        let by_frequency = match order {
            SortOrder::Asc => a.cmp(&b),
            SortOrder::Desc => b.cmp(&a),
        };
        by_frequency.then_with(|| a_name.cmp(b_name))
    });
    Ok(all)
}

/// Patterns, paged, sorted and searched over the whole knowledge base
///
/// Rows from ClickHouse with each pattern's frequency from Redis.
#[utoipa::path(
    get,
    path = "/databases/patterns/{kb_id}/patterns",
    tag = "knowledge bases",
    params(Kb, PageParams),
    responses(UpstreamErrors)
)]
pub(super) async fn page(
    State(state): State<AppState>,
    Path(Kb { kb_id }): Path<Kb>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let q = params.pattern_query()?;
    let search = q.search_text();
    let mut sources = Sources::default();
    let (patterns, total): (Vec<Value>, u64) = if q.sort_by == SortKey::Frequency {
        let ordered = by_frequency(&state, kb_id, search, q.sort_order).await?;
        sources.ok("redis");
        let skip = usize::try_from(q.skip).unwrap_or(usize::MAX);
        let page: Vec<(String, Option<u64>)> = ordered
            .iter()
            .skip(skip)
            .take(q.limit as usize)
            .cloned()
            .collect();
        let names: Vec<String> = page.iter().map(|(n, _)| n.clone()).collect();
        let rows = state.clickhouse.patterns_by_name(kb_id, &names).await?;
        let frequency = |name: &str| page.iter().find(|(n, _)| n == name).and_then(|(_, f)| *f);
        let listed = rows
            .into_iter()
            .map(|p| {
                let f = frequency(&p.name);
                listed(p, f)
            })
            .collect();
        (listed, ordered.len() as u64)
    } else {
        let page = state.clickhouse.patterns(kb_id, &q).await?;
        let names: Vec<String> = page.patterns.iter().map(|p| p.name.clone()).collect();
        let frequencies = sources.take(
            "redis",
            state.redis_browser.kato_frequencies(kb_id, &names).await,
        );
        let listed = page
            .patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| listed(p, frequencies.as_ref().and_then(|f| f[i])))
            .collect();
        (listed, page.total)
    };
    if total == 0 {
        // No pattern matched: say 404 when the knowledge base itself has none.
        state.clickhouse.knowledge_base(kb_id).await?;
    }
    let shown = patterns.len() as u64;
    Ok(Json(json!({
        "kb_id": kb_id,
        "patterns": patterns,
        "total": total,
        "skip": q.skip,
        "limit": q.limit,
        "has_more": q.skip.saturating_add(shown) < total,
        "sort_by": q.sort_by,
        "sort_order": q.sort_order,
        "search": search,
        "sources": sources.json(),
    })))
}

/// One pattern in full
///
/// The ClickHouse row (MinHash, LSH bands as strings) and from Redis the frequency, emotives, metadata and, after
/// `finalize-training`, the entropies and `tf_vector`; `name` with or without KATO's PTRN| prefix.
#[utoipa::path(
    get,
    path = "/databases/patterns/{kb_id}/patterns/{name}",
    tag = "knowledge bases",
    params(KbPattern),
    responses(UpstreamErrors)
)]
pub(super) async fn detail(
    State(state): State<AppState>,
    Path(KbPattern { kb_id, name }): Path<KbPattern>,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let name = patterns_name(&name);
    let pattern = state.clickhouse.pattern(kb_id, name).await?;
    let mut sources = Sources::default();
    let meta = sources.take(
        "redis",
        state.redis_browser.kato_pattern_meta(kb_id, name).await,
    );
    let mut v = serde_json::to_value(&pattern).unwrap_or(Value::Null);
    v["_id"] = json!(pattern.summary.name);
    v["kato_name"] = json!(format!("PTRN|{}", pattern.summary.name));
    v["kb_id"] = json!(kb_id);
    let meta = meta.map(|m| serde_json::to_value(m).unwrap_or(Value::Null));
    for field in [
        "frequency",
        "emotives",
        "metadata",
        "entropy",
        "normalized_entropy",
        "global_normalized_entropy",
        "tf_vector",
    ] {
        v[field] = meta.as_ref().map_or(Value::Null, |m| m[field].clone());
    }
    v["sources"] = sources.json();
    Ok(Json(v))
}
