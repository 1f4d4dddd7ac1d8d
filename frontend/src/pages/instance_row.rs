//! The rows of an instance table (the Dashboard's compact one, the Instances page's full one): one mounted row per
//! instance, keyed by id, whose cells update in place from [`RowView`] — a click never lands on a row being
//! replaced, and rows move when the sort changes. A click anywhere on a row opens the instance's drawer.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::chart::Sparkline;
use crate::format;
use crate::services::{use_clock, use_live};
use crate::state::fleet_rows::{CELL_LABELS, RowView};
use crate::state::sessions::encode_component;

/// The Instances page with `id`'s drawer open.
pub fn instance_href(id: &str) -> String {
    format!("/instances?id={}", encode_component(id))
}

/// A `<tbody>`'s rows for `ids`, in that order; `full` adds the address line and the sparkline.
#[component]
pub fn InstanceRows(#[prop(into)] ids: Signal<Vec<String>>, full: bool) -> impl IntoView {
    view! {
        <For each=move || ids.get() key=|id| id.clone() children=move |id| view! { <InstanceRow id=id full=full/> }/>
    }
}

/// A percentage with a thin bar under it (warn from 80 %, bad from 95 %): the row's CPU, or its memory.
fn meter(row: Memo<RowView>, cpu: bool) -> impl IntoView {
    let value = move || row.with(|r| if cpu { r.cpu } else { r.memory });
    let pct = move || value().unwrap_or(0.0).clamp(0.0, 100.0);
    view! {
        <td data-label=if cpu { "CPU" } else { "Memory" }>
            <span class="meter">
                <span class="num">{move || value().map_or_else(|| "—".to_string(), format::percent)}</span>
                <span class="bar" aria-hidden="true">
                    <span style=move || format!("width:{:.1}%", pct()) class:warn=move || { pct() >= 80.0 }
                        class:bad=move || { pct() >= 95.0 }></span>
                </span>
            </span>
        </td>
    }
}

#[component]
fn InstanceRow(id: String, full: bool) -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let key = id.clone();
    let row = Memo::new(move |_| {
        let now = clock.now();
        live.metrics
            .with(|m| RowView::find(m, &key, now, full))
            .unwrap_or_default()
    });
    let status = move || row.with(|r| r.status.clone());
    let reason = move || row.with(|r| r.reason.clone());
    let cell = move |k: usize| {
        view! {
            <td class=if k == 0 { "" } else { "num num-col" } data-label=CELL_LABELS[k]>
                {move || row.with(|r| r.cells[k].clone())}
            </td>
        }
    };
    let href = instance_href(&id);
    let navigate = use_navigate();
    let target = href.clone();
    // The link navigates by itself; elsewhere on the row the click does.
    let on_click = move |e: leptos::ev::MouseEvent| {
        let on_link = event_target::<web_sys::Element>(&e)
            .closest("a")
            .ok()
            .flatten()
            .is_some();
        if !on_link {
            navigate(&target, Default::default());
        }
    };
    view! {
        <tr class="clickable" data-testid="instance-row" data-instance=id.clone() data-status=status on:click=on_click>
            <td class="status-cell">
                <span class=move || format!("inst-status tone-{}", row.with(|r| r.tone)) title=reason
                    data-testid="instance-status">
                    <span class="dot" aria-hidden="true"></span>
                    <span class="inst-status-text">{status}</span>
                </span>
            </td>
            <td class="inst-cell">
                <a class="mono" href=href>{id.clone()}</a>
                {move || row.with(|r| r.discovered).then(|| view! { <span class="chip-s" title="found by DNS discovery">"DNS"</span> })}
                {full.then(|| view! { <span class="muted small inst-sub" title=reason>{move || row.with(|r| r.sub.clone())}</span> })}
            </td>
            {cell(0)}
            {cell(1)}
            {cell(2)}
            {cell(3)}
            {full.then(|| view! {
                <td class="spark-col">
                    <Sparkline points=Signal::derive(move || row.with(|r| r.spark.clone()))
                        window=Signal::derive(move || row.with(|r| r.window))/>
                </td>
            })}
            {cell(4)}
            {cell(5)}
            {meter(row, true)}
            {meter(row, false)}
        </tr>
    }
}
