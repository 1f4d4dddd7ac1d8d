//! One clock for the whole tab: a signal with the current time in ms, updated every second. Relative times,
//! countdowns, toast expiry and staleness all derive from it, so they update together and need no timers.

use std::time::Duration;

use leptos::prelude::*;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The tab's clock.
#[derive(Clone, Copy)]
pub struct Clock(RwSignal<f64>);

impl Clock {
    /// Current time (tracked: re-runs the caller every second).
    pub fn now(&self) -> f64 {
        self.0.get()
    }
}

/// Starts the clock.
pub fn provide_clock() {
    let now = RwSignal::new(now_ms());
    // The interval lives as long as the tab.
    let _ = set_interval_with_handle(move || now.set(now_ms()), Duration::from_millis(1000));
    provide_context(Clock(now));
}

/// The clock.
pub fn use_clock() -> Clock {
    expect_context::<Clock>()
}

/// Local wall-clock time of `ms`, `HH:MM:SS`.
pub fn local_time(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// Local date and time of `ms`, `YYYY-MM-DD HH:MM:SS`.
pub fn local_datetime(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{}-{:02}-{:02} {}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        local_time(ms)
    )
}

/// An axis label for `ms` on a chart spanning `span_ms`: `HH:MM:SS` up to 10 minutes, `HH:MM` up to a day and a
/// half, `DD.MM HH:MM` beyond.
pub fn axis_time(ms: f64, span_ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    if span_ms <= 600_000.0 {
        local_time(ms)
    } else if span_ms <= 129_600_000.0 {
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    } else {
        format!(
            "{:02}.{:02} {:02}:{:02}",
            d.get_date(),
            d.get_month() + 1,
            d.get_hours(),
            d.get_minutes()
        )
    }
}
