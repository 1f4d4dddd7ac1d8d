//! Alerts: what is firing now, the full history with filters and read state, and the silences in force (expire
//! them with the admin token). The history and silences live in the server's alert store.

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api::{self, ALERT_ACTIONS_AVAILABLE};
use crate::components::alert_history::AlertHistory;
use crate::components::cards::{Banner, Panel};
use crate::components::toasts::notify_outcome;
use crate::format::parse_ts_ms;
use crate::pages::dashboard_parts::{CurrentAlerts, KatoTimelinePanel};
use crate::services::{local_datetime, use_live, use_settings};
use crate::ws::use_topics;

/// The page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    use_topics(&[Topic::SystemAlerts, Topic::KatoEvents, Topic::Metrics]);
    view! {
        <div class="page alerts">
            {(!ALERT_ACTIONS_AVAILABLE).then(|| view! {
                <Banner tone="info" title="Acknowledge and silence need the alert engine".to_string()
                    detail="This server does not run it yet: alerts show here, the buttons stay disabled.".to_string()/>
            })}
            <div class="split">
                <CurrentAlerts/>
                <KatoTimelinePanel/>
            </div>
            <Panel title="Alert history" testid="alert-history-page">
                <AlertHistory/>
            </Panel>
            <Panel title="Silences" testid="silences">
                <Silences/>
            </Panel>
        </div>
    }
}

/// `type=container_cpu · container_name=kato`.
fn matchers_text(s: &Value) -> String {
    s.get("matchers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default()
}

fn field(s: &Value, key: &str) -> String {
    s.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The silences in force, refetched whenever any tab creates or expires one.
#[component]
fn Silences() -> impl IntoView {
    let live = use_live();
    let settings = use_settings();
    let list = RwSignal::new(Vec::<Value>::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        live.alerts.with(|a| a.silences_version);
        spawn_local(async move {
            match api::silences().await {
                Ok(items) => {
                    list.set(items);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let expire = move |id: String| {
        let token = settings.admin_token.get_untracked();
        spawn_local(async move {
            let result = api::expire_silence(&id, token.as_deref()).await;
            notify_outcome(
                live,
                &format!("expire/{id}"),
                "Silence",
                &result,
                "Silence expired",
            );
        });
    };
    view! {
        {move || error.get().map(|e| view! { <p class="muted small">{format!("Silences unavailable: {e}")}</p> })}
        <ul class="history-list" aria-label="Silences">
            <For each=move || list.get() key=|s| field(s, "id") children=move |s| {
                let id = field(&s, "id");
                let data_id = id.clone();
                let ends = parse_ts_ms(&field(&s, "ends_at")).map(local_datetime).unwrap_or_default();
                let comment = field(&s, "comment");
                view! {
                    <li class="entry" data-testid="silence-entry" data-id=data_id>
                        <div class="entry-top">
                            <strong>{matchers_text(&s)}</strong>
                            <span class="muted small">{format!("until {ends}")}</span>
                        </div>
                        {(!comment.is_empty()).then(|| view! { <p class="entry-msg">{comment}</p> })}
                        <div class="entry-actions">
                            <button class="link-btn" data-testid="expire-silence"
                                title="needs the admin token (settings)"
                                on:click=move |_| expire(id.clone())>"Expire now"</button>
                        </div>
                    </li>
                }
            }/>
        </ul>
        <Show when=move || list.with(Vec::is_empty) && error.with(Option::is_none)>
            <p class="muted small">"No silences in force. Silence an alert from its entry in the history."</p>
        </Show>
    }
}
