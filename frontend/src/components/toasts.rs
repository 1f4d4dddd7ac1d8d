//! The toast stack (top right): alerts firing and resolving, KATO outages and restarts, results of actions.
//! At most three at once, newest on top, each leaving after a while or when dismissed — and never coming back
//! (see `state::toasts`).

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use crate::services::{Live, now_ms, use_clock, use_live, use_ui};
use crate::state::toasts::{Toast, Tone};

/// Shows a local toast (e.g. "session deleted"); `key` must be unique for this event.
pub fn notify(live: Live, key: String, tone: Tone, title: &str, body: &str) {
    live.alerts.update(|a| {
        a.toasts.push(
            Toast {
                key,
                kind: "notice".into(),
                tone,
                title: title.to_string(),
                body: body.to_string(),
                until_ms: 0.0,
            },
            now_ms(),
        );
    });
}

/// A toast for the outcome of a server call: `ok` when it succeeded, the error's text when not. `key` gets a
/// timestamp, so repeated calls each show.
pub fn notify_outcome<T, E: std::fmt::Display>(
    live: Live,
    key: &str,
    title: &str,
    result: &Result<T, E>,
    ok: &str,
) {
    let (tone, text) = match result {
        Ok(_) => (Tone::Ok, ok.to_owned()),
        Err(e) => (Tone::Bad, e.to_string()),
    };
    notify(live, format!("{key}/{}", now_ms()), tone, title, &text);
}

/// The stack.
#[component]
pub fn ToastStack() -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let ui = use_ui();
    Effect::new(move |_| {
        let now = clock.now();
        let expired = live
            .alerts
            .with_untracked(|a| a.toasts.visible.iter().any(|t| t.until_ms <= now));
        if expired {
            live.alerts.maybe_update(|a| a.toasts.tick(now));
        }
    });
    let queued = move || live.alerts.with(|a| a.toasts.queued());
    view! {
        <section class="toasts" aria-live="polite" aria-label="Notifications">
            <For
                each=move || live.alerts.with(|a| a.toasts.visible.clone())
                key=|t| t.key.clone()
                children=move |t| {
                    let key = t.key.clone();
                    let key_open = t.key.clone();
                    let icon = match t.tone {
                        Tone::Ok => Icon::Check,
                        Tone::Info => Icon::Pulse,
                        _ => Icon::Alert,
                    };
                    view! {
                        <div class=format!("toast tone-{}", t.tone.class()) role="alert"
                            data-testid="toast" data-key=t.key.clone() data-kind=t.kind.clone()>
                            <span class="toast-icon"><Svg icon=icon/></span>
                            <button class="toast-body" title="Open the alert history"
                                on:click=move |_| {
                                    live.alerts.update(|a| a.mark_read(&key_open));
                                    ui.drawer_open.set(true);
                                }>
                                <strong>{t.title.clone()}</strong>
                                <span>{t.body.clone()}</span>
                            </button>
                            <button class="icon-btn small" aria-label="Dismiss notification" data-testid="toast-dismiss"
                                on:click=move |_| live.alerts.update(|a| a.toasts.dismiss(&key, now_ms()))>
                                <Svg icon=Icon::Close/>
                            </button>
                        </div>
                    }
                }
            />
            <Show when=move || { queued() > 0 }>
                <div class="toast-more">{move || format!("+{} more", queued())}</div>
            </Show>
        </section>
    }
}
