//! The Dashboard's fleet part: the "N of M instances healthy" key figure and a compact table of the KATO
//! instances, each row leading to the Instances page. Both render nothing for a single KATO, so its Dashboard is
//! unchanged. Also the status word with its dot and the "N of M" figure the Instances page shares.

use leptos::prelude::*;

use super::instance_row::InstanceRows;
use crate::components::cards::{Panel, StatCard};
use crate::components::icons::Icon;
use crate::services::{Live, use_live};
use crate::state::fleet::{InstanceView, healthy_of};

/// The fleet's instances (empty for a single KATO).
pub fn fleet_of(live: Live) -> Vec<InstanceView> {
    live.metrics.with(|m| {
        m.view
            .as_ref()
            .map(|v| v.instances.clone())
            .unwrap_or_default()
    })
}

/// "N of M" and the tone of that.
pub fn healthy_text(list: &[InstanceView]) -> (String, &'static str) {
    let (healthy, total) = healthy_of(list);
    let tone = match healthy {
        _ if total == 0 => "idle",
        0 => "bad",
        h if h < total => "warn",
        _ => "ok",
    };
    (format!("{healthy} of {total}"), tone)
}

/// A status dot and its word, in the house colours; the reason of an outage as its tooltip.
pub fn status_cell(i: &InstanceView) -> impl IntoView + use<> {
    view! {
        <span class=format!("inst-status tone-{}", i.tone()) title=i.down_reason().unwrap_or_default().to_string()
            data-testid="instance-status">
            <span class="dot" aria-hidden="true"></span>
            <span class="inst-status-text">{i.status_label().to_string()}</span>
        </span>
    }
}

/// "N of M instances healthy", shown only for a fleet.
#[component]
pub fn FleetKpi() -> impl IntoView {
    let live = use_live();
    move || {
        let fleet = fleet_of(live);
        (!fleet.is_empty()).then(|| {
            let (value, tone) = healthy_text(&fleet);
            let sub = match fleet.iter().filter(|i| !i.is_up()).count() {
                0 => "instances healthy".to_string(),
                n => format!("instances healthy · {n} unreachable"),
            };
            view! { <StatCard label="KATO fleet" icon=Icon::Server testid="fleet-healthy" value=value sub=sub tone=tone/> }
        })
    }
}

/// The compact per-instance table, shown only for a fleet.
#[component]
pub fn FleetPanel() -> impl IntoView {
    let live = use_live();
    let ids = Memo::new(move |_| {
        live.metrics.with(|m| {
            m.view.as_ref().map_or_else(Vec::new, |v| {
                v.instances.iter().map(|i| i.id.clone()).collect()
            })
        })
    });
    view! {
        <Show when=move || ids.with(|i| !i.is_empty())>
            <Panel title="KATO instances" class="fleet-panel" testid="fleet">
                <p class="panel-sub muted">
                    {move || format!("{} healthy · select an instance for its details · ", healthy_text(&fleet_of(live)).0)}
                    <a href="/instances">"All instances"</a>
                </p>
                <div class="table-wrap">
                    <table class="table compact fleet-table" data-testid="fleet-table">
                        <thead>
                            <tr>
                                <th>"Status"</th><th>"Instance"</th><th>"Gen."</th>
                                <th class="num-col">"Uptime"</th><th class="num-col">"Restarts"</th>
                                <th class="num-col">"Req/s"</th><th class="num-col">"Errors"</th>
                                <th class="num-col">"Latency"</th><th>"CPU"</th><th>"Memory"</th>
                            </tr>
                        </thead>
                        <tbody><InstanceRows ids=ids full=false/></tbody>
                    </table>
                </div>
            </Panel>
        </Show>
    }
}
