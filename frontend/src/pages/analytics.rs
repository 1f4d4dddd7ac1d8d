//! Analytics: how KATO was used over a time range (24 hours by default, shared through the URL) from the history
//! store — sessions created/ended/expired per bucket and active sessions, request rate and error rate, alerts fired
//! by rule, knowledge-base growth — with markers on every chart and drag-to-zoom; plus the load prediction and the
//! most frequent patterns (`analytics_parts`), and a CSV download of the page's series.

use leptos::prelude::*;

use super::analytics_parts::{LoadCards, TopPatternsPanel};
use super::history_feed::{Feed, chart_data, use_history_feed, use_store_info};
use crate::components::cards::Panel;
use crate::components::chart::{ChartData, ChartSeries, LineChart};
use crate::components::range_control::{RangeControl, use_range};
use crate::format;
use crate::services::use_clock;
use crate::state::history_api::HistoryData;
use crate::state::range::{TimeRange, chart_step, count_step, per_step};

/// Occurrence counts, bucketed by `count_step` (an hour from 24 h on).
const COUNTS: &str = "sessions.created,sessions.ended,sessions.expired,alerts.fired.*";
/// Gauges, bucketed for a smooth line.
const GAUGES: &str = "sessions.active,kato.requests_per_second,kato.error_rate,kb.*";
/// Everything, for the CSV download.
const ALL: &str = "sessions.*,kato.requests_per_second,kato.error_rate,alerts.fired.*,kb.*";

const CLASSES: [&str; 8] = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];

/// KB gauges are sampled every few minutes: join their points unless a quarter of an hour is missing.
const SPARSE_GAP_MS: f64 = 900_000.0;

fn class_of(i: usize) -> &'static str {
    CLASSES[i % CLASSES.len()]
}

fn line(h: &HistoryData, name: &str, label: &str, class: &'static str) -> ChartSeries {
    ChartSeries::line(
        label,
        class,
        h.get(name).map(|s| s.values()).unwrap_or_default(),
    )
}

fn bars(h: &HistoryData, name: &str, label: &str, class: &'static str) -> ChartSeries {
    ChartSeries {
        bars: true,
        ..line(h, name, label, class)
    }
}

/// One line per `prefix<part>suffix` series, labelled with the part.
fn each(h: &HistoryData, prefix: &str, suffix: &str, as_bars: bool) -> Vec<ChartSeries> {
    h.matching(prefix, suffix)
        .into_iter()
        .enumerate()
        .map(|(i, (part, s))| ChartSeries {
            name: part.to_string(),
            class: class_of(i),
            points: s.values(),
            bars: as_bars,
        })
        .collect()
}

/// "per hour · 12 created · 10 ended · 1 expired": the bucket and the totals of a count chart.
fn totals(feed: Feed, range: TimeRange, parts: &[(&str, &str)], prefix: Option<&str>) -> String {
    let step = per_step((feed.step_of)(range.span_s()));
    feed.data.with(|d| {
        let Some(Ok(h)) = d else {
            return step.clone();
        };
        let mut out = step.clone();
        for (name, what) in parts {
            let n = h.get(name).map(|s| s.total()).unwrap_or(0.0);
            out.push_str(&format!(" · {} {what}", format::int(n)));
        }
        if let Some(p) = prefix {
            let n: f64 = h.matching(p, "").iter().map(|s| s.1.total()).sum();
            out.push_str(&format!(" · {} fired", format::int(n)));
        }
        out
    })
}

