//! Dashboard: KATO's key figures, charts over a time range (live for the last minutes, the history store beyond), a card per container, the alerts firing now and
//! KATO's recent restarts and outages. Every figure says "—" when unknown and every dead upstream says why.

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;

use super::dashboard_charts::DashboardCharts;
use super::dashboard_fleet::{FleetKpi, FleetPanel};
use super::dashboard_parts::{ContainersPanel, CurrentAlerts, KatoTimelinePanel};
use crate::components::cards::{Banner, StatCard};
use crate::components::icons::Icon;
use crate::format;
use crate::services::{local_datetime, use_clock, use_live};
use crate::state::json::Availability;
use crate::state::metrics::MetricsView;
use crate::ws::{use_topics, use_ws};

const DASH: &str = "—";

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| DASH.into())
}

/// The page.
#[component]
pub fn Dashboard() -> impl IntoView {
    use_topics(&[
        Topic::Metrics,
        Topic::Instances,
        Topic::Containers,
        Topic::Sessions,
        Topic::SystemAlerts,
        Topic::KatoEvents,
    ]);
    let live = use_live();
    let clock = use_clock();
    let ws = use_ws();
    let view = move || live.metrics.with(|m| m.view.clone());
    let with_view = move |f: fn(&MetricsView) -> Option<f64>| {
        live.metrics.with(|m| m.view.as_ref().and_then(f))
    };

    let kato_value = move || match view() {
        None => DASH.to_string(),
        Some(v) if !v.kato_up() => "Unreachable".into(),
        Some(v) => v
            .kato_status
            .map(|s| capitalize(&s))
            .unwrap_or_else(|| "Up".into()),
    };
    let kato_tone = move || match view() {
        None => "idle",
        Some(v) if !v.kato_up() => "bad",
        Some(v) if v.kato_status.as_deref().is_some_and(|s| s != "healthy") => "warn",
        Some(_) => "ok",
    };
    let kato_sub = move || {
        let Some(v) = view() else {
            return "waiting for the first reading".to_string();
        };
        let generation = v
            .version
            .clone()
            .or(v.generation.clone())
            .unwrap_or_else(|| "version unknown".into());
        let uptime = v
            .uptime_at(clock.now())
            .map(|u| format!(" · up {}", format::duration(u)))
            .unwrap_or_default();
        format!("{generation}{uptime}")
    };
    let sessions_value = move || {
        let merged = live.sessions.with(|s| s.as_ref().and_then(|s| s.active));
        opt(
            merged.or_else(|| with_view(|v| v.active_sessions)),
            format::int,
        )
    };
    let sessions_sub = move || {
        live.sessions.with(|s| match s {
            Some(s) => {
                let created = s
                    .total_created
                    .map(|n| format!("{} created since start", format::int(n)))
                    .unwrap_or_default();
                match s.redis.as_ref().and_then(Availability::reason) {
                    Some(_) => format!(
                        "KATO's count · Redis unavailable{}",
                        if created.is_empty() {
                            String::new()
                        } else {
                            format!(" · {created}")
                        }
                    ),
                    None => created,
                }
            }
            None => String::new(),
        })
    };
    // KATO 3.x runs several worker processes, each with its own counters: the rate is their sum, the request
    // total, latency and processors are one worker's (the one that answered the last poll).
    let rps_sub = move || {
        let Some(v) = view() else {
            return String::new();
        };
        let total = v
            .total_requests
            .map(format::int)
            .unwrap_or_else(|| DASH.into());
        match v.rate_workers {
            Some(n) if n > 1.0 => format!(
                "Σ over {} KATO workers · one worker counted {total}",
                format::int(n)
            ),
            _ => format!("{total} requests in total"),
        }
    };
    let per_worker = move |text: &str| {
        if with_view(|v| v.rate_workers).is_some_and(|n| n > 1.0) {
            format!("{text} · one worker's figure")
        } else {
            text.to_string()
        }
    };
    let err_tone = move || match with_view(|v| v.error_rate) {
        Some(r) if r >= 0.05 => "bad",
        Some(r) if r >= 0.01 => "warn",
        Some(_) => "ok",
        None => "idle",
    };
    let err_sub = move || match view() {
        Some(v) if v.error_rate_source.as_ref().is_some_and(|s| !s.is_ok()) => {
            "KATO's request series is unavailable".to_string()
        }
        Some(v) => match (v.error_rate_counts, v.error_rate_window_s) {
            (Some((req, failed)), Some(w)) => format!(
                "{} of {} requests in {w:.0} s",
                format::int(failed),
                format::int(req)
            ),
            _ => "from KATO's request series".into(),
        },
        None => String::new(),
    };
    view! {
        <div class="page dashboard">
            {move || view().and_then(|v| v.kato.clone()).and_then(|k| match k {
                Availability::Unavailable { reason, since } => Some(view! {
                    <Banner tone="bad" title=format!("KATO is unreachable: {reason}")
                        detail=since.and_then(|s| format::parse_ts_ms(&s)).map(|t| format!("since {} ({})", local_datetime(t), format::ago(t, clock.now()))).unwrap_or_default()/>
                }),
                Availability::Ok | Availability::Off { .. } => None,
            })}
            <Show when=move || live.metrics.with(|m| m.view.as_ref().is_some_and(|v| v.via_http)) && !ws.status.get().is_open()>
                <Banner tone="warn" title="Live connection lost — showing KATO figures polled over HTTP".to_string()
                    detail="They update every few seconds until the live connection is back.".to_string()/>
            </Show>
            <div class="stats">
                <StatCard label="KATO" icon=Icon::Server testid="kato-status" value=Signal::derive(kato_value)
                    sub=Signal::derive(kato_sub) tone=Signal::derive(kato_tone)/>
                <FleetKpi/>
                <StatCard label="Active sessions" icon=Icon::Users testid="active-sessions"
                    value=Signal::derive(sessions_value) sub=Signal::derive(sessions_sub)/>
                <StatCard label="Requests / s" icon=Icon::Pulse testid="rps"
                    value=Signal::derive(move || opt(with_view(|v| v.requests_per_second), format::per_second))
                    sub=Signal::derive(rps_sub)/>
                <StatCard label="Error rate" icon=Icon::Alert testid="error-rate" tone=Signal::derive(err_tone)
                    value=Signal::derive(move || opt(with_view(|v| v.error_rate), format::fraction_percent))
                    sub=Signal::derive(err_sub)/>
                <StatCard label="Latency" icon=Icon::Clock testid="latency"
                    value=Signal::derive(move || opt(with_view(|v| v.latency_ms), format::millis))
                    sub=Signal::derive(move || per_worker("mean response time"))/>
                <StatCard label="Processors" icon=Icon::Cpu testid="processors"
                    value=Signal::derive(move || opt(with_view(|v| v.processors), format::int))
                    sub=Signal::derive(move || with_view(|v| v.max_processors).map(|m| per_worker(&format!("of {} allowed", format::int(m)))).unwrap_or_default())/>
            </div>
            <FleetPanel/>
            <DashboardCharts/>
            <ContainersPanel/>
            <div class="split">
                <CurrentAlerts/>
                <KatoTimelinePanel/>
            </div>
        </div>
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}
