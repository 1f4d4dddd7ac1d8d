//! # kato-dashboard-sim — a KATO simulator
//!
//! Serves the same REST paths and `/ws/events` WebSocket as the real KATO service, in two
//! flavours, with living behaviour and scripted incidents, so that the dashboard's demo and
//! tests have a realistic upstream. Every answer is checked against responses recorded from the
//! real KATO (`tests/contract.rs`, fixtures in `tests/fixtures/kato`).
//!
//! It depends on no other workspace crate: it builds its JSON itself, so it stays an
//! independent stand-in for the real service.
//!
//! ## Flavours
//! * [`Flavour::V1`] — commit d1391ac, `version "1.0.0"`, `databases.mongodb`, fixed session
//!   TTL, exact `/sessions/count`; `/sessions/{id}/exists` is 404 `{"detail":"Not Found"}`.
//! * [`Flavour::V3`] — commit c584167 (v3.10.1): `databases.clickhouse`, `null` optional fields,
//!   `/sessions/{id}/exists` (+ `/config`, `/percept-data`, `/cognition-data`,
//!   `/finalize-training`, `/symbols/stats`), sliding TTL on every session access, `/metrics`
//!   and `/sessions/count` cached 5 s per worker, and the active-index drift: the count comes
//!   from the Redis SET `kato:session:_active_index`, which only a successful DELETE shrinks,
//!   so sessions that expire by TTL stay counted forever.
//!
//! Both: sessions are Redis STRING keys `kato:session:<session_id>` holding the session JSON
//! (Python `json.dumps` form) with a TTL, in a real Redis (`redis_url`) or in memory with the
//! same semantics; ids `session-<32 hex>-<epoch ms>`; REST times end in `Z`, event times in
//! `+00:00`, the snapshot's is naive local time; error bodies as FastAPI's defaults
//! (`{"detail":…}`, the session middleware's `{"error":{"code":"SESSION_NOT_FOUND",…}}`, 422
//! validation lists); `performance.error_rate` is always 0.0 while every answer ≥ 400 goes into
//! `kato_requests_failed` and the `/stats` series `kato_request_duration_seconds` (labels carry
//! `status`). Request counters, uptime, processors, `/status.sessions` locks and WebSocket
//! clients are per simulated worker process (`workers`, default 1; each TCP connection is
//! served by one worker, round robin).
//!
//! ## Library API
//! ```no_run
//! use std::time::Duration;
//! use kato_dashboard_sim::{Flavour, Sim, SimConfig};
//!
//! # async fn demo() -> Result<(), kato_dashboard_sim::SimError> {
//! let sim = Sim::start(SimConfig::idle(Flavour::V3), "127.0.0.1:0".parse().unwrap()).await?;
//! let base = sim.base_url(); // http://127.0.0.1:PORT, ws at sim.ws_url()
//! let id = sim.create_session("node-a", Some(60)).await?; // same as POST /sessions
//! assert!(sim.delete_session(&id).await?);                 // same as DELETE /sessions/{id}
//! sim.error_burst(Duration::from_secs(5), 0.5);            // ~half the requests fail (5xx/429)
//! sim.slow(Duration::from_secs(5), Duration::from_millis(300));
//! sim.refuse(Duration::from_secs(2));                      // connection refused, then back
//! sim.restart(Duration::from_secs(2));                     // counters/uptime reset, sockets dropped
//! sim.shutdown().await;
//! # let _ = base; Ok(()) }
//! ```
//! [`SimConfig`] fields: `flavour`, `redis_url`, `scenario`, `seed`, `traffic_rate`
//! (requests/s), `workers`, `pattern_cache` (`REDIS_ENABLED`; default off for v1, on for v3),
//! `restart_every`, `restart_downtime`, `max_requests` (uvicorn `--limit-max-requests`: the
//! server exits and restarts once a worker served more), `cache_ttl`, `service_name`,
//! `session_ttl_seconds`. A zero duration passed to `error_burst`/`slow` ends a running one.
//! `Sim` also offers `addr()`, `ws_url()`, `config()`, `is_accepting()`,
//! `session_exists(id)` / `session_ttl(id)` (store lookups that do not touch the TTL) and
//! `Sim::session_key(id)`.
//! Library calls go through the same router as HTTP requests (counted, evented, stored) and
//! fail with [`SimError::Down`] while the simulated process is down.
//!
//! ## Command line
//! `kato-sim --port N [--host 127.0.0.1] [--flavour v1|v3] [--redis-url URL]
//! [--scenario idle|steady|incidents|restart-loop] [--seed N] [--traffic-rate R] [--workers N]
//! [--pattern-cache true|false] [--restart-every SECS] [--downtime-ms MS] [--max-requests N]`.
//! Prints `kato-sim listening on http://127.0.0.1:PORT`, stops gracefully on SIGINT/SIGTERM.
//! Loopback addresses only.
//!
//! ## Scenarios
//! * `idle` — no background traffic, no incidents.
//! * `steady` (default) — background traffic at `traffic_rate`: sessions on four nodes are
//!   created, observed (coherent event sequences, emotives, sometimes vectors), queried
//!   (predictions, STM, exists/get), learned, deleted; some are created with a 15–60 s TTL and
//!   left to expire.
//! * `incidents` — `steady` plus a 90 s cycle: an error burst (12 s, 30 %), a slow period
//!   (10 s, +700 ms) and, every third cycle, a restart (`restart_downtime`).
//! * `restart-loop` — `steady` plus a restart every `restart_every` (KATO ≤ early 2026 exited
//!   every 10,000 requests).
//!
//! ## Control API (for tests and demos; a prefix real KATO does not use)
//! Not counted, never slowed or failed by incidents:
//! * `POST /_sim/incident` with `{"kind":"restart","downtime_ms":3000}`,
//!   `{"kind":"error_burst","duration_ms":10000,"fraction":0.5}`,
//!   `{"kind":"slow","duration_ms":10000,"latency_ms":800}` or
//!   `{"kind":"refuse","duration_ms":5000}` → 202 `{"status":"accepted","kind":…}`
//!   (400 `{"detail":…}` on bad input).
//! * `POST /_sim/sessions` `{"count":N,"node_id":"…","ttl_seconds":T}` (all optional) →
//!   `{"session_ids":[…]}`, each created exactly like `POST /sessions`.
//! * `GET /_sim/state` → flavour, version, scenario, store, `listener_down`, active incidents,
//!   per-worker uptime/requests/failures/processors/WebSocket clients.

mod config;
mod error;
mod ids;
mod incidents;
pub mod json;
mod kb;
mod listener;
mod metrics;
mod routes;
mod session;
mod sessions;
mod sim;
mod state;
mod store;
mod timefmt;
mod traffic;
mod waves;

pub use config::{Flavour, Scenario, SimConfig};
pub use error::SimError;
pub use session::{ACTIVE_INDEX, KEY_PREFIX};
pub use sim::Sim;
