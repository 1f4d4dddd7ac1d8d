//! Reading a server frame without parsing its JSON: whether it is a `realtime_update`, its `timestamp`
//! (RFC 3339 UTC, milliseconds) and its `tick` number. The server writes these fields first
//! (`{"type":"realtime_update","timestamp":"…","tick":N,"data":…}`), so only a short prefix is scanned; a
//! 10,000-client run reads 10,000 frames a second and must not spend its CPU on JSON.

/// How far into a frame the header fields are looked for.
pub const HEADER_SCAN: usize = 256;

/// What the header says about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The frame's `timestamp`, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The frame's `tick`, if present.
    pub tick: Option<u64>,
}

fn prefix(text: &str) -> &[u8] {
    let b = text.as_bytes();
    &b[..b.len().min(HEADER_SCAN)]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The frame's `"type"` value, if it is found near the start.
pub fn frame_type(text: &str) -> Option<&str> {
    string_field(text, b"\"type\":\"")
}

/// Whether the frame is a `realtime_update`.
pub fn is_realtime_update(text: &str) -> bool {
    frame_type(text) == Some("realtime_update")
}

fn string_field<'a>(text: &'a str, key: &[u8]) -> Option<&'a str> {
    let head = prefix(text);
    let start = find(head, key)? + key.len();
    let len = head[start..].iter().position(|&c| c == b'"')?;
    // Both ends sit on ASCII quotes, so they are char boundaries.
    text.get(start..start + len)
}

/// The `"timestamp":"…"` string near the start of the frame.
pub fn timestamp_field(text: &str) -> Option<&str> {
    string_field(text, b"\"timestamp\":\"")
}

/// The `"tick":N` number near the start of the frame.
pub fn tick_field(text: &str) -> Option<u64> {
    let head = prefix(text);
    let key = b"\"tick\":";
    let start = find(head, key)? + key.len();
    let digits = head[start..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    std::str::from_utf8(&head[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// Milliseconds since the epoch of an RFC 3339 timestamp (any offset; the server sends UTC with `Z`).
pub fn parse_rfc3339_ms(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|dt| dt.timestamp_millis())
}

/// The header of a `realtime_update`; `None` for other frames or when the timestamp is missing or invalid.
pub fn realtime_header(text: &str) -> Option<Header> {
    if !is_realtime_update(text) {
        return None;
    }
    let timestamp_ms = parse_rfc3339_ms(timestamp_field(text)?)?;
    Some(Header {
        timestamp_ms,
        tick: tick_field(text),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const UPDATE: &str = r#"{"type":"realtime_update","timestamp":"2026-11-22T02:51:17.717Z","tick":42,"data":{"metrics":{"timestamp":"1999-01-01T00:00:00Z"}}}"#;

    #[test]
    fn reads_the_header_of_a_realtime_update() {
        let h = realtime_header(UPDATE).unwrap();
        assert_eq!(h.timestamp_ms, 1_795_315_877_717);
        assert_eq!(h.tick, Some(42));
    }

    #[test]
    fn takes_the_first_timestamp_not_one_inside_data() {
        assert_eq!(timestamp_field(UPDATE), Some("2026-11-22T02:51:17.717Z"));
    }

    #[test]
    fn other_frames_and_broken_headers_give_none() {
        let heartbeat = r#"{"type":"heartbeat","timestamp":"2026-11-22T02:51:17.717Z"}"#;
        assert_eq!(frame_type(heartbeat), Some("heartbeat"));
        assert!(realtime_header(heartbeat).is_none());
        assert!(realtime_header(r#"{"type":"realtime_update","tick":1}"#).is_none());
        assert!(realtime_header(r#"{"type":"realtime_update","timestamp":"yesterday"}"#).is_none());
        assert!(
            realtime_header(r#"{"type":"realtime_update","timestamp":"2026-11-22T02:51"#).is_none()
        );
        assert!(realtime_header("ping").is_none());
        assert!(realtime_header("").is_none());
    }

    #[test]
    fn fields_beyond_the_scanned_prefix_are_ignored() {
        let late = format!(
            r#"{{"type":"realtime_update","pad":"{}","timestamp":"2026-11-22T02:51:17.717Z"}}"#,
            "x".repeat(HEADER_SCAN)
        );
        assert!(realtime_header(&late).is_none());
    }

    #[test]
    fn tick_is_optional_and_offsets_parse() {
        let t =
            r#"{"type":"realtime_update","timestamp":"2026-11-22T03:51:17.717+01:00","data":{}}"#;
        let h = realtime_header(t).unwrap();
        assert_eq!(h.timestamp_ms, 1_795_315_877_717);
        assert_eq!(h.tick, None);
        assert_eq!(tick_field(r#"{"tick":}"#), None);
    }

    #[test]
    fn non_ascii_text_near_the_start_is_safe() {
        let t = "{\"type\":\"réaltime\",\"timestamp\":\"é\"}";
        assert_eq!(frame_type(t), Some("réaltime"));
        assert_eq!(timestamp_field(t), Some("é"));
        let cut = format!("{{\"x\":\"{}\"}}", "é".repeat(200));
        assert!(frame_type(&cut).is_none());
    }
}
