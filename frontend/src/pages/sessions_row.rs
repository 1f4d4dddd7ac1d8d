//! One row of the sessions table, with its highlight, TTL countdown and (for admins) delete with confirmation.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::icons::{Icon, Svg};
use crate::components::toasts::notify;
use crate::format;
use crate::services::{local_datetime, now_ms, use_clock, use_live, use_settings};
use crate::state::sessions::{Mark, SessionRow, SessionsTable, encode_component, expires_ms};
use crate::state::toasts::Tone;

/// A table row.
#[component]
pub fn SessionRowView(
    row: SessionRow,
    mark: Option<Mark>,
    fetched_ms: RwSignal<f64>,
    table: RwSignal<SessionsTable>,
) -> impl IntoView {
    let clock = use_clock();
    let settings = use_settings();
    let live = use_live();
    let id = row.session_id.clone();
    let href = format!("/sessions/{}", encode_component(&id));
    let created = row.created_at.as_deref().and_then(format::parse_ts_ms);
    let last = row.last_active.as_deref().and_then(format::parse_ts_ms);
    let expires = {
        let row = row.clone();
        move || expires_ms(&row, fetched_ms.get())
    };
    let (class, badge) = match &mark {
        Some(Mark::New) => ("row-new", Some("new".to_string())),
        Some(Mark::Leaving(reason)) => (
            "row-leaving",
            Some(match reason.as_str() {
                "explicit_delete" => "deleted".to_string(),
                other => other.replace('_', " "),
            }),
        ),
        None => ("", None),
    };
    let leaving = matches!(mark, Some(Mark::Leaving(_)));
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let delete = {
        let id = StoredValue::new(id.clone());
        move |_| {
            let Some(token) = settings.admin_token.get_untracked() else {
                return;
            };
            let id = id.get_value();
            busy.set(true);
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
                        table.update(|t| {
                            let _ = t.apply_event(
                                &crate::state::sessions::SessionEventView {
                                    created: false,
                                    session_id: Some(id.clone()),
                                    node_id: None,
                                    reason: Some("explicit_delete".into()),
                                    timestamp: String::new(),
                                    current_count: None,
                                },
                                now_ms(),
                            );
                        });
                    }
                    Err(e) => notify(
                        live,
                        format!("delete-failed/{id}/{}", now_ms()),
                        Tone::Bad,
                        "Delete failed",
                        &e.to_string(),
                    ),
                }
                busy.set(false);
                confirming.set(false);
            });
        }
    };
    view! {
        <tr class=class data-testid="session-row" data-session-id=id.clone()>
            <td class="mono">
                <a href=href title=id.clone()>{format::short_id(&id, 14)}</a>
                {badge.map(|b| view! { <span class=format!("row-badge {class}")>{b}</span> })}
            </td>
            <td>{row.node_id.clone().unwrap_or_else(|| "—".into())}</td>
            <td title=created.map(local_datetime).unwrap_or_default()>
                {move || created.map(|c| format::ago(c, clock.now())).unwrap_or_else(|| "—".into())}
            </td>
            <td class="num">
                {move || expires().map(|e| format::countdown(e, clock.now())).unwrap_or_else(|| "—".into())}
            </td>
            <td>{move || last.map(|l| format::ago(l, clock.now())).unwrap_or_else(|| "—".into())}</td>
            <td class="num num-col">{row.access_count.map(format::int).unwrap_or_else(|| "—".into())}</td>
            <td class="num num-col">{row.stm_length.map(format::int).unwrap_or_else(|| "—".into())}</td>
            <Show when=move || settings.is_admin()>
                <td class="actions">
                    <Show when=move || confirming.get()
                        fallback=move || view! {
                            <button class="icon-btn small danger" aria-label="Delete session" title="Delete session"
                                disabled=leaving on:click=move |_| confirming.set(true)>
                                <Svg icon=Icon::Trash/>
                            </button>
                        }>
                        <span class="confirm">
                            "Delete?"
                            <button class="btn small danger" disabled=move || busy.get() on:click=delete>"Yes"</button>
                            <button class="btn small ghost" on:click=move |_| confirming.set(false)>"No"</button>
                        </span>
                    </Show>
                </td>
            </Show>
        </tr>
    }
}
