//! Instances: every KATO instance of a fleet (`KATO_API_URLS`, `KATO_DISCOVERY`) in a table sortable by column and
//! filtered by status, with a drawer per instance (`/instances?id=host:port`). A single KATO is shown as its one
//! instance, from the aggregate figures, with a note on how to watch a fleet.

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;

use super::dashboard_fleet::healthy_text;
use super::instance_drawer::InstanceDrawer;
use super::instance_row::InstanceRows;
use crate::components::cards::{Banner, StatCard};
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::services::{Live, use_live};
use crate::state::fleet::{InstanceQuery, InstanceSort, StatusFilter};
use crate::state::fleet_rows::{all_of, or_dash};
use crate::ws::use_topics;

/// The full table's columns: the sort key (none for the sparkline), header, class.
const COLUMNS: [(Option<InstanceSort>, &str, &str); 11] = [
    (Some(InstanceSort::Status), "Status", ""),
    (Some(InstanceSort::Id), "Instance", ""),
    (Some(InstanceSort::Generation), "Gen.", ""),
    (Some(InstanceSort::Uptime), "Uptime", "num-col"),
    (Some(InstanceSort::Restarts), "Restarts", "num-col"),
    (Some(InstanceSort::Rps), "Req/s", "num-col"),
    (None, "Last 5 min", "spark-col"),
    (Some(InstanceSort::ErrorRate), "Errors", "num-col"),
    (Some(InstanceSort::Latency), "Latency", "num-col"),
    (Some(InstanceSort::Cpu), "CPU", ""),
    (Some(InstanceSort::Memory), "Memory", ""),
];

const FILTERS: [(StatusFilter, &str); 3] = [
    (StatusFilter::All, "All"),
    (StatusFilter::Healthy, "Healthy"),
    (StatusFilter::Unhealthy, "Unhealthy"),
];

/// The key figures over the table.
fn summary(live: Live) -> impl IntoView {
    let (list, fleet, rps, errors, counted, latency) = live.metrics.with(|m| {
        let v = m.view.as_ref();
        (
            all_of(m),
            v.is_some_and(|v| !v.instances.is_empty()),
            v.and_then(|v| v.requests_per_second),
            v.and_then(|v| v.error_rate),
            v.and_then(|v| v.error_rate_counts).map(|c| c.0),
            v.filter(|v| v.kato_up()).and_then(|v| v.latency_ms),
        )
    });
    let (healthy, tone) = healthy_text(&list);
    let restarts: f64 = list.iter().map(|i| i.restarts).sum();
    let latest = list
        .iter()
        .filter_map(|i| Some((i.last_restart_ms?, i.id.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(
            || "none seen by this dashboard".to_string(),
            |(_, id)| format!("latest on {id}"),
        );
    let down = list.iter().filter(|i| !i.is_up()).count();
    let healthy_sub = match (fleet, down) {
        (false, _) => "a single KATO".to_string(),
        (true, 0) => "in the fleet".to_string(),
        (true, n) => format!("in the fleet · {n} unreachable"),
    };
    view! {
        <StatCard label="Instances healthy" icon=Icon::Server testid="instances-healthy" value=healthy tone=tone
            sub=healthy_sub/>
        <StatCard label="Requests / s" icon=Icon::Pulse testid="instances-rps" value=or_dash(rps, format::per_second)
            sub=if fleet { "Σ over the instances" } else { "" }.to_string()/>
        <StatCard label="Error rate" icon=Icon::Alert testid="instances-errors"
            value=or_dash(errors, format::fraction_percent)
            sub=counted.map(|n| format!("of {} requests", format::int(n))).unwrap_or_default()/>
        <StatCard label="Latency" icon=Icon::Clock testid="instances-latency" value=or_dash(latency, format::millis)
            sub=if fleet { "mean, weighted by requests" } else { "mean response time" }.to_string()/>
        <StatCard label="Restarts" icon=Icon::Refresh testid="instances-restarts" value=format::int(restarts)
            sub=latest/>
    }
}

/// The page.
#[component]
pub fn InstancesPage() -> impl IntoView {
    use_topics(&[Topic::Metrics, Topic::Instances, Topic::KatoEvents]);
    let live = use_live();
    let query = RwSignal::new(InstanceQuery::default());
    let is_fleet = move || {
        live.metrics
            .with(|m| m.view.as_ref().is_some_and(|v| !v.instances.is_empty()))
    };
    let single_note = move || live.metrics.with(|m| m.view.is_some()) && !is_fleet();
    let count = move |f: StatusFilter| {
        live.metrics
            .with(|m| all_of(m).iter().filter(|i| f.admits(i)).count())
    };
    let header = move |key: Option<InstanceSort>, label: &'static str, class: &'static str| {
        let aria = move || {
            query.with(|q| match (key == Some(q.sort), q.desc) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            })
        };
        let button = key.map(|key| {
            view! {
                <button class="th-btn" on:click=move |_| query.update(|q| q.toggle_sort(key))>
                    {label}
                    <span class="sort-arrow" aria-hidden="true">{move || match aria() {
                        "descending" => "↓", "ascending" => "↑", _ => "↕" }}</span>
                </button>
            }
        });
        let plain = key.is_none().then_some(label);
        view! { <th class=class aria-sort=move || key.map(|_| aria())>{button}{plain}</th> }
    };
    let ids = Signal::derive(move || {
        let q = query.get();
        live.metrics
            .with(|m| q.rows(&all_of(m)).into_iter().map(|i| i.id).collect())
    });

    view! {
        <div class="page instances">
            {move || single_note().then(|| view! {
                <Banner tone="info" title="One KATO is watched".to_string()
                    detail="Set KATO_API_URLS (comma-separated URLs) or KATO_DISCOVERY (a DNS name) on the dashboard server to watch every instance of a KATO fleet here.".to_string()/>
            })}
            <div class="stats">{move || summary(live)}</div>
            <div class="card table-card">
                <div class="table-toolbar">
                    <div class="segmented" role="radiogroup" aria-label="Status" data-testid="instance-filter">
                        {FILTERS.iter().map(|(f, label)| {
                            let f = *f;
                            view! {
                                <button role="radio" aria-checked=move || (query.with(|q| q.filter) == f).to_string()
                                    class:active=move || query.with(|q| q.filter) == f
                                    on:click=move |_| query.update(|q| q.filter = f)>
                                    {*label}<span class="seg-count num">{move || count(f)}</span>
                                </button>
                            }
                        }).collect_view()}
                    </div>
                    <span class="muted small">{move || if is_fleet() { "Live · each instance polled every 2 s" } else { "Live · polled every 2 s" }}</span>
                </div>
                <div class="table-wrap">
                    <table class="table fleet-table" data-testid="instances-table">
                        <thead>
                            <tr>{COLUMNS.iter().map(|(key, label, class)| header(*key, label, class)).collect_view()}</tr>
                        </thead>
                        <tbody><InstanceRows ids=ids full=true/></tbody>
                    </table>
                    {move || {
                        let filter = query.with(|q| q.filter);
                        let text = match filter {
                            StatusFilter::All => return None,
                            StatusFilter::Unhealthy => "Every instance is healthy.",
                            StatusFilter::Healthy => "No instance is healthy right now.",
                        };
                        (count(filter) == 0).then(|| view! {
                            <div class="empty"><Svg icon=Icon::Check class="empty-icon"/><p>{text}</p></div>
                        })
                    }}
                </div>
            </div>
            <InstanceDrawer/>
        </div>
    }
}
