//! `GET /databases/symbols/{kb_id}` (a page of symbols: frequency, patterns holding it, pattern coverage,
//! affinity), `GET /databases/symbols/{kb_id}/statistics` (the old symbol cards) and
//! `GET /databases/symbols/{kb_id}/affinity/{symbol}` (KATO's `/symbols/{symbol}/affinity`).
//!
//! **Pattern coverage** is defined as v0.3.7 showed it ("% of total patterns", commit 80a2c95): the share of the
//! knowledge base's patterns that contain the symbol, `pattern_member_frequency / total_patterns × 100`, where
//! `pattern_member_frequency` is KATO's `<kb>:symbols:pmf` (distinct patterns holding the symbol) and
//! `total_patterns` the knowledge base's rows in ClickHouse.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, State},
};
use kato_dashboard_browse_clickhouse::SortOrder;
use kato_dashboard_browse_redis::kato_kb::SymbolCounts;
use serde_json::{Value, json};

use super::{Kb, KbSymbol, PageParams, kb};
use crate::{error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, state::AppState};

/// Symbols in `top_symbols`.
const TOP: usize = 10;

/// The symbol's share of all patterns, in percent (0 when there are none).
pub(super) fn coverage(pattern_member_frequency: u64, total_patterns: u64) -> f64 {
    if total_patterns == 0 {
        0.0
    } else {
        pattern_member_frequency as f64 / total_patterns as f64 * 100.0
    }
}

/// Occurrences per pattern holding it (the old `freq_pmf_ratio`, 2 decimals; 0 without patterns).
fn ratio(s: &SymbolCounts) -> f64 {
    if s.pattern_member_frequency == 0 {
        0.0
    } else {
        (s.frequency as f64 / s.pattern_member_frequency as f64 * 100.0).round() / 100.0
    }
}

fn symbol_json(s: &SymbolCounts, total_patterns: u64) -> Value {
    json!({
        "name": s.name,
        "frequency": s.frequency,
        "pattern_member_frequency": s.pattern_member_frequency,
        "freq_pmf_ratio": ratio(s),
        "pattern_coverage_percent": coverage(s.pattern_member_frequency, total_patterns),
    })
}

/// The figures of all symbols: counts, sums, means, maxima, and the top ten by frequency.
pub(super) fn figures(symbols: &[SymbolCounts], total_patterns: u64) -> Value {
    let n = symbols.len() as f64;
    let total_frequency: u64 = symbols.iter().map(|s| s.frequency).sum();
    let total_pmf: u64 = symbols.iter().map(|s| s.pattern_member_frequency).sum();
    let mean = |sum: u64| if n > 0.0 { sum as f64 / n } else { 0.0 };
    let mut top: Vec<&SymbolCounts> = symbols.iter().collect();
    top.sort_by(|a, b| {
        b.frequency
            .cmp(&a.frequency)
            .then_with(|| a.name.cmp(&b.name))
    });
    json!({
        "total_symbols": symbols.len(),
        "total_frequency": total_frequency,
        "avg_frequency": mean(total_frequency),
        "max_frequency": symbols.iter().map(|s| s.frequency).max().unwrap_or(0),
        "avg_pattern_member_frequency": mean(total_pmf),
        "max_pattern_member_frequency": symbols.iter().map(|s| s.pattern_member_frequency).max().unwrap_or(0),
        "avg_pattern_coverage_percent": coverage(total_pmf, total_patterns) / n.max(1.0),
        "top_symbols": top.iter().take(TOP).map(|s| symbol_json(s, total_patterns)).collect::<Vec<_>>(),
    })
}

/// A kb's symbols (Redis) and pattern count (ClickHouse); 404 when it has neither.
async fn load(state: &AppState, kb_id: &str) -> Result<(Vec<SymbolCounts>, u64), ApiError> {
    let (symbols, total) = tokio::join!(
        state.redis_browser.kato_symbols(kb_id),
        state.clickhouse.pattern_count(kb_id, None)
    );
    let (symbols, total) = (symbols?, total?);
    if symbols.is_empty() && total == 0 {
        return Err(ApiError::NotFound(format!(
            "knowledge base `{kb_id}` has no symbols in Redis and no patterns in ClickHouse"
        )));
    }
    Ok((symbols, total))
}

