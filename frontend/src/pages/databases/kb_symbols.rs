//! A KATO 3.x knowledge base's symbols (Redis): the symbol figures (totals, means, average pattern coverage),
//! a page of symbols sorted on the server by frequency, patterns holding them, frequency per pattern or name,
//! with a debounced search, each with its pattern coverage (% of all the knowledge base's patterns, as a bar)
//! and affinity; a symbol's drawer shows its affinity (`GET …/affinity/{symbol}`) and finds its patterns.

use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;

use super::{Loaded, SideDrawer, error_banner, use_token};
use crate::api_db::{enc, query};
use crate::components::cards::StatCard;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::kb::{bar_width, short_symbol};

const LIMIT: u64 = 20;
const DEBOUNCE: Duration = Duration::from_millis(300);

/// A coverage bar with its percentage.
pub fn coverage_bar(percent: Option<f64>) -> impl IntoView {
    let text = percent.map_or_else(|| "—".into(), format::percent);
    view! {
        <span class="coverage">
            <span class="bar" aria-hidden="true"><i style=format!("width:{:.1}%", bar_width(percent.unwrap_or(0.0)))></i></span>
            <span class="num">{text}</span>
        </span>
    }
}

fn int(v: &Value) -> String {
    v.as_f64().map_or_else(|| "—".into(), format::int)
}

/// An affinity (emotive → running sum) on one line.
fn affinity_text(v: &Value) -> String {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, x)| {
                format!(
                    "{k} {}",
                    x.as_f64()
                        .map_or_else(|| "—".into(), |f| format::fixed(f, 1))
                )
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Some(_) => "none".into(),
        None => "—".into(),
    }
}

