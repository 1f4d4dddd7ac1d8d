//! Sessions: the live list (`GET /api/v1/sessions` with search, sort and paging) kept current by `session_event`s —
//! new rows appear at once and are highlighted, destroyed ones are marked before they go.

use std::time::Duration;

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::cards::Banner;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::services::{now_ms, use_clock, use_live, use_settings};
use crate::state::json::Availability;
use crate::state::sessions::{Mark, SessionQuery, SessionsTable, SortKey};
use crate::ws::use_topics;

use super::sessions_row::SessionRowView;

const PAGE_SIZES: [u64; 4] = [10, 25, 50, 100];
/// Events arriving in a burst cause one refetch.
const REFETCH_DEBOUNCE_MS: u64 = 600;

/// The page.
#[component]
pub fn Sessions() -> impl IntoView {
    use_topics(&[Topic::Sessions, Topic::SessionEvents]);
    let live = use_live();
    let clock = use_clock();
    let settings = use_settings();
    let query = RwSignal::new(SessionQuery::default());
    let table = RwSignal::new(SessionsTable::default());
    let fetched_ms = RwSignal::new(0.0);
    let loading = RwSignal::new(true);
    let generation = StoredValue::new(0u64);
    let refetch_pending = StoredValue::new(false);

    let fetch = move || {
        let q = query.get_untracked();
        let my = generation.get_value() + 1;
        generation.set_value(my);
        loading.set(true);
        spawn_local(async move {
            let result = api::sessions(&q).await;
            // A newer query was sent meanwhile: its answer wins.
            if generation.get_value() != my {
                return;
            }
            let now = now_ms();
            table.update(|t| match result {
                Ok(page) => t.apply_page(page, now),
                Err(e) => t.apply_error(e.to_string()),
            });
            fetched_ms.set(now);
            loading.set(false);
        });
    };
    let schedule_refetch = move || {
        if !refetch_pending.get_value() {
            refetch_pending.set_value(true);
            set_timeout(
                move || {
                    refetch_pending.set_value(false);
                    fetch();
                },
                Duration::from_millis(REFETCH_DEBOUNCE_MS),
            );
        }
    };
    // Query changes (and the first render) fetch.
    Effect::new(move |_| {
        let q = query.get();
        table.update(|t| t.query = q);
        fetch();
    });
    // Session events since this page mounted, in order.
    let next_event = StoredValue::new(live.session_events.with_untracked(|l| l.next_id()));
    Effect::new(move |_| {
        let (events, next) = live.session_events.with(|log| {
            let events: Vec<_> = log
                .since(next_event.get_value())
                .map(|(_, e)| e.clone())
                .collect();
            (events, log.next_id())
        });
        next_event.set_value(next);
        if events.is_empty() {
            return;
        }
        let now = now_ms();
        let mut refetch = false;
        table.update(|t| {
            for e in &events {
                refetch |= t.apply_event(e, now);
            }
        });
        if refetch {
            schedule_refetch();
        }
    });
    // The server lost events for us: the list may be wrong, fetch it again.
    Effect::new(move |prev: Option<u64>| {
        let n = live.sessions_resync.get();
        if prev.is_some_and(|p| p != n) {
            fetch();
        }
        n
    });
    // Highlights end.
    Effect::new(move |_| {
        let now = clock.now();
        table.maybe_update(|t| t.expire(now));
    });

    let summary = move || {
        live.sessions
            .get()
            .or_else(|| table.with(|t| t.summary.clone()))
    };
    let active = move || {
        summary()
            .and_then(|s| s.active)
            .map(format::int)
            .unwrap_or_else(|| "—".into())
    };
    let redis_down = move || {
        summary().and_then(|s| s.redis).and_then(|r| match r {
            Availability::Unavailable { reason, .. } | Availability::Off { reason } => Some(reason),
            Availability::Ok => None,
        })
    };
    let search_draft = RwSignal::new(String::new());
    let on_search = move |e: leptos::ev::Event| {
        let v = event_target_value(&e);
        search_draft.set(v.clone());
        set_timeout(
            move || {
                if search_draft.get_untracked() == v {
                    query.update(|q| {
                        q.search = v;
                        q.page = 0;
                    });
                }
            },
            Duration::from_millis(250),
        );
    };
    let sort_header = move |key: SortKey, label: &'static str| {
        let aria = move || {
            query.with(|q| match (q.sort == key, q.desc) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            })
        };
        view! {
            <th aria-sort=aria>
                <button class="th-btn" on:click=move |_| query.update(|q| q.toggle_sort(key))>
                    {label}
                    <span class="sort-arrow" aria-hidden="true">{move || match aria() {
                        "descending" => "↓", "ascending" => "↑", _ => "↕" }}</span>
                </button>
            </th>
        }
    };
    let total = move || table.with(|t| t.total);
    let range = move || {
        let (page, limit) = query.with(|q| (q.page, q.limit));
        match total() {
            Some(0) | None => "No sessions".to_string(),
            Some(t) => format!(
                "{}–{} of {}",
                format::int((page * limit + 1) as f64),
                format::int(((page + 1) * limit).min(t) as f64),
                format::int(t as f64)
            ),
        }
    };
    let pages = move || table.with(|t| t.pages.max(1));

    view! {
        <div class="page sessions">
            <div class="page-head">
                <div>
                    <p class="kicker">"Live list"</p>
                    <div class="headline"><span class="num" data-testid="sessions-active">{active}</span>" active sessions"</div>
                    <p class="muted small">{move || summary().map(|s| {
                        let created = s.total_created.map(|n| format!("{} created since the dashboard started", format::int(n))).unwrap_or_default();
                        let kato = s.kato_count.map(|k| format!(" · KATO counts {}", format::int(k))).unwrap_or_default();
                        format!("{created}{kato}")
                    })}</p>
                </div>
                <div class="page-actions">
                    <label class="search">
                        <Svg icon=Icon::Search/>
                        <input type="search" placeholder="Search id, node or user" aria-label="Search sessions"
                            on:input=on_search data-testid="session-search"/>
                    </label>
                    <button class="btn" on:click=move |_| fetch() aria-label="Refresh the list">
                        <span class:spin=move || loading.get()><Svg icon=Icon::Refresh/></span>"Refresh"
                    </button>
                </div>
            </div>
            {move || redis_down().map(|reason| view! {
                <Banner tone="warn" title=format!("Redis unavailable: {reason}")
                    detail="The list shows the sessions KATO announced since the dashboard started; expiries are not seen until Redis is back.".to_string()/>
            })}
            {move || table.with(|t| t.error.clone()).map(|e| view! {
                <Banner tone="bad" title="Could not load the sessions".to_string() detail=e/>
            })}
            <div class="card table-card">
                <div class="table-wrap">
                    <table class="table" data-testid="sessions-table">
                        <thead>
                            <tr>
                                {sort_header(SortKey::SessionId, "Session")}
                                {sort_header(SortKey::NodeId, "Node")}
                                {sort_header(SortKey::CreatedAt, "Created")}
                                {sort_header(SortKey::ExpiresAt, "Expires in")}
                                {sort_header(SortKey::LastActive, "Last active")}
                                <th class="num-col" title="As KATO counts them: every access on KATO 1.x; on 3.x only the accesses that changed the session (a read only extends its TTL, so it is not counted)">"Accesses"</th>
                                <th class="num-col">"STM"</th>
                                <Show when=move || settings.is_admin()><th><span class="sr-only">"Actions"</span></th></Show>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || table.with(|t| t.rows.iter().map(|r| (r.clone(), t.mark(&r.session_id).cloned())).collect::<Vec<_>>())
                                key=|(r, m)| (r.session_id.clone(), r.expires_at.clone(), r.access_count.map(f64::to_bits), m.clone().map(|m| matches!(m, Mark::New)))
                                children=move |(row, mark)| view! { <SessionRowView row=row mark=mark fetched_ms=fetched_ms table=table/> }/>
                        </tbody>
                    </table>
                    <Show when=move || table.with(|t| t.rows.is_empty() && t.total.is_some())>
                        <div class="empty"><Svg icon=Icon::Users class="empty-icon"/>
                            <p>{move || if query.with(|q| q.search.is_empty()) { "No live sessions." } else { "No session matches this search." }}</p>
                        </div>
                    </Show>
                </div>
                <div class="pager">
                    <span class="muted small num" data-testid="sessions-range">{range}</span>
                    <label class="muted small">"Rows "
                        <select aria-label="Rows per page" on:change=move |e| {
                            let limit = event_target_value(&e).parse().unwrap_or(25);
                            query.update(|q| { q.limit = limit; q.page = 0; });
                        }>
                            {PAGE_SIZES.iter().map(|n| view! { <option value=n.to_string() selected=*n == 25>{n.to_string()}</option> }).collect_view()}
                        </select>
                    </label>
                    <div class="pager-btns">
                        <button class="btn small" aria-label="Previous page" disabled=move || query.with(|q| q.page == 0)
                            on:click=move |_| query.update(|q| q.page = q.page.saturating_sub(1))>"‹ Prev"</button>
                        <span class="small num">{move || format!("{} / {}", query.with(|q| q.page) + 1, pages())}</span>
                        <button class="btn small" aria-label="Next page" disabled=move || query.with(|q| q.page + 1 >= pages())
                            on:click=move |_| query.update(|q| q.page += 1)>"Next ›"</button>
                    </div>
                </div>
            </div>
        </div>
    }
}
