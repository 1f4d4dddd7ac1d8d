//! Replays one recorded folder against a fresh simulator and collects every difference.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{Flavour, Sim, SimConfig};

use crate::common::{self, compare, fixtures_dir, http, read_json, wait_for};
use crate::recording::{
    Call, Transcript, WsAction, events_file, ids_in, json_frames, load_calls, load_transcript,
    recorded_creates,
};
use crate::ws::{WsClient, compare_ws, perform};

/// Recorded TTLs up to this are "short" and replayed as [`SHORT_TTL`] seconds.
const SHORT_LIMIT: i64 = 60;
const SHORT_TTL: i64 = 3;

/// Recorded, but deliberately not kept in the fixtures (README: KATO's docstrings).
const NOT_KEPT: &[&str] = &["openapi.json"];

/// A folder of recorded runs and the simulator configuration that reproduces it.
pub struct Folder {
    pub name: &'static str,
    pub flavour: Flavour,
    pub pattern_cache: Option<bool>,
}

/// What a folder replay covered.
pub struct Coverage {
    pub compared: usize,
    pub status_only: usize,
}

struct Replay {
    dir: PathBuf,
    label: String,
    sim: Sim,
    client: reqwest::Client,
    /// Recorded session id → simulator session id.
    ids: HashMap<String, String>,
    /// Short-TTL sessions: simulator id, recorded expiry, already waited for.
    short: Vec<(String, DateTime<Utc>, bool)>,
    clients: HashMap<String, WsClient>,
    /// Pending transcript actions, latest first; closes are deferred to the end.
    actions: Vec<(DateTime<Utc>, WsAction)>,
    closes: Vec<WsAction>,
    failures: Vec<String>,
    covered: BTreeSet<String>,
    status_only: usize,
}

impl Replay {
    /// Runs the transcript actions recorded before `at` and waits for the short-TTL sessions
    /// the recording saw expire before `at`.
    async fn catch_up(&mut self, at: DateTime<Utc>) {
        while self.actions.last().is_some_and(|(t, _)| *t < at) {
            match self.actions.pop().map(|(_, a)| a) {
                Some(WsAction::Close(conn)) => self.closes.push(WsAction::Close(conn)),
                Some(action) => perform(&self.sim, &mut self.clients, action).await,
                None => {}
            }
        }
        for (id, _, done) in self.short.iter_mut().filter(|(_, e, d)| !d && *e < at) {
            let (sim, id) = (&self.sim, id.clone());
            wait_for(
                "a short-TTL session to expire",
                Duration::from_secs(15),
                || {
                    let id = id.clone();
                    async move { (!sim.session_exists(&id).await.unwrap()).then_some(()) }
                },
            )
            .await;
            *done = true;
        }
    }

