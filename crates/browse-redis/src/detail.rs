//! Key detail for every type, with TTL, `MEMORY USAGE`, size and paging for big values.

use base64::{Engine, engine::general_purpose::STANDARD};
use redis::{Value as R, aio::ConnectionManager};
use serde_json::{Map, Value, json};

use crate::{
    RedisBrowser,
    error::{RedisBrowseError, Result},
    keys::KeyName,
    scan::seconds,
    value::{bytes_json, bytes_key, pairs_json, reply_json},
};

/// Longest string value returned whole; longer ones are cut (and say so).
pub const MAX_STRING_BYTES: i64 = 512 * 1024;
/// Largest page of elements.
pub const MAX_PAGE: usize = 1000;

/// Paging inside a big value.
#[derive(Debug, Clone, Default)]
pub struct DetailQuery {
    /// HSCAN/SSCAN cursor, or the last stream id seen; `None` = from the start.
    pub cursor: Option<String>,
    /// Index of the first element (lists and sorted sets).
    pub offset: u64,
    /// Elements per page (1..=1000; default 100).
    pub count: Option<usize>,
}

impl RedisBrowser {
    /// Everything about one key; `NotFound` when it does not exist. Never changes its TTL.
    pub async fn key_detail(&self, key: &KeyName, q: &DetailQuery) -> Result<Value> {
        let count = q.count.unwrap_or(100);
        if !(1..=MAX_PAGE).contains(&count) {
            return Err(RedisBrowseError::BadRequest(format!(
                "count must be 1..{MAX_PAGE}"
            )));
        }
        let mut conn = self.conn()?;
        let (kind, pttl): (String, i64) = redis::pipe()
            .cmd("TYPE")
            .arg(&key.0)
            .cmd("PTTL")
            .arg(&key.0)
            .query_async(&mut conn)
            .await?;
        if kind == "none" {
            return Err(RedisBrowseError::NotFound(format!(
                "key `{}` does not exist",
                key.text()
            )));
        }
        // Not every server implements MEMORY USAGE (or allows it): then the size is unknown, not an error.
        let size: Option<i64> = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(&key.0)
            .query_async(&mut conn)
            .await
            .ok();
        let mut out = json!({
            "key": key.text(),
            "key_b64": key.b64(),
            "binary": key.is_binary(),
            "type": kind,
            "ttl": seconds(pttl),
            "ttl_ms": pttl,
            "size": size,
        });
        let body = match kind.as_str() {
            "string" => string(&mut conn, key).await?,
            "hash" => hash(&mut conn, key, q, count).await?,
            "list" => list(&mut conn, key, q, count).await?,
            "set" => set(&mut conn, key, q, count).await?,
            "zset" => zset(&mut conn, key, q, count).await?,
            "stream" => stream(&mut conn, key, q, count).await?,
            other => {
                json!({ "value": Value::Null, "note": format!("type `{other}` is not shown") })
            }
        };
        if let (Value::Object(out), Value::Object(body)) = (&mut out, body) {
            out.extend(body);
        }
        Ok(out)
    }
}

async fn string(conn: &mut ConnectionManager, key: &KeyName) -> Result<Value> {
    let len: i64 = redis::cmd("STRLEN").arg(&key.0).query_async(conn).await?;
    let bytes: Vec<u8> = redis::cmd("GETRANGE")
        .arg(&key.0)
        .arg(0)
        .arg(MAX_STRING_BYTES - 1)
        .query_async(conn)
        .await?;
    let truncated = len > MAX_STRING_BYTES;
    let mut out = json!({ "length": len, "truncated": truncated, "complete": !truncated });
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            out["value"] = json!(text);
            match serde_json::from_str::<Value>(text) {
                Ok(parsed) if !truncated && (parsed.is_object() || parsed.is_array()) => {
                    out["format"] = json!("json");
                    out["value_pretty"] =
                        json!(serde_json::to_string_pretty(&parsed).unwrap_or_default());
                    out["value_json"] = parsed;
                }
                _ => out["format"] = json!("text"),
            }
        }
        Err(_) => {
            out["format"] = json!("binary");
            out["value"] = json!(String::from_utf8_lossy(&bytes));
            out["value_b64"] = json!(STANDARD.encode(&bytes));
        }
    }
    Ok(out)
}

fn scan_cursor(q: &DetailQuery) -> Result<u64> {
    match q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => c
            .parse()
            .map_err(|_| RedisBrowseError::BadRequest(format!("cursor `{c}` is not a number"))),
    }
}

