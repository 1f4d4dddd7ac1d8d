//! The Dashboard's charts (CPU, memory, requests per second) over the page's time range: the last 15 minutes come
//! from the live ring buffers (moving each second), longer or zoomed ranges from the history store, with markers,
//! gaps and the live edge kept moving. Drag across a chart to zoom in.

use leptos::prelude::*;

use super::history_feed::{Feed, chart_data, use_history_feed, use_store_info};
use crate::components::cards::Panel;
use crate::components::chart::{ChartData, ChartSeries, LineChart};
use crate::components::range_control::{RangeControl, use_range};
use crate::format;
use crate::services::{Live, use_clock, use_live};
use crate::state::history_api::{HistoryData, Marker, sum_by_time};
use crate::state::range::{TimeRange, chart_step};

/// What the history charts of this page need.
const SERIES: &str = "kato.cpu_percent,kato.memory_percent,kato.requests_per_second,container.*";

/// Ranges up to this long are drawn from the live ring buffers (they hold 15 minutes).
const LIVE_S: i64 = 900;

fn containers(h: &HistoryData, metric: &str) -> Vec<(f64, f64)> {
    let suffix = format!(".{metric}");
    let list: Vec<_> = h
        .matching("container.", &suffix)
        .into_iter()
        .map(|p| p.1)
        .collect();
    sum_by_time(&list)
}

fn kato(h: &HistoryData, name: &str) -> Vec<(f64, f64)> {
    h.get(name).map(|s| s.values()).unwrap_or_default()
}

/// Host and containers' CPU or memory.
fn resource(
    host: Vec<(f64, f64)>,
    containers: Vec<(f64, f64)>,
    classes: (&'static str, &'static str),
    containers_name: &'static str,
) -> Vec<ChartSeries> {
    let mut s = vec![ChartSeries::line("KATO host", classes.0, host)];
    if !containers.is_empty() {
        s.push(ChartSeries::line(containers_name, classes.1, containers));
    }
    s
}

/// Markers of the live charts from what the socket delivered: alerts fired, KATO restarts and outages.
fn live_markers(live: Live, from_ms: f64) -> Vec<Marker> {
    let mut out: Vec<Marker> = live.alerts.with(|a| {
        a.entries
            .iter()
            .filter(|e| e.state == "firing" && e.timestamp_ms >= from_ms)
            .map(|e| Marker {
                t_ms: e.timestamp_ms,
                kind: "alert".into(),
                label: format!("{} · {}", e.kind_label(), e.message),
                severity: e.severity.clone(),
            })
            .collect()
    });
    live.timeline.with(|t| {
        out.extend(
            t.events
                .iter()
                .filter(|e| e.timestamp_ms >= from_ms)
                .map(|e| Marker {
                    t_ms: e.timestamp_ms,
                    kind: e.kind.clone(),
                    label: e.text.clone(),
                    severity: String::new(),
                }),
        )
    });
    out
}

/// The range control and the three charts.
#[component]
pub fn DashboardCharts() -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let ctl = use_range(TimeRange::Last(LIVE_S));
    let from_live =
        Memo::new(move |_| matches!(ctl.range.get(), TimeRange::Last(s) if s <= LIVE_S));
    let feed: Feed = use_history_feed(
        ctl,
        SERIES,
        chart_step,
        Signal::derive(move || !from_live.get()),
    );
    let store = use_store_info();
    let zoom = ctl.set;

    // One chart: from the ring buffers, or from the history with `build`.
    let chart = move |live_series: &dyn Fn() -> Vec<ChartSeries>,
                      build: &dyn Fn(&HistoryData) -> Vec<ChartSeries>,
                      y_floor: f64,
                      fixed_max: Option<f64>,
                      nothing: &str| {
        let range = ctl.range.get();
        let now = clock.now();
        let mut data = if from_live.get() {
            let (from, to) = range.window_ms(now);
            let mut d = ChartData::new(live_series(), from, to);
            d.markers = live_markers(live, from);
            d
        } else {
            store.with(|s| {
                let info = s.as_ref().and_then(|r| r.as_ref().ok());
                chart_data(feed, range, now, info, nothing, build)
            })
        };
        data.y_floor = y_floor;
        data.fixed_max = fixed_max;
        data
    };
    let cpu_chart = Signal::derive(move || {
        chart(
            &|| {
                let host = live.metrics.with(|m| m.cpu.since(0.0).collect());
                let c = live.containers.with(|c| c.cpu_total.since(0.0).collect());
                resource(host, c, ("c1", "c2"), "Containers (Σ, % of a core)")
            },
            &|h| {
                resource(
                    kato(h, "kato.cpu_percent"),
                    containers(h, "cpu_percent"),
                    ("c1", "c2"),
                    "Containers (Σ, % of a core)",
                )
            },
            100.0,
            None,
            "No CPU readings in this range",
        )
    });
    let mem_chart = Signal::derive(move || {
        chart(
            &|| {
                let host = live.metrics.with(|m| m.memory.since(0.0).collect());
                let c = live.containers.with(|c| c.mem_percent.since(0.0).collect());
                resource(host, c, ("c3", "c4"), "Containers")
            },
            &|h| {
                resource(
                    kato(h, "kato.memory_percent"),
                    containers(h, "memory_percent"),
                    ("c3", "c4"),
                    "Containers",
                )
            },
            100.0,
            Some(100.0),
            "No memory readings in this range",
        )
    });
    let rps_chart = Signal::derive(move || {
        chart(
            &|| {
                let rps = live.metrics.with(|m| m.rps.since(0.0).collect());
                vec![ChartSeries::line("Requests/s", "c5", rps)]
            },
            &|h| {
                vec![ChartSeries::line(
                    "Requests/s",
                    "c5",
                    kato(h, "kato.requests_per_second"),
                )]
            },
            1.0,
            None,
            "No requests recorded in this range",
        )
    });
    let title = move || match ctl.range.get() {
        TimeRange::Last(s) if s <= LIVE_S => "Live".to_string(),
        TimeRange::Last(_) => "History".to_string(),
        TimeRange::Between { .. } => "Selected range".to_string(),
    };
    view! {
        <section class="charts-head">
            <h2 class="section-title">{title}</h2>
            <RangeControl ctl=ctl csv=(SERIES, chart_step)/>
        </section>
        <div class="charts">
            <Panel title="CPU" class="chart-card"><LineChart data=cpu_chart fmt=format::percent label="CPU usage" on_zoom=zoom/></Panel>
            <Panel title="Memory" class="chart-card"><LineChart data=mem_chart fmt=format::percent label="Memory usage" on_zoom=zoom/></Panel>
            <Panel title="Requests per second" class="chart-card"><LineChart data=rps_chart fmt=format::per_second label="Requests per second" on_zoom=zoom/></Panel>
        </div>
    }
}
