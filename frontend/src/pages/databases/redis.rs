//! Redis: INFO summary cards (version, clients, memory, hit rate, keys, ops/s), keys by `SCAN` with a pattern
//! and cursor paging (back through a stack of cursors), the selected key's detail (`redis_key`), and deleting
//! keys by pattern (typed confirmation) when allowed. Never `KEYS`, never `FLUSHDB`.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::redis_key::KeyDetail;
use super::{
    ConfirmDialog, Loaded, ModeNote, StoreTabs, destructive, error_banner, use_features, use_token,
};
use crate::api_db::{self, Verb, query};
use crate::components::cards::StatCard;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::{CursorStack, ttl_text};

const COUNT: u32 = 50;

/// `/databases/redis`.
#[component]
pub fn RedisPage() -> impl IntoView {
    let tok = use_token();
    let features = use_features();
    let can_delete = Signal::derive(destructive(features));
    let info: RwSignal<Loaded> = RwSignal::new(None);
    let keys: RwSignal<Loaded> = RwSignal::new(None);
    let pattern = RwSignal::new("*".to_string());
    let draft = RwSignal::new("*".to_string());
    let cursors = RwSignal::new(CursorStack::new());
    let selected = RwSignal::new(None::<(String, String)>);
    let message = RwSignal::new(None::<String>);
    tok.load(info, "/redis/info".into());
    let fetch = move || {
        let q = query(&[
            ("pattern", pattern.get_untracked()),
            ("count", COUNT.to_string()),
            (
                "cursor",
                cursors
                    .with_untracked(CursorStack::current)
                    .unwrap_or_default(),
            ),
        ]);
        tok.load(keys, format!("/redis/keys{q}"));
    };
    Effect::new(move |_| {
        pattern.track();
        cursors.track();
        fetch();
    });
    let next = move || {
        keys.with(|k| match k {
            Some(Ok(v)) => v["cursor"]
                .as_str()
                .filter(|c| *c != "0")
                .map(str::to_owned),
            _ => None,
        })
    };
    let figure = move |f: fn(&serde_json::Value) -> String| {
        Signal::derive(move || {
            info.with(|i| match i {
                Some(Ok(v)) => f(v),
                Some(Err(_)) => "—".into(),
                None => "…".into(),
            })
        })
    };
    let flush_open = RwSignal::new(false);
    let on_flush = Callback::new(move |()| {
        let (p, t) = (pattern.get_untracked(), tok.get());
        spawn_local(async move {
            let r = api_db::call(
                Verb::Post,
                &format!("/redis/flush{}", query(&[("pattern", p.clone())])),
                None,
                t.as_deref(),
            )
            .await;
            message.set(Some(match r {
                Ok(v) => format!(
                    "Deleted {} keys matching {p}.",
                    v["deleted_keys"].as_i64().unwrap_or(0)
                ),
                Err(e) => format!("Could not delete keys matching {p}: {e}"),
            }));
            cursors.set(CursorStack::new());
        });
    });
    let on_key_deleted = Callback::new(move |()| {
        selected.set(None);
        fetch();
    });

    let table = move || match keys.get() {
        None => view! { <p class="muted loading">"Scanning…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the keys", &e),
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                return view! { <div class="empty"><Svg icon=Icon::Search class="empty-icon"/><p>"No keys on this page of the scan."</p></div> }.into_any();
            }
            view! {
                <table class="table" data-testid="redis-keys">
                    <thead><tr><th>"Key"</th><th>"Type"</th><th class="num-col">"TTL"</th></tr></thead>
                    <tbody>{items.into_iter().map(|k| {
                        let key = k["key"].as_str().unwrap_or_default().to_owned();
                        let b64 = k["key_b64"].as_str().unwrap_or_default().to_owned();
                        let (b2, sel) = (b64.clone(), (key.clone(), b64));
                        view! {
                            <tr class="clickable" class:selected=move || selected.with(|s| s.as_ref().is_some_and(|s| s.1 == b2))
                                on:click=move |_| selected.set(Some(sel.clone()))>
                                <td class="mono key-cell">{key}</td>
                                <td><span class="chip">{k["type"].as_str().unwrap_or("?").to_owned()}</span></td>
                                <td class="num-col num">{ttl_text(k["ttl"].as_i64())}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
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
            {move || match info.get() { Some(Err(e)) => Some(error_banner("Redis INFO", &e)), _ => None }}
            {move || message.get().map(|m| view! { <div class="banner tone-info" role="status"><Svg icon=Icon::Alert/><div>{m}</div></div> })}
            <div class="stats">
                <StatCard label="Redis" icon=Icon::Server testid="redis-version"
                    value=figure(|v| v["info"]["version"].as_str().unwrap_or("—").to_owned())
                    sub=figure(|v| format!("up {}", format::duration(v["info"]["uptime_seconds"].as_f64().unwrap_or(f64::NAN))))/>
                <StatCard label="Clients" icon=Icon::Users value=figure(|v| v["info"]["connected_clients"].as_f64().map(format::int).unwrap_or_default())
                    sub=figure(|v| format!("{} ops/s", v["info"]["ops_per_sec"].as_f64().map(format::int).unwrap_or_default()))/>
                <StatCard label="Memory" icon=Icon::Memory value=figure(|v| v["info"]["used_memory_human"].as_str().unwrap_or("—").to_owned())
                    sub=figure(|v| format!("peak {}", v["info"]["used_memory_peak_human"].as_str().unwrap_or("—")))/>
                <StatCard label="Hit rate" icon=Icon::Pulse value=figure(|v| v["cache_hit_rate"].as_f64().map(|p| format!("{p:.1} %")).unwrap_or_default())
                    sub=figure(|v| format!("{} hits · {} misses", v["info"]["keyspace_hits"].as_f64().map(format::int).unwrap_or_default(), v["info"]["keyspace_misses"].as_f64().map(format::int).unwrap_or_default()))/>
                <StatCard label="Keys" icon=Icon::Disk testid="redis-keycount"
                    value=figure(|v| v["info"]["keyspace"]["db0"]["keys"].as_f64().map(format::int).unwrap_or_else(|| "0".into()))
                    sub=figure(|v| format!("{} with a TTL", v["info"]["keyspace"]["db0"]["expires"].as_f64().map(format::int).unwrap_or_else(|| "0".into())))/>
            </div>
            <div class="split db-split">
                <section class="card panel" aria-label="Keys">
                    <form class="row-between" on:submit=move |e| { e.prevent_default(); pattern.set(draft.get_untracked()); cursors.set(CursorStack::new()); }>
                        <label class="search">
                            <Svg icon=Icon::Search/>
                            <input type="search" aria-label="Key pattern" placeholder="pattern, e.g. kato:session:*"
                                prop:value=move || draft.get() on:input=move |e| draft.set(event_target_value(&e)) data-testid="redis-pattern"/>
                        </label>
                        <div class="page-actions">
                            <button type="submit" class="btn small">"Scan"</button>
                            <Show when=move || can_delete.get()>
                                <button type="button" class="btn small danger" on:click=move |_| flush_open.set(true)>
                                    <Svg icon=Icon::Trash/>"Delete matching"</button>
                            </Show>
                        </div>
                    </form>
                    <div class="table-wrap">{table}</div>
                    <div class="pager">
                        <span class="muted small num">{move || format!("Scan page {}{}", cursors.with(CursorStack::page),
                            if next().is_none() { " · scan complete" } else { "" })}</span>
                        <div class="pager-btns">
                            <button class="btn small" aria-label="Previous page" disabled=move || !cursors.with(CursorStack::can_back)
                                on:click=move |_| cursors.update(CursorStack::back)>"‹ Prev"</button>
                            <button class="btn small" aria-label="Next page" disabled=move || next().is_none()
                                on:click=move |_| if let Some(n) = next() { cursors.update(|c| c.forward(n)) }>"Next ›"</button>
                        </div>
                    </div>
                </section>
                <section class="card panel" aria-label="Key">
                    {move || match selected.get() {
                        Some((key, b64)) => view! { <KeyDetail key=key key_b64=b64 can_delete=can_delete on_deleted=on_key_deleted/> }.into_any(),
                        None => view! { <p class="muted">"Select a key to see its value, TTL and size."</p> }.into_any(),
                    }}
                </section>
            </div>
            <ConfirmDialog open=flush_open title="Delete keys by pattern".into()
                detail="Every key matching the pattern is deleted (SCAN + UNLINK). KATO loses the sessions among them.".into()
                expected=Signal::derive(move || pattern.get()) on_confirm=on_flush/>
        </div>
    }
}
