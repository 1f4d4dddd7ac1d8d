//! One Redis key: type, TTL, size and the value rendered for its type (string as text or pretty JSON, hash as
//! a field table, list/set as items, zset as member/score, stream as entries). Delete (typed key) when allowed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::{ConfirmDialog, JsonBlock, Loaded, error_banner, use_token};
use crate::api_db::{self, Verb, query};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::db::{cell, ttl_text};

/// The key panel.
#[component]
pub fn KeyDetail(
    key: String,
    key_b64: String,
    can_delete: Signal<bool>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let tok = use_token();
    let detail: RwSignal<Loaded> = RwSignal::new(None);
    let q = query(&[("key_b64", key_b64.clone())]);
    tok.load(detail, format!("/redis/key{q}"));
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let q2 = q.clone();
    let on_confirm = Callback::new(move |()| {
        let (path, t) = (format!("/redis/key{q2}"), tok.get());
        spawn_local(async move {
            match api_db::call(Verb::Delete, &path, None, t.as_deref()).await {
                Ok(_) => on_deleted.run(()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let body = move || match detail.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the key", &e),
        Some(Ok(v)) => {
            let kind = v["type"].as_str().unwrap_or("?").to_owned();
            let size = v["size"]
                .as_f64()
                .map(format::bytes)
                .unwrap_or_else(|| "—".into());
            let length = v["length"]
                .as_f64()
                .map(format::int)
                .unwrap_or_else(|| "—".into());
            view! {
                <dl class="facts" data-testid="redis-key-facts">
                    <dt>"Type"</dt><dd><span class="chip">{kind.clone()}</span></dd>
                    <dt>"TTL"</dt><dd class="num">{ttl_text(v["ttl"].as_i64())}</dd>
                    <dt>"Size"</dt><dd class="num">{size}</dd>
                    <dt>"Length"</dt><dd class="num">{length}</dd>
                </dl>
                <h3 class="section-title">"Value"</h3>
                {(v["complete"].as_bool() == Some(false)).then(|| view! {
                    <p class="muted small">"Showing the first page of a large value (the server pages it; size and length are the whole key's)."</p>
                })}
                {value_view(&kind, &v)}
            }
            .into_any()
        }
    };
    view! {
        <div class="key-detail" data-testid="redis-key-detail">
            <div class="row-between">
                <h2 class="panel-title mono key-title">{key.clone()}</h2>
                <Show when=move || can_delete.get()>
                    <button class="btn small danger" on:click=move |_| open.set(true)><Svg icon=Icon::Trash/>"Delete"</button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {body}
            <ConfirmDialog open=open title="Delete key".into() detail="The key and its value are removed from Redis.".into()
                expected=Signal::derive({ let k = key.clone(); move || k.clone() }) on_confirm=on_confirm/>
        </div>
    }
}

fn value_view(kind: &str, v: &Value) -> AnyView {
    let value = &v["value"];
    match kind {
        "string" => match v.get("value_json") {
            Some(j) if !j.is_null() => view! { <JsonBlock value=j.clone()/> }.into_any(),
            _ => view! { <pre class="json">{cell(value, 200_000)}</pre> }.into_any(),
        },
        "hash" => {
            let rows: Vec<(String, String)> = value
                .as_object()
                .map(|m| m.iter().map(|(k, x)| (k.clone(), cell(x, 300))).collect())
                .unwrap_or_default();
            pairs("Field", "Value", rows)
        }
        "zset" => {
            let rows = value
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| (cell(&p[0], 200), cell(&p[1], 40)))
                        .collect()
                })
                .unwrap_or_default();
            pairs("Member", "Score", rows)
        }
        "list" | "set" => view! {
            <ol class="items">{value.as_array().cloned().unwrap_or_default().into_iter()
                .map(|x| view! { <li class="mono">{cell(&x, 300)}</li> }).collect_view()}</ol>
        }
        .into_any(),
        "stream" => {
            let entries = value.as_array().cloned().unwrap_or_default();
            let groups = v.get("groups").cloned().unwrap_or(Value::Null);
            view! {
                {if entries.is_empty() { Some(view! { <p class="muted">"No entries."</p> }) } else { None }}
                <ol class="items">{entries.into_iter().map(|e| view! {
                    <li><span class="mono muted">{cell(&e["id"], 40)}</span>" "<span class="mono">{cell(&e["fields"], 300)}</span></li>
                }).collect_view()}</ol>
                <h3 class="section-title">"Consumer groups"</h3>
                <JsonBlock value=groups/>
            }
            .into_any()
        }
        _ => view! { <JsonBlock value=value.clone()/> }.into_any(),
    }
}

fn pairs(a: &'static str, b: &'static str, rows: Vec<(String, String)>) -> AnyView {
    view! {
        <table class="table compact">
            <thead><tr><th>{a}</th><th>{b}</th></tr></thead>
            <tbody>{rows.into_iter().map(|(x, y)| view! { <tr><td class="mono">{x}</td><td class="mono">{y}</td></tr> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}
