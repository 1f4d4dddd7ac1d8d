//! Contract test: every request sequence recorded from the real KATO (`_index.json` of each
//! fixture folder) is replayed against the simulator of that flavour, and every answer must
//! have the recorded HTTP status and the recorded JSON shape (same keys in the same order, same
//! value kinds with int ≠ float, same list lengths except documented dynamic lists, same
//! timestamp formats). The `/ws/events` frames are compared with `ws_events*.jsonl` (shape,
//! order, and Python `json.dumps` byte format). A fixture file that no comparison covers fails
//! the test. Failures name the folder, the fixture file and the JSON path.
//!
//! Fixtures: `KATO_FIXTURES_DIR`, else `shared/kato-fixtures` beside the workspace.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use tokio_tungstenite::tungstenite::Message;

use common::{compare, fixtures_dir, http, read_json, wait_for};

/// Recorded TTLs up to this are "short" and replayed as [`SHORT_TTL`] seconds.
const SHORT_LIMIT: i64 = 60;
const SHORT_TTL: i64 = 3;

/// Recorded, but deliberately not kept in the fixtures (README: KATO's docstrings).
const NOT_KEPT: &[&str] = &["openapi.json"];

struct Call {
    method: String,
    path: String,
    body: Option<Json>,
    status: u16,
    at: DateTime<Utc>,
    duration_ms: f64,
    file: Option<String>,
}

