//! `/ws/events` listener: a task that stays connected to KATO's event stream forever.
//!
//! * Reconnects after every failure with full-jitter exponential backoff (the dashboard's one
//!   backoff, `kato_dashboard_core::backoff`: [`BackoffPolicy`], base 250 ms, cap 30 s); the
//!   backoff restarts from zero after a connection that stayed up for `stable_after`.
//! * Sends the text `ping` every `ping_interval`; KATO's plain-text `pong` is ignored (it is
//!   not JSON, and not an error). A connection silent for `idle_timeout` is considered dead.
//! * Frames that are not KATO events (non-JSON text, binary) are skipped with a debug log.
//! * Stops promptly when the cancellation token fires or the receiver is dropped.
//!
//! KATO's events are hints: TTL expiry sends nothing and, with several workers, a client only
//! sees its worker's events. Reconcile with polling.

pub use kato_dashboard_core::backoff::BackoffPolicy;

use crate::config::redacted;
use crate::error::KatoError;
use futures_util::{SinkExt, StreamExt};
use kato_dashboard_core::backoff::{Backoff, Jitter};
use kato_dashboard_core::kato::KatoEvent;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What the listener reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerUpdate {
    /// A connection is established (KATO's `state.snapshot` follows as an event).
    Connected,
    /// One KATO event.
    Event(KatoEvent),
    /// The connection was lost, or an attempt to connect failed; a retry follows.
    Disconnected { reason: String },
}

/// Listener settings.
#[derive(Debug, Clone)]
pub struct EventListenerConfig {
    /// `ws(s)://<kato>/ws/events` (see [`ws_events_url`]).
    pub ws_url: Url,
    /// Reconnect delays.
    pub backoff: BackoffPolicy,
    /// How often to send `ping` (default 15 s).
    pub ping_interval: Duration,
    /// A connection with no frame at all (not even `pong`) for this long is dropped
    /// (default 45 s; keep it above `ping_interval`).
    pub idle_timeout: Duration,
    /// A connection up at least this long resets the backoff (default 10 s).
    pub stable_after: Duration,
    /// Bound on TCP connect + WebSocket handshake (default 5 s).
    pub connect_timeout: Duration,
    /// Capacity of the update channel (default 256).
    pub channel_capacity: usize,
}

impl EventListenerConfig {
    /// Defaults for `ws_url`.
    pub fn new(ws_url: Url) -> Self {
        Self {
            ws_url,
            backoff: BackoffPolicy::default(),
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            stable_after: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            channel_capacity: 256,
        }
    }

    /// Defaults, with the URL derived from KATO's REST base URL.
    pub fn from_base_url(base: &Url) -> Result<Self, KatoError> {
        ws_events_url(base).map(Self::new)
    }
}

/// `http(s)://host[:port]/prefix` → `ws(s)://host[:port]/prefix/ws/events`.
pub fn ws_events_url(base: &Url) -> Result<Url, KatoError> {
    let scheme = match base.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => {
            return Err(KatoError::InvalidRequest(format!(
                "cannot derive a WebSocket URL from scheme {other:?}"
            )));
        }
    };
    let mut url = base.clone();
    url.set_scheme(scheme).map_err(|()| {
        KatoError::InvalidRequest(format!("cannot use {scheme} for {}", redacted(base)))
    })?;
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/ws/events"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Spawns listener tasks.
pub struct EventListener;

impl EventListener {
    /// Spawns a listener with default settings; updates arrive on the returned channel
    /// until `cancel` fires (then the channel closes).
    pub fn spawn(ws_url: Url, cancel: CancellationToken) -> mpsc::Receiver<ListenerUpdate> {
        Self::spawn_with(EventListenerConfig::new(ws_url), cancel)
    }

    /// Spawns a listener with explicit settings.
    pub fn spawn_with(
        config: EventListenerConfig,
        cancel: CancellationToken,
    ) -> mpsc::Receiver<ListenerUpdate> {
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        tokio::spawn(run(config, tx, cancel));
        rx
    }
}

