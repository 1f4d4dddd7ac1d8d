//! Status indicators: the socket's connection state and KATO's health chip.

use leptos::prelude::*;

use crate::services::{use_clock, use_live};
use crate::state::wire::ConnStatus;
use crate::ws::use_ws;

/// "Live" / "Reconnecting in 4s" / "Offline · retry in 30s", with a "retry now" button while waiting.
#[component]
pub fn ConnectionIndicator(#[prop(optional)] compact: bool) -> impl IntoView {
    let ws = use_ws();
    let clock = use_clock();
    let label = move || ws.status.get().label(clock.now());
    let state = move || match ws.status.get() {
        ConnStatus::Open => "open",
        ConnStatus::Connecting { .. } => "connecting",
        ConnStatus::Waiting { .. } => "waiting",
    };
    let waiting = move || matches!(ws.status.get(), ConnStatus::Waiting { .. });
    view! {
        <div class=move || format!("conn tone-{}{}", label().0, if compact { " compact" } else { "" })
            role="status" aria-live="polite" data-testid=if compact { "conn-status-top" } else { "conn-status" }
            data-state=state title="Live connection to the dashboard server">
            <span class="dot" aria-hidden="true"></span>
            <span class="conn-text">{move || label().1}</span>
            <Show when=move || { !compact && waiting() }>
                <button class="link-btn" on:click=move |_| ws.retry_now()>"Retry now"</button>
            </Show>
        </div>
    }
}

/// KATO's status in the top bar: healthy / degraded / unreachable / waiting for data.
#[component]
pub fn KatoChip() -> impl IntoView {
    let live = use_live();
    let chip = move || {
        live.metrics.with(|m| match &m.view {
            None => ("idle", "KATO · no data yet".to_string()),
            Some(v) if !v.kato_up() => ("bad", "KATO unreachable".to_string()),
            Some(v) => {
                let status = v.kato_status.clone().unwrap_or_else(|| "up".into());
                let tone = if status == "healthy" || status == "up" {
                    "ok"
                } else {
                    "warn"
                };
                let generation = v
                    .version
                    .clone()
                    .or_else(|| v.generation.clone())
                    .map(|g| format!(" · {g}"))
                    .unwrap_or_default();
                (tone, format!("KATO {status}{generation}"))
            }
        })
    };
    view! {
        <div class=move || format!("chip tone-{}", chip().0) data-testid="kato-chip">
            <span class="dot" aria-hidden="true"></span>
            <span>{move || chip().1}</span>
        </div>
    }
}
