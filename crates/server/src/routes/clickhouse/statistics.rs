//! `GET /databases/patterns/{kb_id}/statistics`: one knowledge base in figures, from all three stores.
//!
//! ClickHouse (required): the old shape's `total_patterns`, `avg_length`, `min_length`, `max_length`,
//! `avg_token_count`, plus first/last learn and the distributions of lengths and events. Redis (optional):
//! `frequency` — learns summed over the patterns' `<kb>:frequency:<name>` keys (KATO's own
//! `global:total_pattern_frequencies` counts new patterns only, so it is shown apart, in `redis_totals`), with
//! the distribution of frequencies — and `symbols`, with pattern coverage as v0.3.7 defined it (see
//! [`super::symbols`]). Qdrant (optional): the points of `vectors_<kb_id>`.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::{Value, json};

use super::{Kb, Sources, kb, symbols, vector_count};
use crate::{error::ApiError, openapi::UpstreamErrors, state::AppState};

/// The frequency figures of a knowledge base's patterns.
fn frequency_figures(frequencies: &[Option<u64>]) -> Value {
    let known: Vec<u64> = frequencies.iter().flatten().copied().collect();
    let total: u64 = known.iter().sum();
    let mut distribution: BTreeMap<u64, u64> = BTreeMap::new();
    for f in &known {
        *distribution.entry(*f).or_default() += 1;
    }
    json!({
        "total": total,
        "min": known.iter().min(),
        "max": known.iter().max(),
        "avg": if known.is_empty() { 0.0 } else { total as f64 / known.len() as f64 },
        "patterns_without_frequency": frequencies.len() - known.len(),
        "distribution": distribution
            .into_iter()
            .map(|(frequency, count)| json!({"frequency": frequency, "count": count}))
            .collect::<Vec<_>>(),
    })
}

/// Knowledge-base statistics
///
/// Lengths, events, learns (Σ frequency), symbols with pattern coverage (% of all patterns holding a symbol), KATO's
/// Redis totals and the Qdrant points.
#[utoipa::path(
    get,
    path = "/databases/patterns/{kb_id}/statistics",
    tag = "knowledge bases",
    params(Kb),
    responses(UpstreamErrors)
)]
pub(super) async fn statistics(
    State(state): State<AppState>,
    Path(Kb { kb_id }): Path<Kb>,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let (stats, names) = tokio::join!(
        state.clickhouse.statistics(kb_id),
        state.clickhouse.pattern_names(kb_id, None)
    );
    let stats = stats?;
    // Too many patterns to sum their frequencies (ClickHouse says so) leaves that one figure out.
    let (names, too_many) = match names {
        Ok(names) => (names, None),
        Err(kato_dashboard_browse_clickhouse::ClickHouseBrowseError::BadRequest(why)) => {
            (Vec::new(), Some(why))
        }
        Err(e) => return Err(e.into()),
    };
    let total = stats.figures.patterns;
    let redis = async {
        let (frequencies, symbols, globals) = tokio::join!(
            state.redis_browser.kato_frequencies(kb_id, &names),
            state.redis_browser.kato_symbols(kb_id),
            state.redis_browser.kato_globals(kb_id)
        );
        Ok::<_, kato_dashboard_browse_redis::RedisBrowseError>((frequencies?, symbols?, globals?))
    };
    let (redis, vectors) = tokio::join!(redis, vector_count(&state, kb_id));
    let mut sources = Sources::default();
    sources.ok("clickhouse");
    let redis = sources.take("redis", redis);
    let vectors = sources.take("qdrant", vectors);
    let f = &stats.figures;
    let distribution = |counts: &[kato_dashboard_browse_clickhouse::Count], key: &str| {
        counts
            .iter()
            .map(|c| json!({ key: c.value, "count": c.count }))
            .collect::<Vec<_>>()
    };
    let time = |secs: u32| {
        chrono::DateTime::from_timestamp(i64::from(secs), 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    Ok(Json(json!({
        "kb_id": kb_id,
        "total_patterns": total,
        "avg_length": f.avg_length,
        "min_length": f.min_length,
        "max_length": f.max_length,
        "avg_token_count": f.avg_token_count,
        "first_learned": time(f.first_created),
        "last_learned": time(f.last_created),
        "length_distribution": distribution(&stats.length_distribution, "length"),
        "event_distribution": distribution(&stats.event_distribution, "events"),
        "frequency": redis
            .as_ref()
            .filter(|_| too_many.is_none())
            .map(|(fr, _, _)| frequency_figures(fr)),
        "frequency_unavailable": too_many,
        "symbols": redis.as_ref().map(|(_, s, _)| symbols::figures(s, total)),
        "pattern_coverage": {
            "definition": "per symbol: pattern_member_frequency (distinct patterns holding the symbol, KATO's \
                symbols:pmf) / total_patterns x 100, as the old dashboard (v0.3.7) showed it",
            "total_patterns": total,
        },
        "redis_totals": redis.as_ref().map(|(_, _, g)| g),
        "vectors": vectors.map(|points| json!({
            "collection": format!("{}{kb_id}", super::VECTORS_PREFIX),
            "exists": points.is_some(),
            "points": points,
        })),
        "sources": sources.json(),
    })))
}
