//! One session: its facts with a live TTL countdown, metadata, short-term memory and raw JSON; delete for admins.
//! Read once on open and on "Refresh" (the server reads Redis, so looking never extends the session's TTL); a
//! `session_destroyed` event for this id is shown at once. A failed STM read only affects the STM panel.

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::Value;

use crate::api::{self, ApiError};
use crate::components::cards::{Banner, Empty, Panel};
use crate::components::icons::{Icon, Svg};
use crate::components::toasts::notify;
use crate::format;
use crate::services::{local_datetime, now_ms, use_clock, use_live, use_settings};
use crate::state::json::{num, text};
use crate::state::toasts::Tone;
use crate::ws::use_topics;

type Loaded = Option<Result<Value, ApiError>>;

/// The page.
#[component]
pub fn SessionDetail() -> impl IntoView {
    use_topics(&[Topic::SessionEvents]);
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let live = use_live();
    let clock = use_clock();
    let settings = use_settings();
    let navigate = StoredValue::new_local(use_navigate());
    let detail = RwSignal::new(None::<Result<Value, ApiError>>);
    let stm = RwSignal::new(None::<Result<Value, ApiError>>);
    let fetched_ms = RwSignal::new(now_ms());
    let destroyed = RwSignal::new(None::<String>);

    let load = move || {
        let id = id();
        let id2 = id.clone();
        spawn_local(async move {
            let d = api::session(&id).await;
            fetched_ms.set(now_ms());
            detail.set(Some(d));
        });
        spawn_local(async move {
            stm.set(Some(api::session_stm(&id2).await));
        });
    };
    Effect::new(move |_| {
        let _ = id();
        destroyed.set(None);
        load();
    });
    let next_event = StoredValue::new(live.session_events.with_untracked(|l| l.next_id()));
    Effect::new(move |_| {
        let me = id();
        let (gone, next) = live.session_events.with(|log| {
            let gone = log
                .since(next_event.get_value())
                .filter(|(_, e)| !e.created && e.session_id.as_deref() == Some(me.as_str()))
                .map(|(_, e)| e.reason.clone().unwrap_or_else(|| "destroyed".into()))
                .last();
            (gone, log.next_id())
        });
        next_event.set_value(next);
        if let Some(reason) = gone {
            destroyed.set(Some(reason));
        }
    });

    let field = move |path: &'static str| {
        detail.with(|d| {
            d.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|v| text(v, path))
        })
    };
    let expires_at = move || {
        detail.with(|d| {
            let v = d.as_ref()?.as_ref().ok()?;
            text(v, "expires_at")
                .and_then(|s| format::parse_ts_ms(&s))
                .or_else(|| num(v, "ttl_seconds").map(|t| fetched_ms.get() + t * 1000.0))
        })
    };
    let confirming = RwSignal::new(false);
    let delete = move |_| {
        let Some(token) = settings.admin_token.get_untracked() else {
            return;
        };
        let id = id();
        spawn_local(async move {
            match api::delete_session(&id, &token).await {
                Ok(()) => {
                    notify(
                        live,
                        format!("deleted/{id}"),
                        Tone::Ok,
                        "Session deleted",
                        &format::short_id(&id, 14),
                    );
                    navigate.with_value(|go| go("/sessions", Default::default()));
                }
                Err(e) => notify(
                    live,
                    format!("delete-failed/{id}/{}", now_ms()),
                    Tone::Bad,
                    "Delete failed",
                    &e.to_string(),
                ),
            }
            confirming.set(false);
        });
    };
    let fact = move |label: &'static str, value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <div class="fact"><dt>{label}</dt><dd class="num">{move || value()}</dd></div>
        }
    };
    let when = move |path: &'static str| -> Box<dyn Fn() -> String + Send + Sync> {
        Box::new(move || {
            field(path)
                .and_then(|s| format::parse_ts_ms(&s))
                .map(|t| format!("{} ({})", local_datetime(t), format::ago(t, clock.now())))
                .unwrap_or_else(|| "—".into())
        })
    };

    view! {
        <div class="page session-detail">
            <div class="page-head">
                <div>
                    <a class="back" href="/sessions"><Svg icon=Icon::ArrowLeft/>"Sessions"</a>
                    <h2 class="mono title-id" data-testid="session-id">{id}</h2>
                </div>
                <div class="page-actions">
                    <button class="btn" on:click=move |_| load()><Svg icon=Icon::Refresh/>"Refresh"</button>
                    <Show when=move || settings.is_admin() && destroyed.get().is_none()>
                        <Show when=move || confirming.get() fallback=move || view! {
                            <button class="btn danger" on:click=move |_| confirming.set(true)><Svg icon=Icon::Trash/>"Delete"</button>
                        }>
                            <span class="confirm">"Delete this session?"
                                <button class="btn danger" on:click=delete>"Delete"</button>
                                <button class="btn ghost" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </span>
                        </Show>
                    </Show>
                </div>
            </div>
            {move || destroyed.get().map(|reason| view! {
                <Banner tone="bad" title=format!("This session is gone ({})", reason.replace('_', " "))
                    detail="KATO no longer holds it; what is shown below is the last state read.".to_string()/>
            })}
            {move || match detail.get() {
                None => view! { <div class="card loading">"Loading…"</div> }.into_any(),
                Some(Err(e)) if e.is_not_found() => view! {
                    <Empty icon=Icon::Users text="This session does not exist (any more): it expired or was deleted.".into()/>
                }.into_any(),
                Some(Err(e)) => view! { <Banner tone="bad" title="Could not read the session".to_string() detail=e.to_string()/> }.into_any(),
                Some(Ok(v)) => {
                    let metadata = kv_table(v.get("metadata"));
                    let raw = serde_json::to_string_pretty(&v).unwrap_or_default();
                    view! {
                    <div class="ttl card" data-testid="ttl">
                        <span class="muted small">"Expires in"</span>
                        <span class="num big">{move || expires_at().map(|e| format::countdown(e, clock.now())).unwrap_or_else(|| "no expiry known".into())}</span>
                        <span class="muted small">{move || expires_at().map(|e| format!("at {}", local_datetime(e))).unwrap_or_default()}</span>
                    </div>
                    <Panel title="Facts">
                        <dl class="facts">
                            {fact("Node", Box::new(move || field("node_id").unwrap_or_else(|| "—".into())))}
                            {fact("Created", when("created_at"))}
                            {fact("Last active", when("last_accessed"))}
                            {fact("Accesses", Box::new(move || detail.with(|d| d.as_ref().and_then(|r| r.as_ref().ok()).and_then(|v| num(v, "access_count"))).map(format::int).unwrap_or_else(|| "—".into())))}
                            {fact("Read from", Box::new(move || field("source").unwrap_or_else(|| "—".into())))}
                        </dl>
                    </Panel>
                    <Panel title="Metadata">{metadata}</Panel>
                    <Panel title="Short-term memory" testid="stm">{move || stm_view(stm.get())}</Panel>
                    <details class="card raw"><summary>"Raw JSON"</summary>
                        <pre>{raw}</pre>
                    </details>
                    }.into_any()
                }
            }}
        </div>
    }
}