/// The listener loop, for callers that spawn it themselves (e.g. on a `TaskTracker`).
/// Returns when `cancel` fires or `tx`'s receiver is dropped.
pub async fn run(
    config: EventListenerConfig,
    tx: mpsc::Sender<ListenerUpdate>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(config.backoff);
    loop {
        let connected = tokio::select! {
            () = cancel.cancelled() => return,
            r = connect(&config) => r,
        };
        let reason = match connected {
            Ok(ws) => {
                tracing::debug!(url = %config.ws_url, "KATO event stream connected");
                if !deliver(&tx, &cancel, ListenerUpdate::Connected).await {
                    return;
                }
                let started = Instant::now();
                let end = connection(ws, &config, &tx, &cancel).await;
                if started.elapsed() >= config.stable_after {
                    backoff.reset();
                }
                match end {
                    End::Stop => return,
                    End::Lost(reason) => reason,
                }
            }
            Err(reason) => reason,
        };
        tracing::debug!(%reason, attempt = backoff.attempt(), "KATO event stream disconnected");
        if !deliver(&tx, &cancel, ListenerUpdate::Disconnected { reason }).await {
            return;
        }
        let delay = backoff.next_delay(Jitter::Full(rand::random::<f64>()));
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(config: &EventListenerConfig) -> Result<Ws, String> {
    // KATO sends small frames: small buffers keep an idle listener cheap.
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(1024 * 1024))
        .max_frame_size(Some(1024 * 1024));
    let attempt =
        tokio_tungstenite::connect_async_with_config(config.ws_url.as_str(), Some(ws_config), true);
    match tokio::time::timeout(config.connect_timeout, attempt).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(format!(
            "connect to {} failed: {e}",
            redacted(&config.ws_url)
        )),
        Err(_) => Err(format!(
            "connect to {} timed out after {:?}",
            redacted(&config.ws_url),
            config.connect_timeout
        )),
    }
}

/// Sends an update unless cancelled; false = stop (cancelled or receiver gone).
async fn deliver(
    tx: &mpsc::Sender<ListenerUpdate>,
    cancel: &CancellationToken,
    update: ListenerUpdate,
) -> bool {
    tokio::select! {
        () = cancel.cancelled() => false,
        sent = tx.send(update) => sent.is_ok(),
    }
}

enum End {
    /// Cancelled, or nobody listens any more.
    Stop,
    /// The connection is gone; reconnect.
    Lost(String),
}

/// Serves one connection until it ends.
async fn connection(
    ws: Ws,
    config: &EventListenerConfig,
    tx: &mpsc::Sender<ListenerUpdate>,
    cancel: &CancellationToken,
) -> End {
    let (mut sink, mut stream) = ws.split();
    let period = config.ping_interval.max(Duration::from_millis(1));
    let mut ping = tokio::time::interval_at(Instant::now() + period, period);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_frame = Instant::now();
    loop {
        let idle_deadline = last_frame + config.idle_timeout;
        let frame = tokio::select! {
            () = cancel.cancelled() => {
                // Best effort: say goodbye, but never let a stuck peer delay shutdown.
                let close = sink.send(Message::Close(None));
                let _ = tokio::time::timeout(Duration::from_millis(250), close).await;
                return End::Stop;
            }
            _ = ping.tick() => {
                if let Err(e) = sink.send(Message::text("ping")).await {
                    return End::Lost(format!("sending ping failed: {e}"));
                }
                continue;
            }
            () = tokio::time::sleep_until(idle_deadline) => {
                return End::Lost(format!("no frame from KATO for {:?}", config.idle_timeout));
            }
            frame = stream.next() => frame,
        };
        let message = match frame {
            None => return End::Lost("connection closed".to_owned()),
            Some(Err(e)) => return End::Lost(format!("connection error: {e}")),
            Some(Ok(message)) => message,
        };
        last_frame = Instant::now();
        match message {
            Message::Text(text) => {
                let text = text.as_str();
                if text.trim() == "pong" {
                    continue;
                }
                match KatoEvent::from_frame(text) {
                    Ok(event) => {
                        if !deliver(tx, cancel, ListenerUpdate::Event(event)).await {
                            return End::Stop;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, frame = %preview(text), "ignoring non-event frame");
                    }
                }
            }
            Message::Binary(bytes) => {
                tracing::debug!(len = bytes.len(), "ignoring binary frame");
            }
            Message::Close(frame) => {
                let why = frame.map_or_else(
                    || "no reason".to_owned(),
                    |f| format!("code {}, {:?}", u16::from(f.code), f.reason.as_str()),
                );
                return End::Lost(format!("closed by KATO ({why})"));
            }
            // tungstenite answers pings itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

fn preview(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_url_from_base() {
        let cases = [
            ("http://kato:8000", "ws://kato:8000/ws/events"),
            ("http://kato:8000/", "ws://kato:8000/ws/events"),
            (
                "https://kato.example/api/",
                "wss://kato.example/api/ws/events",
            ),
            ("http://127.0.0.1:9/x?y=1#z", "ws://127.0.0.1:9/x/ws/events"),
            ("ws://kato:8000", "ws://kato:8000/ws/events"),
        ];
        for (base, want) in cases {
            let url = ws_events_url(&Url::parse(base).unwrap()).unwrap();
            assert_eq!(url.as_str(), want, "{base}");
        }
        assert!(ws_events_url(&Url::parse("ftp://kato/").unwrap()).is_err());
    }
}