/// The Symbols tab.
#[component]
pub fn Symbols(kb: String, on_find: Callback<String>) -> impl IntoView {
    let tok = use_token();
    let stats: RwSignal<Loaded> = RwSignal::new(None);
    let page: RwSignal<Loaded> = RwSignal::new(None);
    let seq = StoredValue::new(0u64);
    let skip = RwSignal::new(0u64);
    let sort = RwSignal::new(("frequency", "desc"));
    let search = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    let open = RwSignal::new(None::<Value>);
    let kb = StoredValue::new(kb);
    tok.load(
        stats,
        format!("/symbols/{}/statistics", enc(&kb.get_value())),
    );
    Effect::new(move |_| {
        let (by, order) = sort.get();
        let q = query(&[
            ("skip", skip.get().to_string()),
            ("limit", LIMIT.to_string()),
            ("sort_by", by.to_string()),
            ("sort_order", order.to_string()),
            ("search", search.get().trim().to_owned()),
        ]);
        tok.load_latest(page, seq, format!("/symbols/{}{q}", enc(&kb.get_value())));
    });
    let apply = move |text: String| {
        if search.get_untracked() != text {
            search.set(text);
            skip.set(0);
        }
    };
    let on_input = move |e: leptos::ev::Event| {
        let text = event_target_value(&e);
        draft.set(text.clone());
        set_timeout(
            move || {
                if draft.try_get_untracked().as_ref() == Some(&text) {
                    apply(text);
                }
            },
            DEBOUNCE,
        );
    };
    let figure = move |f: fn(&Value) -> String| {
        Signal::derive(move || {
            stats.with(|s| match s {
                Some(Ok(v)) => f(v),
                Some(Err(_)) => "—".into(),
                None => "…".into(),
            })
        })
    };
    let header = move |key: &'static str, label: &'static str, numeric: bool| {
        view! {
            <th class:num-col=numeric aria-sort=move || match sort.get() { (k, "desc") if k == key => "descending", (k, _) if k == key => "ascending", _ => "none" }>
                <button class="th-btn" class:num-th=numeric data-sort=key
                    on:click=move |_| { sort.update(|s| *s = if s.0 == key && s.1 == "desc" { (key, "asc") } else { (key, "desc") }); skip.set(0); }>
                    {label}<span class="sort-arrow">{move || match sort.get() { (k, "desc") if k == key => "↓", (k, _) if k == key => "↑", _ => "↕" }}</span>
                </button>
            </th>
        }
    };
    let total = move || {
        page.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|v| v["total"].as_u64())
        })
    };
    let has_more =
        move || page.with(|p| matches!(p, Some(Ok(v)) if v["has_more"].as_bool() == Some(true)));
    let rows = move || match page.get() {
        None => view! { <tr><td colspan="6" class="muted">"Loading…"</td></tr> }.into_any(),
        Some(Err(e)) if e.is_not_found() => {
            view! { <tr><td colspan="6"><div class="empty"><Svg icon=Icon::Disk class="empty-icon"/>
            <p>"No symbols in Redis for this knowledge base."</p></div></td></tr> }
            .into_any()
        }
        Some(Err(e)) => {
            view! { <tr><td colspan="6">{error_banner("the symbols", &e)}</td></tr> }.into_any()
        }
        Some(Ok(v)) => {
            let list = v["symbols"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return view! { <tr><td colspan="6"><div class="empty"><Svg icon=Icon::Search class="empty-icon"/>
                    <p>"No symbol matches."</p></div></td></tr> }.into_any();
            }
            list.into_iter().map(|s| {
                let name = s["name"].as_str().unwrap_or_default().to_owned();
                let (n2, row) = (name.clone(), s.clone());
                view! {
                    <tr class="clickable" class:selected=move || open.with(|o| o.as_ref().is_some_and(|o| o["name"] == n2.as_str()))
                        on:click=move |_| open.set(Some(row.clone())) data-name=name.clone()>
                        <td class="mono key-cell" title=name.clone()>{short_symbol(&name)}</td>
                        <td class="num-col num">{int(&s["frequency"])}</td>
                        <td class="num-col num">{int(&s["pattern_member_frequency"])}</td>
                        <td class="coverage-cell">{coverage_bar(s["pattern_coverage_percent"].as_f64())}</td>
                        <td class="num-col num">{s["freq_pmf_ratio"].as_f64().map_or_else(|| "—".into(), |r| format::fixed(r, 2))}</td>
                        <td class="small muted affinity-cell">{affinity_text(&s["affinity"])}</td>
                    </tr>
                }
            }).collect_view().into_any()
        }
    };
    view! {
        {move || stats.with(|s| match s { Some(Err(e)) if !e.is_not_found() => Some(error_banner("the symbol figures", e)), _ => None })}
        <div class="stats" data-testid="kb-symbol-stats">
            <StatCard label="Symbols" icon=Icon::Grid testid="kb-symbols-total" value=figure(|v| int(&v["total_symbols"]))
                sub=figure(|v| format!("in {} patterns", int(&v["total_patterns"])))/>
            <StatCard label="Observations" icon=Icon::Pulse value=figure(|v| int(&v["total_frequency"]))
                sub=figure(|v| format!("avg {} · max {}", v["avg_frequency"].as_f64().map_or_else(|| "—".into(), |x| format::fixed(x, 1)), int(&v["max_frequency"])))/>
            <StatCard label="Patterns per symbol" icon=Icon::Network value=figure(|v| v["avg_pattern_member_frequency"].as_f64().map_or_else(|| "—".into(), |x| format::fixed(x, 1)))
                sub=figure(|v| format!("max {}", int(&v["max_pattern_member_frequency"])))/>
            <StatCard label="Avg pattern coverage" icon=Icon::Check value=figure(|v| v["avg_pattern_coverage_percent"].as_f64().map_or_else(|| "—".into(), format::percent))
                sub="of all patterns".to_string()/>
        </div>
        <section class="card panel" aria-label="Symbols">
            <div class="row-between wrap">
                <h2 class="panel-title">"Symbols"</h2>
                <form class="search" on:submit=move |e| { e.prevent_default(); apply(draft.get_untracked()); }>
                    <Svg icon=Icon::Search/>
                    <input type="search" placeholder="Search symbols" aria-label="Search symbols"
                        prop:value=move || draft.get() on:input=on_input data-testid="kb-symbol-search"/>
                </form>
            </div>
            <div class="table-wrap">
                <table class="table compact kb-table" data-testid="kb-symbols">
                    <thead><tr>
                        {header("name", "Symbol", false)}
                        {header("frequency", "Frequency", true)}
                        {header("pattern_member_frequency", "Patterns", true)}
                        <th>"Pattern coverage"</th>
                        {header("freq_pmf_ratio", "Per pattern", true)}
                        <th>"Affinity"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <div class="pager">
                <span class="muted small num">{move || match total() {
                    Some(0) | None => "No symbols".to_string(),
                    Some(t) => format!("{}–{} of {}", skip.get() + 1, (skip.get() + LIMIT).min(t), format::int(t as f64)),
                }}</span>
                <div class="pager-btns">
                    <button class="btn small" aria-label="Previous page" disabled=move || skip.get() == 0
                        on:click=move |_| skip.update(|s| *s = s.saturating_sub(LIMIT))>"‹ Prev"</button>
                    <button class="btn small" aria-label="Next page" disabled=move || !has_more()
                        on:click=move |_| skip.update(|s| *s += LIMIT)>"Next ›"</button>
                </div>
            </div>
        </section>
        <SymbolDrawer kb=kb.get_value() open=open on_find=on_find/>
    }
}