/// The page.
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let clock = use_clock();
    let ctl = use_range(TimeRange::Last(86_400));
    let on = Signal::derive(|| true);
    let counts = use_history_feed(ctl, COUNTS, count_step, on);
    let gauges = use_history_feed(ctl, GAUGES, chart_step, on);
    let store = use_store_info();
    let zoom = ctl.set;

    let chart =
        move |feed: Feed, nothing: &str, build: &dyn Fn(&HistoryData) -> Vec<ChartSeries>| {
            let (range, now) = (ctl.range.get(), clock.now());
            store.with(|s| {
                let info = s.as_ref().and_then(|r| r.as_ref().ok());
                chart_data(feed, range, now, info, nothing, build)
            })
        };
    let sessions = Signal::derive(move || {
        chart(
            counts,
            "No sessions created, ended or expired in this range",
            &|h| {
                vec![
                    bars(h, "sessions.created", "Created", "c1"),
                    bars(h, "sessions.ended", "Ended", "c3"),
                    bars(h, "sessions.expired", "Expired", "c5"),
                ]
            },
        )
    });
    let active = Signal::derive(move || {
        chart(gauges, "No active-session readings in this range", &|h| {
            vec![line(h, "sessions.active", "Active sessions", "c2")]
        })
    });
    let rps = Signal::derive(move || {
        chart(gauges, "No requests recorded in this range", &|h| {
            vec![line(h, "kato.requests_per_second", "Requests/s", "c5")]
        })
    });
    let errors = Signal::derive(move || {
        chart(gauges, "No error-rate readings in this range", &|h| {
            vec![line(h, "kato.error_rate", "Error rate", "c4")]
        })
    });
    let alerts = Signal::derive(move || {
        chart(counts, "No alerts fired in this range", &|h| {
            each(h, "alerts.fired.", "", true)
        })
    });
    let kb = move |suffix: &'static str, nothing: &'static str| {
        Signal::derive(move || {
            let mut d: ChartData = chart(gauges, nothing, &|h| each(h, "kb.", suffix, false));
            d.gap_ms = d.gap_ms.max(SPARSE_GAP_MS);
            d
        })
    };
    let patterns = kb(
        ".patterns",
        "No knowledge-base patterns sampled in this range",
    );
    let symbols = kb(
        ".symbols",
        "No knowledge-base symbols sampled in this range",
    );
    let session_sub = move || {
        let parts = [
            ("sessions.created", "created"),
            ("sessions.ended", "ended"),
            ("sessions.expired", "expired"),
        ];
        totals(counts, ctl.range.get(), &parts, None)
    };
    let alert_sub = move || totals(counts, ctl.range.get(), &[], Some("alerts.fired."));
    let store_note = move || {
        store.with(|s| match s {
            Some(Ok(info)) if !info.ok => Some(format!(
                "The history store reports a problem: {}",
                info.error
                    .clone()
                    .unwrap_or_else(|| "no reason given".into())
            )),
            _ => None,
        })
    };

    view! {
        <div class="page analytics" data-testid="analytics">
            <section class="charts-head">
                <h2 class="section-title">"Usage over time"</h2>
                <RangeControl ctl=ctl csv=(ALL, chart_step)/>
            </section>
            {move || store_note().map(|t| view! { <p class="note warn small">{t}</p> })}
            <LoadCards/>
            <div class="charts">
                <Panel title="Sessions" class="chart-card" testid="chart-sessions">
                    <p class="panel-sub muted">{session_sub}</p>
                    <LineChart data=sessions fmt=format::int label="Sessions created, ended and expired" on_zoom=zoom/>
                </Panel>
                <Panel title="Active sessions" class="chart-card" testid="chart-active">
                    <LineChart data=active fmt=format::int label="Active sessions" on_zoom=zoom/>
                </Panel>
                <Panel title="Request rate" class="chart-card" testid="chart-rps">
                    <LineChart data=rps fmt=format::per_second label="Requests per second" on_zoom=zoom/>
                </Panel>
                <Panel title="Error rate" class="chart-card" testid="chart-errors">
                    <LineChart data=errors fmt=format::percent label="Error rate" on_zoom=zoom/>
                </Panel>
                <Panel title="Alerts fired by rule" class="chart-card" testid="chart-alerts">
                    <p class="panel-sub muted">{alert_sub}</p>
                    <LineChart data=alerts fmt=format::int label="Alerts fired by rule" on_zoom=zoom/>
                </Panel>
                <Panel title="Patterns per knowledge base" class="chart-card" testid="chart-kb-patterns">
                    <LineChart data=patterns fmt=format::int label="Patterns per knowledge base" on_zoom=zoom/>
                </Panel>
                <Panel title="Symbols per knowledge base" class="chart-card" testid="chart-kb-symbols">
                    <LineChart data=symbols fmt=format::int label="Symbols per knowledge base" on_zoom=zoom/>
                </Panel>
                <TopPatternsPanel/>
            </div>
        </div>
    }
}
