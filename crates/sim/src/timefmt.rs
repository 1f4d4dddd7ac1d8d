//! Timestamps formatted the way KATO's Python stack prints them.
//!
//! * REST models (pydantic): `2026-11-22T02:51:18.531837Z`
//! * `datetime.isoformat()` of aware UTC values (events, `/health`, Redis): `…+00:00`
//! * the WebSocket snapshot (`datetime.now().isoformat()`): naive local time, no offset
//! * epoch floats (`time.time()`)
//!
//! Python datetimes have microsecond resolution and omit the fraction when it is zero.

use chrono::{DateTime, Local, Timelike, Utc};

/// Now, truncated to whole microseconds like a Python `datetime`.
pub fn now() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}

/// Drops sub-microsecond precision.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

fn base(t: &DateTime<Utc>) -> String {
    let micros = t.nanosecond() / 1_000;
    let secs = t.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        secs.to_string()
    } else {
        format!("{secs}.{micros:06}")
    }
}

/// Pydantic's rendering of an aware UTC datetime: `…Z`.
pub fn iso_z(t: &DateTime<Utc>) -> String {
    format!("{}Z", base(t))
}

/// `datetime.isoformat()` of an aware UTC datetime: `…+00:00`.
pub fn iso_offset(t: &DateTime<Utc>) -> String {
    format!("{}+00:00", base(t))
}

/// `datetime.now().isoformat()`: naive local wall-clock time.
pub fn iso_naive_local(t: &DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local).naive_local();
    let micros = local.nanosecond() / 1_000;
    let secs = local.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        secs.to_string()
    } else {
        format!("{secs}.{micros:06}")
    }
}

/// `time.time()`-style epoch seconds.
pub fn epoch(t: &DateTime<Utc>) -> f64 {
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6
}

/// Parses any RFC 3339 form KATO writes (`Z` or `+00:00`).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            // Naive values (no offset) are read as UTC, as KATO's fromisoformat would on a UTC host.
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_match_python() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 2, 51, 18).unwrap()
            + chrono::Duration::microseconds(531_837);
        assert_eq!(iso_z(&t), "2026-11-22T02:51:18.531837Z");
        assert_eq!(iso_offset(&t), "2026-11-22T02:51:18.531837+00:00");
        let whole = Utc.with_ymd_and_hms(2026, 11, 22, 2, 51, 18).unwrap();
        assert_eq!(iso_z(&whole), "2026-11-22T02:51:18Z");
        assert_eq!(parse(&iso_offset(&t)), Some(t));
        assert_eq!(parse(&iso_z(&t)), Some(t));
        assert!((epoch(&t) - 1_795_315_878.531_837).abs() < 1e-6);
    }
}
