//! The soak's `/ws` clients. Each subscribes to every event topic (and some state topics), resumes with the last
//! `seq` it holds without a hole, reads for a random while, and leaves abruptly (TCP reset), silently (FIN, no
//! close frame) or politely; some send bad frames, some stay away long enough for the replay buffer to forget
//! them. Per topic a client keeps `mark` (every seq up to it received, or declared gone by a `resync`) and the
//! seqs it holds above it: a seq received twice on the way is a duplicate, a seq never received and never
//! covered by a `resync` is a gap (see [`super::tracking`]).

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use tokio::{net::TcpStream, time::Instant};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

/// The event topics, in the order of every per-topic array here.
pub const TOPICS: [&str; 3] = ["session_events", "system_alerts", "kato_events"];
const STATE_TOPICS: [&str; 3] = ["metrics", "containers", "sessions"];

use super::tracking::{EventLog, Received, Stats, Track};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One client.
pub struct Client {
    pub id: usize,
    /// Stays connected for the whole soak (the observer), unless the server drops it.
    steady: bool,
    rng: StdRng,
    pub tracks: [Track; 3],
    pub stats: Stats,
    log: Arc<Mutex<EventLog>>,
    conn_no: u64,
    /// (topic, seq) of this connection's first events, for evidence.
    this_conn: Vec<(usize, u64)>,
    /// Every (topic, seq) this connection received.
    seen_here: BTreeSet<(usize, u64)>,
    /// The `last_seq`s this connection resumed with.
    resumed_with: [u64; 3],
}

enum Ending {
    Reset,
    Silent,
    Polite,
}

impl Client {
    pub fn new(id: usize, seed: u64, steady: bool, log: Arc<Mutex<EventLog>>) -> Client {
        Client {
            id,
            steady,
            rng: StdRng::seed_from_u64(seed),
            tracks: Default::default(),
            stats: Stats::default(),
            log,
            conn_no: 0,
            this_conn: Vec::new(),
            seen_here: BTreeSet::new(),
            resumed_with: [0; 3],
        }
    }

    /// Connects, reads and drops until `deadline`.
    pub async fn soak(mut self, url: String, deadline: Instant) -> Client {
        while Instant::now() < deadline {
            let lifetime = if self.steady {
                deadline.saturating_duration_since(Instant::now())
            } else {
                Duration::from_millis(self.rng.random_range(200..6000))
            };
            self.connection(&url, lifetime, deadline, false).await;
            let pause = if self.steady {
                Duration::from_millis(100)
            } else if self.rng.random_bool(0.05) {
                // Long enough for the replay buffer to forget what this client missed: it must get a resync.
                Duration::from_secs(self.rng.random_range(15..40))
            } else {
                Duration::from_millis(self.rng.random_range(0..800))
            };
            tokio::time::sleep_until((Instant::now() + pause).min(deadline)).await;
        }
        self
    }

    /// One last connection after the soak: resumes and reads until nothing came for `quiet`.
    pub async fn catch_up(mut self, url: String, quiet: Duration) -> Client {
        let until = Instant::now() + Duration::from_secs(30);
        self.connection(&url, quiet, until, true).await;
        self
    }

