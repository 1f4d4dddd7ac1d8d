//! Background traffic: a seeded client that drives the simulator's own router in-process (so
//! every request is counted, timed and can fail like any other), at a configurable rate.
//! It keeps a handful of sessions per node alive, observes coherent event sequences, learns,
//! predicts, reads STM, deletes sessions, and creates some short-TTL sessions that it never
//! touches again so they expire by TTL (no event, and v3's count drifts, as on real KATO).
//! Paused while the simulated process is down.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::Flavour;
use crate::json::Json;
use crate::obj;
use crate::state::AppState;

/// A node the generator talks to: its vocabulary (in a typical order) and two emotives.
struct Node {
    name: &'static str,
    story: &'static [&'static [&'static str]],
    emotives: [&'static str; 2],
}

const NODES: &[Node] = &[
    Node {
        name: "sensor-alpha",
        story: &[
            &["temp:normal", "vib:none"],
            &["temp:high", "vib:mild"],
            &["pressure:rising"],
            &["alarm:overheat", "temp:high"],
        ],
        emotives: ["risk", "efficiency"],
    },
    Node {
        name: "chat-bot",
        story: &[
            &["greet"],
            &["ask:refund"],
            &["entity:order", "provide:order_id"],
            &["confirm"],
            &["thanks"],
        ],
        emotives: ["satisfaction", "frustration"],
    },
    Node {
        name: "vision-1",
        story: &[
            &["light:day", "scene:street"],
            &["obj:car"],
            &["obj:car", "obj:person"],
            &["obj:bike"],
        ],
        emotives: ["confidence", "novelty"],
    },
    Node {
        name: "planner",
        story: &[
            &["goal:reach"],
            &["step:pick"],
            &["step:move", "obstacle"],
            &["step:place"],
        ],
        emotives: ["utility", "cost"],
    },
];

struct Live {
    id: String,
    node: usize,
    step: usize,
}

/// The generator's memory of the sessions it keeps alive.
struct Generator {
    app: AppState,
    router: Router,
    rng: StdRng,
    live: Vec<Live>,
}

impl Generator {
    async fn call(&self, method: Method, path: &str, body: Option<Json>) -> (u16, Json) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_compact())));
        let Ok(request) = request else {
            return (0, Json::Null);
        };
        match self.router.clone().oneshot(request).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let bytes = axum::body::to_bytes(resp.into_body(), 4 << 20)
                    .await
                    .unwrap_or_default();
                (status, Json::parse(&bytes).unwrap_or(Json::Null))
            }
            Err(never) => match never {},
        }
    }

    async fn create(&mut self, short_ttl: bool) {
        let node = self.rng.random_range(0..NODES.len());
        let mut body = obj! {
            "node_id" => NODES[node].name,
            "metadata" => obj! { "client" => "kato-sim-traffic", "seq" => self.rng.random_range(1000..9999) },
        };
        if short_ttl {
            body.set("ttl_seconds", self.rng.random_range(15..60));
        } else if self.rng.random_bool(0.3) {
            body.set("ttl_seconds", 600);
        }
        let (status, resp) = self.call(Method::POST, "/sessions", Some(body)).await;
        let id = resp
            .get("session_id")
            .and_then(Json::as_str)
            .map(str::to_string);
        if let (200, Some(id), false) = (status, id, short_ttl) {
            self.live.push(Live { id, node, step: 0 });
        }
    }

    async fn observe(&mut self, i: usize) {
        let node = &NODES[self.live[i].node];
        let step = self.live[i].step % node.story.len();
        self.live[i].step += 1;
        let mut strings: Vec<Json> = node.story[step].iter().map(|s| Json::from(*s)).collect();
        if self.rng.random_bool(0.15) {
            strings.push(Json::from(format!("noise:{}", self.rng.random_range(0..5))));
        }
        let mut body = obj! {
            "strings" => Json::Arr(strings),
            "emotives" => obj! {
                node.emotives[0] => (self.rng.random_range(0.0..1.0_f64) * 100.0).round() / 100.0,
                node.emotives[1] => (self.rng.random_range(-0.5..0.5_f64) * 100.0).round() / 100.0,
            },
        };
        if self.rng.random_bool(0.2) {
            let v: Vec<Json> = (0..8)
                .map(|_| Json::Float((self.rng.random_range(-1.0..1.0_f64) * 1e4).round() / 1e4))
                .collect();
            body.set("vectors", Json::Arr(vec![Json::Arr(v)]));
        }
        let path = format!("/sessions/{}/observe", self.live[i].id);
        self.session_call(i, Method::POST, &path, Some(body)).await;
    }

    /// A call on a tracked session; forgets the session if it is gone.
    async fn session_call(&mut self, i: usize, method: Method, path: &str, body: Option<Json>) {
        let (status, _) = self.call(method, path, body).await;
        if status == 404 && i < self.live.len() {
            self.live.swap_remove(i);
        }
    }

    async fn step(&mut self) {
        let roll: f64 = self.rng.random();
        if self.live.len() < 3 || (roll < 0.06 && self.live.len() < 12) {
            return self.create(false).await;
        }
        if roll < 0.09 {
            return self.create(true).await;
        }
        let i = self.rng.random_range(0..self.live.len());
        let id = self.live[i].id.clone();
        match roll {
            r if r < 0.55 => self.observe(i).await,
            r if r < 0.66 => {
                self.session_call(i, Method::GET, &format!("/sessions/{id}/predictions"), None)
                    .await
            }
            r if r < 0.74 => {
                self.session_call(i, Method::GET, &format!("/sessions/{id}/stm"), None)
                    .await
            }
            r if r < 0.80 => {
                self.session_call(i, Method::POST, &format!("/sessions/{id}/learn"), None)
                    .await
            }
            r if r < 0.86 => {
                let path = if self.app.config.flavour == Flavour::V3 {
                    format!("/sessions/{id}/exists")
                } else {
                    format!("/sessions/{id}")
                };
                self.session_call(i, Method::GET, &path, None).await;
            }
            r if r < 0.90 => {
                if self.live.len() > 3 {
                    self.call(Method::DELETE, &format!("/sessions/{id}"), None)
                        .await;
                    self.live.swap_remove(i);
                }
            }
            _ => {
                self.call(Method::GET, "/sessions/count", None).await;
            }
        }
    }
}

/// Runs the generator until `stop` is cancelled.
pub(crate) async fn run(app: AppState, router: Router, stop: CancellationToken) {
    let interval = Duration::from_secs_f64(1.0 / app.config.traffic_rate);
    let rng = StdRng::seed_from_u64(app.config.seed ^ 0x0074_7261_6666_6963);
    let mut generator = Generator {
        app,
        router,
        rng,
        live: Vec::new(),
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if generator.app.listener.is_down() {
            continue;
        }
        generator.step().await;
    }
}
