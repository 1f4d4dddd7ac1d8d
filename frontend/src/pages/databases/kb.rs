//! KATO 3.x's knowledge bases (`/databases/clickhouse`): every knowledge base any of the three stores knows, with
//! its patterns (ClickHouse), symbols (Redis) and vectors (Qdrant) — a count a store could not give is "—" with
//! its reason, never 0 — and, for the selected one, the sub-tabs Patterns (`kb_patterns`), Symbols
//! (`kb_symbols`), Statistics (`kb_stats`) and, for admins only, Delete knowledge base (`kb_delete`).

use leptos::prelude::*;
use serde_json::Value;

use super::kb_delete::DeleteKnowledgeBase;
use super::kb_patterns::Patterns;
use super::kb_stats::Statistics;
use super::kb_symbols::Symbols;
use super::{Loaded, ModeNote, StoreTabs, destructive, error_banner, use_features, use_token};
use crate::components::cards::Banner;
use crate::components::icons::{Icon, Svg};
use crate::format;

/// The views of one knowledge base.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sub {
    Patterns,
    Symbols,
    Statistics,
    Delete,
}

/// Why an optional store gave no figures (`sources.<name>.reason`), if it did not.
pub fn source_down(v: &Value, name: &str) -> Option<String> {
    let s = &v["sources"][name];
    (s["available"].as_bool() == Some(false))
        .then(|| s["reason"].as_str().unwrap_or("unavailable").to_owned())
}

/// A count, or "—" when its store did not say.
fn count(v: &Value) -> String {
    v.as_f64().map(format::int).unwrap_or_else(|| "—".into())
}

/// `/databases/clickhouse`.
#[component]
pub fn KnowledgeBasesPage() -> impl IntoView {
    let tok = use_token();
    let features = use_features();
    let can_delete = Signal::derive(destructive(features));
    let bases: RwSignal<Loaded> = RwSignal::new(None);
    let selected = RwSignal::new(None::<String>);
    let sub = RwSignal::new(Sub::Patterns);
    // Set by a symbol's "find its patterns": the Patterns tab opens with this search.
    let pattern_search = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let reload = move || tok.load(bases, "/patterns/processors".into());
    reload();
    // The first knowledge base with patterns is opened, and another one when the selected one is gone.
    Effect::new(move |_| {
        if let Some(Ok(v)) = bases.get() {
            let list = v["processors"].as_array().cloned().unwrap_or_default();
            let id = |p: &Value| p["kb_id"].as_str().map(str::to_owned);
            let still_there = selected
                .get_untracked()
                .is_some_and(|s| list.iter().any(|p| id(p).as_deref() == Some(s.as_str())));
            if !still_there {
                let pick = list
                    .iter()
                    .find(|p| p["patterns_count"].as_u64().unwrap_or(0) > 0)
                    .or(list.first());
                selected.set(pick.and_then(id));
            }
        }
    });
    // Another knowledge base starts without the previous one's search.
    Effect::new(move |prev: Option<Option<String>>| {
        let now = selected.get();
        if prev.is_some_and(|p| p != now) {
            pattern_search.set(String::new());
        }
        now
    });
    // Without the right to delete, the Delete tab is gone.
    Effect::new(move |_| {
        if !can_delete.get() && sub.get_untracked() == Sub::Delete {
            sub.set(Sub::Patterns);
        }
    });
    let on_deleted = Callback::new(move |message: String| {
        notice.set(Some(message));
        sub.set(Sub::Patterns);
        selected.set(None);
        reload();
    });
    let on_find = Callback::new(move |symbol: String| {
        pattern_search.set(symbol);
        sub.set(Sub::Patterns);
    });

    let list = move || match bases.get() {
        None => view! { <p class="muted loading">"Loading knowledge bases…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the knowledge bases", &e),
        Some(Ok(v)) => {
            let items = v["processors"].as_array().cloned().unwrap_or_default();
            let warnings = [("redis", "symbol counts"), ("qdrant", "vector counts")]
                .into_iter()
                .filter_map(|(store, what)| {
                    source_down(&v, store).map(|reason| view! {
                        <Banner tone="warn" title=format!("{} did not answer: {what} unknown", if store == "redis" { "Redis" } else { "Qdrant" }) detail=reason/>
                    })
                })
                .collect_view();
            if items.is_empty() {
                return view! { {warnings}<div class="empty"><Svg icon=Icon::Disk class="empty-icon"/><p>"No knowledge bases: ClickHouse holds no patterns, Redis no KATO keys, Qdrant no vectors_* collection."</p></div> }.into_any();
            }
            view! {
                {warnings}
                <div class="kb-list kb-grid" role="list" data-testid="kb-list">
                    {items.into_iter().map(|p| kb_card(&p, selected, sub)).collect_view()}
                </div>
            }
            .into_any()
        }
    };
    let tab = move |which: Sub, label: &'static str, testid: &'static str| {
        // "Delete knowledge base" is only "Delete" on narrow screens.
        let (main, more) = match label.split_once(' ') {
            Some((first, rest)) if which == Sub::Delete => (first, Some(format!(" {rest}"))),
            _ => (label, None),
        };
        let more = more.map(|m| view! { <span class="wide-only">{m}</span> });
        view! {
            <button role="tab" class:active=move || sub.get() == which aria-selected=move || (sub.get() == which).to_string()
                class:danger-tab=which == Sub::Delete on:click=move |_| sub.set(which) data-testid=testid>{main}{more}</button>
        }
    };
    view! {
        <div class="page databases">
            <div class="page-head">
                <StoreTabs features=features/>
                <ModeNote features=features/>
            </div>
            {move || notice.get().map(|m| view! {
                <div class="banner tone-info" role="status" data-testid="kb-notice"><Svg icon=Icon::Check/><div>{m}</div></div>
            })}
            <section class="card panel" aria-label="Knowledge bases">
                <div class="row-between">
                    <h2 class="panel-title">"Knowledge bases"</h2>
                    <button class="btn small" on:click=move |_| reload()><Svg icon=Icon::Refresh/>"Refresh"</button>
                </div>
                {list}
            </section>
            {move || selected.get().map(|kb| {
                let kb = StoredValue::new(kb);
                view! {
                    <div class="kb-head">
                        <h2 class="section-title mono" data-testid="kb-selected">{kb.get_value()}</h2>
                        <div class="segmented" role="tablist" aria-label="Knowledge base">
                            {tab(Sub::Patterns, "Patterns", "kb-tab-patterns")}
                            {tab(Sub::Symbols, "Symbols", "kb-tab-symbols")}
                            {tab(Sub::Statistics, "Statistics", "kb-tab-statistics")}
                            <Show when=move || can_delete.get()>
                                {tab(Sub::Delete, "Delete knowledge base", "kb-tab-delete")}
                            </Show>
                        </div>
                    </div>
                    {move || match sub.get() {
                        Sub::Patterns => view! { <Patterns kb=kb.get_value() search=pattern_search/> }.into_any(),
                        Sub::Symbols => view! { <Symbols kb=kb.get_value() on_find=on_find/> }.into_any(),
                        Sub::Statistics => view! { <Statistics kb=kb.get_value()/> }.into_any(),
                        Sub::Delete => view! { <DeleteKnowledgeBase kb=kb.get_value() on_deleted=on_deleted/> }.into_any(),
                    }}
                }
            })}
        </div>
    }
}

