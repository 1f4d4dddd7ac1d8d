//! The drawer of one KATO instance on the Instances page, opened by `?id=host:port`: its figures, sparklines of its
//! requests per second and error rate over the last minutes, and its KATO events from the timeline. Like the
//! table rows, its content is plain markup for one reading, re-rendered as readings arrive.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::dashboard_fleet::status_cell;
use super::databases::SideDrawer;
use crate::components::cards::{Banner, Empty};
use crate::components::chart::Sparkline;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::services::{Live, local_datetime, local_time, use_clock, use_live};
use crate::state::fleet::{InstanceView, SINGLE_ID, instance_of, spark_window};
use crate::state::fleet_rows::or_dash;
use crate::state::history::Series;
use crate::state::metrics::MetricsState;
use crate::state::timeline::TimelineEvent;

/// KATO events listed per instance.
const EVENTS_SHOWN: usize = 20;

/// The drawer, open while the URL names an instance.
#[component]
pub fn InstanceDrawer() -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let query = use_query_map();
    let navigate = StoredValue::new_local(use_navigate());
    let id = move || query.with(|q| q.get("id"));
    let close = Callback::new(move |()| {
        navigate.with_value(|go| go("/instances", Default::default()));
    });
    let body = move || id().map(|id| detail(live, &id, clock.now()));
    view! {
        <SideDrawer open=Signal::derive(move || query.with(|q| q.get_str("id").is_some())) on_close=close label="KATO instance"
            testid="instance-drawer">
            {body}
        </SideDrawer>
    }
}

/// The points of `pick` (requests/s or error rate) of `id` (the aggregate's for a single KATO).
fn points(m: &MetricsState, id: &str, errors: bool) -> Vec<(f64, f64)> {
    let pick = |rps: &Series, err: &Series| if errors { err } else { rps }.since(0.0).collect();
    if id == SINGLE_ID {
        pick(&m.rps, &m.errors)
    } else {
        m.fleet
            .of(id)
            .map(|h| pick(&h.rps, &h.errors))
            .unwrap_or_default()
    }
}

/// What the drawer shows for `id` at `now`.
fn detail(live: Live, id: &str, now: f64) -> impl IntoView + use<> {
    let found = live.metrics.with(|m| {
        let i = instance_of(m.view.as_ref()?, id)?;
        Some((i, points(m, id, false), points(m, id, true)))
    });
    match found {
        Some((i, rps, errors)) => Either::Left(found_view(live, &i, rps, errors, now)),
        None => Either::Right(
            view! { <Empty icon=Icon::Server text=format!("{id} is not in the fleet any more.")/> },
        ),
    }
}

/// The instance's figures, sparklines and events.
fn found_view(
    live: Live,
    i: &InstanceView,
    rps: Vec<(f64, f64)>,
    errors: Vec<(f64, f64)>,
    now: f64,
) -> impl IntoView + use<> {
    let id = i.id.as_str();
    let instance = (id != SINGLE_ID).then_some(id);
    let events: Vec<TimelineEvent> = live.timeline.with(|t| {
        t.of_instance(instance)
            .take(EVENTS_SHOWN)
            .cloned()
            .collect()
    });
    let window = spark_window(
        if rps.len() >= errors.len() {
            &rps
        } else {
            &errors
        },
        now,
    );
    let span = format!(
        "Last {}, one point per reading.",
        format::duration((window.1 - window.0) / 1000.0)
    );
    let origin = match (&i.url, i.discovered) {
        (None, _) => "the server's KATO_API_URL".to_string(),
        (Some(url), true) => format!("{url} · found by DNS discovery"),
        (Some(url), false) => format!("{url} · configured in KATO_API_URLS"),
    };
    let outage = i.down_reason().map(|reason| {
        let detail = i.last_ok_ms.map_or_else(
            || "It has not answered since the dashboard started.".to_string(),
            |t| {
                format!(
                    "last answered {} ({})",
                    local_datetime(t),
                    format::ago(t, now)
                )
            },
        );
        view! { <Banner tone="bad" title=format!("Unreachable: {reason}") detail=detail/> }
    });
    let facts: [(&str, String); 11] = [
        ("Generation", i.generation.clone()),
        ("Uptime", or_dash(i.uptime_at(now), format::duration)),
        ("Restarts seen", format::int(i.restarts)),
        (
            "Last restart",
            i.last_restart_ms
                .map_or_else(|| "none seen".to_string(), local_datetime),
        ),
        (
            "Requests in window",
            or_dash(i.error_rate_requests, format::int),
        ),
        ("Latency", or_dash(i.latency_ms, format::millis)),
        ("Poll latency", or_dash(i.poll_latency_ms, format::millis)),
        ("Processors", or_dash(i.processors, format::int)),
        ("CPU (host)", or_dash(i.cpu, format::percent)),
        ("Memory (host)", or_dash(i.memory, format::percent)),
        (
            "Last answer",
            i.last_ok_ms
                .map_or_else(|| "never".to_string(), local_datetime),
        ),
    ];
    let spark = |label: &'static str,
                 class: &'static str,
                 value: String,
                 points: Vec<(f64, f64)>| {
        view! {
            <div class=format!("inst-spark {class}")>
                <div class="row-between"><span class="muted small">{label}</span><span class="num big">{value}</span></div>
                <Sparkline points=points window=window/>
            </div>
        }
    };
    view! {
        <div class="inst-detail" data-testid="instance-detail" data-instance=i.id.clone()>
            <div class="inst-head">
                <h3 class="mono key-title">{i.id.clone()}</h3>
                {status_cell(i)}
            </div>
            <p class="muted small">{origin}</p>
            {outage}
            <div class="inst-sparks">
                {spark("Requests / s", "c5", or_dash(i.requests_per_second, format::per_second), rps)}
                {spark("Error rate", "c4", or_dash(i.error_rate, format::fraction_percent), errors)}
            </div>
            <p class="muted small">{span}</p>
            <dl class="facts inst-facts">
                {facts.into_iter().map(|(label, value)| view! {
                    <div class="fact"><dt>{label}</dt><dd class="num">{value}</dd></div>
                }).collect_view()}
            </dl>
            <h3 class="section-title">"KATO events"</h3>
            {events.is_empty().then(|| view! {
                <div class="all-clear"><Svg icon=Icon::Check/>"No restarts or outages of this instance seen."</div>
            })}
            <ol class="timeline" data-testid="instance-events">
                        {events.into_iter().map(|e| view! {
                            <li class=format!("tl tone-{}", e.tone)>
                                <span class="tl-dot" aria-hidden="true"></span>
                                <time class="num small" title=local_datetime(e.timestamp_ms)>{local_time(e.timestamp_ms)}</time>
                                <span class="tl-text">{e.what}</span>
                                <span class="muted small">{format::ago(e.timestamp_ms, now)}</span>
                            </li>
                }).collect_view()}
            </ol>
        </div>
    }
}