    async fn connection(&mut self, url: &str, lifetime: Duration, deadline: Instant, last: bool) {
        let mut ws = match tokio::time::timeout(Duration::from_secs(5), connect_async(url)).await {
            Ok(Ok((ws, _))) => ws,
            _ => {
                self.stats.connect_failures += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                return;
            }
        };
        self.stats.connects += 1;
        self.conn_no += 1;
        self.this_conn.clear();
        self.seen_here.clear();
        let mut subs: Vec<&str> = TOPICS.to_vec();
        if !last {
            subs.extend(STATE_TOPICS.iter().filter(|_| self.rng.random_bool(0.5)));
        }
        let mut resume = serde_json::Map::new();
        for (i, t) in self.tracks.iter_mut().enumerate() {
            let mark = t.resuming();
            resume.insert(TOPICS[i].into(), json!(mark));
            self.resumed_with[i] = mark;
        }
        if self.tracks.iter().any(|t| t.mark > 0) {
            self.stats.resumes += 1;
        }
        let hello = [
            json!({"type": "subscribe", "subscriptions": subs}),
            json!({"type": "resume", "last_seq": resume}),
        ];
        for msg in hello {
            if ws.send(Message::text(msg.to_string())).await.is_err() {
                self.stats.ended_by_server += 1;
                return;
            }
        }
        let end_at = if last {
            deadline
        } else {
            (Instant::now() + lifetime).min(deadline)
        };
        let mut bad_at = (!self.steady && !last && self.rng.random_bool(0.15))
            .then(|| Instant::now() + lifetime.mul_f64(self.rng.random_range(0.0..1.0)));
        let mut sent_too_large = false;
        let mut quiet_until = Instant::now() + lifetime;
        loop {
            let wake = if last {
                quiet_until.min(end_at)
            } else {
                end_at
            };
            let wake = bad_at.map_or(wake, |b| b.min(wake));
            let msg = match tokio::time::timeout_at(wake, ws.next()).await {
                Err(_) => {
                    if let Some(at) = bad_at
                        && Instant::now() >= at
                    {
                        bad_at = None;
                        sent_too_large = self.send_bad(&mut ws).await;
                        continue;
                    }
                    break;
                }
                Ok(None) | Ok(Some(Err(_))) => {
                    if !sent_too_large {
                        self.stats.ended_by_server += 1;
                    }
                    return;
                }
                Ok(Some(Ok(msg))) => msg,
            };
            match msg {
                // An event or a resync: the last connection waits for quiet anew.
                Message::Text(text) if self.on_text(&text) => {
                    quiet_until = Instant::now() + lifetime;
                }
                Message::Close(frame) => {
                    let code = frame.map(|f| u16::from(f.code));
                    if code == Some(1009) && sent_too_large {
                        self.stats.too_large_closes += 1;
                    } else {
                        self.stats.ended_by_server += 1;
                    }
                    return;
                }
                _ => {}
            }
        }
        let ending = if last {
            Ending::Polite
        } else {
            match self.rng.random_range(0..10) {
                0..4 => Ending::Reset,
                4..7 => Ending::Silent,
                _ => Ending::Polite,
            }
        };
        match ending {
            Ending::Reset => {
                self.stats.resets += 1;
                if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                    let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
                }
                drop(ws);
            }
            Ending::Silent => {
                self.stats.silent_drops += 1;
                drop(ws);
            }
            Ending::Polite => {
                self.stats.polite_closes += 1;
                let _ = ws.close(None).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    while let Some(Ok(_)) = ws.next().await {}
                })
                .await;
            }
        }
    }

    /// Sends one bad frame; returns whether it was the one that closes the socket (over 16 KiB).
    async fn send_bad(&mut self, ws: &mut Ws) -> bool {
        self.stats.bad_frames += 1;
        let (msg, too_large) = match self.rng.random_range(0..6) {
            0 => (Message::text("{not json"), false),
            1 => (Message::text(r#"{"type":"no_such_type"}"#), false),
            2 => (Message::binary(vec![0u8, 159, 146, 150]), false),
            3 => (
                Message::text(r#"{"type":"subscribe","subscriptions":"metrics"}"#),
                false,
            ),
            4 => (
                Message::text(r#"{"type":"resume","last_seq":{"metrics":-1}}"#),
                false,
            ),
            _ => (Message::text("x".repeat(17 * 1024)), true),
        };
        let _ = ws.send(msg).await;
        too_large
    }

    /// Handles one text frame; returns whether it was an event or a resync.
    fn on_text(&mut self, text: &str) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return false;
        };
        let kind = v["type"].as_str().unwrap_or("");
        let topic = match kind {
            "session_event" => 0,
            "system_alert" if v["snapshot"] != true && v["seq"].as_u64().unwrap_or(0) > 0 => 1,
            "alert_update" => 1,
            "kato_event" => 2,
            "resync" => {
                let Some(i) = TOPICS.iter().position(|t| v["topic"] == *t) else {
                    return false;
                };
                let reason = v["reason"].as_str().unwrap_or("?").to_owned();
                *self.stats.resyncs.entry(reason).or_default() += 1;
                self.tracks[i].resync(v["from_seq"].as_u64().unwrap_or(0));
                return true;
            }
            "error" => {
                self.stats.error_replies += 1;
                return false;
            }
            _ => return false,
        };
        let Some(seq) = v["seq"].as_u64() else {
            return false;
        };
        self.stats.events += 1;
        if let Ok(mut log) = self.log.lock() {
            log.record(topic, seq, text);
        }
        let duplicate = match self.tracks[topic].receive(seq) {
            Received::New => false,
            Received::Duplicate => true,
            Received::Stale => {
                self.stats.stale += 1;
                false
            }
        };
        let first_here = self.seen_here.insert((topic, seq));
        if duplicate {
            self.stats.duplicates += 1;
            self.stats.duplicates_same_connection += u64::from(!first_here);
            if self.stats.evidence.len() < 4 {
                let marks: Vec<u64> = self.resumed_with.to_vec();
                self.stats.evidence.push(format!(
                    "client {} connection {} (resumed with {marks:?}) got {} #{seq} twice{}; this connection's events so far (topic index, seq): {:?}",
                    self.id,
                    self.conn_no,
                    TOPICS[topic],
                    if first_here { "" } else { ", both times on this connection" },
                    self.this_conn
                ));
            }
        }
        if self.this_conn.len() < 40 {
            self.this_conn.push((topic, seq));
        }
        true
    }
}
