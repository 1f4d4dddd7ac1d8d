//! MongoDB: KATO's knowledge bases (databases holding `*_kb` collections) → one base's statistics (patterns,
//! frequency figures, length distribution) and its patterns (`mongo_patterns`) or any collection's documents
//! with a JSON filter (`mongo_docs`).

use leptos::prelude::*;
use serde_json::Value;

use super::mongo_docs::Collections;
use super::mongo_patterns::Patterns;
use super::{Loaded, ModeNote, StoreTabs, destructive, error_banner, use_features, use_token};
use crate::api_db::enc;
use crate::components::cards::StatCard;
use crate::components::icons::{Icon, Svg};
use crate::format;

/// Which view of a knowledge base.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Patterns,
    Collections,
}

/// `/databases/mongodb`.
#[component]
pub fn MongoPage() -> impl IntoView {
    let tok = use_token();
    let features = use_features();
    let can_delete = Signal::derive(destructive(features));
    let bases: RwSignal<Loaded> = RwSignal::new(None);
    let selected = RwSignal::new(None::<String>);
    let tab = RwSignal::new(View::Patterns);
    tok.load(bases, "/mongodb/processors".into());
    Effect::new(move |_| {
        if selected.get_untracked().is_none()
            && let Some(Ok(v)) = bases.get()
        {
            let first = v["processors"][0]["processor_id"]
                .as_str()
                .map(str::to_owned);
            selected.set(first);
        }
    });
    let list = move || match bases.get() {
        None => view! { <p class="muted loading">"Loading knowledge bases…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the MongoDB knowledge bases", &e),
        Some(Ok(v)) => {
            let items = v["processors"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                return view! { <div class="empty"><Svg icon=Icon::Disk class="empty-icon"/><p>"No KATO knowledge bases (no database holds a *_kb collection)."</p></div> }.into_any();
            }
            view! {
                <div class="kb-list" role="list" data-testid="mongo-bases">
                    {items.into_iter().map(|p| {
                        let id = p["processor_id"].as_str().unwrap_or_default().to_owned();
                        let (i2, i3) = (id.clone(), id.clone());
                        let patterns = p["patterns_count"].as_f64().map(format::int).unwrap_or_else(|| "—".into());
                        let collections = p["collections"].as_array().map_or(0, Vec::len);
                        view! {
                            <button class="kb" role="listitem" class:active=move || selected.get().as_deref() == Some(i2.as_str())
                                on:click=move |_| selected.set(Some(i3.clone()))>
                                <span class="mono">{id}</span>
                                <span class="muted small">{format!("{patterns} patterns · {collections} collections")}</span>
                            </button>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    };
    view! {
        <div class="page databases">
            <div class="page-head">
                <StoreTabs features=features/>
                <ModeNote features=features/>
            </div>
            <section class="card panel" aria-label="Knowledge bases">
                <h2 class="panel-title">"Knowledge bases"</h2>
                {list}
            </section>
            {move || selected.get().map(|db| view! {
                <Stats db=db.clone()/>
                <div class="row-between">
                    <div class="segmented" role="tablist">
                        <button role="tab" class:active=move || tab.get() == View::Patterns on:click=move |_| tab.set(View::Patterns)>"Patterns"</button>
                        <button role="tab" class:active=move || tab.get() == View::Collections on:click=move |_| tab.set(View::Collections)>"Collections"</button>
                    </div>
                </div>
                {move || match tab.get() {
                    View::Patterns => view! { <Patterns db=db.clone() can_delete=can_delete/> }.into_any(),
                    View::Collections => view! { <Collections db=db.clone() can_delete=can_delete/> }.into_any(),
                }}
            })}
        </div>
    }
}

/// The base's statistics cards and length distribution.
#[component]
fn Stats(db: String) -> impl IntoView {
    let tok = use_token();
    let stats: RwSignal<Loaded> = RwSignal::new(None);
    tok.load(stats, format!("/mongodb/{}/statistics", enc(&db)));
    let figure = move |f: fn(&Value) -> String| {
        Signal::derive(move || {
            stats.with(|s| match s {
                Some(Ok(v)) => f(v),
                Some(Err(_)) => "—".into(),
                None => "…".into(),
            })
        })
    };
    let bars = move || {
        stats.with(|s| match s {
            Some(Ok(v)) => {
                let dist = v["length_distribution"].as_array().cloned().unwrap_or_default();
                let max = dist.iter().filter_map(|d| d["count"].as_f64()).fold(1.0, f64::max);
                Some(view! {
                    <div class="dist" aria-label="Pattern length distribution">
                        {dist.into_iter().map(|d| {
                            let c = d["count"].as_f64().unwrap_or(0.0);
                            view! { <div class="dist-col" title=format!("length {}: {} patterns", d["_id"], c)>
                                <i style=format!("height:{}%", (c / max * 100.0).round())></i>
                                <span class="small muted">{d["_id"].to_string()}</span>
                            </div> }
                        }).collect_view()}
                    </div>
                })
            }
            Some(Err(e)) => Some(view! { <div class="dist"><p class="error">{e.to_string()}</p></div> }),
            None => None,
        })
    };
    view! {
        <div class="stats" data-testid="mongo-stats">
            <StatCard label="Patterns" icon=Icon::Grid testid="mongo-total" value=figure(|v| v["total_patterns"].as_f64().map(format::int).unwrap_or_else(|| "0".into()))
                sub=figure(|v| format!("{} observations in total", v["frequency_stats"]["total_frequency"].as_f64().map(format::int).unwrap_or_else(|| "0".into())))/>
            <StatCard label="Avg frequency" icon=Icon::Pulse value=figure(|v| v["frequency_stats"]["avg_frequency"].as_f64().map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into()))
                sub=figure(|v| format!("min {} · max {}", v["frequency_stats"]["min_frequency"], v["frequency_stats"]["max_frequency"]))/>
            <section class="card stat dist-card">
                <div class="stat-head"><span class="stat-label">"Length distribution"</span></div>
                {bars}
            </section>
        </div>
    }
}