    /// Sends `call` (ids mapped, short TTLs shortened); returns status, answer, short expiry.
    async fn send(&self, call: &Call) -> (u16, Json, Option<DateTime<Utc>>) {
        let mut path = call.path.clone();
        for id in ids_in(&call.path) {
            if let Some(sim_id) = self.ids.get(&id) {
                path = path.replace(&id, sim_id);
            }
        }
        let mut body = call.body.clone();
        let mut short_expiry = None;
        if let Some(b) = body.as_mut()
            && let Some(ttl) = b.get("ttl_seconds").and_then(Json::as_i64)
            && ttl <= SHORT_LIMIT
        {
            b.set("ttl_seconds", SHORT_TTL);
            short_expiry = Some(call.at + chrono::Duration::seconds(ttl));
        }
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.sim.base_url()));
        if let Some(b) = &body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_compact());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {} {path}: {e}", self.label, call.method));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let answer = Json::parse(text.as_bytes()).unwrap_or(Json::Str(text));
        (status, answer, short_expiry)
    }

    /// Compares one answer with its recording.
    fn check(&mut self, call: &Call, status: u16, answer: &Json) {
        let file = call.file.as_deref().unwrap_or("<no file>");
        let what = format!("{}/{file} ({} {})", self.label, call.method, call.path);
        if status != call.status {
            let body = answer.to_compact();
            self.failures.push(format!(
                "{what}: status {status}, recorded {}: {body}",
                call.status
            ));
        }
        match &call.file {
            Some(file) if self.dir.join(file).exists() => {
                let mut diffs = Vec::new();
                compare(&read_json(&self.dir.join(file)), answer, "$", &mut diffs);
                self.failures
                    .extend(diffs.into_iter().map(|d| format!("{what}: {d}")));
                self.covered.insert(file.clone());
            }
            Some(file) if NOT_KEPT.contains(&file.as_str()) => self.status_only += 1,
            Some(file) => self
                .failures
                .push(format!("{what}: fixture {file} is listed but missing")),
            None => self.status_only += 1,
        }
    }

    /// Waits for every recorded frame, compares them with the transcript and the
    /// `ws_events*.jsonl` files, then performs the deferred closes.
    async fn finish_ws(&mut self, transcript_frames: &HashMap<String, Vec<String>>) {
        for (conn, recorded) in transcript_frames {
            let Some(client) = self.clients.get(conn) else {
                self.failures
                    .push(format!("{}: WebSocket {conn} never connected", self.label));
                continue;
            };
            let have = client
                .frames_after(recorded.len())
                .await
                .unwrap_or_else(|have| {
                    self.failures.push(format!(
                        "{}: {conn} got {} frames, recorded {}: {have:#?}",
                        self.label,
                        have.len(),
                        recorded.len()
                    ));
                    have
                });
            let label = format!("{}/ws_transcript.jsonl {conn}", self.label);
            compare_ws(&label, recorded, &have, &mut self.failures);
            let name = if conn == "ws1" {
                "ws_events.jsonl"
            } else {
                "ws_events_conn2.jsonl"
            };
            let lines = events_file(&self.dir, name);
            assert_eq!(
                lines,
                json_frames(recorded),
                "{}: {name} vs transcript",
                self.label
            );
            let label = format!("{}/{name}", self.label);
            compare_ws(&label, &lines, &json_frames(&have), &mut self.failures);
            self.covered.insert(name.to_string());
            self.covered.insert("ws_transcript.jsonl".to_string());
        }
        let rest: Vec<WsAction> = std::mem::take(&mut self.actions)
            .into_iter()
            .rev()
            .map(|(_, a)| a)
            .collect();
        for action in std::mem::take(&mut self.closes).into_iter().chain(rest) {
            perform(&self.sim, &mut self.clients, action).await;
        }
    }

    /// Every JSON fixture file of the folder must have been compared.
    fn check_inventory(&mut self) {
        let present: BTreeSet<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") || n.ends_with(".jsonl"))
            .collect();
        for file in present.difference(&self.covered) {
            self.failures
                .push(format!("{}/{file}: fixture has no comparison", self.label));
        }
    }
}

