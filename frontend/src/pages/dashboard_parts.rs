//! Parts of the Dashboard: the container cards, the alerts firing now, and KATO's restart/outage timeline.

use leptos::prelude::*;

use crate::components::cards::{Banner, Empty, Panel};
use crate::components::chart::Sparkline;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::services::{local_datetime, local_time, use_clock, use_live, use_ui};
use crate::state::containers::{ContainerView, EngineGroup};
use crate::state::json::Availability;

const DASH: &str = "—";

fn or_dash(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| DASH.into())
}

/// One card per container, with Docker's availability; with several Docker engines, one group per engine, each
/// with its own state (an engine down is a banner in its group only).
#[component]
pub fn ContainersPanel() -> impl IntoView {
    let live = use_live();
    let switched_off = move || {
        live.unknown_topics
            .with(|u| u.iter().any(|t| t == "containers"))
    };
    let received = move || live.containers.with(|c| c.received);
    let docker = move || live.containers.with(|c| c.docker.clone());
    let list = move || live.containers.with(|c| c.containers.clone());
    let missing = move || live.containers.with(|c| c.missing.clone());
    let groups = move || live.containers.with(|c| c.groups());
    let summary = move || {
        live.containers.with(|c| {
            (!c.containers.is_empty()).then(|| {
                let a = &c.aggregated;
                let running = c.containers.iter().filter(|c| c.running).count();
                format!(
                    "{} running · Σ CPU {} · Σ memory {}",
                    format::int(running as f64),
                    format::percent(a.total_cpu_percent),
                    format::bytes(a.total_memory_mb * 1024.0 * 1024.0)
                )
            })
        })
    };
    view! {
        <Panel title="Containers" class="containers-panel" testid="containers">
            <p class="panel-sub muted">{summary}</p>
            {move || {
                if switched_off() {
                    return view! { <Empty icon=Icon::Server text="Container stats are switched off on this server (WEBSOCKET_CONTAINER_STATS).".into()/> }.into_any();
                }
                if !received() {
                    return view! { <Empty icon=Icon::Server text="No container data yet: waiting for the Docker collector.".into()/> }.into_any();
                }
                if let Some(Availability::Off { reason }) = docker() {
                    return view! { <Empty icon=Icon::Server text=format!("Container monitoring is off on this server ({reason}).")/> }.into_any();
                }
                let groups = groups();
                if !groups.is_empty() {
                    return groups.into_iter().map(|g| view! { <EngineSection g=g/> }).collect_view().into_any();
                }
                let outage = docker().and_then(|d| match d {
                    Availability::Unavailable { reason, since } => Some((reason, since)),
                    Availability::Ok | Availability::Off { .. } => None,
                });
                let cards = list();
                let stale_note = if cards.is_empty() { "" } else { "; the figures below are the last known" };
                view! {
                    {outage.map(|(reason, since)| view! {
                        <Banner tone="bad" title=format!("Docker unavailable: {reason}")
                            detail=since.as_deref().and_then(format::parse_ts_ms)
                                .map(|t| format!("since {}{stale_note}", local_datetime(t))).unwrap_or_default()/>
                    })}
                    {(cards.is_empty() && docker().is_some_and(|d| d.is_ok())).then(|| view! {
                        <Empty icon=Icon::Server text="No KATO containers found.".into()/>
                    })}
                    <div class="container-grid">
                        {cards.into_iter().map(|c| view! { <ContainerCard c=c/> }).collect_view()}
                        {missing().into_iter().map(|name| view! { <MissingCard name=name/> }).collect_view()}
                    </div>
                }.into_any()
            }}
        </Panel>
    }
}

