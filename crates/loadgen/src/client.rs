//! One WebSocket client: connect with small buffers, opt into features, subscribe, then either read every
//! frame (live) or never poll the socket again (stalled). Live clients record tick→client latency of each
//! `realtime_update` received inside the measurement [`Window`], plus messages and bytes.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio::net::TcpSocket;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use crate::wire::Ws;
use crate::{frame, stats::Sample, wire::Event};

/// Microseconds since the Unix epoch, from the wall clock the server's timestamps also come from.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The measurement window, shared by every client: samples count only between `start` and `end`.
#[derive(Debug)]
pub struct Window {
    start: AtomicU64,
    end: AtomicU64,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            start: AtomicU64::new(u64::MAX),
            end: AtomicU64::new(u64::MAX),
        }
    }
}

impl Window {
    /// Opens the window now.
    pub fn open(&self) {
        self.start.store(now_micros(), Ordering::Release);
    }

    /// Closes the window now.
    pub fn close(&self) {
        self.end.store(now_micros(), Ordering::Release);
    }

    /// Milliseconds from the window's opening to `t` (µs since the epoch); 0 before it opened.
    pub fn offset_ms(&self, t: u64) -> u32 {
        let start = self.start.load(Ordering::Acquire);
        u32::try_from(t.saturating_sub(start) / 1000).unwrap_or(u32::MAX)
    }

    /// Whether `t` (µs since the epoch) lies inside the window.
    pub fn contains(&self, t: u64) -> bool {
        t >= self.start.load(Ordering::Acquire) && t < self.end.load(Ordering::Acquire)
    }
}

/// How a client connects and what it asks for.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    /// The `/ws` URL.
    pub url: Url,
    /// Frames sent right after the handshake (features, subscribe).
    pub hello: Vec<String>,
    /// Bytes read from the socket at a time.
    pub read_buffer: usize,
    /// Longest a connection attempt may take.
    pub connect_timeout: Duration,
}

