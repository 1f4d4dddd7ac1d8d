//! Answers of the persistent history API (`GET /api/v1/system/history?from&to&step&series`, and
//! `/system/history/series`) as view data: bucketed series with their gaps, markers (alerts, KATO restarts), the
//! store's status and oldest sample. Read leniently with `serde_json::Value` (no derived deserializers: they cost
//! WASM size); pure and tested natively.

use serde_json::Value;

use super::json::{num, text};
use super::range::TimeRange;
use super::sessions::encode_component;

/// One bucket: `[t, min, avg, max, sum, n]` (`t` in ms here). Values the server left out are NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub t_ms: f64,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub sum: f64,
    pub n: f64,
}

/// One series of an answer, oldest bucket first.
#[derive(Debug, Clone, PartialEq)]
pub struct HistSeries {
    pub name: String,
    /// `count` series (occurrences) plot the bucket's sum; gauges plot its mean.
    pub count: bool,
    pub buckets: Vec<Bucket>,
}

impl HistSeries {
    /// `(t ms, value)` for a chart: the sum of a count, the mean of a gauge; buckets without a value left out
    /// (the chart breaks the line there).
    pub fn values(&self) -> Vec<(f64, f64)> {
        self.buckets
            .iter()
            .map(|b| (b.t_ms, if self.count { b.sum } else { b.avg }))
            .filter(|p| p.1.is_finite())
            .collect()
    }

    /// The total of a count series over the answer (sum of the buckets' sums).
    pub fn total(&self) -> f64 {
        self.buckets
            .iter()
            .map(|b| b.sum)
            .filter(|s| s.is_finite())
            .sum()
    }
}

/// An event drawn as a vertical line on every chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub t_ms: f64,
    pub kind: String,
    pub label: String,
    pub severity: String,
}

impl Marker {
    /// The colour class: alerts by severity, KATO restarts as information, outages as errors (the live charts
    /// draw the socket's `kato_event`s too).
    pub fn tone(&self) -> &'static str {
        match (self.kind.as_str(), self.severity.as_str()) {
            ("alert", "critical" | "error") => "bad",
            ("alert", _) => "warn",
            ("kato_restart" | "kato_restarted", _) => "info",
            ("kato_unreachable", _) => "bad",
            ("kato_reachable", _) => "ok",
            _ => "idle",
        }
    }
}

/// One answer (or several merged): the window, the bucket size, the series and the markers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryData {
    pub from_ms: f64,
    pub to_ms: f64,
    pub step_s: f64,
    pub tier: String,
    pub series: Vec<HistSeries>,
    pub markers: Vec<Marker>,
}

fn bucket(row: &Value) -> Option<Bucket> {
    let a = row.as_array()?;
    let at = |i: usize| a.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let t = at(0);
    t.is_finite().then(|| Bucket {
        t_ms: t * 1000.0,
        min: at(1),
        avg: at(2),
        max: at(3),
        sum: at(4),
        n: at(5),
    })
}