/// Replays `folder`; panics with every difference found.
pub async fn replay(folder: Folder) -> Coverage {
    let dir = fixtures_dir().join(folder.name);
    let index = dir.join("_index.json");
    assert!(
        index.exists(),
        "no fixtures at {} (set KATO_FIXTURES_DIR)",
        dir.display()
    );
    let label = if folder.name == "." {
        "kato-fixtures"
    } else {
        folder.name
    }
    .to_string();
    let calls = load_calls(&dir);
    let creates = recorded_creates(&dir, &calls);
    let Transcript {
        mut actions,
        received,
    } = load_transcript(&dir);
    actions.reverse();
    let config = SimConfig {
        pattern_cache: folder.pattern_cache,
        ..SimConfig::idle(folder.flavour)
    };
    let sim = Sim::start(config, common::any_port()).await.unwrap();
    let mut r = Replay {
        dir,
        label,
        sim,
        client: http(),
        ids: HashMap::new(),
        short: Vec::new(),
        clients: HashMap::new(),
        actions,
        closes: Vec::new(),
        failures: Vec::new(),
        covered: BTreeSet::from(["_index.json".to_string()]),
        status_only: 0,
    };
    let mut answers = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        r.catch_up(call.at).await;
        let (status, answer, short_expiry) = r.send(call).await;
        r.check(call, status, &answer);
        if let Some(sim_id) = answer
            .get("session_id")
            .and_then(Json::as_str)
            .filter(|_| status == 200)
        {
            if let Some(recorded) = creates.get(&i) {
                r.ids.insert(recorded.clone(), sim_id.to_string());
            }
            if let Some(expiry) = short_expiry {
                r.short.push((sim_id.to_string(), expiry, false));
            }
        }
        answers.push(answer);
    }
    r.finish_ws(&received).await;
    if r.dir.join("timeline_after_ttl_expiry.json").exists() {
        let mut failures = std::mem::take(&mut r.failures);
        check_timeline(
            &r.dir,
            &r.label,
            folder.flavour,
            &calls,
            &answers,
            &mut failures,
        );
        r.failures = failures;
        r.covered
            .insert("timeline_after_ttl_expiry.json".to_string());
    }
    r.check_inventory();
    let Replay {
        sim,
        failures,
        covered,
        status_only,
        label,
        ..
    } = r;
    sim.shutdown().await;
    assert!(
        failures.is_empty(),
        "{} contract differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let compared = covered.len() - 1;
    eprintln!("{label}: {compared} fixture files compared, {status_only} calls status-only");
    Coverage {
        compared,
        status_only,
    }
}

/// The supplement timeline: count, `/status.sessions` and `/health` polled after two 20 s
/// sessions expired. Shapes must match, and the final count must too (v1 drops to 0; v3.10.1
/// keeps counting the expired sessions).
fn check_timeline(
    dir: &Path,
    label: &str,
    flavour: Flavour,
    calls: &[Call],
    answers: &[Json],
    failures: &mut Vec<String>,
) {
    let timeline = read_json(&dir.join("timeline_after_ttl_expiry.json"));
    let rounds = timeline.get("timeline").and_then(Json::as_array).unwrap();
    let first_poll = 1 + calls
        .iter()
        .position(|c| c.file.as_deref() == Some("metric_history_requests_failed.json"))
        .unwrap();
    let polls = &answers[first_poll..];
    assert_eq!(polls.len(), rounds.len() * 3, "{label}: timeline rounds");
    for (r, round) in rounds.iter().enumerate() {
        let (count, status, health) = (&polls[3 * r], &polls[3 * r + 1], &polls[3 * r + 2]);
        let mut sim_round = Json::object();
        sim_round.set("at", round.get("at").cloned().unwrap());
        sim_round.set("sessions_count", count.clone());
        sim_round.set(
            "status.sessions",
            status.get("sessions").cloned().unwrap_or_default(),
        );
        for key in ["active_sessions", "status", "issues"] {
            sim_round.set(
                &format!("health.{key}"),
                health.get(key).cloned().unwrap_or_default(),
            );
        }
        let mut diffs = Vec::new();
        compare(round, &sim_round, &format!("$.timeline[{r}]"), &mut diffs);
        failures.extend(
            diffs
                .into_iter()
                .map(|d| format!("{label}/timeline_after_ttl_expiry.json: {d}")),
        );
    }
    let count_of = |v: &Json| v.get("active_session_count").cloned();
    let recorded = rounds
        .last()
        .unwrap()
        .get("sessions_count")
        .and_then(count_of);
    let got = count_of(&polls[polls.len() - 3]);
    let expected = Json::Int(if flavour == Flavour::V1 { 0 } else { 2 });
    assert_eq!(recorded, Some(expected), "{label}: fixture timeline");
    if got != recorded {
        failures.push(format!(
            "{label}/timeline_after_ttl_expiry.json: final count {got:?}, recorded {recorded:?}"
        ));
    }
}