/// Symbols with frequency, patterns holding them, pattern coverage and affinity
///
/// From Redis (symbols:freq, symbols:pmf, affinity:<symbol> for the page). `sort_by` `frequency` (default),
/// `pattern_member_frequency` (`pmf`, `pattern_coverage`), `freq_pmf_ratio` (`ratio`) or `name`; `search` finds text in
/// the symbol, ignoring case.
#[utoipa::path(
    get,
    path = "/databases/symbols/{kb_id}",
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
    // The same bounds as patterns (limit 1..=1000, skip ≤ i64::MAX), with the symbol sort keys.
    let order = SortOrder::parse(params.sort_order.as_deref())?;
    kato_dashboard_browse_clickhouse::PatternQuery {
        skip: params.skip,
        limit: params.limit,
        ..Default::default()
    }
    .validate()?;
    let sort_by = match params.sort_by.as_deref().map(str::trim).unwrap_or_default() {
        "" | "frequency" => "frequency",
        "pattern_member_frequency" | "pmf" | "pattern_coverage" | "pattern_count" => {
            "pattern_member_frequency"
        }
        "freq_pmf_ratio" | "ratio" => "freq_pmf_ratio",
        "name" => "name",
        other => {
            return Err(ApiError::BadRequest(format!(
                "sort_by must be frequency, pattern_member_frequency, freq_pmf_ratio or name, not `{}`",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    let (mut symbols, total_patterns) = load(&state, kb_id).await?;
    let search = params
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(text) = search {
        let text = text.to_lowercase();
        symbols.retain(|s| s.name.to_lowercase().contains(&text));
    }
    symbols.sort_by(|a, b| {
        let by = match sort_by {
            "pattern_member_frequency" => {
                a.pattern_member_frequency.cmp(&b.pattern_member_frequency)
            }
            "freq_pmf_ratio" => ratio(a).total_cmp(&ratio(b)),
            "name" => a.name.cmp(&b.name),
            _ => a.frequency.cmp(&b.frequency),
        };
        let by = if order == SortOrder::Desc {
            by.reverse()
        } else {
            by
        };
        by.then_with(|| a.name.cmp(&b.name))
    });
    let total = symbols.len() as u64;
    let skip = usize::try_from(params.skip).unwrap_or(usize::MAX);
    let page: Vec<&SymbolCounts> = symbols
        .iter()
        .skip(skip)
        .take(params.limit as usize)
        .collect();
    let names: Vec<&str> = page.iter().map(|s| s.name.as_str()).collect();
    let affinities = state.redis_browser.kato_affinities(kb_id, &names).await?;
    let listed: Vec<Value> = page
        .iter()
        .zip(affinities)
        .map(|(s, a)| {
            let mut v = symbol_json(s, total_patterns);
            v["affinity"] = json!(a);
            v
        })
        .collect();
    Ok(Json(json!({
        "kb_id": kb_id,
        "symbols": listed,
        "total": total,
        "skip": params.skip,
        "limit": params.limit,
        "has_more": params.skip.saturating_add(page.len() as u64) < total,
        "sort_by": sort_by,
        "sort_order": order,
        "search": search,
        "total_patterns": total_patterns,
    })))
}

/// Symbol statistics
///
/// The old symbol cards: totals, means, maxima and the ten most frequent symbols.
#[utoipa::path(
    get,
    path = "/databases/symbols/{kb_id}/statistics",
    tag = "knowledge bases",
    params(Kb),
    responses(UpstreamErrors)
)]
pub(super) async fn statistics(
    State(state): State<AppState>,
    Path(Kb { kb_id }): Path<Kb>,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let (symbols, total_patterns) = load(&state, kb_id).await?;
    let mut v = figures(&symbols, total_patterns);
    v["kb_id"] = json!(kb_id);
    v["total_patterns"] = json!(total_patterns);
    Ok(Json(v))
}

/// One symbol's affinity
///
/// Emotive → running sum (KATO's `HINCRBYFLOAT` sums, as KATO's own `/symbols/{symbol}/affinity` answers them), with
/// the symbol's counts; `{}` for a symbol learned without emotives, 404 for a symbol the knowledge base does not have.
#[utoipa::path(
    get,
    path = "/databases/symbols/{kb_id}/affinity/{*symbol}",
    tag = "knowledge bases",
    params(KbSymbol),
    responses(UpstreamErrors)
)]
pub(super) async fn affinity(
    State(state): State<AppState>,
    Path(KbSymbol { kb_id, symbol }): Path<KbSymbol>,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let wanted = [symbol.as_str()];
    let (counts, affinity) = tokio::join!(
        state.redis_browser.kato_symbol(kb_id, &symbol),
        state.redis_browser.kato_affinities(kb_id, &wanted)
    );
    let affinity: Option<BTreeMap<String, f64>> = affinity?.into_iter().next().flatten();
    let counts = counts?;
    if counts.is_none() && affinity.is_none() {
        return Err(ApiError::NotFound(format!(
            "knowledge base `{kb_id}` has no symbol `{}`",
            symbol.chars().take(120).collect::<String>()
        )));
    }
    Ok(Json(json!({
        "kb_id": kb_id,
        "node_id": kb_id,
        "symbol": symbol,
        "affinity": affinity.unwrap_or_default(),
        "frequency": counts.as_ref().map(|c| c.frequency),
        "pattern_member_frequency": counts.as_ref().map(|c| c.pattern_member_frequency),
    })))
}
