//! Parts of the Analytics page that do not come from the history store: the load-prediction cards
//! (`/analytics/predictions/load`, refreshed every 30 s) and the most frequent patterns
//! (`/analytics/patterns/frequency?limit=15`, as horizontal bars, with a knowledge-base selector).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::cards::{Banner, Panel, StatCard};
use crate::components::icons::Icon;
use crate::format;
use crate::services::use_clock;
use crate::state::analytics::{LoadView, TopPatterns, kb_options_html, trend_tone};

const DASH: &str = "—";
const TOP: u32 = 15;
const LOAD_EVERY_MS: f64 = 30_000.0;

fn or_dash(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| DASH.into())
}

/// Current load, capacity and the recommendation.
#[component]
pub fn LoadCards() -> impl IntoView {
    let clock = use_clock();
    let load = RwSignal::new(None::<Result<LoadView, String>>);
    let last = StoredValue::new(f64::NEG_INFINITY);
    Effect::new(move |_| {
        let now = clock.now();
        if now - last.get_value() < LOAD_EVERY_MS {
            return;
        }
        last.set_value(now);
        spawn_local(async move {
            let answer = api::load_prediction()
                .await
                .map(|v| LoadView::from_value(&v))
                .map_err(|e| e.to_string());
            load.set(Some(answer));
        });
    });
    let view_of = move || {
        load.with(|l| match l {
            Some(Ok(v)) => v.clone(),
            _ => LoadView::default(),
        })
    };
    let trend = |t: Option<String>| t.map(|t| format!("trend: {t}")).unwrap_or_default();
    // `Critical: Consider scaling…` → `Critical` big, the rest below.
    let action = move || view_of().action.unwrap_or_default();
    let headline = move || {
        let a = action();
        let h = a.split(':').next().map(str::trim).unwrap_or_default();
        if h.is_empty() {
            DASH.to_string()
        } else {
            h.to_string()
        }
    };
    let detail = move || {
        action()
            .split_once(':')
            .map(|p| p.1.trim().to_string())
            .unwrap_or_default()
    };
    view! {
        {move || load.with(|l| match l {
            Some(Err(e)) => Some(view! { <Banner tone="warn" title=format!("Load prediction unavailable: {e}")/> }),
            _ => None,
        })}
        <div class="stats" data-testid="load-cards">
            <StatCard label="Host CPU" icon=Icon::Cpu testid="load-cpu"
                value=Signal::derive(move || or_dash(view_of().cpu_percent, format::percent))
                sub=Signal::derive(move || trend(view_of().cpu_trend))
                tone=Signal::derive(move || trend_tone(view_of().cpu_trend.as_deref()))/>
            <StatCard label="Host memory" icon=Icon::Memory testid="load-memory"
                value=Signal::derive(move || or_dash(view_of().memory_percent, format::percent))
                sub=Signal::derive(move || trend(view_of().memory_trend))
                tone=Signal::derive(move || trend_tone(view_of().memory_trend.as_deref()))/>
            <StatCard label="Active sessions" icon=Icon::Users testid="load-sessions"
                value=Signal::derive(move || or_dash(view_of().active_sessions, format::int))
                sub=Signal::derive(move || view_of().sessions_capacity
                    .map(|c| format!("of ~{} sessions capacity", format::int(c))).unwrap_or_default())/>
            <StatCard label="Capacity used" icon=Icon::Pulse testid="load-capacity"
                value=Signal::derive(move || or_dash(view_of().capacity_percent, format::percent))
                sub=Signal::derive(|| "estimated from active sessions".to_string())/>
            <StatCard label="Recommendation" icon=Icon::Alert testid="load-action"
                value=Signal::derive(headline) sub=Signal::derive(detail)
                tone=Signal::derive(move || view_of().tone())/>
        </div>
    }
}

/// The most frequent patterns, as horizontal bars; with several knowledge bases, a selector.
#[component]
pub fn TopPatternsPanel() -> impl IntoView {
    let kb = RwSignal::new(None::<String>);
    let kbs = RwSignal::new(Vec::<String>::new());
    let top = RwSignal::new(None::<Result<TopPatterns, String>>);
    Effect::new(move |_| {
        let chosen = kb.get();
        top.set(None);
        spawn_local(async move {
            let answer = api::pattern_frequency(chosen.as_deref(), TOP)
                .await
                .map(|v| TopPatterns::from_value(&v))
                .map_err(|e| e.to_string());
            if chosen.is_none()
                && let Ok(t) = &answer
            {
                kbs.set(t.kbs.clone());
            }
            top.set(Some(answer));
        });
    });
    // Why there are no bars (loading, an error, none yet), or nothing when there are.
    let message = move || {
        top.with(|t| match t {
            None => Some(("Loading…".to_string(), false)),
            Some(Err(e)) => Some((format!("Top patterns unavailable: {e}"), true)),
            Some(Ok(TopPatterns { error: Some(e), .. })) => {
                Some((format!("Top patterns unavailable: {e}"), true))
            }
            Some(Ok(t)) if t.bars.is_empty() => Some((
                "No patterns learned yet in this knowledge base.".to_string(),
                false,
            )),
            Some(Ok(_)) => None,
        })
    };
    let rows = move || {
        top.with(|t| match t {
            Some(Ok(t)) => t.bars_html(
                kb.with_untracked(Option::is_none) && t.kbs.len() > 1,
                format::int,
            ),
            _ => String::new(),
        })
    };
    view! {
        <Panel title="Top patterns by frequency" class="chart-card top-patterns" testid="patterns-panel">
            <Show when=move || kbs.with(|k| k.len() > 1)>
                <label class="kb-select small muted">"Knowledge base "
                    <select on:change=move |e| {
                        let v = event_target_value(&e);
                        kb.set((!v.is_empty()).then_some(v));
                    } inner_html=move || kb_options_html(&kbs.get(), kb.get().as_deref())></select>
                </label>
            </Show>
            {move || message().map(|(text, failed)| view! {
                <p class="muted small" class:error-text=failed>{text}</p>
            })}
            <ol class="hbars" data-testid="top-patterns" inner_html=rows></ol>
        </Panel>
    }
}
