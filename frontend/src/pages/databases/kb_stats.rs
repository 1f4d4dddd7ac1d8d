//! A KATO 3.x knowledge base in figures (`GET …/patterns/{kb}/statistics`): patterns, symbols, total frequency
//! (learns), vectors and lengths as cards; pattern coverage — the share of all patterns holding a symbol — on
//! average and for the ten most frequent symbols, as bars; and the distributions of lengths, events and
//! frequencies. A store that did not answer shows "—" and its reason, never 0.

use leptos::prelude::*;
use serde_json::Value;

use super::kb::source_down;
use super::kb_symbols::coverage_bar;
use super::{Loaded, error_banner, use_token};
use crate::api_db::enc;
use crate::components::cards::{Banner, StatCard};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::kb::{short_symbol, utc_text};

fn int(v: &Value) -> String {
    v.as_f64().map_or_else(|| "—".into(), format::int)
}

/// The Statistics tab.
#[component]
pub fn Statistics(kb: String) -> impl IntoView {
    let tok = use_token();
    let stats: RwSignal<Loaded> = RwSignal::new(None);
    tok.load(stats, format!("/patterns/{}/statistics", enc(&kb)));
    let figure = move |f: fn(&Value) -> String| {
        Signal::derive(move || {
            stats.with(|s| match s {
                Some(Ok(v)) => f(v),
                Some(Err(_)) => "—".into(),
                None => "…".into(),
            })
        })
    };
    let body = move || {
        match stats.get() {
        None => None,
        Some(Err(e)) if e.is_not_found() => Some(view! {
            <div class="card empty"><Svg icon=Icon::Disk class="empty-icon"/><p>"No patterns in ClickHouse for this knowledge base: nothing to count."</p></div>
        }.into_any()),
        Some(Err(e)) => Some(error_banner("the statistics", &e)),
        Some(Ok(v)) => Some(view! {
            {["redis", "qdrant"].into_iter().filter_map(|s| source_down(&v, s).map(|reason| view! {
                <Banner tone="warn" title=format!("{} did not answer: its figures are unknown", if s == "redis" { "Redis" } else { "Qdrant" }) detail=reason/>
            })).collect_view()}
            <div class="split kb-stats-split">
                {coverage(&v)}
                {distributions(&v)}
            </div>
        }.into_any()),
    }
    };
    view! {
        <div class="stats" data-testid="kb-stats">
            <StatCard label="Patterns" icon=Icon::Grid testid="kb-stat-patterns" value=figure(|v| int(&v["total_patterns"]))
                sub=figure(|v| format!("latest {}", v["last_learned"].as_str().map_or_else(|| "—".into(), |t| utc_text(t).chars().take(16).collect::<String>())))/>
            <StatCard label="Symbols" icon=Icon::Users testid="kb-stat-symbols" value=figure(|v| int(&v["symbols"]["total_symbols"]))
                sub=figure(|v| if v["symbols"].is_null() { "Redis did not answer".into() } else { format!("{} observations", int(&v["symbols"]["total_frequency"])) })/>
            <StatCard label="Total frequency" icon=Icon::Pulse testid="kb-stat-frequency" value=figure(|v| int(&v["frequency"]["total"]))
                sub=figure(|v| if v["frequency"].is_null() { "Redis did not answer".into() } else {
                    format!("learns · avg {} · max {}", v["frequency"]["avg"].as_f64().map_or_else(|| "—".into(), |x| format::fixed(x, 2)), int(&v["frequency"]["max"])) })/>
            <StatCard label="Vectors" icon=Icon::Network testid="kb-stat-vectors" value=figure(|v| int(&v["vectors"]["points"]))
                sub=figure(|v| match &v["vectors"] {
                    Value::Null => "Qdrant did not answer".into(),
                    q if q["exists"] == false => format!("no collection {}", q["collection"].as_str().unwrap_or_default()),
                    q => q["collection"].as_str().unwrap_or_default().to_owned(),
                })/>
            <StatCard label="Avg length" icon=Icon::Clock value=figure(|v| v["avg_length"].as_f64().map_or_else(|| "—".into(), |x| format::fixed(x, 1)))
                sub=figure(|v| format!("symbols · min {} · max {}", int(&v["min_length"]), int(&v["max_length"])))/>
        </div>
        {body}
    }
}

/// Pattern coverage: its definition, the average over all symbols, and the ten most frequent symbols.
fn coverage(v: &Value) -> impl IntoView + use<> {
    let total = v["total_patterns"].as_u64().unwrap_or(0);
    let symbols = &v["symbols"];
    let top = symbols["top_symbols"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let inner = if symbols.is_null() {
        view! { <p class="muted">"Unknown: the symbols are in Redis, which did not answer."</p> }
            .into_any()
    } else {
        view! {
            <div class="coverage-avg" data-testid="kb-coverage-avg">
                <span class="muted small">{format!("Average over {} symbols", int(&symbols["total_symbols"]))}</span>
                {coverage_bar(symbols["avg_pattern_coverage_percent"].as_f64())}
            </div>
            <div class="table-wrap">
            <table class="table compact kb-table" data-testid="kb-coverage">
                <thead><tr><th>"Most frequent symbols"</th><th>"Coverage"</th><th class="num-col">"Patterns"</th></tr></thead>
                <tbody>{top.into_iter().map(|s| view! {
                    <tr>
                        <td class="mono key-cell" title=s["name"].as_str().unwrap_or_default().to_owned()>{short_symbol(s["name"].as_str().unwrap_or_default())}</td>
                        <td class="coverage-cell">{coverage_bar(s["pattern_coverage_percent"].as_f64())}</td>
                        <td class="num-col num muted">{format!("{} of {}", int(&s["pattern_member_frequency"]), format::int(total as f64))}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card panel" aria-label="Pattern coverage">
            <h2 class="panel-title">"Pattern coverage"</h2>
            <p class="muted small">"The share of all this knowledge base's patterns that hold a symbol (patterns holding it ÷ all patterns)."</p>
            {inner}
        </section>
    }
}

/// Bars of `(value, count)` pairs read from `list` with `key`.
fn bars(list: &Value, key: &str, what: &'static str) -> impl IntoView + use<> {
    let items: Vec<(String, f64)> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d[key].to_string(), d["count"].as_f64().unwrap_or(0.0)))
        .collect();
    let max = items.iter().map(|(_, c)| *c).fold(1.0, f64::max);
    // Many columns: narrower gaps, and on phones every other label.
    let dense = items.len() > 16;
    if items.is_empty() {
        return view! { <p class="muted small">"—"</p> }.into_any();
    }
    view! {
        <div class="dist" class:dense=dense aria-label=what>
            {items.into_iter().map(|(label, c)| {
                let title = format!("{what} {label}: {} patterns", format::int(c));
                view! {
                <div class="dist-col" title=title>
                    <i style=format!("height:{}%", (c / max * 100.0).round())></i>
                    <span class="small muted">{label}</span>
                </div>
            }}).collect_view()}
        </div>
    }
    .into_any()
}

/// Lengths, events and frequencies of the patterns, as bars.
fn distributions(v: &Value) -> impl IntoView + use<> {
    view! {
        <section class="card panel" aria-label="Distributions">
            <h2 class="panel-title">"Patterns by length"</h2>
            {bars(&v["length_distribution"], "length", "length")}
            <h2 class="panel-title">"Patterns by number of events"</h2>
            {bars(&v["event_distribution"], "events", "events")}
            <h2 class="panel-title">"Patterns by frequency"</h2>
            {bars(&v["frequency"]["distribution"], "frequency", "frequency")}
        </section>
    }
}