impl ClientSpec {
    /// A spec subscribing to `topics`, opting into deltas first if asked.
    pub fn new(
        url: Url,
        topics: &[String],
        deltas: bool,
        read_buffer: usize,
        connect_timeout: Duration,
    ) -> Self {
        let mut hello = Vec::new();
        if deltas {
            hello.push(r#"{"type":"features","deltas":true}"#.to_string());
        }
        let list = serde_json::to_string(topics).unwrap_or_else(|_| "[]".into());
        hello.push(format!(r#"{{"type":"subscribe","subscriptions":{list}}}"#));
        Self {
            url,
            hello,
            read_buffer,
            connect_timeout,
        }
    }
}

/// Connects, completes the handshake and sends the hello frames. `rcvbuf` sets SO_RCVBUF before connecting.
pub async fn connect(spec: &ClientSpec, rcvbuf: Option<u32>) -> Result<Ws, String> {
    let attempt = async {
        let host = spec.url.host_str().unwrap_or("127.0.0.1");
        let port = spec.url.port_or_known_default().unwrap_or(80);
        let addr = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("resolve: {e}"))?
            .find(|a| a.ip().is_loopback())
            .ok_or_else(|| "resolve: no loopback address".to_string())?;
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(|e| format!("socket: {e}"))?;
        if let Some(size) = rcvbuf {
            socket
                .set_recv_buffer_size(size)
                .map_err(|e| format!("SO_RCVBUF: {e}"))?;
        }
        let tcp = socket
            .connect(addr)
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let _ = tcp.set_nodelay(true);
        let mut ws = Ws::handshake(tcp, &spec.url, spec.read_buffer)
            .await
            .map_err(|e| short_error(&e))?;
        for text in &spec.hello {
            ws.send_text(text)
                .await
                .map_err(|e| format!("send hello: {}", e.kind()))?;
        }
        Ok(ws)
    };
    tokio::time::timeout(spec.connect_timeout, attempt)
        .await
        .unwrap_or_else(|_| Err("timeout".to_string()))
}

/// Keeps failure reasons groupable: drops details after the first line and caps the length.
fn short_error(e: &str) -> String {
    e.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
}

/// What one live client saw inside the window.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Frames of any kind.
    pub messages: u64,
    /// Payload bytes of those frames.
    pub bytes: u64,
    /// `realtime_update` frames.
    pub updates: u64,
    /// Payload bytes of `realtime_update` frames.
    pub update_bytes: u64,
    /// tick→client latency of each `realtime_update`, with its receive time.
    pub latencies: Vec<Sample>,
    /// Samples where the receive time preceded the frame's timestamp (clamped to 0).
    pub negative: u64,
    /// Ticks never received (gaps in `tick` numbers): the server coalesced them.
    pub ticks_skipped: u64,
    /// Why the client stopped before the run ended, if it did.
    pub ended_early: Option<String>,
    /// The last `realtime_update` text (kept only when asked).
    pub last_update: Option<String>,
}

/// Reads until `cancel`, recording what arrives inside `window`; then closes politely.
pub async fn run_live(
    mut ws: Ws,
    window: Arc<Window>,
    cancel: CancellationToken,
    keep_frame: bool,
) -> ClientStats {
    let mut stats = ClientStats::default();
    let mut last_tick: Option<u64> = None;
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => {
                ws.close(Duration::from_secs(2)).await;
                return stats;
            }
            event = ws.next() => event,
        };
        let now = now_micros();
        let text = match event {
            Ok(Event::Text(t)) => t,
            Ok(Event::Binary(len)) => {
                if window.contains(now) {
                    stats.messages += 1;
                    stats.bytes += len as u64;
                }
                continue;
            }
            Ok(Event::Close(frame)) => {
                stats.ended_early = Some(match frame {
                    Some((code, reason)) => format!("closed by server: {code} {reason}"),
                    None => "closed by server".into(),
                });
                return stats;
            }
            Err(e) => {
                stats.ended_early = Some(short_error(&e));
                return stats;
            }
        };
        let Some(header) = frame::realtime_header(text) else {
            if window.contains(now) {
                stats.messages += 1;
                stats.bytes += text.len() as u64;
            }
            continue;
        };
        if let (Some(prev), Some(tick)) = (last_tick, header.tick)
            && window.contains(now)
        {
            stats.ticks_skipped += tick.saturating_sub(prev + 1);
        }
        if header.tick.is_some() {
            last_tick = header.tick;
        }
        if keep_frame {
            stats.last_update = Some(text.to_owned());
        }
        if !window.contains(now) {
            continue;
        }
        stats.messages += 1;
        stats.bytes += text.len() as u64;
        stats.updates += 1;
        stats.update_bytes += text.len() as u64;
        let sent_us = u64::try_from(header.timestamp_ms)
            .unwrap_or(0)
            .saturating_mul(1000);
        if now < sent_us {
            stats.negative += 1;
        }
        stats.latencies.push(Sample {
            at_ms: window.offset_ms(now),
            latency_us: u32::try_from(now.saturating_sub(sent_us)).unwrap_or(u32::MAX),
        });
    }
}

/// Holds a stalled client's socket without ever polling it, until `cancel`.
pub async fn hold_stalled(ws: Ws, cancel: CancellationToken) {
    cancel.cancelled().await;
    drop(ws);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_contains_only_between_open_and_close() {
        let w = Window::default();
        assert!(!w.contains(now_micros()), "closed until opened");
        w.open();
        let inside = now_micros();
        assert!(w.contains(inside));
        assert!(w.offset_ms(inside + 5_000) >= 5);
        w.close();
        assert!(!w.contains(now_micros() + 1));
    }

    #[test]
    fn hello_frames_opt_in_before_subscribing() {
        let url = Url::parse("ws://127.0.0.1:1/ws").unwrap_or_else(|_| unreachable!());
        let spec = ClientSpec::new(url, &["metrics".into()], true, 4096, Duration::from_secs(1));
        assert_eq!(spec.hello[0], r#"{"type":"features","deltas":true}"#);
        assert_eq!(
            spec.hello[1],
            r#"{"type":"subscribe","subscriptions":["metrics"]}"#
        );
        assert_eq!(spec.read_buffer, 4096);
    }
}