impl HistoryData {
    /// Reads an answer; `Err` says what is wrong with it.
    pub fn from_value(v: &Value) -> Result<Self, String> {
        let list = v
            .get("series")
            .and_then(Value::as_array)
            .ok_or("the answer has no series list")?;
        let series = list
            .iter()
            .filter_map(|s| {
                Some(HistSeries {
                    name: text(s, "name")?,
                    count: s.get("kind").and_then(Value::as_str) == Some("count"),
                    buckets: s
                        .get("points")
                        .and_then(Value::as_array)
                        .map(|p| p.iter().filter_map(bucket).collect())
                        .unwrap_or_default(),
                })
            })
            .collect();
        let markers = v
            .get("markers")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|m| {
                        Some(Marker {
                            t_ms: num(m, "t")? * 1000.0,
                            kind: text(m, "kind").unwrap_or_default(),
                            label: text(m, "label").unwrap_or_default(),
                            severity: text(m, "severity").unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(HistoryData {
            from_ms: num(v, "from").unwrap_or(0.0) * 1000.0,
            to_ms: num(v, "to").unwrap_or(0.0) * 1000.0,
            step_s: num(v, "step").unwrap_or(1.0).max(1.0),
            tier: text(v, "tier").unwrap_or_default(),
            series,
            markers,
        })
    }

    /// The series called `name`.
    pub fn get(&self, name: &str) -> Option<&HistSeries> {
        self.series.iter().find(|s| s.name == name)
    }

    /// Series whose name starts with `prefix` and ends with `suffix`, with the part between (`kb.` + `.patterns`
    /// → the KB id; `alerts.fired.` + `` → the rule), sorted by that part.
    pub fn matching<'a>(&'a self, prefix: &str, suffix: &str) -> Vec<(&'a str, &'a HistSeries)> {
        let mut out: Vec<(&str, &HistSeries)> = self
            .series
            .iter()
            .filter_map(|s| {
                let rest = s.name.strip_prefix(prefix)?.strip_suffix(suffix)?;
                (!rest.is_empty()).then_some((rest, s))
            })
            .collect();
        insertion_sort(&mut out, |a, b| a.0 < b.0);
        out
    }

    /// The newest bucket time of any series.
    pub fn last_bucket_ms(&self) -> Option<f64> {
        self.series
            .iter()
            .filter_map(|s| s.buckets.last().map(|b| b.t_ms))
            .reduce(f64::max)
    }

    /// Adds a newer answer fetched for the live edge: its buckets replace this one's from its start on (the last
    /// bucket was still filling), new series join, and everything before `keep_from_ms` (out of the moving
    /// window) is dropped. A different bucket size replaces the whole answer.
    pub fn merge(&mut self, newer: HistoryData, keep_from_ms: f64) {
        if newer.step_s != self.step_s {
            *self = newer;
            return;
        }
        let cut = newer.from_ms;
        let keep = |t: f64| t >= keep_from_ms && t < cut;
        for s in &mut self.series {
            s.buckets.retain(|b| keep(b.t_ms));
        }
        for n in newer.series {
            match self.series.iter_mut().find(|s| s.name == n.name) {
                Some(s) => s.buckets.extend(n.buckets),
                None => self.series.push(n),
            }
        }
        self.markers.retain(|m| keep(m.t_ms));
        self.markers.extend(newer.markers);
        self.from_ms = self.from_ms.max(keep_from_ms);
        self.to_ms = newer.to_ms;
        self.tier = newer.tier;
    }

    /// Gaps in a line: consecutive buckets further apart than this are not joined.
    pub fn gap_ms(&self) -> f64 {
        self.step_s * 1000.0 * 1.5
    }
}

/// Sorts a short list (a handful of rules, KBs or patterns) stably: `slice::sort_by` would add ~4 KB of WASM per
/// element type.
pub fn insertion_sort<T>(v: &mut [T], before: impl Fn(&T, &T) -> bool) {
    for n in 1..v.len() {
        let mut at = n;
        while at > 0 && before(&v[at], &v[at - 1]) {
            v.swap(at, at - 1);
            at -= 1;
        }
    }
}

/// `(t ms, Σ value)` over several gauges bucket by bucket (e.g. CPU of all containers), oldest first: a merge of
/// the time-ordered series (no sort: it would cost WASM size).
pub fn sum_by_time(series: &[&HistSeries]) -> Vec<(f64, f64)> {
    let values: Vec<Vec<(f64, f64)>> = series.iter().map(|s| s.values()).collect();
    let mut next = vec![0usize; values.len()];
    let mut out = Vec::new();
    loop {
        let t = values
            .iter()
            .zip(&next)
            .filter_map(|(v, i)| v.get(*i).map(|p| p.0))
            .reduce(f64::min);
        let Some(t) = t else {
            return out;
        };
        let mut sum = 0.0;
        for (v, i) in values.iter().zip(next.iter_mut()) {
            if let Some(p) = v.get(*i).filter(|p| p.0 == t) {
                sum += p.1;
                *i += 1;
            }
        }
        out.push((t, sum));
    }
}

/// The query of a history request (after `/system/history?`): window, step, series (comma-separated, `*`
/// prefixes kept readable), and `format=csv` for the download link.
pub fn history_query(from_s: i64, to_s: i64, step_s: i64, series: &str, csv: bool) -> String {
    let names: Vec<String> = series.split(',').map(encode_component).collect();
    let mut q = format!(
        "from={from_s}&to={to_s}&step={step_s}&series={}",
        names.join(",").replace("%2A", "*")
    );
    if csv {
        q.push_str("&format=csv");
    }
    q
}

/// The query for the newest buckets of a live range: from the last bucket held (refetched: it was still filling)
/// or the window's start, to now.
pub fn refresh_query(
    held: Option<&HistoryData>,
    range: &TimeRange,
    now_ms: f64,
    step_s: i64,
    series: &str,
) -> String {
    let (from, to) = range.window_s(now_ms);
    let from = held
        .and_then(HistoryData::last_bucket_ms)
        .map(|t| ((t / 1000.0) as i64).max(from))
        .unwrap_or(from);
    history_query(from, to, step_s, series, false)
}

/// What `/system/history/series` says about the store: whether it works, since when it holds data (its series
/// list and size are not shown, so not read).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreInfo {
    pub ok: bool,
    pub error: Option<String>,
    /// The oldest sample of any tier (ms).
    pub oldest_ms: Option<f64>,
}

impl StoreInfo {
    /// Reads the answer.
    pub fn from_value(v: &Value) -> Self {
        let oldest_ms = v
            .get("usage")
            .and_then(|u| u.get("tiers"))
            .and_then(Value::as_array)
            .and_then(|tiers| {
                tiers
                    .iter()
                    .filter_map(|t| num(t, "oldest"))
                    .reduce(f64::min)
            })
            .map(|s| s * 1000.0);
        StoreInfo {
            ok: v
                .get("status")
                .and_then(|s| s.get("ok"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            error: text(v, "status.error"),
            oldest_ms,
        }
    }
}

/// What a chart without data in its window says: `nothing` (e.g. "No sessions ended in this range"), or, when
/// the window reaches back before the store's first sample, since when history is collected (`when` formats a
/// time for the reader).
pub fn no_data_text(
    store_oldest_ms: Option<f64>,
    window: (f64, f64),
    nothing: &str,
    when: impl Fn(f64) -> String,
) -> String {
    match store_oldest_ms {
        None => "No history collected yet: the dashboard records it while it runs.".into(),
        Some(oldest) if oldest > window.1 => {
            format!(
                "History is collected from {}, after this range.",
                when(oldest)
            )
        }
        Some(oldest) if oldest > window.0 => {
            format!("{nothing}. History is collected from {}.", when(oldest))
        }
        Some(_) => format!("{nothing}."),
    }
}

#[cfg(test)]
#[path = "history_api_tests.rs"]
mod tests;
