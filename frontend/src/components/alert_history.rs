//! The alert history: filters (severity, type, state, unread), mark read one or all, clear, and per alert
//! acknowledge / silence. Shown in the drawer opened by the bell and on the Alerts page. Read, read-all, clear,
//! acknowledge and silence go to the server's alert store (`/api/v1/alerts/*`); its `alert_update` then brings
//! every other tab in step. Local KATO notices keep their read flags in the browser.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::alert_actions::{AlertActions, ack_note};
use super::icons::{Icon, Svg};
use super::toasts::notify;
use crate::api;
use crate::format;
use crate::services::{Live, local_datetime, now_ms, use_clock, use_live, use_settings, use_ui};
use crate::state::alerts::{AlertEntry, AlertFilter, kind_label};
use crate::state::toasts::Tone;

/// The history with its controls.
#[component]
pub fn AlertHistory(#[prop(optional)] heading: bool) -> impl IntoView {
    let live = use_live();
    let unread = move || live.alerts.with(|a| a.unread());
    let total = move || live.alerts.with(|a| a.entries.len());
    let filtered = move || live.alerts.with(|a| a.filtered());
    let set_filter =
        move |f: Box<dyn FnOnce(&mut AlertFilter)>| live.alerts.update(|a| f(&mut a.filter));
    let severities = move || live.alerts.with(|a| a.distinct(|e| &e.severity));
    let kinds = move || live.alerts.with(|a| a.distinct(|e| &e.kind));
    let states = move || live.alerts.with(|a| a.distinct(|e| &e.state));
    let current_sev = move || live.alerts.with(|a| a.filter.severity.clone());
    let settings = use_settings();
    let mark_all = move |_| {
        let server = live.alerts.with_untracked(|a| a.has_server_alerts());
        live.alerts.update(|a| a.mark_all_read());
        if server {
            spawn_local(async move {
                if let Err(err) = api::mark_all_alerts_read().await {
                    failed(live, "Mark all read", &err);
                }
            });
        }
    };
    let clear = move |_| {
        if !live.alerts.with_untracked(|a| a.has_server_alerts()) {
            live.alerts.update(|a| a.clear());
            return;
        }
        let token = settings.admin_token.get_untracked();
        spawn_local(async move {
            match api::clear_alerts(token.as_deref()).await {
                Ok(_) => live.alerts.update(|a| a.clear()),
                Err(err) => failed(live, "Clear", &err),
            }
        });
    };
    view! {
        <div class="history">
            <div class="history-head">
                <Show when=move || heading>
                    <h2 class="panel-title">"Alert history"
                        <span class="pill tone-bad" class:hidden=move || unread() == 0>{move || format!("{} unread", unread())}</span>
                    </h2>
                </Show>
                <div class="history-actions">
                    <button class="btn small" data-testid="mark-all-read" disabled=move || unread() == 0
                        on:click=mark_all>
                        <Svg icon=Icon::Check/>"Mark all read"
                    </button>
                    <button class="btn small ghost" disabled=move || total() == 0
                        on:click=clear>
                        <Svg icon=Icon::Trash/>"Clear"
                    </button>
                </div>
            </div>
            <div class="filters" role="group" aria-label="Filter alerts">
                <div class="segmented" role="radiogroup" aria-label="Severity">
                    <button role="radio" aria-checked=move || current_sev().is_none().to_string()
                        class:active=move || current_sev().is_none()
                        on:click=move |_| set_filter(Box::new(|f| f.severity = None))>"All"</button>
                    <For each=severities key=|s| s.clone() children=move |s| {
                        let s2 = s.clone();
                        let s3 = s.clone();
                        let active = Memo::new(move |_| current_sev().as_deref() == Some(s2.as_str()));
                        view! {
                            <button role="radio" aria-checked=move || active.get().to_string() class:active=move || active.get()
                                on:click=move |_| { let s = s3.clone(); set_filter(Box::new(move |f| f.severity = Some(s))) }>
                                {kind_label(&s)}
                            </button>
                        }
                    }/>
                </div>
                <select aria-label="Alert type" on:change=move |e| {
                    let v = event_target_value(&e);
                    set_filter(Box::new(move |f| f.kind = (!v.is_empty()).then_some(v)));
                }>
                    <option value="">"All types"</option>
                    <For each=kinds key=|k| k.clone() children=move |k| {
                        let label = kind_label(&k);
                        view! { <option value=k>{label}</option> }
                    }/>
                </select>
                <select aria-label="Alert state" on:change=move |e| {
                    let v = event_target_value(&e);
                    set_filter(Box::new(move |f| f.state = (!v.is_empty()).then_some(v)));
                }>
                    <option value="">"All states"</option>
                    <For each=states key=|k| k.clone() children=move |k| {
                        let label = kind_label(&k);
                        view! { <option value=k>{label}</option> }
                    }/>
                </select>
                <label class="check">
                    <input type="checkbox" on:change=move |e| {
                        let on = event_target_checked(&e);
                        set_filter(Box::new(move |f| f.unread_only = on));
                    }/>
                    "Unread only"
                </label>
            </div>
            <ul class="history-list" aria-label="Alerts" data-testid="history-list">
                <For each=filtered key=|e| (e.key.clone(), e.read, e.acknowledged) children=move |e| view! { <EntryRow e=e/> }/>
            </ul>
            <Show when=move || filtered().is_empty()>
                <div class="empty">
                    <Svg icon=Icon::Bell class="empty-icon"/>
                    <p>{move || if total() == 0 {
                        "No alerts yet. Alerts, KATO outages and restarts appear here as they happen."
                    } else {
                        "No alerts match these filters."
                    }}</p>
                </div>
            </Show>
        </div>
    }
}