fn kv_table(v: Option<&Value>) -> AnyView {
    match v.and_then(Value::as_object).filter(|m| !m.is_empty()) {
        None => view! { <p class="muted">"No metadata."</p> }.into_any(),
        Some(map) => view! {
            <dl class="kv">
                {map.iter().map(|(k, v)| view! {
                    <dt>{k.clone()}</dt>
                    <dd class="mono">{match v { Value::String(s) => s.clone(), other => other.to_string() }}</dd>
                }).collect_view()}
            </dl>
        }.into_any(),
    }
}

fn stm_view(stm: Loaded) -> AnyView {
    match stm {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => {
            view! { <p class="error">{format!("Could not read the short-term memory: {e}")}</p> }
                .into_any()
        }
        Some(Ok(v)) => {
            let events: Vec<Vec<String>> = v
                .get("stm")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|ev| match ev {
                            Value::Array(symbols) => symbols
                                .iter()
                                .map(|s| {
                                    s.as_str()
                                        .map(str::to_owned)
                                        .unwrap_or_else(|| s.to_string())
                                })
                                .collect(),
                            other => vec![other.to_string()],
                        })
                        .collect()
                })
                .unwrap_or_default();
            if events.is_empty() {
                return view! { <p class="muted">"Empty: no events observed since the last learn or clear."</p> }.into_any();
            }
            view! {
                <ol class="stm">
                    {events.into_iter().enumerate().map(|(i, symbols)| view! {
                        <li><span class="muted small num">{i + 1}</span>
                            {symbols.into_iter().map(|s| view! { <span class="symbol">{s}</span> }).collect_view()}
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }
    }
}
