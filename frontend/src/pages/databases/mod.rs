//! Databases: browsers for KATO's knowledge bases — MongoDB for KATO 1.x (patterns, any collection), ClickHouse +
//! Redis + Qdrant for KATO 3.x (`kb*`: patterns, symbols, statistics, deleting a knowledge base) — Qdrant
//! (collections, points, similar points) and Redis (INFO, keys by SCAN, key detail), plus the pieces they share:
//! the `features` answer (destructive controls only when the server says `destructive_allowed`; which KATO
//! generation is in front), the store tabs, the typed confirmation dialog, the side drawer and JSON blocks.

pub mod kb;
pub mod kb_delete;
pub mod kb_pattern;
pub mod kb_patterns;
pub mod kb_stats;
pub mod kb_symbols;
pub mod mongo;
pub mod mongo_docs;
pub mod mongo_patterns;
pub mod qdrant;
pub mod qdrant_point;
pub mod redis;
pub mod redis_key;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use serde_json::Value;

use crate::api::ApiError;
use crate::api_db::{self, Features};
use crate::components::cards::Banner;
use crate::components::icons::{Icon, Svg};
use crate::services::use_settings;
use crate::state::kb::{KbStore, store_tabs};

/// A value loaded from the server: `None` while loading.
pub type Loaded = Option<Result<Value, ApiError>>;

/// The admin token as a `Copy` handle. Taken from the context while a component is built: event handlers run
/// without a reactive owner, so they cannot look the context up themselves.
#[derive(Clone, Copy)]
pub struct Tok(RwSignal<Option<String>>);

/// The token handle of this app.
pub fn use_token() -> Tok {
    Tok(use_settings().admin_token)
}

impl Tok {
    /// The if the user set one.
    pub fn get(&self) -> Option<String> {
        self.0.get_untracked()
    }

    /// Like [`Tok::load`], but only the answer of the latest call counted by `seq` is kept: pages and searches
    /// asked for in quick succession can answer out of order.
    pub fn load_latest(&self, target: RwSignal<Loaded>, seq: StoredValue<u64>, path: String) {
        let token = self.get();
        seq.update_value(|n| *n += 1);
        let mine = seq.get_value();
        spawn_local(async move {
            let r = api_db::get(&path, token.as_deref()).await;
            if seq.try_get_value() == Some(mine) {
                target.try_set(Some(r));
            }
        });
    }

    /// Loads `path` into `target` (the previous value stays until the answer comes).
    pub fn load(&self, target: RwSignal<Loaded>, path: String) {
        let token = self.get();
        spawn_local(async move {
            let r = api_db::get(&path, token.as_deref()).await;
            target.set(Some(r));
        });
    }
}

/// `GET /databases/features`, fetched again when the token changes.
pub fn use_features() -> RwSignal<Option<Features>> {
    let features = RwSignal::new(None);
    let settings = use_settings();
    Effect::new(move |_| {
        let token = settings.admin_token.get();
        spawn_local(async move {
            features.set(api_db::features(token.as_deref()).await.ok());
        });
    });
    features
}

/// Whether destructive controls may be shown.
pub fn destructive(features: RwSignal<Option<Features>>) -> impl Fn() -> bool + Copy {
    move || features.with(|f| f.as_ref().is_some_and(|f| f.destructive_allowed))
}

/// The stores as tabs: the knowledge-base store of the KATO generation in front (MongoDB for 1.x, ClickHouse for
/// 3.x; what answers while the generation is unknown), Qdrant and Redis. The current one is highlighted.
#[component]
pub fn StoreTabs(features: RwSignal<Option<Features>>) -> impl IntoView {
    let location = use_location();
    let tabs = move || {
        let path = location.pathname.get();
        features
            .with(|f| store_tabs(f.as_ref(), &path))
            .into_iter()
            .map(|(href, label)| {
                let active = path.starts_with(href);
                // "Knowledge bases (ClickHouse)": the store's name goes on narrow screens.
                let (main, detail) = match label.split_once(" (") {
                    Some((main, rest)) => (main, Some(format!(" ({rest}"))),
                    None => (label, None),
                };
                view! {
                    <a href=href class="tab" class:active=active aria-current=active.then_some("page")>
                        {main}{detail.map(|d| view! { <span class="wide-only">{d}</span> })}
                    </a>
                }
            })
            .collect_view()
    };
    view! { <nav class="tabs" aria-label="Databases" data-testid="store-tabs">{tabs}</nav> }
}

/// A panel sliding in from the right (the alert drawer's look) while `open`; Escape or the backdrop closes it.
#[component]
pub fn SideDrawer(
    #[prop(into)] open: Signal<bool>,
    on_close: Callback<()>,
    label: &'static str,
    testid: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let esc = window_event_listener(leptos::ev::keydown, move |e| {
        if e.key() == "Escape" && open.get_untracked() {
            on_close.run(());
        }
    });
    on_cleanup(move || esc.remove());
    view! {
        <div class="drawer-backdrop" class:open=move || open.get() on:click=move |_| on_close.run(()) aria-hidden="true"></div>
        <aside class="drawer wide" class:open=move || open.get() role="dialog" aria-modal="true" aria-label=label
            inert=move || !open.get() data-testid=testid>
            <div class="drawer-head">
                <h2>{label}</h2>
                <button class="icon-btn" aria-label=format!("Close {}", label.to_ascii_lowercase()) on:click=move |_| on_close.run(())>
                    <Svg icon=Icon::Close/>
                </button>
            </div>
            {children()}
        </aside>
    }
}

