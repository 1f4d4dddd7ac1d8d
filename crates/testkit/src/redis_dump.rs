//! Loading a recorded Redis dump (`stores-c584167/redis-keys.json`: `{keys: [{key, type, pttl_ms, value}]}`) into
//! a [`RedisServer`], piped through `redis-cli --pipe` as raw RESP.
//!
//! Strings, hashes, sets, lists and sorted sets are loaded whole; a string whose value the recording omitted
//! (`value_omitted`, the big prediction lists) holds the recorded summary instead, so the key and its family are
//! there; a stream gets the entries the recording kept (first and last ten). TTLs are set with `PEXPIRE`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::{Error, RedisServer, Result};

/// One command as RESP.
fn resp(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The commands that recreate one recorded key (none for an empty or unknown value).
fn commands(entry: &Value, out: &mut Vec<u8>) -> bool {
    let Some(key) = entry["key"].as_str() else {
        return false;
    };
    let key = key.as_bytes();
    let value = &entry["value"];
    let mut args: Vec<Vec<u8>> = Vec::new();
    match entry["type"].as_str().unwrap_or_default() {
        "string" if entry["value_omitted"] == Value::Bool(true) => {
            let summary = serde_json::json!({
                "value_omitted": true, "sha1": entry["sha1"], "summary": entry["summary"]
            });
            args = vec![
                b"SET".to_vec(),
                key.to_vec(),
                summary.to_string().into_bytes(),
            ];
        }
        "string" => args = vec![b"SET".to_vec(), key.to_vec(), text(value).into_bytes()],
        "hash" => {
            args = vec![b"HSET".to_vec(), key.to_vec()];
            for (f, v) in value.as_object().into_iter().flatten() {
                args.push(f.as_bytes().to_vec());
                args.push(text(v).into_bytes());
            }
        }
        "set" | "list" => {
            let cmd: &[u8] = if entry["type"] == "set" {
                b"SADD"
            } else {
                b"RPUSH"
            };
            args = vec![cmd.to_vec(), key.to_vec()];
            args.extend(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| text(m).into_bytes()),
            );
        }
        "zset" => {
            args = vec![b"ZADD".to_vec(), key.to_vec()];
            for pair in value.as_array().into_iter().flatten() {
                args.push(text(&pair[1]).into_bytes());
                args.push(text(&pair[0]).into_bytes());
            }
        }
        "stream" => {
            let mut last = String::new();
            let entries = ["entries_first", "entries_last"]
                .iter()
                .flat_map(|k| value[*k].as_array().cloned().unwrap_or_default());
            for e in entries {
                let id = text(&e["id"]);
                // The first and last ten overlap when a stream is short: XADD needs rising ids.
                if !last.is_empty() && stream_id(&id) <= stream_id(&last) {
                    continue;
                }
                let mut xadd = vec![b"XADD".to_vec(), key.to_vec(), id.clone().into_bytes()];
                for (f, v) in e["fields"].as_object().into_iter().flatten() {
                    xadd.push(f.as_bytes().to_vec());
                    xadd.push(text(v).into_bytes());
                }
                let refs: Vec<&[u8]> = xadd.iter().map(Vec::as_slice).collect();
                resp(out, &refs);
                last = id;
            }
        }
        _ => {}
    }
    if entry["type"] != "stream" {
        // A command without members (an empty hash or set) would create nothing.
        if args.len() <= 2 {
            return false;
        }
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        resp(out, &refs);
    }
    if let Some(ms) = entry["pttl_ms"].as_i64().filter(|ms| *ms > 0) {
        resp(out, &[b"PEXPIRE", key, ms.to_string().as_bytes()]);
    }
    true
}

fn stream_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

impl RedisServer {
    /// Loads a recorded dump (see the module docs); returns the number of keys written.
    pub fn load_kato_dump(&self, path: &Path) -> Result<usize> {
        let raw = std::fs::read_to_string(path).map_err(|source| Error::Io {
            what: format!("read {}", path.display()),
            source,
        })?;
        let dump: Value = serde_json::from_str(&raw).map_err(|e| Error::Io {
            what: format!("parse {}", path.display()),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        let mut payload = Vec::new();
        let mut keys = 0;
        for entry in dump["keys"].as_array().into_iter().flatten() {
            if commands(entry, &mut payload) {
                keys += 1;
            }
        }
        let mut child = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port().to_string(), "--pipe"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: "redis-cli".into(),
                hint: "apt-get install redis-tools",
                source,
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&payload).map_err(|source| Error::Io {
                what: "write to redis-cli --pipe".into(),
                source,
            })?;
        }
        let out = child.wait_with_output().map_err(|source| Error::Io {
            what: "redis-cli --pipe".into(),
            source,
        })?;
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !report.contains("errors: 0") {
            return Err(Error::Command {
                command: format!("redis-cli --pipe < {}", path.display()),
                status: out.status.to_string(),
                stderr: format!("{report}{}", String::from_utf8_lossy(&out.stderr)),
            });
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_resp_arrays() {
        let mut out = Vec::new();
        super::resp(&mut out, &[b"SET", b"a b", b"\xff"]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$3\r\na b\r\n$1\r\n\xff\r\n");
        assert!(super::stream_id("10-2") > super::stream_id("9-5"));
    }
}