/// The drawer of one symbol: its counts, coverage and affinity.
#[component]
fn SymbolDrawer(
    kb: String,
    open: RwSignal<Option<Value>>,
    on_find: Callback<String>,
) -> impl IntoView {
    let tok = use_token();
    let affinity: RwSignal<Loaded> = RwSignal::new(None);
    let seq = StoredValue::new(0u64);
    let kb = StoredValue::new(kb);
    Effect::new(move |_| {
        if let Some(name) = open.with(|o| {
            o.as_ref()
                .and_then(|s| s["name"].as_str().map(str::to_owned))
        }) {
            affinity.set(None);
            let path = format!("/symbols/{}/affinity/{}", enc(&kb.get_value()), enc(&name));
            tok.load_latest(affinity, seq, path);
        }
    });
    let close = Callback::new(move |()| open.set(None));
    let body = move || {
        let row = open.get()?;
        let name = row["name"].as_str().unwrap_or_default().to_owned();
        let find = name.clone();
        let sums = move || match affinity.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => error_banner("the affinity", &e),
            Some(Ok(v)) => {
                let map = v["affinity"].as_object().cloned().unwrap_or_default();
                if map.is_empty() {
                    return view! { <p class="muted small">"Learned without emotives: no affinity."</p> }.into_any();
                }
                let max = map
                    .values()
                    .filter_map(Value::as_f64)
                    .fold(1e-9_f64, |m, x| m.max(x.abs()));
                view! {
                    <table class="table compact" data-testid="symbol-affinity">
                        <thead><tr><th>"Emotive"</th><th class="num-col">"Sum"</th><th>""</th></tr></thead>
                        <tbody>{map.into_iter().map(|(k, x)| {
                            let f = x.as_f64().unwrap_or(0.0);
                            view! { <tr>
                                <td class="mono">{k}</td>
                                <td class="num-col num">{format::fixed(f, 3)}</td>
                                <td class="bar-cell"><span class="bar" class:neg=f < 0.0><i style=format!("width:{:.1}%", bar_width(f.abs() / max * 100.0))></i></span></td>
                            </tr> }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }
        };
        Some(view! {
            <div class="point-detail" data-testid="symbol-detail">
                <h3 class="mono key-title">{name.clone()}</h3>
                <dl class="facts">
                    <dt>"Frequency"</dt><dd class="num">{int(&row["frequency"])}</dd>
                    <dt>"Patterns"</dt><dd class="num">{int(&row["pattern_member_frequency"])}</dd>
                    <dt>"Per pattern"</dt><dd class="num">{row["freq_pmf_ratio"].as_f64().map_or_else(|| "—".into(), |r| format::fixed(r, 2))}</dd>
                </dl>
                <h3 class="section-title">"Pattern coverage"</h3>
                <div data-testid="symbol-coverage">{coverage_bar(row["pattern_coverage_percent"].as_f64())}</div>
                <p class="muted small">"Share of all patterns of the knowledge base that hold this symbol."</p>
                <h3 class="section-title">"Affinity"</h3>
                <p class="muted small">"Running sums of the emotives learned with this symbol, as KATO's /symbols/{symbol}/affinity answers them."</p>
                {sums}
                <div>
                    <button class="btn small" on:click=move |_| { open.set(None); on_find.run(find.clone()); } data-testid="symbol-find-patterns">
                        <Svg icon=Icon::Search/>"Patterns with this symbol"</button>
                </div>
            </div>
        })
    };
    view! {
        <SideDrawer open=Signal::derive(move || open.with(Option::is_some)) on_close=close label="Symbol" testid="symbol-drawer">
            {body}
        </SideDrawer>
    }
}
