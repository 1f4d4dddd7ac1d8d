//! The tab's one WebSocket to `/ws`, shared by every component.
//!
//! - **Topics are ref-counted:** a component calls [`use_topics`] with what it shows; the subscription is the union
//!   of all mounted components' topics, re-sent (coalesced to one frame per turn of the event loop) when it
//!   changes, and a topic is dropped when its last user unmounts.
//! - **Reconnects forever** with full-jitter backoff (cap 30 s); after reconnecting it opts into deltas, subscribes
//!   and sends `resume` with the last `seq` per event topic, so no event is lost or processed twice.
//! - **Heartbeat timeout:** no frame for 15 s → `ping`; none for 30 s (two server heartbeats) → reconnect.
//! - `resync` resets the topic's sequence number and tells the pages to refetch.
//!
//! The pure bookkeeping lives in [`crate::state::wire`]; this module only moves frames and timers.

use std::time::Duration;

use kato_dashboard_core::protocol::{ServerMsg, Topic, TopicSet};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use crate::services::{Live, now_ms};
use crate::state::wire::{
    ConnStatus, DEAD_AFTER_MS, FEATURES_FRAME, Interest, PING_AFTER_MS, SeqTracker, TopicValues,
    backoff_ms, subscribe_frame,
};

/// Event topics replayed from the server's buffer on the first connection (their recent past is shown).
const FROM_START: [Topic; 2] = [Topic::KatoEvents, Topic::SystemAlerts];
/// A socket that has not opened after this long is abandoned.
const OPEN_TIMEOUT_MS: f64 = 10_000.0;

struct Handlers {
    open: Closure<dyn FnMut(Event)>,
    message: Closure<dyn FnMut(MessageEvent)>,
    close: Closure<dyn FnMut(CloseEvent)>,
}

#[derive(Default)]
struct Inner {
    socket: Option<WebSocket>,
    handlers: Option<Handlers>,
    interest: Interest,
    /// The subscription sent on the current socket.
    sent: Option<TopicSet>,
    sync_scheduled: bool,
    values: TopicValues,
    seqs: SeqTracker,
    attempt: u32,
    last_frame_ms: f64,
    opened_at_ms: f64,
    ping_sent: bool,
    retry: Option<TimeoutHandle>,
    last_tick_ts: Option<f64>,
}

/// Handle to the socket (cheap to copy into closures).
#[derive(Clone, Copy)]
pub struct Ws {
    /// What the connection indicator shows.
    pub status: RwSignal<ConnStatus>,
    inner: StoredValue<Inner, LocalStorage>,
    live: Live,
}

/// Opens the socket and provides it to the app.
pub fn provide_ws(live: Live) -> Ws {
    let ws = Ws {
        status: RwSignal::new(ConnStatus::Connecting { attempt: 0 }),
        inner: StoredValue::new_local(Inner::default()),
        live,
    };
    ws.install_handlers();
    ws.connect();
    let _ = set_interval_with_handle(move || ws.watchdog(), Duration::from_millis(2000));
    // Back online: try at once instead of waiting out the backoff.
    let _ = window_event_listener_untyped("online", move |_| ws.retry_now());
    provide_context(ws);
    ws
}

/// The socket.
pub fn use_ws() -> Ws {
    expect_context::<Ws>()
}

/// Declares that the calling component shows `topics`, for as long as it is mounted.
pub fn use_topics(topics: &'static [Topic]) {
    let ws = use_ws();
    ws.inner.update_value(|i| i.interest.add(topics));
    ws.schedule_sync();
    on_cleanup(move || {
        ws.inner.update_value(|i| i.interest.remove(topics));
        ws.schedule_sync();
    });
}

fn socket_url() -> Option<String> {
    let loc = window().location();
    let scheme = if loc.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", loc.host().ok()?))
}

