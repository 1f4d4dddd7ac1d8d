//! Counting the KATO requests the dashboard makes, on a kato-sim (loopback only):
//! `GET /_sim/state` (never counted by the sim) gives `total_requests` per worker before and after the
//! window, and one `GET /stats` after the window gives the per-request series `kato_requests_total`,
//! whose `path` labels tell the dashboard's calls from the sim's own background traffic.
//! A tiny HTTP/1.1 GET (`Connection: close`) keeps this crate free of an HTTP client stack.

use std::{collections::BTreeMap, time::Duration};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use url::Url;

/// Splits a raw HTTP/1.1 response into status and body, decoding `Transfer-Encoding: chunked`.
pub fn parse_response(raw: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).context("headers are not UTF-8")?;
    let body = &raw[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no status code"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

/// Decodes a chunked body.
pub fn dechunk(mut body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("truncated chunk size"))?;
        let size_text = std::str::from_utf8(&body[..line_end])?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_hex:?}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

/// `GET url` on loopback, returning the body of a 200 as JSON.
pub async fn get_json(url: &Url) -> anyhow::Result<Value> {
    let host = url.host_str().ok_or_else(|| anyhow!("{url}: no host"))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let io = async {
        let mut tcp = TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        tcp.write_all(req.as_bytes()).await?;
        let mut raw = Vec::new();
        tcp.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), io)
        .await
        .map_err(|_| anyhow!("GET {url}: timeout"))?
        .with_context(|| format!("GET {url}"))?;
    let (status, body) = parse_response(&raw)?;
    if status != 200 {
        bail!("GET {url}: status {status}");
    }
    serde_json::from_slice(&body).with_context(|| format!("GET {url}: body is not JSON"))
}

/// Sum of `workers[].total_requests` in a `/_sim/state` answer.
pub fn total_requests(state: &Value) -> Option<u64> {
    state
        .get("workers")?
        .as_array()?
        .iter()
        .map(|w| w.get("total_requests").and_then(Value::as_u64))
        .sum()
}

/// A request path with session ids replaced by `{id}`, so calls group by endpoint.
pub fn endpoint(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_sessions = false;
    for seg in path.split('/') {
        if after_sessions && seg != "count" {
            out.push("{id}");
        } else {
            out.push(seg);
        }
        after_sessions = seg == "sessions";
    }
    out.join("/")
}

/// Counts `kato_requests_total` points by `METHOD endpoint` whose timestamp (epoch s) lies in `[from, to)`.
pub fn requests_by_endpoint(stats: &Value, from: f64, to: f64) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let points = stats
        .pointer("/time_series/kato_requests_total")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for p in points {
        let Some(t) = p.get("timestamp").and_then(Value::as_f64) else {
            continue;
        };
        if t < from || t >= to {
            continue;
        }
        let label = |k: &str| {
            p.pointer(&format!("/labels/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        };
        *out.entry(format!("{} {}", label("method"), endpoint(&label("path"))))
            .or_default() += 1;
    }
    out
}

/// KATO requests seen by the sim during the window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KatoRequests {
    /// Seconds of the window.
    pub seconds: f64,
    /// All requests the sim served (dashboard + the sim's own background traffic).
    pub total: u64,
    /// `total` per minute.
    pub total_per_minute: f64,
    /// By `METHOD endpoint`, from worker 0's `/stats` series (one worker is the kato-sim default).
    pub by_endpoint: BTreeMap<String, u64>,
}

/// Reads `/_sim/state` and returns the total request count.
pub async fn sim_total(base: &Url) -> anyhow::Result<u64> {
    let state = get_json(&base.join("/_sim/state")?).await?;
    total_requests(&state).ok_or_else(|| anyhow!("/_sim/state: no workers[].total_requests"))
}

/// Fetches `/stats` (after the window) and counts requests by endpoint in `[from, to)`.
pub async fn by_endpoint(base: &Url, from: f64, to: f64) -> anyhow::Result<BTreeMap<String, u64>> {
    let minutes = ((to - from) / 60.0).ceil() as u64 + 1;
    let stats = get_json(&base.join(&format!("/stats?minutes={minutes}"))?).await?;
    Ok(requests_by_endpoint(&stats, from, to))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            (200, b"{\"a\":1}".to_vec())
        );
        assert_eq!(parse_response(b"HTTP/1.1 503 Nope\r\n\r\n").unwrap().0, 503);
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"10\r\nshort").is_err());
    }

    #[test]
    fn sums_worker_totals() {
        let s = json!({"workers": [{"total_requests": 10}, {"total_requests": 5}]});
        assert_eq!(total_requests(&s), Some(15));
        assert_eq!(total_requests(&json!({})), None);
    }

    #[test]
    fn groups_requests_by_endpoint_inside_the_window() {
        assert_eq!(endpoint("/sessions/abc-1/stm"), "/sessions/{id}/stm");
        assert_eq!(endpoint("/sessions/count"), "/sessions/count");
        assert_eq!(endpoint("/metrics"), "/metrics");
        let point = |t: f64, m: &str, p: &str| json!({"timestamp": t, "value": 1.0, "labels": {"method": m, "path": p}});
        let stats = json!({"time_series": {"kato_requests_total": [
            point(99.0, "GET", "/metrics"),
            point(100.0, "GET", "/metrics"),
            point(110.0, "GET", "/metrics"),
            point(120.0, "POST", "/sessions/s1/observe"),
            point(159.9, "GET", "/sessions/count"),
            point(160.0, "GET", "/stats"),
        ]}});
        let by = requests_by_endpoint(&stats, 100.0, 160.0);
        assert_eq!(by.get("GET /metrics"), Some(&2));
        assert_eq!(by.get("POST /sessions/{id}/observe"), Some(&1));
        assert_eq!(by.get("GET /sessions/count"), Some(&1));
        assert_eq!(by.get("GET /stats"), None);
    }
}
