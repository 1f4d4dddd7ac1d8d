//! What an operator can do with a firing alert in the history: acknowledge it, saying who and why (a small form
//! under the entry; the name is remembered in this browser), or silence alerts like it for an hour (admin token).
//! Both go to the server's alert engine; its `alert_update` then shows the acknowledgement, with its author and
//! comment, in every tab.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::icons::{Icon, Svg};
use super::toasts::notify_outcome;
use crate::api::{self, ALERT_ACTIONS_AVAILABLE};
use crate::services::{Live, storage};
use crate::state::alerts::AlertEntry;

const NEEDS_ENGINE: &str = "needs the alert engine (not on this server yet)";
/// Where the last name used to acknowledge is kept.
const ACK_BY_KEY: &str = "kato-dashboard.ack-by";
/// The server's bounds (`POST /alerts/{id}/ack`).
const MAX_BY: usize = 200;
const MAX_COMMENT: usize = 2000;

/// "Acknowledged by … — comment", under an acknowledged entry.
pub fn ack_note(by: Option<String>, comment: Option<String>) -> impl IntoView {
    view! {
        <p class="ack-note small" data-testid="ack-note">
            <Svg icon=Icon::Check/>
            <span>"Acknowledged"{by.map(|b| format!(" by {b}"))}</span>
            {comment.map(|c| view! { <q data-testid="ack-comment">{c}</q> })}
        </p>
    }
}

/// The Acknowledge and Silence controls of one firing alert.
#[component]
pub fn AlertActions(e: AlertEntry, live: Live, token: RwSignal<Option<String>>) -> impl IntoView {
    let title = if ALERT_ACTIONS_AVAILABLE {
        ""
    } else {
        NEEDS_ENGINE
    };
    let form_open = RwSignal::new(false);
    let id = e.alert_id.clone().unwrap_or_default();
    let (kind, container) = (e.kind.clone(), e.container.clone());
    let silence = move |_| {
        let (kind, container) = (kind.clone(), container.clone());
        let t = token.get_untracked();
        spawn_local(async move {
            let result = api::silence(&kind, container.as_deref(), 60, t.as_deref()).await;
            let key = format!("silence/{kind}");
            notify_outcome(live, &key, "Silence", &result, "Silenced for 1 hour");
        });
    };
    view! {
        <button class="link-btn" data-testid="ack" disabled=!ALERT_ACTIONS_AVAILABLE title=title
            aria-expanded=move || form_open.get().to_string() on:click=move |_| form_open.update(|o| *o = !*o)>
            "Acknowledge…"
        </button>
        <button class="link-btn" data-testid="silence" disabled=!ALERT_ACTIONS_AVAILABLE title=title on:click=silence>
            <Svg icon=Icon::Mute/>"Silence 1h"
        </button>
        <Show when=move || form_open.get()>
            <AckForm id=id.clone() live=live done=move || form_open.set(false)/>
        </Show>
    }
}

/// Who acknowledges and why; sent with `POST /alerts/{id}/ack`.
#[component]
fn AckForm(
    id: String,
    live: Live,
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let by = RwSignal::new(storage::get(ACK_BY_KEY).unwrap_or_default());
    let comment = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let who = by.get_untracked().trim().to_owned();
        let who = if who.is_empty() {
            "dashboard".to_owned()
        } else {
            who
        };
        let why = comment.get_untracked().trim().to_owned();
        storage::set(ACK_BY_KEY, Some(&who));
        sending.set(true);
        let id = id.clone();
        spawn_local(async move {
            let result = api::ack_alert(&id, &who, &why).await;
            sending.set(false);
            if result.is_ok() {
                done();
            }
            let ok = format!("Acknowledged by {who}");
            notify_outcome(live, &format!("ack/{id}"), "Acknowledge", &result, &ok);
        });
    };
    view! {
        <form class="ack-form" data-testid="ack-form" on:submit=submit>
            <label class="field">
                <span>"Your name"</span>
                <input type="text" maxlength=MAX_BY.to_string() placeholder="dashboard" autocomplete="name"
                    prop:value=move || by.get() on:input=move |e| by.set(event_target_value(&e))
                    data-testid="ack-by"/>
            </label>
            <label class="field">
                <span>"Comment"</span>
                <textarea rows="2" maxlength=MAX_COMMENT.to_string() placeholder="what is being done about it"
                    prop:value=move || comment.get() on:input=move |e| comment.set(event_target_value(&e))
                    data-testid="ack-text"></textarea>
            </label>
            <div class="ack-form-actions">
                <button type="button" class="btn ghost small" on:click=move |_| done()>"Cancel"</button>
                <button type="submit" class="btn primary small" disabled=move || sending.get()
                    data-testid="ack-submit">"Acknowledge"</button>
            </div>
        </form>
    }
}
