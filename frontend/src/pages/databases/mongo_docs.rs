//! A knowledge base's collections (document counts) and any collection's documents, paged, with a JSON filter
//! checked before it is sent. Dropping a collection (typed name) when allowed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use super::{ConfirmDialog, JsonBlock, Loaded, error_banner, use_token};
use crate::api_db::{self, Verb, enc, query};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::{cell, id_text, parse_filter};

const LIMIT: u64 = 10;

/// Collections of `db`, and the documents of the selected one.
#[component]
pub fn Collections(db: String, can_delete: Signal<bool>) -> impl IntoView {
    let tok = use_token();
    let list: RwSignal<Loaded> = RwSignal::new(None);
    let selected = RwSignal::new(Some("patterns_kb".to_string()));
    let db = StoredValue::new(db);
    let reload = move || {
        tok.load(
            list,
            format!("/mongodb/{}/collections", enc(&db.get_value())),
        )
    };
    reload();
    let drop_open = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let on_drop = Callback::new(move |()| {
        let (c, t) = (selected.get_untracked().unwrap_or_default(), tok.get());
        spawn_local(async move {
            let path = format!("/mongodb/{}/collections/{}", enc(&db.get_value()), enc(&c));
            let r = api_db::call(
                Verb::Delete,
                &path,
                Some(&json!({ "confirm": c })),
                t.as_deref(),
            )
            .await;
            message.set(Some(match r {
                Ok(_) => format!("Collection {c} dropped."),
                Err(e) => format!("Could not drop {c}: {e}"),
            }));
            selected.set(None);
            reload();
        });
    });
    let names = move || match list.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the collections", &e),
        Some(Ok(v)) => {
            let details = v["details"].as_array().cloned().unwrap_or_default();
            view! {
                <div class="kb-list" data-testid="mongo-collections">
                    {details.into_iter().map(|d| {
                        let name = d["name"].as_str().unwrap_or_default().to_owned();
                        let (n2, n3) = (name.clone(), name.clone());
                        view! {
                            <button class="kb" class:active=move || selected.get().as_deref() == Some(n2.as_str())
                                on:click=move |_| selected.set(Some(n3.clone()))>
                                <span class="mono">{name}</span>
                                <span class="muted small">{format!("{} documents", d["count"].as_f64().map(format::int).unwrap_or_else(|| "?".into()))}</span>
                            </button>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    };
    view! {
        <section class="card panel" aria-label="Collections">
            <h2 class="panel-title">"Collections"</h2>
            {move || message.get().map(|m| view! { <p class="muted small">{m}</p> })}
            {names}
        </section>
        {move || selected.get().map(|c| view! {
            <Documents db=db.get_value() collection=c can_delete=can_delete on_drop=Callback::new(move |()| drop_open.set(true))/>
        })}
        <ConfirmDialog open=drop_open title="Drop collection".into()
            detail="Every document in it is deleted; KATO loses what it learned there.".into()
            expected=Signal::derive(move || selected.get().unwrap_or_default()) on_confirm=on_drop/>
    }
}

#[component]
fn Documents(
    db: String,
    collection: String,
    can_delete: Signal<bool>,
    on_drop: Callback<()>,
) -> impl IntoView {
    let tok = use_token();
    let page: RwSignal<Loaded> = RwSignal::new(None);
    let skip = RwSignal::new(0u64);
    let filter = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let filter_error = RwSignal::new(None::<String>);
    let open = RwSignal::new(None::<usize>);
    let base = format!(
        "/mongodb/{}/collections/{}/documents",
        enc(&db),
        enc(&collection)
    );
    Effect::new(move |_| {
        let q = query(&[
            ("skip", skip.get().to_string()),
            ("limit", LIMIT.to_string()),
            ("filter", filter.get().unwrap_or_default()),
        ]);
        tok.load(page, format!("{base}{q}"));
    });
    let apply = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        match parse_filter(&draft.get_untracked()) {
            Ok(f) => {
                filter_error.set(None);
                filter.set(f);
                skip.set(0);
            }
            Err(m) => filter_error.set(Some(m)),
        }
    };
    let docs = move || match page.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the documents", &e),
        Some(Ok(v)) => {
            let docs = v["documents"].as_array().cloned().unwrap_or_default();
            if docs.is_empty() {
                return view! { <div class="empty"><Svg icon=Icon::Search class="empty-icon"/><p>"No documents match."</p></div> }.into_any();
            }
            view! {
                <ul class="doc-list" data-testid="mongo-documents">
                    {docs.into_iter().enumerate().map(|(i, d)| {
                        let label = d.get("name").map(|n| cell(n, 80)).unwrap_or_else(|| id_text(&d["_id"]));
                        view! {
                            <li>
                                <button class="doc-head" on:click=move |_| open.update(|o| *o = if *o == Some(i) { None } else { Some(i) })>
                                    <span class="mono">{label}</span>
                                    <span class="muted small mono">{cell(&d, 90)}</span>
                                </button>
                                <Show when=move || open.get() == Some(i)><JsonBlock value=d.clone()/></Show>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
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
    view! {
        <section class="card panel" aria-label="Documents">
            <div class="row-between">
                <h2 class="panel-title">"Documents in " <span class="mono">{collection.clone()}</span></h2>
                <Show when=move || can_delete.get()>
                    <button class="btn small danger" on:click=move |_| on_drop.run(())><Svg icon=Icon::Trash/>"Drop collection"</button>
                </Show>
            </div>
            <form class="filter-row" on:submit=apply>
                <input type="text" class="mono" placeholder=r#"JSON filter, e.g. {"frequency": {"$gt": 1}}"# aria-label="JSON filter"
                    prop:value=move || draft.get() on:input=move |e| draft.set(event_target_value(&e)) data-testid="doc-filter"/>
                <button type="submit" class="btn small">"Apply"</button>
            </form>
            {move || filter_error.get().map(|m| view! { <p class="error small">{m}</p> })}
            {docs}
            <div class="pager">
                <span class="muted small num">{move || match total() {
                    Some(0) | None => "No documents".to_string(),
                    Some(t) => format!("{}–{} of {}", skip.get() + 1, (skip.get() + LIMIT).min(t), format::int(t as f64)),
                }}</span>
                <div class="pager-btns">
                    <button class="btn small" disabled=move || skip.get() == 0 on:click=move |_| skip.update(|s| *s = s.saturating_sub(LIMIT))>"‹ Prev"</button>
                    <button class="btn small" disabled=move || !has_more() on:click=move |_| skip.update(|s| *s += LIMIT)>"Next ›"</button>
                </div>
            </div>
        </section>
    }
}