impl Ws {
    fn install_handlers(self) {
        let open = Closure::<dyn FnMut(Event)>::new(move |_| self.on_open());
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = e.data().as_string() {
                self.on_text(&text);
            }
        });
        let close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| self.on_close());
        self.inner.update_value(|i| {
            i.handlers = Some(Handlers {
                open,
                message,
                close,
            })
        });
    }

    fn connect(self) {
        let Some(url) = socket_url() else { return };
        let attempt = self.inner.with_value(|i| i.attempt);
        match WebSocket::new(&url) {
            Ok(socket) => {
                self.inner.update_value(|i| {
                    if let Some(h) = &i.handlers {
                        socket.set_onopen(Some(h.open.as_ref().unchecked_ref()));
                        socket.set_onmessage(Some(h.message.as_ref().unchecked_ref()));
                        socket.set_onclose(Some(h.close.as_ref().unchecked_ref()));
                    }
                    i.socket = Some(socket);
                    i.opened_at_ms = now_ms();
                    i.retry = None;
                });
                self.status.set(ConnStatus::Connecting { attempt });
            }
            Err(_) => self.schedule_retry(),
        }
    }

    /// Detaches and closes the current socket (its late events are never seen).
    fn drop_socket(self) {
        if let Some(s) = self.inner.try_update_value(|i| i.socket.take()).flatten() {
            s.set_onopen(None);
            s.set_onmessage(None);
            s.set_onclose(None);
            let _ = s.close();
        }
    }

    fn schedule_retry(self) {
        let (attempt, delay) = self
            .inner
            .try_update_value(|i| {
                i.attempt += 1;
                (i.attempt, backoff_ms(i.attempt - 1, js_sys::Math::random()))
            })
            .unwrap_or((1, 1000.0));
        let handle =
            set_timeout_with_handle(move || self.connect(), Duration::from_millis(delay as u64))
                .ok();
        self.inner.update_value(|i| i.retry = handle);
        self.status.set(ConnStatus::Waiting {
            attempt,
            retry_at_ms: now_ms() + delay,
        });
    }

    /// Skips the backoff wait (the "retry now" button, or the browser coming back online).
    pub fn retry_now(self) {
        if let Some(h) = self.inner.try_update_value(|i| i.retry.take()).flatten() {
            h.clear();
            self.connect();
        }
    }

    fn send(self, text: &str) {
        self.inner.with_value(|i| {
            if let Some(s) = &i.socket
                && s.ready_state() == WebSocket::OPEN
            {
                let _ = s.send_with_str(text);
            }
        });
    }

    fn on_open(self) {
        let now = now_ms();
        self.inner.update_value(|i| {
            i.attempt = 0;
            i.last_frame_ms = now;
            i.ping_sent = false;
            i.sent = None;
            i.values.clear();
            i.last_tick_ts = None;
        });
        self.status.set(ConnStatus::Open);
        self.send(FEATURES_FRAME);
        self.sync();
        let resume = self.inner.with_value(|i| {
            i.seqs
                .resume_frame(i.sent.unwrap_or(TopicSet::EMPTY), &FROM_START)
        });
        if let Some(frame) = resume {
            self.send(&frame);
        }
    }

    fn on_close(self) {
        self.drop_socket();
        self.schedule_retry();
    }

    fn schedule_sync(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.sync_scheduled, true))
            .unwrap_or(true);
        if !already {
            // Coalesce: a route change unmounts one page and mounts the next in the same turn.
            set_timeout(move || self.sync(), Duration::ZERO);
        }
    }

    /// Sends the union of interests when it differs from what the server has.
    fn sync(self) {
        let frame = self.inner.try_update_value(|i| {
            i.sync_scheduled = false;
            let open = i
                .socket
                .as_ref()
                .is_some_and(|s| s.ready_state() == WebSocket::OPEN);
            let want = i.interest.union();
            (open && i.sent != Some(want)).then(|| {
                i.sent = Some(want);
                subscribe_frame(want)
            })
        });
        if let Some(Some(frame)) = frame {
            self.send(&frame);
        }
    }

    fn watchdog(self) {
        let now = now_ms();
        let (open, silent, ping_sent, connecting_for) = self.inner.with_value(|i| {
            let state = i.socket.as_ref().map(WebSocket::ready_state);
            (
                state == Some(WebSocket::OPEN),
                now - i.last_frame_ms,
                i.ping_sent,
                (state == Some(WebSocket::CONNECTING)).then_some(now - i.opened_at_ms),
            )
        });
        if open && silent > DEAD_AFTER_MS {
            self.drop_socket();
            self.schedule_retry();
        } else if open && silent > PING_AFTER_MS && !ping_sent {
            self.inner.update_value(|i| i.ping_sent = true);
            self.send(r#"{"type":"ping"}"#);
        } else if connecting_for.is_some_and(|ms| ms > OPEN_TIMEOUT_MS) {
            self.drop_socket();
            self.schedule_retry();
        }
    }

    fn on_text(self, text: &str) {
        self.inner.update_value(|i| {
            i.last_frame_ms = now_ms();
            i.ping_sent = false;
        });
        // Parsed to a `Value` first (the JSON parser every REST answer uses), then read field by field.
        let msg = serde_json::from_str::<serde_json::Value>(text).and_then(ServerMsg::from_value);
        let Ok(msg) = msg else {
            leptos::logging::warn!("ignoring an unreadable frame from /ws");
            return;
        };
        match &msg {
            ServerMsg::RealtimeUpdate {
                data,
                patch,
                timestamp,
                ..
            } => self.on_update(data, patch, timestamp),
            ServerMsg::SessionEvent { seq, .. } => self.on_event(Topic::SessionEvents, *seq, &msg),
            // Alert frames are idempotent (entries are keyed), and the frame of alerts firing now that the server
            // sends on every subscribe may carry a number already seen: apply them whatever their number.
            ServerMsg::SystemAlert { seq, .. } | ServerMsg::AlertUpdate { seq, .. } => {
                self.inner.update_value(|i| {
                    i.seqs.accept(Topic::SystemAlerts, *seq);
                });
                self.live.apply_event(&msg);
            }
            ServerMsg::KatoEvent { seq, .. } => self.on_event(Topic::KatoEvents, *seq, &msg),
            ServerMsg::Subscribed { unknown, .. } => self.live.unknown_topics.set(unknown.clone()),
            ServerMsg::Resync {
                topic, from_seq, ..
            } => {
                if let Some(t) = Topic::parse(topic) {
                    self.inner.update_value(|i| i.seqs.resync(t, *from_seq));
                    match t {
                        Topic::SessionEvents => self.live.sessions_resync.update(|n| *n += 1),
                        Topic::SystemAlerts => {
                            crate::services::live::reload_alert_history(self.live.alerts);
                        }
                        _ => {}
                    }
                }
            }
            ServerMsg::Error { message, .. } => {
                leptos::logging::warn!("/ws rejected a frame: {message}");
            }
            ServerMsg::Heartbeat { .. } | ServerMsg::Features { .. } | ServerMsg::Unknown => {}
        }
    }

    fn on_update(
        self,
        data: &serde_json::Map<String, serde_json::Value>,
        patch: &serde_json::Map<String, serde_json::Value>,
        timestamp: &str,
    ) {
        let ts = crate::format::parse_ts_ms(timestamp);
        let result = self.inner.try_update_value(|i| {
            let outcome = i.values.apply(data, patch);
            let interval = match (ts, i.last_tick_ts) {
                (Some(now), Some(prev)) if now > prev => Some(now - prev),
                _ => None,
            };
            i.last_tick_ts = ts.or(i.last_tick_ts);
            let changed: Vec<(Topic, serde_json::Value)> = outcome
                .changed
                .iter()
                .filter_map(|t| i.values.get(*t).map(|v| (*t, v.clone())))
                .collect();
            (changed, outcome.needs_reset, interval)
        });
        let Some((changed, needs_reset, interval)) = result else {
            return;
        };
        for (topic, value) in &changed {
            self.live.apply_state(*topic, value);
        }
        if let Some(ms) = interval {
            // With deltas an unchanged tick is not sent; the shortest gap seen is the best estimate.
            self.live
                .tick_ms
                .maybe_update(|t| (ms.clamp(100.0, 10_000.0) < *t).then(|| *t = ms).is_some());
        }
        if needs_reset {
            self.send(FEATURES_FRAME);
        }
    }

    fn on_event(self, topic: Topic, seq: u64, msg: &ServerMsg) {
        let fresh = self
            .inner
            .try_update_value(|i| i.seqs.accept(topic, seq))
            .unwrap_or(false);
        if fresh {
            self.live.apply_event(msg);
        }
    }
}
