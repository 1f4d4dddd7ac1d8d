//! Pages' access to the persistent history: `use_history_feed` fetches a set of series for the page's range (all
//! of it when the range changes, then only the newest buckets every max(step, 15 s) while the range ends now),
//! `use_store_info` reads the store's status once, and `chart_data` turns what is held into a chart with the
//! markers, gaps and an explanatory note when there is nothing to draw (loading, an error, no data in the range).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::chart::{ChartData, ChartSeries};
use crate::components::range_control::RangeCtl;
use crate::services::{local_datetime, now_ms, use_clock};
use crate::state::history_api::{
    HistoryData, StoreInfo, history_query, no_data_text, refresh_query,
};
use crate::state::range::TimeRange;

/// What is held: `None` while the first answer is on its way.
pub type Held = Option<Result<HistoryData, String>>;

/// One fetched set of series.
#[derive(Clone, Copy)]
pub struct Feed {
    pub data: RwSignal<Held>,
    /// The bucket size asked for, from the range's span.
    pub step_of: fn(i64) -> i64,
}

async fn fetch(query: String) -> Result<HistoryData, String> {
    let v = api::history(&query).await.map_err(|e| e.to_string())?;
    HistoryData::from_value(&v)
}

/// Fetches `series` (comma-separated, `*` prefixes) for the range while `active`.
pub fn use_history_feed(
    ctl: RangeCtl,
    series: &'static str,
    step_of: fn(i64) -> i64,
    active: Signal<bool>,
) -> Feed {
    let clock = use_clock();
    let data = RwSignal::new(None::<Result<HistoryData, String>>);
    // Answers of an older range are dropped; one live-edge request at a time.
    let generation = StoredValue::new(0u64);
    let last_fetch = StoredValue::new(0.0f64);
    let busy = StoredValue::new(false);
    Effect::new(move |_| {
        let r = ctl.range.get();
        if !active.get() {
            return;
        }
        generation.update_value(|g| *g += 1);
        let this = generation.get_value();
        data.set(None);
        let now = now_ms();
        let (from, to) = r.window_s(now);
        let query = history_query(from, to, step_of(r.span_s()), series, false);
        last_fetch.set_value(now);
        spawn_local(async move {
            let answer = fetch(query).await;
            if generation.get_value() == this {
                data.set(Some(answer));
            }
        });
    });
    Effect::new(move |_| {
        let now = clock.now();
        let r = ctl.range.get_untracked();
        let step = step_of(r.span_s());
        let every = (step as f64 * 1000.0).max(15_000.0);
        if !r.is_live()
            || !active.get_untracked()
            || busy.get_value()
            || now - last_fetch.get_value() < every
            || data.with_untracked(Option::is_none)
        {
            return;
        }
        let query = data.with_untracked(|d| {
            let held = d.as_ref().and_then(|h| h.as_ref().ok());
            refresh_query(held, &r, now, step, series)
        });
        last_fetch.set_value(now);
        busy.set_value(true);
        let this = generation.get_value();
        let keep_from = r.window_ms(now).0;
        spawn_local(async move {
            let answer = fetch(query).await;
            busy.set_value(false);
            if generation.get_value() != this {
                return;
            }
            data.update(|d| match (d.as_mut(), answer) {
                (Some(Ok(held)), Ok(newer)) => held.merge(newer, keep_from),
                // A failed refresh keeps what is on screen; the next one tries again.
                (Some(Ok(_)), Err(_)) => {}
                (_, answer) => *d = Some(answer),
            });
        });
    });
    Feed { data, step_of }
}

/// The store's status and oldest sample (`None` until known; an error keeps its message).
pub fn use_store_info() -> RwSignal<Option<Result<StoreInfo, String>>> {
    let info = RwSignal::new(None);
    spawn_local(async move {
        let answer = api::history_series()
            .await
            .map(|v| StoreInfo::from_value(&v))
            .map_err(|e| e.to_string());
        info.set(Some(answer));
    });
    info
}

/// A chart's data from what `feed` holds: `build` picks the series; `nothing` is what an empty chart says.
pub fn chart_data(
    feed: Feed,
    range: TimeRange,
    now: f64,
    store: Option<&StoreInfo>,
    nothing: &str,
    build: impl Fn(&HistoryData) -> Vec<ChartSeries>,
) -> ChartData {
    let (from, to) = range.window_ms(now);
    let mut chart = ChartData::new(Vec::new(), from, to);
    chart.live = range.is_live();
    feed.data.with(|d| match d {
        None => chart.note = Some("Loading history…".into()),
        Some(Err(e)) => {
            chart.note = Some(format!("History unavailable: {e}"));
            chart.failed = true;
        }
        Some(Ok(h)) => {
            chart.series = build(h);
            chart.markers = h.markers.clone();
            chart.gap_ms = h.gap_ms();
            chart.bucket_ms = h.step_s * 1000.0;
            let oldest = match store {
                Some(s) => s.oldest_ms,
                None => Some(f64::NEG_INFINITY),
            };
            chart.note = Some(no_data_text(oldest, (from, to), nothing, local_datetime));
        }
    });
    chart
}
