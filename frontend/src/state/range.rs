//! The time range shared by every chart of a page: a preset relative to now (`?range=6h`, its window ends at the
//! clock's "now" and moves) or an absolute span (`?from=<unix>&to=<unix>`, fixed), as the URL carries it so a reload
//! or a copied link restores the view. Also the choice of bucket size (`step`) for a range and the mapping of a drag
//! across a chart to a new absolute range. Pure: time is an input.

use chrono::DateTime;

/// The presets of the range control: label and span in seconds.
pub const PRESETS: [(&str, i64); 6] = [
    ("15m", 900),
    ("1h", 3_600),
    ("6h", 21_600),
    ("24h", 86_400),
    ("7d", 604_800),
    ("30d", 2_592_000),
];

/// Bucket sizes the history API is asked for: round numbers, and whole minutes and hours where its tiers are.
const STEPS: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 14_400, 21_600, 43_200,
    86_400,
];

/// At most this many buckets per chart (the SVG is 600 units wide).
const MAX_POINTS: i64 = 800;

/// A chart time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    /// The last `n` seconds, ending now.
    Last(i64),
    /// A fixed span, unix seconds.
    Between {
        /// Start (inclusive).
        from: i64,
        /// End.
        to: i64,
    },
}

/// Seconds of a span like `15m`, `6h`, `7d`, `90s` (ASCII, positive).
pub fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.bytes().last()?;
    let n: i64 = text[..text.len() - 1].parse().ok()?;
    let mult = match unit {
        b's' => 1,
        b'm' => 60,
        b'h' => 3_600,
        b'd' => 86_400,
        b'w' => 604_800,
        _ => return None,
    };
    (n > 0).then(|| n.saturating_mul(mult))
}

/// The shortest text for a span: `15m`, `6h`, `7d`, `90s`.
pub fn span_text(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Unix seconds from a URL value: an integer, or RFC 3339.
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|d| d.timestamp())
    })
}

impl TimeRange {
    /// The range in a URL's query values; anything missing or malformed gives `default` (a bad link still shows
    /// a page). An absolute span wins over `range`.
    pub fn from_query(
        range: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        default: TimeRange,
    ) -> TimeRange {
        if let (Some(f), Some(t)) = (from.and_then(parse_instant), to.and_then(parse_instant))
            && f < t
        {
            return TimeRange::Between { from: f, to: t };
        }
        range
            .and_then(parse_span)
            .map(TimeRange::Last)
            .unwrap_or(default)
    }

    /// The query string for this range (without `?`).
    pub fn to_query(&self) -> String {
        match self {
            TimeRange::Last(s) => format!("range={}", span_text(*s)),
            TimeRange::Between { from, to } => format!("from={from}&to={to}"),
        }
    }

    /// Whether the window ends at "now" and moves with it.
    pub fn is_live(&self) -> bool {
        matches!(self, TimeRange::Last(_))
    }

    /// Length in seconds.
    pub fn span_s(&self) -> i64 {
        match self {
            TimeRange::Last(s) => *s,
            TimeRange::Between { from, to } => to - from,
        }
        .max(1)
    }

    /// The window `(from_ms, to_ms)` at `now_ms`.
    pub fn window_ms(&self, now_ms: f64) -> (f64, f64) {
        match self {
            TimeRange::Last(s) => (now_ms - *s as f64 * 1000.0, now_ms),
            TimeRange::Between { from, to } => (*from as f64 * 1000.0, *to as f64 * 1000.0),
        }
    }

    /// The window in whole unix seconds, for the API.
    pub fn window_s(&self, now_ms: f64) -> (i64, i64) {
        let (f, t) = self.window_ms(now_ms);
        ((f / 1000.0).floor() as i64, (t / 1000.0).ceil() as i64)
    }

    /// The preset label of a relative range (`None` for a custom one).
    pub fn preset(&self) -> Option<&'static str> {
        match self {
            TimeRange::Last(s) => PRESETS.iter().find(|p| p.1 == *s).map(|p| p.0),
            TimeRange::Between { .. } => None,
        }
    }
}

/// The bucket size for a chart of `span_s` seconds: the smallest round step giving at most 800 points; at least a
/// minute beyond 3 hours (the raw 1 s tier only holds hours). 1h → 5 s, 6h → 60 s, 24h → 120 s, 7d → 900 s,
/// 30d → 3600 s.
pub fn chart_step(span_s: i64) -> i64 {
    let min = if span_s > 3 * 3_600 { 60 } else { 1 };
    round_step((span_s + MAX_POINTS - 1) / MAX_POINTS).max(min)
}

/// The bucket size for occurrence counts (sessions created, alerts fired): an hour from 24 hours on, else at most
/// 60 bars and at least a minute.
pub fn count_step(span_s: i64) -> i64 {
    if span_s >= 86_400 {
        3_600
    } else {
        round_step((span_s + 59) / 60).max(60)
    }
}

fn round_step(at_least: i64) -> i64 {
    STEPS
        .iter()
        .copied()
        .find(|s| *s >= at_least)
        .unwrap_or(86_400)
}

/// "per hour", "per 10 min", "per 30 s": what one bucket of a count chart holds.
pub fn per_step(step_s: i64) -> String {
    match step_s {
        3_600 => "per hour".into(),
        86_400 => "per day".into(),
        60 => "per minute".into(),
        s if s % 3_600 == 0 => format!("per {} h", s / 3_600),
        s if s % 60 == 0 => format!("per {} min", s / 60),
        s => format!("per {s} s"),
    }
}

/// The position of `x` in `[left, left + width]` as a fraction 0..1 (pointer position over a chart).
pub fn fraction(x: f64, left: f64, width: f64) -> f64 {
    if width > 0.0 {
        ((x - left) / width).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The absolute range selected by dragging from fraction `a` to `b` across a chart showing `[from_ms, to_ms]`;
/// `None` for a click or a sliver (under 1 % of the width or 2 s), which must not zoom.
pub fn drag_range(from_ms: f64, to_ms: f64, a: f64, b: f64) -> Option<TimeRange> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let (lo, hi) = (lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0));
    let span = to_ms - from_ms;
    if hi - lo < 0.01 || span <= 0.0 {
        return None;
    }
    let from = ((from_ms + span * lo) / 1000.0).floor() as i64;
    let to = ((from_ms + span * hi) / 1000.0).ceil() as i64;
    (to - from >= 2).then_some(TimeRange::Between { from, to })
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
