//! Ground truth for `session_event`s: the soak itself creates and deletes sessions through kato-sim's HTTP API
//! (as KATO's clients do; a quarter of the deletes through the dashboard's admin API), remembering what it asked
//! and when, and whether the answer makes the outcome certain. Afterwards every `session_event` of the event log
//! must match something the soak did (or a TTL that ran out), each session must go created → destroyed at most
//! once, and the sessions the log leaves alive must be exactly those in Redis and in the dashboard's list.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use tokio::time::Instant;

/// The dashboard's `ADMIN_TOKEN` in the soak.
pub const ADMIN_TOKEN: &str = "soak-admin-token-0123";
/// A session missing from a scan counts as expired this close to its expiry (the registry's slack) plus a second.
const EXPIRY_SLACK_SECONDS: i64 = 4;

/// What the soak did to one session it knows the id of.
#[derive(Debug)]
struct Known {
    requested_at: DateTime<Utc>,
    ttl: u64,
    /// Delete requests that may have taken effect (answered 200/404, or with an unknown outcome).
    deletes: Vec<DateTime<Utc>>,
    /// A delete certainly took effect (or the session was certainly gone).
    gone: bool,
}

/// Counts of the soak's own requests.
#[derive(Debug, Default, Clone)]
pub struct Ops {
    pub creates_ok: u64,
    pub creates_refused: u64,
    pub creates_unknown: u64,
    pub deletes_ok: u64,
    pub deletes_refused: u64,
    pub deletes_unknown: u64,
    pub deletes_via_dashboard: u64,
    pub short_ttl: u64,
}

/// What the soak did.
#[derive(Debug, Default)]
pub struct Truth {
    known: HashMap<String, Known>,
    /// node_id → when, of creates whose outcome is unknown (a session may exist without the soak knowing its id).
    unknown_creates: HashMap<String, DateTime<Utc>>,
    pub ops: Ops,
}

enum Outcome {
    Ok(Value),
    NotFound,
    /// Certainly not done: the connection was refused.
    Refused,
    /// Maybe done.
    Unknown,
}

async fn call(request: reqwest::RequestBuilder) -> Outcome {
    match request.send().await {
        Ok(r) if r.status().is_success() => Outcome::Ok(r.json().await.unwrap_or(Value::Null)),
        Ok(r) if r.status().as_u16() == 404 => Outcome::NotFound,
        Ok(_) => Outcome::Unknown,
        Err(e) if e.is_connect() => Outcome::Refused,
        Err(_) => Outcome::Unknown,
    }
}

/// Creates and deletes sessions at random until `deadline` (short TTLs only while they can still run out before
/// the soak ends).
pub async fn drive(kato_url: String, dash_url: String, seed: u64, deadline: Instant) -> Truth {
    let mut rng = StdRng::seed_from_u64(seed);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .pool_max_idle_per_host(0)
        .build()
        .expect("HTTP client");
    let mut truth = Truth::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(rng.random_range(80..400))).await;
        let now = Utc::now();
        let live: Vec<String> = truth
            .known
            .iter()
            .filter(|(_, k)| {
                !k.gone && k.requested_at + chrono::Duration::seconds(k.ttl as i64 - 2) > now
            })
            .map(|(id, _)| id.clone())
            .collect();
        if live.len() < 15 || (live.len() < 60 && rng.random_bool(0.55)) {
            n += 1;
            let node = format!("soak-{n}");
            let short = deadline.saturating_duration_since(Instant::now())
                > Duration::from_secs(30)
                && rng.random_bool(0.2);
            let ttl = if short {
                rng.random_range(6..=20)
            } else {
                3600
            };
            let body = json!({"node_id": node, "ttl_seconds": ttl, "metadata": {"soak": true}});
            match call(http.post(format!("{kato_url}/sessions")).json(&body)).await {
                Outcome::Ok(v) => match v["session_id"].as_str() {
                    Some(id) => {
                        truth.ops.creates_ok += 1;
                        truth.ops.short_ttl += u64::from(short);
                        let known = Known {
                            requested_at: now,
                            ttl,
                            deletes: Vec::new(),
                            gone: false,
                        };
                        truth.known.insert(id.to_owned(), known);
                    }
                    None => {
                        truth.ops.creates_unknown += 1;
                        truth.unknown_creates.insert(node, now);
                    }
                },
                Outcome::Refused => truth.ops.creates_refused += 1,
                Outcome::NotFound | Outcome::Unknown => {
                    truth.ops.creates_unknown += 1;
                    truth.unknown_creates.insert(node, now);
                }
            }
        } else {
            let id = &live[rng.random_range(0..live.len())];
            let via_dashboard = rng.random_bool(0.25);
            let request = if via_dashboard {
                http.delete(format!("{dash_url}/api/v1/sessions/{id}"))
                    .bearer_auth(ADMIN_TOKEN)
            } else {
                http.delete(format!("{kato_url}/sessions/{id}"))
            };
            let outcome = call(request).await;
            let Some(k) = truth.known.get_mut(id) else {
                continue;
            };
            match outcome {
                Outcome::Ok(_) | Outcome::NotFound => {
                    truth.ops.deletes_ok += 1;
                    truth.ops.deletes_via_dashboard += u64::from(via_dashboard);
                    k.deletes.push(now);
                    k.gone = true;
                }
                Outcome::Refused => truth.ops.deletes_refused += 1,
                Outcome::Unknown => {
                    truth.ops.deletes_unknown += 1;
                    k.deletes.push(now);
                }
            }
        }
    }
    truth
}