/// `LEN`-style count and one `*SCAN` page of a hash or set: `(length, next cursor, raw items)`.
async fn scan_page(
    conn: &mut ConnectionManager,
    (len_cmd, scan_cmd): (&str, &str),
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<(i64, u64, Vec<Vec<u8>>)> {
    let len: i64 = redis::cmd(len_cmd).arg(&key.0).query_async(conn).await?;
    let (next, items): (u64, Vec<Vec<u8>>) = redis::cmd(scan_cmd)
        .arg(&key.0)
        .arg(scan_cursor(q)?)
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    Ok((len, next, items))
}

async fn hash(
    conn: &mut ConnectionManager,
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<Value> {
    let (len, next, flat) = scan_page(conn, ("HLEN", "HSCAN"), key, q, count).await?;
    let value: Map<String, Value> = flat
        .chunks(2)
        .filter_map(|p| match p {
            [f, v] => Some((bytes_key(f), bytes_json(v))),
            _ => None,
        })
        .collect();
    Ok(json!({ "length": len, "value": value, "cursor": next.to_string(), "complete": next == 0 }))
}

async fn set(
    conn: &mut ConnectionManager,
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<Value> {
    let (len, next, members) = scan_page(conn, ("SCARD", "SSCAN"), key, q, count).await?;
    let value: Vec<Value> = members.iter().map(|m| bytes_json(m)).collect();
    Ok(json!({
        "length": len, "cardinality": len, "value": value, "cursor": next.to_string(), "complete": next == 0
    }))
}

async fn list(
    conn: &mut ConnectionManager,
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<Value> {
    let len: i64 = redis::cmd("LLEN").arg(&key.0).query_async(conn).await?;
    let start = q.offset as i64;
    let items: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg(&key.0)
        .arg(start)
        .arg(start + count as i64 - 1)
        .query_async(conn)
        .await?;
    let end = start + items.len() as i64;
    let value: Vec<Value> = items.iter().map(|m| bytes_json(m)).collect();
    Ok(json!({
        "length": len, "value": value, "offset": start,
        "next_offset": (end < len).then_some(end), "complete": end >= len
    }))
}

async fn zset(
    conn: &mut ConnectionManager,
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<Value> {
    let len: i64 = redis::cmd("ZCARD").arg(&key.0).query_async(conn).await?;
    let start = q.offset as i64;
    let flat: Vec<(Vec<u8>, f64)> = redis::cmd("ZRANGE")
        .arg(&key.0)
        .arg(start)
        .arg(start + count as i64 - 1)
        .arg("WITHSCORES")
        .query_async(conn)
        .await?;
    let end = start + flat.len() as i64;
    let value: Vec<Value> = flat
        .iter()
        .map(|(m, s)| json!([bytes_json(m), s]))
        .collect();
    Ok(json!({
        "length": len, "cardinality": len, "value": value, "offset": start,
        "next_offset": (end < len).then_some(end), "complete": end >= len
    }))
}

async fn stream(
    conn: &mut ConnectionManager,
    key: &KeyName,
    q: &DetailQuery,
    count: usize,
) -> Result<Value> {
    let len: i64 = redis::cmd("XLEN").arg(&key.0).query_async(conn).await?;
    // `(id` is exclusive (Redis ≥ 6.2): the next page starts after the last entry shown.
    let start = match q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => "-".to_owned(),
        Some(id) if id.chars().all(|c| c.is_ascii_digit() || c == '-') => format!("({id}"),
        Some(id) => {
            return Err(RedisBrowseError::BadRequest(format!(
                "cursor `{id}` is not a stream id"
            )));
        }
    };
    let entries: R = redis::cmd("XRANGE")
        .arg(&key.0)
        .arg(&start)
        .arg("+")
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    let mut value = Vec::new();
    let mut last_id = None;
    if let R::Array(items) = &entries {
        for item in items {
            if let R::Array(pair) = item
                && let [id, fields] = pair.as_slice()
            {
                let id = reply_json(id);
                last_id = id.as_str().map(str::to_owned);
                value.push(json!({ "id": id, "fields": pairs_json(fields) }));
            }
        }
    }
    let groups: Value = match redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(&key.0)
        .query_async::<R>(conn)
        .await
    {
        Ok(R::Array(gs)) => Value::Array(gs.iter().map(pairs_json).collect()),
        Ok(other) => reply_json(&other),
        Err(_) => Value::Null,
    };
    let complete = value.len() < count;
    Ok(json!({
        "length": len, "value": value, "groups": groups,
        "cursor": if complete { None } else { last_id }, "complete": complete
    }))
}