/// The "could not load" banner for an error.
pub fn error_banner(what: &str, e: &ApiError) -> AnyView {
    let tone = match e {
        ApiError::Http { status, .. } if *status < 500 => "warn",
        _ => "bad",
    };
    view! { <Banner tone=tone title=format!("Could not load {what}") detail=e.to_string()/> }
        .into_any()
}

/// Pretty JSON in a scrollable block.
#[component]
pub fn JsonBlock(value: Value) -> impl IntoView {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    view! { <pre class="json">{text}</pre> }
}

/// A confirmation that asks for `expected` to be typed before `on_confirm` runs. Shown while `open`.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    title: String,
    detail: String,
    #[prop(into)] expected: Signal<String>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let matches = move || typed.with(|t| *t == expected.get());
    let close = move || {
        typed.set(String::new());
        open.set(false);
    };
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| close()></div>
            <div class="modal" role="alertdialog" aria-modal="true" data-testid="confirm-dialog">
                <form on:submit=move |e| {
                    e.prevent_default();
                    if matches() {
                        close();
                        on_confirm.run(());
                    }
                }>
                    <div class="modal-head"><h2>{title.clone()}</h2></div>
                    <p class="muted">{detail.clone()}</p>
                    <label class="field">
                        <span>"Type " <code class="mono">{move || expected.get()}</code> " to confirm"</span>
                        <input type="text" autocomplete="off" prop:value=move || typed.get()
                            on:input=move |e| typed.set(event_target_value(&e)) data-testid="confirm-input"/>
                    </label>
                    <div class="modal-actions">
                        <button type="button" class="btn ghost" on:click=move |_| close()>"Cancel"</button>
                        <button type="submit" class="btn danger" disabled=move || !matches()>"Delete"</button>
                    </div>
                </form>
            </div>
        </Show>
    }
}

/// The notice under the tabs: read-only, or deletes enabled.
#[component]
pub fn ModeNote(features: RwSignal<Option<Features>>) -> impl IntoView {
    move || {
        features.get().map(|f| {
            let (tone, text) = if f.destructive_allowed {
                ("tone-warn", "Admin mode: deletes are enabled and audited.")
            } else if f.read_only {
                (
                    "",
                    "Read-only: the server has DATABASE_READ_ONLY on (or unset).",
                )
            } else {
                (
                    "",
                    "Read-only for you: set the admin token in Settings to delete.",
                )
            };
            view! { <span class=format!("mode-note {tone}") data-testid="db-mode">{text}</span> }
        })
    }
}

/// `/databases`: the stores of the KATO in front with their state.
#[component]
pub fn DatabasesHome() -> impl IntoView {
    let tok = use_token();
    let features = use_features();
    let qdrant: RwSignal<Loaded> = RwSignal::new(None);
    tok.load(qdrant, "/qdrant/collections".into());
    let state_of = move |f: Option<Option<String>>| match f {
        None => ("idle", "checking…".to_string()),
        Some(None) => ("ok", "available".to_string()),
        Some(Some(reason)) => ("bad", reason),
    };
    let card = move |href: &'static str,
                     testid: &'static str,
                     name: &'static str,
                     what: &'static str,
                     status: Box<dyn Fn() -> (&'static str, String) + Send + Sync>| {
        let status = std::sync::Arc::new(status);
        let (s1, s2, s3) = (status.clone(), status.clone(), status);
        view! {
            <a class="card store-card" href=href data-testid=format!("store-{testid}")>
                <div class="row-between">
                    <h2>{name}</h2>
                    <span class=move || format!("pill tone-{}", s1().0)>{move || match s3().0 { "ok" => "up", "idle" => "…", _ => "down" }}</span>
                </div>
                <p class="muted">{what}</p>
                <p class="small muted">{move || s2().1}</p>
            </a>
        }
    };
    view! {
        <div class="page databases">
            <div class="page-head">
                <div>
                    <p class="kicker">"KATO's stores"</p>
                    <div class="headline">"Databases"</div>
                </div>
                <ModeNote features=features/>
            </div>
            <div class="store-grid">
                {move || {
                    // Which knowledge-base store is shown waits for `features` (no card that then goes away).
                    let stores = features.with(|f| f.as_ref().map(Features::kb_stores).unwrap_or_default());
                    stores.into_iter().map(|s| match s {
                        KbStore::MongoDb => card(s.href(), "MongoDB", "MongoDB", "KATO 1.x knowledge bases: patterns, symbols, predictions, any collection.",
                            Box::new(move || state_of(features.with(|f| f.as_ref().and_then(|f| f.mongodb.clone()))))),
                        KbStore::ClickHouse => card(s.href(), "ClickHouse", "ClickHouse",
                            "KATO 3.x knowledge bases: patterns in ClickHouse, symbols in Redis, vectors in Qdrant.",
                            Box::new(move || state_of(features.with(|f| f.as_ref().and_then(|f| f.clickhouse.clone()))))),
                    }).collect_view()
                }}
                {card("/databases/qdrant", "Qdrant", "Qdrant", "Vector collections: points, vectors, similar points.",
                    Box::new(move || qdrant.with(|q| match q {
                        None => ("idle", "checking…".to_string()),
                        Some(Ok(v)) => ("ok", format!("{} collections", v["total"].as_u64().unwrap_or(0))),
                        Some(Err(e)) => ("bad", e.to_string()),
                    })))}
                {card("/databases/redis", "Redis", "Redis", "Sessions and caches: INFO, keys by SCAN, values with TTL.",
                    Box::new(move || state_of(features.with(|f| f.as_ref().and_then(|f| f.redis.clone())))))}
            </div>
            <p class="muted small note"><Svg icon=Icon::Alert/>" Browsing never changes data or TTLs; deletes need an admin token and read-only mode off."</p>
        </div>
    }
}
