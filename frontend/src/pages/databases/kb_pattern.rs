//! One KATO 3.x pattern in a drawer: its name as KATO shows it (`PTRN|…`), frequency, length, events, learn time
//! and entropies, its events as symbol chips, its emotives (one row per learn) and metadata (values per key),
//! and the MinHash/LSH columns on request. Redis down → the figures it holds are "—" and a banner says why.

use leptos::prelude::*;
use serde_json::{Value, json};

use super::kb::source_down;
use super::{JsonBlock, Loaded, SideDrawer, error_banner, use_token};
use crate::api_db::enc;
use crate::components::cards::Banner;
use crate::state::db::cell;
use crate::state::kb::utc_text;

/// Values of a metadata key shown before "+N more".
const META_VALUES: usize = 12;

/// The drawer of the pattern named in `open` (closed while `None`).
#[component]
pub fn PatternDrawer(kb: String, open: RwSignal<Option<String>>) -> impl IntoView {
    let tok = use_token();
    let detail: RwSignal<Loaded> = RwSignal::new(None);
    let seq = StoredValue::new(0u64);
    let kb = StoredValue::new(kb);
    Effect::new(move |_| {
        if let Some(name) = open.get() {
            detail.set(None);
            let path = format!("/patterns/{}/patterns/{}", enc(&kb.get_value()), enc(&name));
            tok.load_latest(detail, seq, path);
        }
    });
    let close = Callback::new(move |()| open.set(None));
    view! {
        <SideDrawer open=Signal::derive(move || open.get().is_some()) on_close=close label="Pattern" testid="pattern-drawer">
            {move || match detail.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => error_banner("the pattern", &e),
                Some(Ok(v)) => pattern_view(&v).into_any(),
            }}
        </SideDrawer>
    }
}

fn number(v: &Value, decimals: usize) -> String {
    match v.as_f64() {
        Some(x) if v.is_u64() || v.is_i64() => crate::format::int(x),
        Some(x) => crate::format::fixed(x, decimals),
        None => "—".into(),
    }
}

fn pattern_view(v: &Value) -> impl IntoView + use<> {
    let events = v["pattern_data"].as_array().cloned().unwrap_or_default();
    let redis_down = source_down(v, "redis");
    let technical = json!({
        "minhash_sig": v["minhash_sig"], "lsh_bands": v["lsh_bands"], "tf_vector": v["tf_vector"],
    });
    view! {
        <div class="point-detail" data-testid="pattern-detail">
            <h3 class="mono key-title" data-testid="pattern-name">{cell(&v["kato_name"], 200)}</h3>
            {redis_down.map(|reason| view! {
                <Banner tone="warn" title="Redis did not answer: frequency, emotives and metadata unknown".into() detail=reason/>
            })}
            <dl class="facts">
                <dt>"Frequency"</dt><dd class="num" data-testid="pattern-frequency">{number(&v["frequency"], 0)}</dd>
                <dt>"Length"</dt><dd class="num">{number(&v["length"], 0)}</dd>
                <dt>"Events"</dt><dd class="num">{number(&v["events"], 0)}</dd>
                <dt>"Distinct symbols"</dt><dd class="num">{number(&v["token_count"], 0)}</dd>
                <dt>"Learned"</dt><dd class="num small">{utc_text(v["created_at"].as_str().unwrap_or("—"))}</dd>
                <dt>"Entropy"</dt><dd class="num">{number(&v["entropy"], 3)}</dd>
                <dt>"Normalized"</dt><dd class="num">{number(&v["normalized_entropy"], 3)}</dd>
                <dt>"Global norm."</dt><dd class="num">{number(&v["global_normalized_entropy"], 3)}</dd>
            </dl>
            <h3 class="section-title">"Events"</h3>
            <ol class="stm event-list" data-testid="pattern-events">{events.into_iter().enumerate().map(|(i, ev)| view! {
                <li><span class="muted small num">{i + 1}</span>
                    <span class="chips">{ev.as_array().cloned().unwrap_or_else(|| vec![ev.clone()]).into_iter()
                        .map(|s| view! { <span class="symbol">{cell(&s, 80)}</span> }).collect_view()}</span>
                </li>
            }).collect_view()}</ol>
            <h3 class="section-title">"Emotives"</h3>
            {emotives(&v["emotives"])}
            <h3 class="section-title">"Metadata"</h3>
            {metadata(&v["metadata"])}
            <details class="raw card">
                <summary>"MinHash, LSH bands and term frequencies"</summary>
                <JsonBlock value=technical/>
            </details>
        </div>
    }
}

/// KATO 3.x keeps one emotives object per learn: a table with a row per learn and a column per emotive.
fn emotives(v: &Value) -> AnyView {
    let rows: Vec<&serde_json::Map<String, Value>> = match v {
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        Value::Object(o) => vec![o],
        Value::Null => return view! { <p class="muted small">"—"</p> }.into_any(),
        other => return view! { <JsonBlock value=other.clone()/> }.into_any(),
    };
    if rows.is_empty() {
        return view! { <p class="muted small">"None recorded."</p> }.into_any();
    }
    let mut keys: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let head = keys.clone();
    view! {
        <div class="table-wrap">
            <table class="table compact" data-testid="pattern-emotives">
                <thead><tr><th>"#"</th>{head.into_iter().map(|k| view! { <th class="num-col">{k}</th> }).collect_view()}</tr></thead>
                <tbody>{rows.into_iter().enumerate().map(|(i, r)| {
                    let cells = keys.iter().map(|k| view! {
                        <td class="num-col num">{r.get(k).map_or_else(|| "—".into(), |x| number(x, 3))}</td>
                    }).collect_view();
                    view! { <tr><td class="muted num">{i + 1}</td>{cells}</tr> }
                }).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Metadata as KATO 3.x keeps it: each key with the list of values seen, as chips.
fn metadata(v: &Value) -> AnyView {
    let Some(map) = v.as_object() else {
        return match v {
            Value::Null => view! { <p class="muted small">"—"</p> }.into_any(),
            other => view! { <JsonBlock value=other.clone()/> }.into_any(),
        };
    };
    if map.is_empty() {
        return view! { <p class="muted small">"None recorded."</p> }.into_any();
    }
    view! {
        <dl class="kv meta" data-testid="pattern-metadata">
            {map.iter().map(|(k, values)| {
                let list: Vec<Value> = match values {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let more = list.len().saturating_sub(META_VALUES);
                view! {
                    <dt class="mono small">{k.clone()}</dt>
                    <dd class="chips">
                        {list.into_iter().take(META_VALUES).map(|x| view! { <span class="chip-s mono">{cell(&x, 60)}</span> }).collect_view()}
                        {(more > 0).then(|| view! { <span class="muted small">{format!("+{more} more")}</span> })}
                    </dd>
                }
            }).collect_view()}
        </dl>
    }
    .into_any()
}
