//! Reading a recorded run: the calls of `_index.json`, which recorded session id each create
//! produced, and the WebSocket transcript.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use kato_dashboard_sim::json::Json;

use crate::common::read_json;

/// One recorded request.
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Option<Json>,
    pub status: u16,
    pub at: DateTime<Utc>,
    pub duration_ms: f64,
    pub file: Option<String>,
}

pub fn time(v: &Json, key: &str) -> DateTime<Utc> {
    let s = v
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no {key} in {}", v.to_compact()));
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn load_calls(dir: &Path) -> Vec<Call> {
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
pub fn ids_in(path: &str) -> Vec<String> {
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
pub fn recorded_creates(dir: &Path, calls: &[Call]) -> HashMap<usize, String> {
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

/// One action of the recorded WebSocket clients.
pub enum WsAction {
    Connect(String),
    Send(String, String),
    Close(String),
}

/// Timed client actions, and the frames each connection received.
pub struct Transcript {
    pub actions: Vec<(DateTime<Utc>, WsAction)>,
    pub received: HashMap<String, Vec<String>>,
}

/// `ws_transcript.jsonl`, if the folder has one.
pub fn load_transcript(dir: &Path) -> Transcript {
    let mut t = Transcript {
        actions: Vec::new(),
        received: HashMap::new(),
    };
    let Ok(text) = std::fs::read_to_string(dir.join("ws_transcript.jsonl")) else {
        return t;
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
                t.actions.push((time(&e, "at"), action));
            }
            "client->server" => t
                .actions
                .push((time(&e, "at"), WsAction::Send(conn, raw.unwrap()))),
            _ => t.received.entry(conn).or_default().push(raw.unwrap()),
        }
    }
    t
}

/// The JSON frames (without `pong`) of a list of frames.
pub fn json_frames(frames: &[String]) -> Vec<String> {
    frames.iter().filter(|f| *f != "pong").cloned().collect()
}

/// The lines of a `ws_events*.jsonl` file.
pub fn events_file(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
