//! Qdrant: collections (points, vector size, distance, status) → points of one collection, paged forwards with
//! Qdrant's offsets and backwards with a stack of the offsets seen → a point's vector, payload and similar
//! points (`qdrant_point`). Dropping a collection (typed name) and deleting a point only when allowed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use super::qdrant_point::PointDetail;
use super::{
    ConfirmDialog, Loaded, ModeNote, StoreTabs, destructive, error_banner, use_features, use_token,
};
use crate::api_db::{self, Verb, enc, query};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::{CursorStack, cell, id_text};

const PAGE: u32 = 20;

/// `/databases/qdrant`.
#[component]
pub fn QdrantPage() -> impl IntoView {
    let tok = use_token();
    let features = use_features();
    let can_delete = destructive(features);
    let collections: RwSignal<Loaded> = RwSignal::new(None);
    let selected = RwSignal::new(None::<String>);
    let reload = move || tok.load(collections, "/qdrant/collections".into());
    reload();
    // The first collection with points is opened by default.
    Effect::new(move |_| {
        if selected.get_untracked().is_none()
            && let Some(Ok(v)) = collections.get()
        {
            let list = v["collections"].as_array().cloned().unwrap_or_default();
            let pick = list
                .iter()
                .find(|c| c["points_count"].as_u64().unwrap_or(0) > 0)
                .or(list.first());
            selected.set(pick.and_then(|c| c["name"].as_str()).map(str::to_owned));
        }
    });
    let drop_open = RwSignal::new(false);
    let drop_name = Signal::derive(move || selected.get().unwrap_or_default());
    let message = RwSignal::new(None::<String>);
    let on_drop = Callback::new(move |()| {
        let name = drop_name.get_untracked();
        let t = tok.get();
        spawn_local(async move {
            let path = format!(
                "/qdrant/collections/{}{}",
                enc(&name),
                query(&[("confirm", name.clone())])
            );
            let r = api_db::call(Verb::Delete, &path, None, t.as_deref()).await;
            message.set(Some(match r {
                Ok(_) => format!("Collection {name} dropped."),
                Err(e) => format!("Could not drop {name}: {e}"),
            }));
            selected.set(None);
            reload();
        });
    });

    let rows = move || match collections.get() {
        None => view! { <p class="muted loading">"Loading collections…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the Qdrant collections", &e),
        Some(Ok(v)) => {
            let list = v["collections"].as_array().cloned().unwrap_or_default();
            view! {
                <table class="table" data-testid="qdrant-collections">
                    <thead><tr><th>"Collection"</th><th class="num-col">"Points"</th><th class="num-col">"Dim"</th><th>"Distance"</th><th>"Status"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let name = c["name"].as_str().unwrap_or_default().to_owned();
                            let n2 = name.clone();
                            let n3 = name.clone();
                            let status = c["status"].as_str().unwrap_or("?").to_owned();
                            let tone = if status == "GREEN" { "ok" } else if status == "YELLOW" { "warn" } else { "bad" };
                            view! {
                                <tr class="clickable" class:selected=move || selected.get().as_deref() == Some(n2.as_str())
                                    on:click=move |_| selected.set(Some(n3.clone()))>
                                    <td class="mono">{name}</td>
                                    <td class="num-col num">{c["points_count"].as_f64().map(format::int).unwrap_or_else(|| "—".into())}</td>
                                    <td class="num-col num">{cell(&c["vector_size"], 8)}</td>
                                    <td>{cell(&c["distance"], 12)}</td>
                                    <td><span class=format!("pill tone-{tone}")>{status}</span></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }
    };

    view! {
        <div class="page databases">
            <div class="page-head">
                <StoreTabs features=features/>
                <ModeNote features=features/>
            </div>
            {move || message.get().map(|m| view! { <div class="banner tone-info" role="status"><Svg icon=Icon::Alert/><div>{m}</div></div> })}
            <section class="card panel">
                <div class="row-between">
                    <h2 class="panel-title">"Collections"</h2>
                    <button class="btn small" on:click=move |_| reload()><Svg icon=Icon::Refresh/>"Refresh"</button>
                </div>
                <div class="table-wrap">{rows}</div>
            </section>
            {move || selected.get().map(|name| view! {
                <Points collection=name can_delete=Signal::derive(can_delete)
                    on_drop=Callback::new(move |()| drop_open.set(true))/>
            })}
            <ConfirmDialog open=drop_open title="Drop collection".into()
                detail="Every point and vector in it is deleted. KATO recreates an empty one when it next needs it.".into()
                expected=drop_name on_confirm=on_drop/>
        </div>
    }
}

/// One collection's points with forward/back paging, and the selected point.
#[component]
fn Points(collection: String, can_delete: Signal<bool>, on_drop: Callback<()>) -> impl IntoView {
    let tok = use_token();
    let cursors = RwSignal::new(CursorStack::new());
    let page: RwSignal<Loaded> = RwSignal::new(None);
    let point = RwSignal::new(None::<String>);
    let goto = RwSignal::new(String::new());
    let name = StoredValue::new(collection.clone());
    let fetch = move || {
        let offset = cursors.with(CursorStack::current).unwrap_or_default();
        let q = query(&[("limit", PAGE.to_string()), ("offset", offset)]);
        tok.load(
            page,
            format!("/qdrant/collections/{}/points{q}", enc(&name.get_value())),
        );
    };
    Effect::new(move |_| {
        cursors.track();
        fetch();
    });
    let next = move || {
        page.with(|p| match p {
            Some(Ok(v)) if !v["next_offset"].is_null() => Some(id_text(&v["next_offset"])),
            _ => None,
        })
    };
    let on_deleted = Callback::new(move |()| {
        point.set(None);
        fetch();
    });
    let list = move || match page.get() {
        None => view! { <p class="muted loading">"Loading points…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the points", &e),
        Some(Ok(v)) => {
            let points = v["points"].as_array().cloned().unwrap_or_default();
            if points.is_empty() {
                return view! { <div class="empty"><Svg icon=Icon::Disk class="empty-icon"/>
                    <p>"No points. KATO d1391ac only searches these collections and never writes vectors; newer KATO does."</p></div> }.into_any();
            }
            view! {
                <table class="table" data-testid="qdrant-points">
                    <thead><tr><th>"Point id"</th><th>"Payload"</th></tr></thead>
                    <tbody>
                        {points.into_iter().map(|p| {
                            let id = id_text(&p["id"]);
                            let (i2, i3) = (id.clone(), id.clone());
                            let payload = p.get("payload").cloned().unwrap_or(Value::Null);
                            view! {
                                <tr class="clickable" class:selected=move || point.get().as_deref() == Some(i2.as_str())
                                    on:click=move |_| point.set(Some(i3.clone()))>
                                    <td class="mono">{id}</td>
                                    <td class="mono muted">{cell(&payload, 90)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }
    };
    let detail = move || {
        point.get().map(|id| {
            view! { <PointDetail collection=name.get_value() id=id can_delete=can_delete on_deleted=on_deleted
                on_open=Callback::new(move |other: String| point.set(Some(other)))/> }
        })
    };
    view! {
        <div class="split db-split">
            <section class="card panel" aria-label="Points">
                <div class="row-between">
                    <h2 class="panel-title">"Points in " <span class="mono">{collection.clone()}</span></h2>
                    <Show when=move || can_delete.get()>
                        <button class="btn small danger" on:click=move |_| on_drop.run(()) data-testid="drop-collection">
                            <Svg icon=Icon::Trash/>"Drop collection"</button>
                    </Show>
                </div>
                <form class="filter-row" on:submit=move |e| {
                    e.prevent_default();
                    let id = goto.get_untracked().trim().to_owned();
                    if !id.is_empty() { point.set(Some(id)); }
                }>
                    <input type="text" class="mono" placeholder="Open a point by id (integer or UUID)" aria-label="Point id"
                        prop:value=move || goto.get() on:input=move |e| goto.set(event_target_value(&e)) data-testid="point-goto"/>
                    <button type="submit" class="btn small">"Open"</button>
                </form>
                <div class="table-wrap">{list}</div>
                <div class="pager">
                    <span class="muted small num">{move || format!("Page {}", cursors.with(CursorStack::page))}</span>
                    <div class="pager-btns">
                        <button class="btn small" aria-label="Previous page" disabled=move || !cursors.with(CursorStack::can_back)
                            on:click=move |_| cursors.update(CursorStack::back)>"‹ Prev"</button>
                        <button class="btn small" aria-label="Next page" disabled=move || next().is_none()
                            on:click=move |_| if let Some(n) = next() { cursors.update(|c| c.forward(n)) }>"Next ›"</button>
                    </div>
                </div>
            </section>
            <section class="card panel" aria-label="Point">
                {move || detail().map(IntoAny::into_any).unwrap_or_else(|| view! {
                    <p class="muted">"Select a point to see its vector, payload and nearest neighbours."</p>
                }.into_any())}
            </section>
        </div>
    }
}

/// The JSON body of a single-point delete.
pub fn delete_body(id: &str) -> Value {
    match id.parse::<u64>() {
        Ok(n) => json!({ "point_ids": [n] }),
        Err(_) => json!({ "point_ids": [id] }),
    }
}
