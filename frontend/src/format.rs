//! Number, size, rate and time formatting for the views. Pure (time is an input), so it is tested natively.
//!
//! Every function returns the text a card shows; missing values are the caller's business (they show "—").

use chrono::DateTime;

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp (`None` when it does not parse).
pub fn parse_ts_ms(text: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|dt| dt.timestamp_millis() as f64)
}

/// An integer with thin thousands separators: `12 345`.
pub fn int(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let negative = value < 0.0;
    let digits = format!("{:.0}", value.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if negative { format!("-{out}") } else { out }
}

/// A number with `decimals` decimals, trimmed of a trailing `.0` only when `decimals` is 0.
pub fn fixed(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    format!("{value:.decimals$}")
}

/// A percentage of 0..100: `42.3 %` (one decimal below 100, none above).
pub fn percent(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    // -0.0 (and rounding noise just below zero) reads as 0.
    let value = if value.abs() < 0.05 { 0.0 } else { value };
    if value.abs() >= 100.0 {
        format!("{value:.0}\u{a0}%")
    } else {
        format!("{value:.1}\u{a0}%")
    }
}

/// A fraction 0..1 as a percentage with two decimals below 1 % (error rates are small): `0.25 %`.
pub fn fraction_percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "—".into();
    }
    let p = fraction * 100.0;
    if p == 0.0 {
        "0\u{a0}%".into()
    } else if p.abs() < 1.0 {
        format!("{p:.2}\u{a0}%")
    } else {
        format!("{p:.1}\u{a0}%")
    }
}

/// Bytes in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`, `3.21 GiB`.
pub fn bytes(value: f64) -> String {
    if !value.is_finite() || value < 0.0 {
        return "—".into();
    }
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = value;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{v:.0}\u{a0}B"),
        _ if v >= 100.0 => format!("{v:.0}\u{a0}{}", UNITS[unit]),
        _ if v >= 10.0 => format!("{v:.1}\u{a0}{}", UNITS[unit]),
        _ => format!("{v:.2}\u{a0}{}", UNITS[unit]),
    }
}

/// A byte rate: `1.5 KiB/s`.
pub fn rate(bytes_per_second: f64) -> String {
    format!("{}/s", bytes(bytes_per_second))
}

/// Requests per second: two decimals below 10, one below 100, none above.
pub fn per_second(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    if value < 10.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        int(value)
    }
}

/// Milliseconds: `0.27 ms`, `12.4 ms`, `312 ms`, `1.24 s`.
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() {
        return "—".into();
    }
    if ms < 1.0 {
        format!("{ms:.2}\u{a0}ms")
    } else if ms < 100.0 {
        format!("{ms:.1}\u{a0}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}\u{a0}ms")
    } else {
        format!("{:.2}\u{a0}s", ms / 1000.0)
    }
}

/// A duration in the two largest units: `42s`, `3m 12s`, `5h 02m`, `3d 4h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "—".into();
    }
    let s = seconds.floor() as u64;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

/// How long ago `then_ms` was at `now_ms`: `just now`, `12s ago`, `3m ago`, `2h ago`, `4d ago`.
pub fn ago(then_ms: f64, now_ms: f64) -> String {
    let s = ((now_ms - then_ms) / 1000.0).max(0.0);
    if s < 2.0 {
        "just now".into()
    } else if s < 60.0 {
        format!("{s:.0}s ago")
    } else if s < 3600.0 {
        format!("{:.0}m ago", (s / 60.0).floor())
    } else if s < 86_400.0 {
        format!("{:.0}h ago", (s / 3600.0).floor())
    } else {
        format!("{:.0}d ago", (s / 86_400.0).floor())
    }
}

/// Time left until `deadline_ms`: `4m 12s`, or `expired`.
pub fn countdown(deadline_ms: f64, now_ms: f64) -> String {
    let left = (deadline_ms - now_ms) / 1000.0;
    if left <= 0.0 {
        "expired".into()
    } else {
        duration(left.ceil())
    }
}

/// Shortens a long id for a table cell, keeping its start and end: `session-3f2a…1795`.
pub fn short_id(id: &str, keep: usize) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= keep * 2 + 1 {
        return id.to_string();
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_monitoring_tool() {
        assert_eq!(int(1234567.0), "1\u{202f}234\u{202f}567");
        assert_eq!(int(-999.0), "-999");
        assert_eq!(int(f64::NAN), "—");
        assert_eq!(percent(42.345), "42.3\u{a0}%");
        assert_eq!(percent(250.0), "250\u{a0}%");
        assert_eq!(percent(-0.0), "0.0\u{a0}%");
        assert_eq!(fraction_percent(0.0), "0\u{a0}%");
        assert_eq!(fraction_percent(0.0025), "0.25\u{a0}%");
        assert_eq!(fraction_percent(0.3), "30.0\u{a0}%");
        assert_eq!(per_second(2.5), "2.50");
        assert_eq!(per_second(42.0), "42.0");
        assert_eq!(millis(0.267), "0.27\u{a0}ms");
        assert_eq!(millis(1500.0), "1.50\u{a0}s");
        assert_eq!(fixed(1.0, 0), "1");
    }

    #[test]
    fn sizes_and_rates_use_binary_units() {
        assert_eq!(bytes(512.0), "512\u{a0}B");
        assert_eq!(bytes(1536.0), "1.50\u{a0}KiB");
        assert_eq!(bytes(12.0 * 1024.0 * 1024.0), "12.0\u{a0}MiB");
        assert_eq!(bytes(300.0 * 1024.0 * 1024.0), "300\u{a0}MiB");
        assert_eq!(bytes(-1.0), "—");
        assert_eq!(rate(2048.0), "2.00\u{a0}KiB/s");
    }

    #[test]
    fn durations_show_the_two_largest_units() {
        assert_eq!(duration(42.7), "42s");
        assert_eq!(duration(192.0), "3m 12s");
        assert_eq!(duration(5.0 * 3600.0 + 120.0), "5h 02m");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3600.0), "3d 4h");
        assert_eq!(ago(0.0, 500.0), "just now");
        assert_eq!(ago(0.0, 12_000.0), "12s ago");
        assert_eq!(ago(0.0, 190_000.0), "3m ago");
        assert_eq!(countdown(10_000.0, 10_000.0), "expired");
        assert_eq!(countdown(70_500.0, 10_000.0), "1m 01s");
    }

    #[test]
    fn timestamps_and_ids() {
        assert_eq!(parse_ts_ms("1970-01-01T00:00:01.500Z"), Some(1500.0));
        assert!(parse_ts_ms("2026-11-22T08:08:21.433263+00:00").is_some());
        assert_eq!(parse_ts_ms("yesterday"), None);
        assert_eq!(short_id("abcdefghijkl", 3), "abc…jkl");
        assert_eq!(short_id("abc", 3), "abc");
    }
}
