//! One Qdrant point: id, vector preview (first values and a bar strip), payload, and its nearest neighbours
//! (`…/similar`, the point itself excluded by the server). Delete (one point) when allowed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::qdrant::delete_body;
use super::{ConfirmDialog, JsonBlock, Loaded, error_banner, use_token};
use crate::api_db::{self, Verb, enc, query};
use crate::components::icons::{Icon, Svg};
use crate::state::db::{id_text, vector_preview};

/// The point panel.
#[component]
pub fn PointDetail(
    collection: String,
    id: String,
    can_delete: Signal<bool>,
    on_deleted: Callback<()>,
    on_open: Callback<String>,
) -> impl IntoView {
    let tok = use_token();
    let detail: RwSignal<Loaded> = RwSignal::new(None);
    let similar: RwSignal<Loaded> = RwSignal::new(None);
    let top = RwSignal::new(5u32);
    let base = format!(
        "/qdrant/collections/{}/points/{}",
        enc(&collection),
        enc(&id)
    );
    tok.load(detail, base.clone());
    let sim_base = base.clone();
    Effect::new(move |_| {
        let q = query(&[("limit", top.get().to_string())]);
        tok.load(similar, format!("{sim_base}/similar{q}"));
    });
    let error = RwSignal::new(None::<String>);
    let (c2, id2) = (collection.clone(), id.clone());
    let confirm_open = RwSignal::new(false);
    let delete = Callback::new(move |()| {
        let (c, i, t) = (c2.clone(), id2.clone(), tok.get());
        spawn_local(async move {
            let path = format!("/qdrant/collections/{}/points/bulk-delete", enc(&c));
            match api_db::call(Verb::Post, &path, Some(&delete_body(&i)), t.as_deref()).await {
                Ok(_) => on_deleted.run(()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let body = move || match detail.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => error_banner("the point", &e),
        Some(Ok(v)) => {
            let vector: Vec<f64> = v["vector"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let (head, more) = vector_preview(&vector, 12);
            let max = vector.iter().fold(0.0_f64, |m, x| m.max(x.abs())).max(1e-9);
            let bars = vector
                .iter()
                .take(96)
                .map(|x| {
                    let h = (x.abs() / max * 100.0).round();
                    let class = if *x < 0.0 { "vbar neg" } else { "vbar" };
                    view! { <i class=class style=format!("height:{h}%")></i> }
                })
                .collect_view();
            let payload = v.get("payload").cloned().unwrap_or(Value::Null);
            view! {
                <dl class="facts">
                    <dt>"Dimensions"</dt><dd class="num">{vector.len()}</dd>
                </dl>
                <div class="vector" data-testid="vector-preview">
                    <div class="vbars" aria-hidden="true">{bars}</div>
                    <p class="mono small">"[" {head} {(more > 0).then(|| format!(", … +{more} more"))} "]"</p>
                </div>
                <h3 class="section-title">"Payload"</h3>
                <JsonBlock value=payload/>
            }.into_any()
        }
    };
    let neighbours = move || match similar.get() {
        None => view! { <p class="muted">"Searching…"</p> }.into_any(),
        Some(Err(e)) => error_banner("similar points", &e),
        Some(Ok(v)) => {
            let hits = v["similar_points"].as_array().cloned().unwrap_or_default();
            if hits.is_empty() {
                return view! { <p class="muted">"No other points."</p> }.into_any();
            }
            view! {
                <table class="table compact" data-testid="similar-points">
                    <thead><tr><th>"#"</th><th>"Point"</th><th class="num-col">"Score"</th></tr></thead>
                    <tbody>{hits.into_iter().enumerate().map(|(i, h)| {
                        let hid = id_text(&h["id"]);
                        let open = hid.clone();
                        view! { <tr class="clickable" on:click=move |_| on_open.run(open.clone())>
                            <td class="muted num">{i + 1}</td><td class="mono">{hid}</td>
                            <td class="num-col num">{h["score"].as_f64().map(|s| format!("{s:.4}")).unwrap_or_default()}</td>
                        </tr> }
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }
    };
    view! {
        <div class="point-detail" data-testid="point-detail">
            <div class="row-between">
                <h2 class="panel-title">"Point " <span class="mono">{id.clone()}</span></h2>
                <Show when=move || can_delete.get()>
                    <button class="btn small danger" on:click=move |_| confirm_open.set(true) data-testid="delete-point"><Svg icon=Icon::Trash/>"Delete"</button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {body}
            <div class="row-between">
                <h3 class="section-title">"Similar points"</h3>
                <div class="segmented" role="group" aria-label="How many">
                    {[5u32, 10, 20].into_iter().map(|n| view! {
                        <button class:active=move || top.get() == n on:click=move |_| top.set(n)>{format!("Top {n}")}</button>
                    }).collect_view()}
                </div>
            </div>
            <p class="muted small">"Nearest by the collection's distance; the point itself is excluded."</p>
            {neighbours}
            <ConfirmDialog open=confirm_open title="Delete point".into()
                detail="The point, its vector and its payload are removed from the collection.".into()
                expected=Signal::derive({ let id = id.clone(); move || id.clone() }) on_confirm=delete/>
        </div>
    }
}
