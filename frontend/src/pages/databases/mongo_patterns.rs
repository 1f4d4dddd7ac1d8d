//! A knowledge base's patterns: server-side paging, sort (frequency, length, name) and search, and a pattern's
//! detail (pattern data as its events, frequency, emotives, metadata). Delete one pattern when allowed.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::{ConfirmDialog, JsonBlock, Loaded, error_banner, use_token};
use crate::api_db::{self, Verb, enc, query};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::{cell, id_text};

const LIMIT: u64 = 20;

/// The patterns table and the selected pattern.
#[component]
pub fn Patterns(db: String, can_delete: Signal<bool>) -> impl IntoView {
    let tok = use_token();
    let page: RwSignal<Loaded> = RwSignal::new(None);
    let skip = RwSignal::new(0u64);
    let sort = RwSignal::new(("frequency", "desc"));
    let search = RwSignal::new(String::new());
    let selected = RwSignal::new(None::<String>);
    let db = StoredValue::new(db);
    let fetch = move || {
        let (by, order) = sort.get_untracked();
        let q = query(&[
            ("skip", skip.get_untracked().to_string()),
            ("limit", LIMIT.to_string()),
            ("sort_by", by.to_string()),
            ("sort_order", order.to_string()),
            ("search", search.get_untracked()),
        ]);
        tok.load(
            page,
            format!("/mongodb/{}/patterns{q}", enc(&db.get_value())),
        );
    };
    Effect::new(move |_| {
        skip.track();
        sort.track();
        search.track();
        fetch();
    });
    let on_search = move |e: leptos::ev::Event| {
        let v = event_target_value(&e);
        let v2 = v.clone();
        set_timeout(
            move || {
                if v2 == v {
                    search.set(v2.clone());
                    skip.set(0);
                }
            },
            Duration::from_millis(250),
        );
    };
    let header = move |key: &'static str, label: &'static str| {
        view! {
            <th aria-sort=move || match sort.get() { (k, "desc") if k == key => "descending", (k, _) if k == key => "ascending", _ => "none" }>
                <button class="th-btn" on:click=move |_| sort.update(|s| *s = if s.0 == key && s.1 == "desc" { (key, "asc") } else { (key, "desc") })>
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
    let rows = move || {
        match page.get() {
        None => view! { <tr><td colspan="4" class="muted">"Loading…"</td></tr> }.into_any(),
        Some(Err(e)) => view! { <tr><td colspan="4">{error_banner("the patterns", &e)}</td></tr> }.into_any(),
        Some(Ok(v)) => v["patterns"].as_array().cloned().unwrap_or_default().into_iter().map(|p| {
            let id = id_text(&p["_id"]);
            let (i2, i3) = (id.clone(), id);
            view! {
                <tr class="clickable" class:selected=move || selected.get().as_deref() == Some(i2.as_str()) on:click=move |_| selected.set(Some(i3.clone()))>
                    <td class="mono key-cell">{cell(&p["name"], 60)}</td>
                    <td class="num-col num">{cell(&p["frequency"], 12)}</td>
                    <td class="num-col num">{cell(&p["length"], 12)}</td>
                    <td class="num-col num">{p["pattern_data"].as_array().map_or(0, Vec::len)}</td>
                </tr>
            }
        }).collect_view().into_any(),
    }
    };
    let on_deleted = Callback::new(move |()| {
        selected.set(None);
        fetch();
    });
    view! {
        <div class="split db-split">
            <section class="card panel" aria-label="Patterns">
                <div class="row-between">
                    <h2 class="panel-title">"Patterns"</h2>
                    <label class="search"><Svg icon=Icon::Search/>
                        <input type="search" placeholder="Search pattern names" aria-label="Search patterns" on:input=on_search data-testid="pattern-search"/>
                    </label>
                </div>
                <div class="table-wrap">
                    <table class="table compact" data-testid="mongo-patterns">
                        <thead><tr>{header("name", "Name")}{header("frequency", "Frequency")}{header("length", "Length")}<th class="num-col">"Events"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <div class="pager">
                    <span class="muted small num">{move || match total() {
                        Some(0) | None => "No patterns".to_string(),
                        Some(t) => format!("{}–{} of {}", skip.get() + 1, (skip.get() + LIMIT).min(t), format::int(t as f64)),
                    }}</span>
                    <div class="pager-btns">
                        <button class="btn small" disabled=move || skip.get() == 0 on:click=move |_| skip.update(|s| *s = s.saturating_sub(LIMIT))>"‹ Prev"</button>
                        <button class="btn small" disabled=move || !has_more() on:click=move |_| skip.update(|s| *s += LIMIT)>"Next ›"</button>
                    </div>
                </div>
            </section>
            <section class="card panel" aria-label="Pattern">
                {move || match selected.get() {
                    Some(id) => view! { <PatternDetail db=db.get_value() id=id can_delete=can_delete on_deleted=on_deleted/> }.into_any(),
                    None => view! { <p class="muted">"Select a pattern to see its events, emotives and metadata."</p> }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn PatternDetail(
    db: String,
    id: String,
    can_delete: Signal<bool>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let tok = use_token();
    let detail: RwSignal<Loaded> = RwSignal::new(None);
    let path = format!("/mongodb/{}/patterns/{}", enc(&db), enc(&id));
    tok.load(detail, path.clone());
    let path = StoredValue::new(path);
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let delete = Callback::new(move |()| {
        let (p, t) = (path.get_value(), tok.get());
        spawn_local(async move {
            match api_db::call(Verb::Delete, &p, None, t.as_deref()).await {
                Ok(_) => on_deleted.run(()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let body = move || match detail.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the pattern", &e),
        Some(Ok(v)) => {
            let events: Vec<Value> = v["pattern_data"].as_array().cloned().unwrap_or_default();
            view! {
                <h2 class="panel-title mono key-title">{cell(&v["name"], 200)}</h2>
                <dl class="facts">
                    <dt>"Frequency"</dt><dd class="num">{cell(&v["frequency"], 20)}</dd>
                    <dt>"Length"</dt><dd class="num">{cell(&v["length"], 20)}</dd>
                    <dt>"Id"</dt><dd class="mono small">{id_text(&v["_id"])}</dd>
                </dl>
                <h3 class="section-title">"Events"</h3>
                <ol class="stm">{events.into_iter().enumerate().map(|(i, ev)| view! {
                    <li><span class="muted small num">{i + 1}</span>
                        {ev.as_array().cloned().unwrap_or_else(|| vec![ev.clone()]).into_iter()
                            .map(|s| view! { <span class="symbol">{cell(&s, 60)}</span> }).collect_view()}
                    </li>
                }).collect_view()}</ol>
                <h3 class="section-title">"Emotives"</h3>
                <JsonBlock value=v["emotives"].clone()/>
                <h3 class="section-title">"Metadata"</h3>
                <JsonBlock value=v["metadata"].clone()/>
            }.into_any()
        }
    };
    view! {
        <div class="point-detail" data-testid="pattern-detail">
            {body}
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <Show when=move || can_delete.get()>
                <button class="btn small danger" on:click=move |_| confirming.set(true) data-testid="delete-pattern">
                    <Svg icon=Icon::Trash/>"Delete pattern"</button>
            </Show>
            <ConfirmDialog open=confirming title="Delete pattern".into()
                detail="KATO forgets this pattern: its frequency, emotives and metadata are gone.".into()
                expected=Signal::derive(|| "delete".to_string()) on_confirm=delete/>
        </div>
    }
}