fn time(v: &Json, key: &str) -> DateTime<Utc> {
    let s = v
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no {key} in {}", v.to_compact()));
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn load_calls(dir: &Path) -> Vec<Call> {
    let index = read_json(&dir.join("_index.json"));
    index
        .get("calls")
        .and_then(Json::as_array)
        .expect("_index.json has calls")
        .iter()
        .map(|c| {
            let request = c.get("request").and_then(Json::as_str).unwrap();
            let (method, path) = request.split_once(' ').unwrap();
            Call {
                method: method.to_string(),
                path: path.to_string(),
                body: c.get("request_body").filter(|b| !b.is_null()).cloned(),
                status: c.get("status").and_then(Json::as_i64).unwrap() as u16,
                at: time(c, "requested_at"),
                duration_ms: c.get("duration_ms").and_then(Json::as_f64).unwrap_or(0.0),
                file: c.get("file").and_then(Json::as_str).map(str::to_string),
            }
        })
        .collect()
}

/// Session ids used in a path.
fn ids_in(path: &str) -> Vec<String> {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .filter(|s| s.starts_with("session-"))
        .map(str::to_string)
        .collect()
}

fn id_millis(id: &str) -> Option<i64> {
    id.rsplit('-').next()?.parse().ok()
}

/// For each successful `POST /sessions`, the recorded id it created (from its fixture file,
/// or by the creation time embedded in the ids used later).
fn recorded_creates(dir: &Path, calls: &[Call]) -> HashMap<usize, String> {
    let used: BTreeSet<String> = calls.iter().flat_map(|c| ids_in(&c.path)).collect();
    let mut out = HashMap::new();
    for (i, c) in calls.iter().enumerate() {
        if c.method != "POST" || c.path != "/sessions" || c.status != 200 {
            continue;
        }
        let from_file = c
            .file
            .as_ref()
            .map(|f| dir.join(f))
            .filter(|p| p.exists())
            .and_then(|p| {
                read_json(&p)
                    .get("session_id")
                    .and_then(Json::as_str)
                    .map(str::to_string)
            });
        let start = c.at.timestamp_millis() - 5;
        let end = start + c.duration_ms.ceil() as i64 + 10;
        let by_time = used
            .iter()
            .find(|id| id_millis(id).is_some_and(|ms| (start..=end).contains(&ms)));
        if let Some(id) = from_file.or_else(|| by_time.cloned()) {
            out.insert(i, id);
        }
    }
    out
}

/// One transcript action of the recorded WebSocket clients.
enum WsAction {
    Connect(String),
    Send(String, String),
    Close(String),
}

struct WsClient {
    sink: futures_util::stream::SplitSink<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        Message,
    >,
    frames: Arc<Mutex<Vec<String>>>,
}

/// `(time, action)` list and the frames each connection received, from `ws_transcript.jsonl`.
/// Timed client actions, and the frames each connection received.
type Transcript = (Vec<(DateTime<Utc>, WsAction)>, HashMap<String, Vec<String>>);

fn load_transcript(dir: &Path) -> Transcript {
    let mut actions = Vec::new();
    let mut received: HashMap<String, Vec<String>> = HashMap::new();
    let Ok(text) = std::fs::read_to_string(dir.join("ws_transcript.jsonl")) else {
        return (actions, received);
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let e = Json::parse(line.as_bytes()).unwrap();
        let conn = e.get("conn").and_then(Json::as_str).unwrap().to_string();
        let raw = e.get("raw").and_then(Json::as_str).map(str::to_string);
        match e.get("dir").and_then(Json::as_str).unwrap() {
            "client" => {
                let action = match e.get("what").and_then(Json::as_str).unwrap() {
                    "connect" => WsAction::Connect(conn),
                    _ => WsAction::Close(conn),
                };
                actions.push((time(&e, "at"), action));
            }
            "client->server" => actions.push((time(&e, "at"), WsAction::Send(conn, raw.unwrap()))),
            _ => received.entry(conn).or_default().push(raw.unwrap()),
        }
    }
    (actions, received)
}

async fn perform(sim: &Sim, clients: &mut HashMap<String, WsClient>, action: WsAction) {
    match action {
        WsAction::Connect(conn) => {
            let (stream, _) = tokio_tungstenite::connect_async(sim.ws_url())
                .await
                .unwrap();
            let (sink, mut source) = stream.split();
            let frames = Arc::new(Mutex::new(Vec::new()));
            let sink_frames = frames.clone();
            tokio::spawn(async move {
                while let Some(Ok(msg)) = source.next().await {
                    if let Message::Text(t) = msg {
                        sink_frames.lock().unwrap().push(t.to_string());
                    }
                }
            });
            // The snapshot proves the subscription is live before the next request.
            let f = frames.clone();
            wait_for("the state.snapshot frame", Duration::from_secs(10), || {
                let n = f.lock().unwrap().len();
                async move { (n > 0).then_some(()) }
            })
            .await;
            clients.insert(conn, WsClient { sink, frames });
        }
        WsAction::Send(conn, raw) => {
            let c = clients.get_mut(&conn).expect("send on a connected client");
            c.sink.send(Message::Text(raw.into())).await.unwrap();
        }
        WsAction::Close(conn) => {
            if let Some(mut c) = clients.remove(&conn) {
                let _ = c.sink.close().await;
            }
        }
    }
}

fn is_python_dump(raw: &str) -> bool {
    Json::parse(raw.as_bytes()).is_ok_and(|v| v.to_python() == raw)
}

/// Compares the frames one WebSocket client got with the recorded ones.
fn compare_ws(label: &str, recorded: &[String], got: &[String], failures: &mut Vec<String>) {
    let json_of = |frames: &[String]| -> Vec<String> {
        frames.iter().filter(|f| *f != "pong").cloned().collect()
    };
    let (want, have) = (json_of(recorded), json_of(got));
    let pongs = |frames: &[String]| frames.iter().filter(|f| *f == "pong").count();
    if pongs(recorded) != pongs(got) {
        failures.push(format!(
            "{label}: {} pong frames, recorded {}",
            pongs(got),
            pongs(recorded)
        ));
    }
    if want.len() != have.len() {
        failures.push(format!(
            "{label}: {} JSON frames, recorded {}: {have:#?}",
            have.len(),
            want.len()
        ));
    }
    for (i, (w, h)) in want.iter().zip(&have).enumerate() {
        assert!(
            is_python_dump(w),
            "{label}: recorded frame {i} is not in json.dumps form"
        );
        if !is_python_dump(h) {
            failures.push(format!(
                "{label} frame {i}: not byte-identical to Python json.dumps form: {h}"
            ));
        }
        let (wj, hj) = (
            Json::parse(w.as_bytes()).unwrap(),
            Json::parse(h.as_bytes()).unwrap(),
        );
        if wj.get("event_type") != hj.get("event_type") {
            failures.push(format!(
                "{label} frame {i}: event_type {:?}, recorded {:?}",
                hj.get("event_type"),
                wj.get("event_type")
            ));
        }
        let mut diffs = Vec::new();
        compare(&wj, &hj, "$", &mut diffs);
        failures.extend(diffs.into_iter().map(|d| format!("{label} frame {i}: {d}")));
    }
}

/// The folders of recorded runs and the simulator configuration that reproduces each.
struct Folder {
    name: &'static str,
    flavour: Flavour,
    pattern_cache: Option<bool>,
}

/// What a folder replay covered.
struct Coverage {
    compared: usize,
    status_only: usize,
}

async fn replay(folder: Folder) -> Coverage {
    let dir = fixtures_dir().join(folder.name);
    assert!(
        dir.join("_index.json").exists(),
        "no fixtures at {} (set KATO_FIXTURES_DIR)",
        dir.display()
    );
    let label = if folder.name == "." {
        "kato-fixtures"
    } else {
        folder.name
    };
    let calls = load_calls(&dir);
    let creates = recorded_creates(&dir, &calls);
    let (mut ws_actions, ws_recorded) = load_transcript(&dir);
    ws_actions.reverse();
    let config = SimConfig {
        pattern_cache: folder.pattern_cache,
        ..SimConfig::idle(folder.flavour)
    };
    let sim = Sim::start(config, common::any_port()).await.unwrap();
    let client = http();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut short: Vec<(String, DateTime<Utc>, bool)> = Vec::new();
    let mut clients = HashMap::new();
    let mut closes = Vec::new();
    let mut failures = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::from(["_index.json".to_string()]);
    let mut answers: Vec<Json> = Vec::new();
    let mut status_only = 0;

    for (i, call) in calls.iter().enumerate() {
        while ws_actions.last().is_some_and(|(at, _)| *at < call.at) {
            match ws_actions.pop().unwrap() {
                // Closing waits until the received frames have been compared.
                (at, WsAction::Close(conn)) => closes.push((at, WsAction::Close(conn))),
                (_, action) => perform(&sim, &mut clients, action).await,
            }
        }
        for (id, expiry, done) in short
            .iter_mut()
            .filter(|(_, e, done)| !done && *e < call.at)
        {
            let id = id.clone();
            wait_for(
                "a short-TTL session to expire",
                Duration::from_secs(15),
                || {
                    let (sim, id) = (&sim, id.clone());
                    async move { (!sim.session_exists(&id).await.unwrap()).then_some(()) }
                },
            )
            .await;
            let _ = expiry;
            *done = true;
        }
        let mut path = call.path.clone();
        for id in ids_in(&call.path) {
            if let Some(sim_id) = ids.get(&id) {
                path = path.replace(&id, sim_id);
            }
        }
        let mut body = call.body.clone();
        let mut short_ttl = None;
        if let Some(b) = body.as_mut()
            && let Some(ttl) = b.get("ttl_seconds").and_then(Json::as_i64)
            && ttl <= SHORT_LIMIT
        {
            b.set("ttl_seconds", SHORT_TTL);
            short_ttl = Some(call.at + chrono::Duration::seconds(ttl));
        }
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
        let mut req = client.request(method, format!("{}{path}", sim.base_url()));
        if let Some(b) = &body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_compact());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{label}: {} {path}: {e}", call.method));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let answer = Json::parse(text.as_bytes()).unwrap_or(Json::Str(text));
        let what = format!(
            "{label}/{} ({} {})",
            call.file.as_deref().unwrap_or("<no file>"),
            call.method,
            call.path
        );
        if status != call.status {
            failures.push(format!(
                "{what}: status {status}, recorded {}: {}",
                call.status,
                answer.to_compact()
            ));
        }
        if let Some(sim_id) = answer
            .get("session_id")
            .and_then(Json::as_str)
            .filter(|_| status == 200)
        {
            if let Some(recorded) = creates.get(&i) {
                ids.insert(recorded.clone(), sim_id.to_string());
            }
            if let Some(expiry) = short_ttl {
                short.push((sim_id.to_string(), expiry, false));
            }
        }
        match &call.file {
            Some(file) if dir.join(file).exists() => {
                let mut diffs = Vec::new();
                compare(&read_json(&dir.join(file)), &answer, "$", &mut diffs);
                failures.extend(diffs.into_iter().map(|d| format!("{what}: {d}")));
                covered.insert(file.clone());
            }
            Some(file) if NOT_KEPT.contains(&file.as_str()) => status_only += 1,
            Some(file) => failures.push(format!("{what}: fixture {file} is listed but missing")),
            None => status_only += 1,
        }
        answers.push(answer);
    }

    // WebSocket: wait for every recorded frame count, then compare, then close.
    for (conn, recorded) in &ws_recorded {
        let Some(c) = clients.get(conn) else {
            failures.push(format!("{label}: WebSocket {conn} never connected"));
            continue;
        };
        let frames = c.frames.clone();
        let want = recorded.len();
        let got = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let n = frames.lock().unwrap().len();
                if n >= want {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        let have = c.frames.lock().unwrap().clone();
        if got.is_err() {
            failures.push(format!(
                "{label}: {conn} got {} frames, recorded {want}: {have:#?}",
                have.len()
            ));
        }
        compare_ws(
            &format!("{label}/ws_transcript.jsonl {conn}"),
            recorded,
            &have,
            &mut failures,
        );
        let events_file = if conn == "ws1" {
            "ws_events.jsonl"
        } else {
            "ws_events_conn2.jsonl"
        };
        let lines: Vec<String> = std::fs::read_to_string(dir.join(events_file))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let recorded_json: Vec<String> =
            recorded.iter().filter(|f| *f != "pong").cloned().collect();
        assert_eq!(
            lines, recorded_json,
            "{label}: {events_file} differs from the transcript"
        );
        let have_json: Vec<String> = have.iter().filter(|f| *f != "pong").cloned().collect();
        compare_ws(
            &format!("{label}/{events_file}"),
            &lines,
            &have_json,
            &mut failures,
        );
        covered.insert(events_file.to_string());
        covered.insert("ws_transcript.jsonl".to_string());
    }
    ws_actions.reverse();
    for (_, action) in closes.into_iter().chain(ws_actions) {
        perform(&sim, &mut clients, action).await;
    }

    if dir.join("timeline_after_ttl_expiry.json").exists() {
        check_timeline(&dir, label, folder.flavour, &calls, &answers, &mut failures);
        covered.insert("timeline_after_ttl_expiry.json".to_string());
    }

    // Every fixture file in the folder must have been compared.
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") || n.ends_with(".jsonl"))
        .collect();
    for file in present.difference(&covered) {
        failures.push(format!("{label}/{file}: fixture has no comparison"));
    }
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
    let first_poll = calls
        .iter()
        .position(|c| c.file.as_deref() == Some("metric_history_requests_failed.json"))
        .unwrap()
        + 1;
    let polls: Vec<&Json> = answers[first_poll..].iter().collect();
    assert_eq!(polls.len(), rounds.len() * 3, "{label}: timeline rounds");
    for (r, round) in rounds.iter().enumerate() {
        let (count, status, health) = (polls[3 * r], polls[3 * r + 1], polls[3 * r + 2]);
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
    let last_count = |round: &Json| {
        round
            .get("sessions_count")
            .and_then(|c| c.get("active_session_count"))
            .cloned()
    };
    let recorded = last_count(rounds.last().unwrap());
    let got = polls[polls.len() - 3].get("active_session_count").cloned();
    let expected = Some(Json::Int(if flavour == Flavour::V1 { 0 } else { 2 }));
    assert_eq!(recorded, expected, "{label}: fixture timeline");
    if got != recorded {
        failures.push(format!(
            "{label}/timeline_after_ttl_expiry.json: final count {got:?}, recorded {recorded:?}"
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_matches_recordings() {
    let c = replay(Folder {
        name: ".",
        flavour: Flavour::V1,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_with_pattern_cache_matches_recordings() {
    let c = replay(Folder {
        name: "d1391ac-redis-enabled",
        flavour: Flavour::V1,
        pattern_cache: Some(true),
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_supplement_matches_recordings() {
    let c = replay(Folder {
        name: "d1391ac-supplement",
        flavour: Flavour::V1,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only > 40,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_c584167_matches_recordings() {
    let c = replay(Folder {
        name: "c584167",
        flavour: Flavour::V3,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_c584167_supplement_matches_recordings() {
    let c = replay(Folder {
        name: "c584167-supplement",
        flavour: Flavour::V3,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only > 40,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

/// `c584167-workers4/`: KATO 3.10 with 4 uvicorn workers, polled on fresh connections. Shapes
/// must match, the Redis-backed count must agree across workers while per-worker counters
/// differ, and a WebSocket client only sees the events of its own worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_four_workers_match_recordings() {
    let dir = fixtures_dir().join("c584167-workers4");
    let polls = read_json(&dir.join("polls.json"));
    let polls = polls.as_array().expect("polls.json is a list");
    let config = SimConfig {
        workers: 4,
        ..SimConfig::idle(Flavour::V3)
    };
    let sim = Sim::start(config, common::any_port()).await.unwrap();
    // No pooled connections: every request is a new TCP connection, like the recording.
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .unwrap();
    let (_ws_sink, mut ws_source) = ws.split();
    let mut ids = Vec::new();
    for n in 0..8 {
        let resp = fresh
            .post(format!("{}/sessions", sim.base_url()))
            .json(&serde_json::json!({ "node_id": format!("mw-node-{n}") }))
            .send()
            .await
            .unwrap();
        let body = Json::parse(&resp.bytes().await.unwrap()).unwrap();
        ids.push(
            body.get("session_id")
                .and_then(Json::as_str)
                .unwrap()
                .to_string(),
        );
    }
    let mut frames = Vec::new();
    while frames.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), ws_source.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => frames.push(t.to_string()),
            other => panic!(
                "expected 3 frames (snapshot + this worker's 2 creates), got {frames:?} then {other:?}"
            ),
        }
    }
    let recorded: Vec<String> = std::fs::read_to_string(dir.join("ws_events.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut failures = Vec::new();
    compare_ws(
        "c584167-workers4/ws_events.jsonl",
        &recorded,
        &frames,
        &mut failures,
    );
    let extra = tokio::time::timeout(Duration::from_millis(300), ws_source.next()).await;
    assert!(
        extra.is_err(),
        "the client must not see other workers' events: {extra:?}"
    );

    let mut counts = BTreeSet::new();
    let mut totals = BTreeSet::new();
    for (i, poll) in polls.iter().enumerate() {
        let request = poll.get("request").and_then(Json::as_str).unwrap();
        let path = request.split_once(' ').unwrap().1;
        let resp = fresh
            .get(format!("{}{path}", sim.base_url()))
            .send()
            .await
            .unwrap();
        let status = i64::from(resp.status().as_u16());
        let body = Json::parse(&resp.bytes().await.unwrap()).unwrap();
        if Some(status) != poll.get("status").and_then(Json::as_i64) {
            failures.push(format!(
                "c584167-workers4/polls.json[{i}] ({request}): status {status}"
            ));
        }
        let mut diffs = Vec::new();
        compare(poll.get("body").unwrap(), &body, "$", &mut diffs);
        failures.extend(
            diffs
                .into_iter()
                .map(|d| format!("c584167-workers4/polls.json[{i}] ({request}): {d}")),
        );
        match path {
            "/sessions/count" => {
                counts.insert(body.get("active_session_count").unwrap().to_compact());
            }
            "/metrics" => {
                let perf = body.get("performance").unwrap();
                totals.insert(perf.get("total_requests").unwrap().to_compact());
            }
            "/concurrency" => {
                let workers = body.get("configuration").and_then(|c| c.get("workers"));
                assert_eq!(
                    workers,
                    Some(&Json::Int(1)),
                    "v3 reports UVICORN_WORKERS (unset) = 1"
                );
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        ["8"],
        "the Redis-backed count agrees across workers"
    );
    assert!(
        totals.len() > 1,
        "per-worker request counters differ between polls: {totals:?}"
    );
    for id in &ids[..4] {
        assert!(sim.delete_session(id).await.unwrap());
    }
    sim.shutdown().await;
}

#[test]
fn comparator_reports_paths() {
    let e = Json::parse(br#"{"a": 1, "b": [1.0], "t": "2026-01-01T00:00:00Z", "processors": []}"#)
        .unwrap();
    let a = Json::parse(br#"{"b": [1], "a": 2, "t": "2026-01-01T00:00:00+00:00", "processors": [{"x": 1}], "c": null}"#).unwrap();
    let mut diffs = Vec::new();
    compare(&e, &a, "$", &mut diffs);
    let text = diffs.join("\n");
    assert!(text.contains("$.c: unexpected key"), "{text}");
    assert!(text.contains("$: key order"), "{text}");
    assert!(text.contains("$.b[0]: expected float"), "{text}");
    assert!(text.contains("$.t: string format"), "{text}");
    assert_eq!(diffs.len(), 4, "{text}");
}
