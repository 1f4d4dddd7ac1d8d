//! A KATO 3.x knowledge base's patterns: pages of 20 from the server, sorted there by frequency, length, name or
//! learn time (either way), and a search (debounced, over the names and symbols of the whole knowledge base, not
//! just the page on screen). A row opens the pattern's drawer (`kb_pattern`).

use std::time::Duration;

use leptos::prelude::*;

use super::kb::source_down;
use super::kb_pattern::PatternDrawer;
use super::{Loaded, error_banner, use_token};
use crate::api_db::{enc, query};
use crate::components::cards::Banner;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::cell;
use crate::state::kb::{events_preview, utc_text};

const LIMIT: u64 = 20;
/// Typing pauses this long before the search is sent.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// The patterns table, its search and pager, and the drawer of the pattern opened.
#[component]
pub fn Patterns(kb: String, search: RwSignal<String>) -> impl IntoView {
    let tok = use_token();
    let page: RwSignal<Loaded> = RwSignal::new(None);
    let seq = StoredValue::new(0u64);
    let skip = RwSignal::new(0u64);
    let sort = RwSignal::new(("frequency", "desc"));
    let draft = RwSignal::new(search.get_untracked());
    let open = RwSignal::new(None::<String>);
    let kb = StoredValue::new(kb);
    Effect::new(move |_| {
        let (by, order) = sort.get();
        let q = query(&[
            ("skip", skip.get().to_string()),
            ("limit", LIMIT.to_string()),
            ("sort_by", by.to_string()),
            ("sort_order", order.to_string()),
            ("search", search.get().trim().to_owned()),
        ]);
        let path = format!("/patterns/{}/patterns{q}", enc(&kb.get_value()));
        tok.load_latest(page, seq, path);
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
    let answer = move |f: fn(&serde_json::Value) -> Option<u64>| {
        page.with(|p| p.as_ref().and_then(|r| r.as_ref().ok()).and_then(f))
    };
    let total = move || answer(|v| v["total"].as_u64());
    let has_more =
        move || page.with(|p| matches!(p, Some(Ok(v)) if v["has_more"].as_bool() == Some(true)));
    let rows = move || match page.get() {
        None => view! { <tr><td colspan="6" class="muted">"Loading…"</td></tr> }.into_any(),
        Some(Err(e)) if e.is_not_found() => view! {
            <tr><td colspan="6"><div class="empty"><Svg icon=Icon::Disk class="empty-icon"/>
                <p>"No patterns in ClickHouse for this knowledge base."</p></div></td></tr>
        }
        .into_any(),
        Some(Err(e)) => {
            view! { <tr><td colspan="6">{error_banner("the patterns", &e)}</td></tr> }.into_any()
        }
        Some(Ok(v)) => {
            let list = v["patterns"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                let text = search.get_untracked();
                return view! { <tr><td colspan="6"><div class="empty"><Svg icon=Icon::Search class="empty-icon"/>
                    <p>{format!("No pattern of this knowledge base holds “{}”.", text.trim())}</p></div></td></tr> }.into_any();
            }
            list.into_iter().map(|p| {
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                let (n2, n3) = (name.clone(), name.clone());
                let learned = utc_text(p["created_at"].as_str().unwrap_or_default());
                view! {
                    <tr class="clickable" class:selected=move || open.get().as_deref() == Some(n2.as_str())
                        on:click=move |_| open.set(Some(n3.clone())) data-name=name.clone()>
                        <td class="mono key-cell" title=name.clone()>{name.clone()}</td>
                        <td class="mono muted col-seq"><span class="clip seq">{events_preview(&p["pattern_data"], 64)}</span></td>
                        <td class="num-col num">{p["frequency"].as_u64().map_or_else(|| "—".into(), |f| format::int(f as f64))}</td>
                        <td class="num-col num">{cell(&p["length"], 8)}</td>
                        <td class="num-col num">{cell(&p["events"], 8)}</td>
                        <td class="num small muted" title=learned.clone()>{learned.chars().take(16).collect::<String>()}</td>
                    </tr>
                }
            }).collect_view().into_any()
        }
    };
    let redis_note = move || {
        page.with(|p| match p {
            Some(Ok(v)) => source_down(v, "redis").map(|reason| view! {
                <Banner tone="warn" title="Redis did not answer: frequencies unknown".into() detail=reason/>
            }),
            _ => None,
        })
    };
    view! {
        <section class="card panel" aria-label="Patterns">
            <div class="row-between wrap">
                <div>
                    <h2 class="panel-title">"Patterns"</h2>
                    <p class="muted small" data-testid="kb-pattern-count">{move || match (total(), search.get().trim().is_empty()) {
                        (Some(t), true) => format!("{} patterns in this knowledge base", format::int(t as f64)),
                        (Some(t), false) => format!("{} patterns hold “{}” (whole knowledge base)", format::int(t as f64), search.get().trim()),
                        (None, _) => "\u{a0}".to_string(),
                    }}</p>
                </div>
                <form class="search" on:submit=move |e| { e.prevent_default(); apply(draft.get_untracked()); }>
                    <Svg icon=Icon::Search/>
                    <input type="search" placeholder="Search names and symbols" aria-label="Search patterns"
                        prop:value=move || draft.get() on:input=on_input data-testid="kb-pattern-search"/>
                </form>
            </div>
            {redis_note}
            <div class="table-wrap">
                <table class="table compact kb-table" data-testid="kb-patterns">
                    <thead><tr>
                        {header("name", "Pattern", false)}
                        <th class="col-seq">"Sequence"</th>
                        {header("frequency", "Frequency", true)}
                        {header("length", "Length", true)}
                        <th class="num-col">"Events"</th>
                        {header("created_at", "Learned (UTC)", false)}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <div class="pager">
                <span class="muted small num" data-testid="kb-pattern-range">{move || match total() {
                    Some(0) | None => "No patterns".to_string(),
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
        <PatternDrawer kb=kb.get_value() open=open/>
    }
}
