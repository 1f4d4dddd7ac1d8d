//! The time range shared by a page's charts, kept in the URL (`?range=6h` or `?from=<unix>&to=<unix>`) so a reload
//! or a copied link shows the same view: the `use_range` hook and the control above the charts (presets, custom
//! from/to, the "Download CSV" link of the page's series). Parsing lives in `state::range`.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use super::icons::{Icon, Svg};
use crate::services::use_clock;
use crate::state::history_api::history_query;
use crate::state::range::{PRESETS, TimeRange};

/// The series of a page's CSV download and the bucket size for a span.
pub type CsvSpec = (&'static str, fn(i64) -> i64);

/// A page's range and how to change it (both `Copy`, for closures).
#[derive(Clone, Copy)]
pub struct RangeCtl {
    pub range: Memo<TimeRange>,
    pub set: Callback<TimeRange>,
    pub default: TimeRange,
}

/// The range in the URL (`default` without one); setting it navigates, so Back returns to the previous range.
pub fn use_range(default: TimeRange) -> RangeCtl {
    let query = use_query_map();
    let range = Memo::new(move |_| {
        query.with(|q| {
            TimeRange::from_query(
                q.get_str("range"),
                q.get_str("from"),
                q.get_str("to"),
                default,
            )
        })
    });
    let location = use_location();
    let navigate = StoredValue::new_local(use_navigate());
    let set = Callback::new(move |r: TimeRange| {
        let path = location.pathname.get_untracked();
        let url = if r == default {
            path
        } else {
            format!("{path}?{}", r.to_query())
        };
        let options = NavigateOptions {
            scroll: false,
            ..NavigateOptions::default()
        };
        navigate.with_value(|n| n(&url, options));
    });
    RangeCtl {
        range,
        set,
        default,
    }
}

/// `YYYY-MM-DDTHH:MM` in local time, for `<input type="datetime-local">`.
fn input_value(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// Unix seconds of a `datetime-local` value (read as local time).
fn input_seconds(text: &str) -> Option<i64> {
    let ms = js_sys::Date::parse(text);
    ms.is_finite().then(|| (ms / 1000.0).round() as i64)
}

/// Presets (which also lead back from a zoom), a custom from/to form, and with `csv` (series, step for a span) a
/// "Download CSV" link for those series over the range.
#[component]
pub fn RangeControl(ctl: RangeCtl, #[prop(optional)] csv: Option<CsvSpec>) -> impl IntoView {
    let clock = use_clock();
    let custom_open = RwSignal::new(false);
    let from_text = RwSignal::new(String::new());
    let to_text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    let open_custom = move |_| {
        let (f, t) = ctl.range.get_untracked().window_ms(clock.now());
        from_text.set(input_value(f));
        to_text.set(input_value(t));
        error.set(None);
        custom_open.update(|o| *o = !*o);
    };
    let apply = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        match (
            input_seconds(&from_text.get_untracked()),
            input_seconds(&to_text.get_untracked()),
        ) {
            (Some(from), Some(to)) if from < to => {
                custom_open.set(false);
                ctl.set.run(TimeRange::Between { from, to });
            }
            _ => error.set(Some("“From” must be a time before “To”.")),
        }
    };
    let is_custom = move || !ctl.range.get().is_live();
    view! {
        <div class="range-control" data-testid="range-control">
            <div class="segmented" role="radiogroup" aria-label="Time range">
                {PRESETS.iter().map(|(label, secs)| {
                    let r = TimeRange::Last(*secs);
                    view! {
                        <button role="radio" data-range=*label aria-checked=move || (ctl.range.get() == r).to_string()
                            class:active=move || ctl.range.get() == r on:click=move |_| ctl.set.run(r)>{*label}</button>
                    }
                }).collect_view()}
                <button class:active=is_custom aria-expanded=move || custom_open.get().to_string()
                    data-testid="range-custom" on:click=open_custom>
                    <Svg icon=Icon::Clock/>"Custom"
                </button>
            </div>
            <Show when=move || custom_open.get()>
                <form class="range-custom" on:submit=apply>
                    <label>"From"<input type="datetime-local" prop:value=move || from_text.get()
                        on:input=move |e| from_text.set(event_target_value(&e))/></label>
                    <label>"To"<input type="datetime-local" prop:value=move || to_text.get()
                        on:input=move |e| to_text.set(event_target_value(&e))/></label>
                    <button class="btn primary small" type="submit">"Apply"</button>
                    {move || error.get().map(|e| view! { <span class="error-text small">{e}</span> })}
                </form>
            </Show>
            {csv.map(|(series, step_of)| {
                let href = move || {
                    let r = ctl.range.get();
                    let (from, to) = r.window_s(clock.now());
                    let q = history_query(from, to, step_of(r.span_s()), series, true);
                    format!("/api/v1/system/history?{q}")
                };
                view! {
                    <a class="btn ghost small" href=href download="kato-history.csv" data-testid="csv-link" rel="external">
                        <Svg icon=Icon::Disk/>"Download CSV"
                    </a>
                }
            })}
        </div>
    }
}