/// One knowledge base in the list: its id, its three counts, and the stores it is missing from.
fn kb_card(
    p: &Value,
    selected: RwSignal<Option<String>>,
    sub: RwSignal<Sub>,
) -> impl IntoView + use<> {
    let id = p["kb_id"].as_str().unwrap_or_default().to_owned();
    let (i2, i3, data_kb) = (id.clone(), id.clone(), id.clone());
    let missing: Vec<&str> = [
        ("clickhouse", "ClickHouse"),
        ("redis", "Redis"),
        ("qdrant", "Qdrant"),
    ]
    .into_iter()
    .filter(|(k, _)| p["stores"][k].as_bool() == Some(false))
    .map(|(_, name)| name)
    .collect();
    let figure = |v: &Value, what: &'static str| {
        view! { <span><b class="num">{count(v)}</b>" "{what}</span> }
    };
    view! {
        <button class="kb kb-card" role="listitem" data-testid="kb-card" data-kb=data_kb
            class:active=move || selected.get().as_deref() == Some(i2.as_str())
            on:click=move |_| {
                if selected.get_untracked().as_deref() != Some(i3.as_str()) {
                    sub.set(Sub::Patterns);
                }
                selected.set(Some(i3.clone()));
            }>
            <span class="mono">{id}</span>
            <span class="kb-counts small muted">
                {figure(&p["patterns_count"], "patterns")}
                {figure(&p["symbols_count"], "symbols")}
                {figure(&p["vectors_count"], "vectors")}
            </span>
            {(!missing.is_empty()).then(|| view! {
                <span class="small kb-missing">{format!("not in {}", missing.join(", "))}</span>
            })}
        </button>
    }
}
