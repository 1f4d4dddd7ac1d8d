//! Deleting a KATO 3.x knowledge base (admins only; the tab exists only when the server says
//! `destructive_allowed`). A dry run comes first and lists exactly what would go — the ClickHouse rows per table
//! with their statements, the Redis keys per family (and every key), the Qdrant collection and its points, and
//! what is never touched; only then can the delete be sent, after the kb_id is typed back. The page then says
//! what was removed and reloads the list.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ConfirmDialog, use_token};
use crate::api::ApiError;
use crate::api_db::{self, Verb, enc, query};
use crate::components::cards::Banner;
use crate::components::icons::{Icon, Svg};
use crate::format;
use crate::state::kb::DeletePlan;

/// The Delete knowledge base tab.
#[component]
pub fn DeleteKnowledgeBase(kb: String, on_deleted: Callback<String>) -> impl IntoView {
    let tok = use_token();
    let plan: RwSignal<Option<Result<DeletePlan, ApiError>>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirm_open = RwSignal::new(false);
    let kb = StoredValue::new(kb);
    // The kb_id goes along as `confirm` on the dry run too: the server wants it for both, and a dry run removes
    // nothing. The real delete is sent only after the user typed it in the dialog.
    let send = move |dry: bool| {
        let (k, t) = (kb.get_value(), tok.get());
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let q = query(&[("confirm", k.clone()), ("dry_run", dry.to_string())]);
            let path = format!("/patterns/{}{q}", enc(&k));
            let r = api_db::call(Verb::Delete, &path, None, t.as_deref()).await;
            busy.try_set(false);
            match (dry, r) {
                (true, r) => {
                    plan.try_set(Some(r.map(|v| DeletePlan::from_json(&v))));
                }
                (false, Ok(v)) => on_deleted.run(format!(
                    "Knowledge base {k} deleted: {} removed.",
                    DeletePlan::from_json(&v).summary()
                )),
                (false, Err(e)) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let confirmed = Callback::new(move |()| send(false));
    let ready = move || plan.with(|p| matches!(p, Some(Ok(_))));
    view! {
        <section class="card panel danger-panel" aria-label="Delete knowledge base" data-testid="kb-delete">
            <h2 class="panel-title"><Svg icon=Icon::Trash/>"Delete knowledge base " <span class="mono">{kb.get_value()}</span></h2>
            <p class="muted">"Removes everything KATO learned in this knowledge base from its three stores: the pattern rows in \
                ClickHouse (DROP PARTITION, as KATO's clear-all), its Redis keys (frequencies, emotives, metadata, symbols, \
                affinities…) and its Qdrant collection. Sessions and other knowledge bases are not touched. There is no undo."</p>
            <div class="page-actions">
                <button class="btn small" disabled=move || busy.get() on:click=move |_| send(true) data-testid="kb-dry-run">
                    <Svg icon=Icon::Search/>{move || if plan.with(Option::is_some) { "Run the dry run again" } else { "Dry run: list what would go" }}</button>
                <button class="btn small danger" disabled=move || busy.get() || !ready() on:click=move |_| confirm_open.set(true)
                    title=move || if ready() { "" } else { "Run the dry run first" } data-testid="kb-delete-button">
                    <Svg icon=Icon::Trash/>"Delete knowledge base…"</button>
                {move || busy.get().then(|| view! { <span class="muted small">"Asking the stores…"</span> })}
            </div>
            {move || error.get().map(|e| view! { <Banner tone="bad" title="The delete did not finish".into() detail=e.to_string()/> })}
            {move || plan.get().map(|p| match p {
                Ok(p) => view! {
                    <ConfirmDialog open=confirm_open title=format!("Delete knowledge base {}", kb.get_value())
                        detail=format!("Removes {}. There is no undo.", p.summary())
                        expected=Signal::derive(move || kb.get_value()) on_confirm=confirmed/>
                    {plan_view(p)}
                }.into_any(),
                Err(e) => view! { <Banner tone=if matches!(e, ApiError::Http { status, .. } if status < 500) { "warn" } else { "bad" }
                    title="The dry run did not answer".into() detail=e.to_string()/> }.into_any(),
            })}
        </section>
    }
}

/// What the dry run says would go, store by store.
fn plan_view(p: DeletePlan) -> impl IntoView {
    let keys_total = p.redis_keys;
    let listed = p.keys.len();
    view! {
        <div class="plan" data-testid="kb-plan">
            <p class="plan-summary"><strong>"Would remove: "</strong>{p.summary()}</p>
            <div class="plan-grid">
                <section class="plan-store" data-testid="kb-plan-clickhouse">
                    <h3>"ClickHouse"</h3>
                    <p><b class="num">{format::int(p.clickhouse_rows as f64)}</b>" rows"</p>
                    <table class="table compact">
                        <thead><tr><th>"Table"</th><th class="num-col">"Rows"</th></tr></thead>
                        <tbody>{p.tables.iter().map(|t| view! {
                            <tr title=t.statement.clone()><td class="mono">{t.table.clone()}</td><td class="num-col num">{format::int(t.rows as f64)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                    <details class="plan-more">
                        <summary class="small">"Statements"</summary>
                        <ul class="items mono small">{p.tables.iter().map(|t| view! { <li>{t.statement.clone()}</li> }).collect_view()}</ul>
                    </details>
                </section>
                <section class="plan-store" data-testid="kb-plan-redis">
                    <h3>"Redis"</h3>
                    <p><b class="num">{format::int(keys_total as f64)}</b>" keys matching "<code class="mono">{p.scan_pattern.clone()}</code></p>
                    <table class="table compact">
                        <thead><tr><th>"Family"</th><th class="num-col">"Keys"</th></tr></thead>
                        <tbody>{p.families.iter().map(|(f, n)| view! {
                            <tr><td class="mono">{f.clone()}</td><td class="num-col num">{format::int(*n as f64)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                    <details class="plan-more">
                        <summary class="small">{if p.keys_complete { format!("All {listed} keys") } else { format!("The first {listed} of {keys_total} keys") }}</summary>
                        <ul class="items mono small" data-testid="kb-plan-keys">{p.keys.iter().map(|k| view! { <li>{k.clone()}</li> }).collect_view()}</ul>
                    </details>
                    {(!p.kept.is_empty()).then(|| view! {
                        <p class="small muted">{format!("Kept ({} keys under the prefix in no KATO family): ", p.kept.len())}
                            <span class="mono">{p.kept.join(", ")}</span></p>
                    })}
                </section>
                <section class="plan-store" data-testid="kb-plan-qdrant">
                    <h3>"Qdrant"</h3>
                    {if p.collection_exists {
                        view! { <p>"Collection "<code class="mono">{p.collection.clone()}</code></p>
                            <p><b class="num">{p.points.map_or_else(|| "—".into(), |n| format::int(n as f64))}</b>" points"</p> }.into_any()
                    } else {
                        view! { <p class="muted">"No collection "<code class="mono">{p.collection.clone()}</code></p> }.into_any()
                    }}
                </section>
            </div>
            <p class="small muted">"Never touched: " {p.not_touched.join("; ")}</p>
        </div>
    }
}