/// Tells the user a server call failed, and why.
fn failed(live: Live, what: &str, err: &api::ApiError) {
    notify(
        live,
        format!("failed/{what}/{}", now_ms()),
        Tone::Bad,
        what,
        &err.to_string(),
    );
}

#[component]
fn EntryRow(e: AlertEntry) -> impl IntoView {
    let live = use_live();
    let clock = use_clock();
    let settings = use_settings();
    let key = e.key.clone();
    let ts = e.timestamp_ms;
    let can_act = e.state == "firing" && !e.acknowledged && e.alert_id.is_some();
    let detail = match (e.value, e.threshold) {
        (Some(v), Some(t)) => Some(format!(
            "value {} · threshold {}",
            format::fixed(v, 1),
            format::fixed(t, 1)
        )),
        (None, Some(t)) => Some(format!("threshold {}", format::fixed(t, 1))),
        _ => None,
    };
    let tone = e.tone().class();
    let entry = e.clone();
    view! {
        <li class=format!("entry tone-{tone}") class:unread=!e.read data-testid="history-entry"
            data-key=e.key.clone() data-read=e.read.to_string() data-kind=e.kind.clone()
            data-state=e.state.clone()>
            <div class="entry-top">
                <span class=format!("sev sev-{}", e.severity)>{e.severity.clone()}</span>
                <strong>{e.kind_label()}</strong>
                <span class=format!("pill state-{}", e.state)>{e.state.clone()}</span>
                {e.acknowledged.then(|| view! { <span class="pill state-acknowledged">"acknowledged"</span> })}
                {e.silenced.then(|| view! { <span class="pill" title="a silence matched it: no toast, no webhook">"silenced"</span> })}
                <time class="muted small" title=local_datetime(ts)>{move || format::ago(ts, clock.now())}</time>
            </div>
            <p class="entry-msg">{e.message.clone()}</p>
            {(e.container.is_some() || detail.is_some()).then(|| view! {
                <p class="muted small">
                    {e.container.clone().map(|c| format!("container {c}"))}
                    {(e.container.is_some() && detail.is_some()).then_some(" · ")}
                    {detail}
                </p>
            })}
            <div class="entry-actions">
                {(!e.read).then(|| {
                    let key = key.clone();
                    view! {
                        <button class="link-btn" data-testid="mark-read"
                            on:click=move |_| {
                                let id = live.alerts.with_untracked(|a| a.alert_id_of(&key));
                                live.alerts.update(|a| a.mark_read(&key));
                                if let Some(id) = id {
                                    spawn_local(async move {
                                        if let Err(err) = api::mark_alert_read(&id).await {
                                            failed(live, "Mark read", &err);
                                        }
                                    });
                                }
                            }>"Mark read"</button>
                    }
                })}
                {can_act.then(|| view! { <AlertActions e=entry.clone() live=live token=settings.admin_token/> })}
            </div>
            {e.acknowledged.then(|| ack_note(e.ack_by.clone(), e.ack_comment.clone()))}
        </li>
    }
}

/// The history as a drawer from the right, opened by the bell.
#[component]
pub fn AlertDrawer() -> impl IntoView {
    let ui = use_ui();
    let open = move || ui.drawer_open.get();
    view! {
        <div class="drawer-backdrop" class:open=open on:click=move |_| ui.drawer_open.set(false) aria-hidden="true"></div>
        <aside class="drawer" class:open=open role="dialog" aria-modal="true" aria-label="Alert history"
            inert=move || !open() data-testid="alert-drawer">
            <div class="drawer-head">
                <h2>"Alert history"</h2>
                <button class="icon-btn" aria-label="Close alert history" on:click=move |_| ui.drawer_open.set(false)>
                    <Svg icon=Icon::Close/>
                </button>
            </div>
            <AlertHistory/>
        </aside>
    }
}