/// What the event log says about sessions.
#[derive(Debug, Default)]
pub struct Verdict {
    pub created: u64,
    pub destroyed: u64,
    /// `reason/source` → count.
    pub kinds: BTreeMap<String, u64>,
    /// Created events of sessions whose create had an unknown outcome (allowed).
    pub from_unknown_creates: u64,
    /// Events nothing the soak did explains, or out of order for their session.
    pub spurious: Vec<String>,
    /// Differences between the sessions the log leaves alive, Redis and the dashboard's list.
    pub final_mismatch: Vec<String>,
    /// Sessions alive at the end (per Redis).
    pub alive_at_end: usize,
}

/// Checks the `session_events` log against what the soak did and what Redis and the dashboard hold at the end.
pub fn check(
    truth: &Truth,
    log: &BTreeMap<u64, Arc<str>>,
    redis_ids: &BTreeSet<String>,
    dash_ids: &BTreeSet<String>,
) -> Verdict {
    let mut v = Verdict::default();
    // session id → alive per the log (true after created, false after destroyed).
    let mut state: HashMap<String, bool> = HashMap::new();
    for (seq, text) in log {
        let e: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let kind = e["event_type"].as_str().unwrap_or("?");
        let id = e["data"]["session_id"].as_str().unwrap_or("?").to_owned();
        let node = e["data"]["node_id"].as_str().unwrap_or("");
        let reason = e["data"]["reason"].as_str().unwrap_or("");
        let source = e["data"]["source"].as_str().unwrap_or("?");
        let at = e["timestamp"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        let Some(at) = at else {
            v.spurious.push(format!("#{seq}: no timestamp: {text}"));
            continue;
        };
        let known = truth.known.get(&id);
        let mut bad = |why: &str| {
            v.spurious.push(format!(
                "#{seq} {kind} {id} ({node}, {reason}/{source}, {at}): {why}"
            ))
        };
        match kind {
            "session_created" => {
                v.created += 1;
                *v.kinds.entry(format!("created/{source}")).or_default() += 1;
                match state.get(&id) {
                    Some(true) => bad("created again while alive (duplicate)"),
                    Some(false) => bad("created again after it was destroyed (resurrected)"),
                    None => {}
                }
                state.insert(id.clone(), true);
                match known {
                    Some(k) if at + chrono::Duration::seconds(1) >= k.requested_at => {}
                    Some(_) => bad("created before the soak asked for it"),
                    None if truth.unknown_creates.contains_key(node) => v.from_unknown_creates += 1,
                    None => bad("a session the soak never created"),
                }
            }
            "session_destroyed" => {
                v.destroyed += 1;
                *v.kinds
                    .entry(format!("destroyed/{reason}/{source}"))
                    .or_default() += 1;
                match state.get(&id) {
                    Some(true) => {}
                    Some(false) => bad("destroyed twice (duplicate)"),
                    None => bad("destroyed without having been created"),
                }
                state.insert(id.clone(), false);
                let deleted = known.is_some_and(|k| {
                    k.deletes
                        .iter()
                        .any(|d| *d <= at + chrono::Duration::seconds(1))
                });
                let expired = known.is_some_and(|k| {
                    at + chrono::Duration::seconds(EXPIRY_SLACK_SECONDS)
                        >= k.requested_at + chrono::Duration::seconds(k.ttl as i64)
                });
                let from_unknown = known.is_none() && truth.unknown_creates.contains_key(node);
                if !(deleted || expired || from_unknown) {
                    bad("nothing deleted it and its TTL had not run out (spurious)");
                }
            }
            other => bad(&format!("unknown event type {other}")),
        }
    }
    let alive: BTreeSet<String> = state
        .into_iter()
        .filter_map(|(id, alive)| alive.then_some(id))
        .collect();
    v.alive_at_end = redis_ids.len();
    let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    for (what, ids) in [
        (
            "alive per the events but not in Redis",
            diff(&alive, redis_ids),
        ),
        (
            "in Redis but not alive per the events",
            diff(redis_ids, &alive),
        ),
        (
            "in Redis but not in the dashboard's list",
            diff(redis_ids, dash_ids),
        ),
        (
            "in the dashboard's list but not in Redis",
            diff(dash_ids, redis_ids),
        ),
    ] {
        if !ids.is_empty() {
            v.final_mismatch
                .push(format!("{} {what}: {ids:?}", ids.len()));
        }
    }
    v
}

/// The session ids in Redis (`SCAN kato:session:*`, without index and lock keys).
pub async fn redis_ids(url: &str) -> Result<BTreeSet<String>, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let mut ids = BTreeSet::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("kato:session:*")
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        for key in keys {
            if let Some(rest) = key.strip_prefix("kato:session:")
                && !rest.is_empty()
                && !rest.starts_with('_')
                && !rest.starts_with("node:")
            {
                ids.insert(rest.to_owned());
            }
        }
        cursor = next;
        if cursor == 0 {
            return Ok(ids);
        }
    }
}

/// The session ids in the dashboard's list (`GET /api/v1/sessions`, every page), and where it says they came from.
pub async fn dashboard_ids(
    http: &reqwest::Client,
    dash_url: &str,
) -> Result<(BTreeSet<String>, String), String> {
    let mut ids = BTreeSet::new();
    let mut skip = 0;
    loop {
        let url = format!("{dash_url}/api/v1/sessions?limit=200&skip={skip}");
        let body: Value = http
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let page = body["sessions"].as_array().cloned().unwrap_or_default();
        for s in &page {
            if let Some(id) = s["session_id"].as_str() {
                ids.insert(id.to_owned());
            }
        }
        skip += page.len();
        if page.is_empty() || skip as u64 >= body["total"].as_u64().unwrap_or(0) {
            return Ok((ids, body["source"].as_str().unwrap_or("?").to_owned()));
        }
    }
}
