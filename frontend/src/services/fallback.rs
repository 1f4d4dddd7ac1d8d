//! HTTP fallback for KATO's figures: only while the socket is not open **and** the last reading is older than
//! three ticks, at most once per three ticks; a reading older than the one held is discarded by the reducer, so
//! the fallback never overrides fresher socket data.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Live, now_ms};
use crate::{api, ws::Ws};

/// Starts the fallback loop (checks once a second).
pub fn start_fallback(ws: Ws, live: Live) {
    let in_flight = StoredValue::new(false);
    let last_try = StoredValue::new(0.0f64);
    let _ = set_interval_with_handle(
        move || {
            let now = now_ms();
            let window = 3.0 * live.tick_ms.get_untracked().max(1000.0);
            let stale = live.metrics.with_untracked(|m| m.is_stale(now, window));
            if ws.status.get_untracked().is_open()
                || !stale
                || in_flight.get_value()
                || now - last_try.get_value() < window
            {
                return;
            }
            in_flight.set_value(true);
            last_try.set_value(now);
            spawn_local(async move {
                if let Ok(value) = api::system_metrics().await {
                    live.metrics
                        .maybe_update(|m| m.apply_http(&value, now_ms()));
                }
                in_flight.set_value(false);
            });
        },
        Duration::from_millis(1000),
    );
}