/// One engine's header (id, address, state, counts), its outage banner, and its cards.
#[component]
fn EngineSection(g: EngineGroup) -> impl IntoView {
    let e = g.engine;
    let (tone, state) = match &e.docker {
        Availability::Ok => ("ok", "up"),
        Availability::Unavailable { .. } => ("bad", "unavailable"),
        Availability::Off { .. } => ("warn", "off"),
    };
    let banner = match &e.docker {
        Availability::Unavailable { reason, since } => {
            let since = since
                .as_deref()
                .and_then(format::parse_ts_ms)
                .map(local_datetime);
            let kept = if g.cards.is_empty() {
                ""
            } else {
                "; its containers below show their last known figures"
            };
            Some(view! {
                <Banner tone="bad" title=format!("Docker engine {} unavailable: {reason}", e.id)
                    detail=since.map(|t| format!("since {t}{kept}")).unwrap_or_default()/>
            })
        }
        Availability::Ok | Availability::Off { .. } => None,
    };
    let empty = g.cards.is_empty() && g.missing.is_empty() && e.docker.is_ok();
    view! {
        <section class="engine-group" data-testid="engine-group" data-engine=e.id.clone()>
            <header class="engine-head">
                <span class=format!("dot tone-{tone}") aria-hidden="true"></span>
                <strong>{e.id.clone()}</strong>
                <span class="muted small">{e.host.clone()}</span>
                <span class=format!("pill tone-{tone}")>{state}</span>
                <span class="muted small">{format!("{} of {} running", e.running, e.containers)}</span>
            </header>
            {banner}
            {empty.then(|| view! { <p class="muted small">"No KATO containers on this engine."</p> })}
            <div class="container-grid">
                {g.cards.into_iter().map(|c| view! { <ContainerCard c=c/> }).collect_view()}
                {g.missing.into_iter().map(|name| view! { <MissingCard name=name/> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn MissingCard(name: String) -> impl IntoView {
    view! {
        <article class="ccard tone-bad">
            <header><span class="dot"></span><strong>{name}</strong><span class="pill state-firing">"missing"</span></header>
            <p class="muted small">"Monitored, but no such container exists."</p>
        </article>
    }
}

#[component]
fn ContainerCard(c: ContainerView) -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let name = c.name.clone();
    let spark = Signal::derive(move || {
        live.containers.with(|s| {
            s.cpu_of(&name)
                .map(|p| p.since(0.0).collect())
                .unwrap_or_default()
        })
    });
    let window = Signal::derive(move || {
        let now = clock.now();
        (now - 120_000.0, now)
    });
    let mem_pct = c.mem_percent.clamp(0.0, 100.0);
    let mem_text = if c.mem_limit_bytes > 0.0 {
        format!(
            "{} / {}",
            format::bytes(c.mem_bytes),
            format::bytes(c.mem_limit_bytes)
        )
    } else {
        format::bytes(c.mem_bytes)
    };
    let status = match (&c.health, c.stale) {
        (_, true) => format!("{} · stale", c.status),
        (Some(h), _) => format!("{} · {h}", c.status),
        _ => c.status.clone(),
    };
    let foot = [
        c.uptime_s.map(|u| format!("up {}", format::duration(u))),
        (c.restart_count > 0).then(|| format!("{} restarts", format::int(c.restart_count as f64))),
        c.exit_code
            .filter(|_| !c.running)
            .map(|e| format!("exit {e}")),
        c.oom_killed.then(|| "OOM-killed".to_string()),
        c.image.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <article class=format!("ccard tone-{}", c.tone()) data-testid="container-card" data-name=c.name.clone()
            data-engine=c.engine.clone()>
            <header>
                <span class="dot" aria-hidden="true"></span>
                <strong class="ccard-name">{c.label.clone()}</strong>
                <span class=format!("pill tone-{}", c.tone())>{status}</span>
            </header>
            <div class="ccard-cpu">
                <div>
                    <span class="muted small">"CPU"</span>
                    <div class="num big">{or_dash(c.cpu, format::percent)}</div>
                </div>
                <Sparkline points=spark window=window/>
            </div>
            <div class="ccard-mem">
                <div class="row-between"><span class="muted small">"Memory"</span><span class="num small">{mem_text}</span></div>
                <div class="bar" role="meter" aria-label="Memory used" aria-valuemin="0" aria-valuemax="100"
                    aria-valuenow=format!("{mem_pct:.0}")>
                    <span style=format!("width:{mem_pct:.1}%") class:warn={mem_pct >= 80.0} class:bad={mem_pct >= 95.0}></span>
                </div>
            </div>
            <dl class="ccard-io">
                <div><dt><Svg icon=Icon::Network/>"Net ↓ / ↑"</dt>
                    <dd class="num">{or_dash(c.rx_rate, format::rate)}" / "{or_dash(c.tx_rate, format::rate)}</dd></div>
                <div><dt><Svg icon=Icon::Disk/>"Disk r / w"</dt>
                    <dd class="num">{or_dash(c.read_rate, format::rate)}" / "{or_dash(c.write_rate, format::rate)}</dd></div>
            </dl>
            <footer class="muted small">{foot}</footer>
        </article>
    }
}

/// The alerts firing now.
#[component]
pub fn CurrentAlerts() -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let ui = use_ui();
    let firing = move || live.alerts.with(|a| a.firing());
    view! {
        <Panel title="Current alerts" testid="current-alerts">
            <Show when=move || !firing().is_empty()
                fallback=|| view! { <div class="all-clear"><Svg icon=Icon::Check/>"All clear: nothing is firing."</div> }>
                <ul class="alert-list">
                    <For each=firing key=|e| e.key.clone() children=move |e| {
                        let ts = e.timestamp_ms;
                        view! {
                            <li class=format!("alert-item tone-{}", e.tone().class())>
                                <span class=format!("sev sev-{}", e.severity)>{e.severity.clone()}</span>
                                <div>
                                    <strong>{e.kind_label()}</strong>
                                    <p class="small">{e.message.clone()}</p>
                                </div>
                                <time class="muted small" title=local_datetime(ts)>{move || format::ago(ts, clock.now())}</time>
                            </li>
                        }
                    }/>
                </ul>
            </Show>
            <button class="link-btn" on:click=move |_| ui.drawer_open.set(true)>"Open the alert history"</button>
        </Panel>
    }
}

/// KATO's restarts and outages.
#[component]
pub fn KatoTimelinePanel() -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let events = move || {
        live.timeline
            .with(|t| t.events.iter().take(12).cloned().collect::<Vec<_>>())
    };
    let restarts = move || {
        live.metrics
            .with(|m| m.view.as_ref().and_then(|v| v.restarts))
    };
    view! {
        <Panel title="KATO restarts and outages" testid="kato-timeline">
            <p class="panel-sub muted">{move || restarts().map(|r| format!("{} restarts seen by this dashboard", format::int(r)))}</p>
            <Show when=move || !events().is_empty()
                fallback=|| view! { <div class="all-clear"><Svg icon=Icon::Check/>"No restarts or outages seen."</div> }>
                <ol class="timeline">
                    <For each=events key=|e| (e.kind.clone(), e.timestamp_ms.to_bits(), e.instance.clone()) children=move |e| {
                        let ts = e.timestamp_ms;
                        view! {
                            <li class=format!("tl tone-{}", e.tone)>
                                <span class="tl-dot" aria-hidden="true"></span>
                                <time class="num small" title=local_datetime(ts)>{local_time(ts)}</time>
                                <span class="tl-text">{e.text.clone()}</span>
                                <span class="muted small">{move || format::ago(ts, clock.now())}</span>
                            </li>
                        }
                    }/>
                </ol>
            </Show>
        </Panel>
    }
}
