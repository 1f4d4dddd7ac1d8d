//! The values the store takes and answers with.

use std::time::Duration;

use serde::Serialize;

/// How a series' samples combine in a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// A level (CPU %, requests/s, active sessions): a bucket's value is the mean of its samples; min and max are
    /// kept. Two samples of one series in the same second: the later one wins.
    Gauge,
    /// Occurrences (sessions created, alerts fired): a bucket's value is the sum. Two samples of one series in the
    /// same second add up.
    Count,
}

/// One figure of one sampling round.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Series name (`kato.cpu_percent`, `container.kato.cpu_percent`, `sessions.created`, …). A series keeps the
    /// kind it was first written with.
    pub series: String,
    /// Gauge or count.
    pub kind: SeriesKind,
    /// The value (non-finite values are skipped).
    pub value: f64,
}

/// Something that happened at an instant, drawn on the time axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// Unix seconds.
    pub t: i64,
    /// `alert`, `kato_restart`, …
    pub kind: String,
    /// What it names (rule and subject, instance id).
    pub label: String,
    /// `critical`, `warning`, `info`, or empty.
    pub severity: String,
}

/// A tier of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Tier {
    /// Samples as written (about one per second).
    #[serde(rename = "raw")]
    Raw,
    /// 1-minute buckets.
    #[serde(rename = "1m")]
    Minute,
    /// 1-hour buckets.
    #[serde(rename = "1h")]
    Hour,
}

impl Tier {
    /// Every tier, finest first.
    pub const ALL: [Tier; 3] = [Tier::Raw, Tier::Minute, Tier::Hour];

    /// Seconds per bucket (1 for raw).
    pub fn step(self) -> i64 {
        match self {
            Tier::Raw => 1,
            Tier::Minute => 60,
            Tier::Hour => 3600,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Raw => "raw",
            Tier::Minute => "1m",
            Tier::Hour => "1h",
        }
    }
}

/// Retention and budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long raw samples are kept (default 6 h).
    pub raw_keep: Duration,
    /// How long 1-minute buckets are kept (default 30 days).
    pub minute_keep: Duration,
    /// How long 1-hour buckets are kept (default 365 days).
    pub hour_keep: Duration,
    /// Most bytes the database (file and journal) may use (default 200 MB); the oldest data of the finest tiers
    /// goes first when it is exceeded.
    pub budget_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            raw_keep: Duration::from_secs(6 * 3600),
            minute_keep: Duration::from_secs(30 * 86_400),
            hour_keep: Duration::from_secs(365 * 86_400),
            budget_bytes: 200 * 1000 * 1000,
        }
    }
}

/// A range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Start, unix seconds (inclusive).
    pub from: i64,
    /// End, unix seconds (inclusive).
    pub to: i64,
    /// Seconds per point wanted; `None`: the finest tier that covers `from`, at that tier's step, unless that
    /// gives more than `max_points`, then the smallest step that does not.
    pub step: Option<i64>,
    /// Series names; a name ending in `*` matches every series with that prefix (`container.*`).
    pub series: Vec<String>,
    /// Most points per series (a query that would give more is refused with [`crate::StoreError::BadQuery`]).
    pub max_points: usize,
    /// Most points of all the matched series together (buckets × series), checked before anything is read, so a
    /// `prefix*` that matches hundreds of series cannot make one answer take gigabytes; 0: only `max_points`.
    pub max_total_points: usize,
}

/// One bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Bucket start, unix seconds.
    pub t: i64,
    /// Smallest sample.
    pub min: f64,
    /// Mean of the samples.
    pub avg: f64,
    /// Largest sample.
    pub max: f64,
    /// Sum of the samples (what a count series plots).
    pub sum: f64,
    /// Samples in the bucket.
    pub n: u64,
}

/// One series of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoints {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SeriesKind,
    /// Buckets with data, oldest first (a bucket without samples is absent: a gap).
    pub points: Vec<Point>,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The tier read.
    pub tier: Tier,
    /// Seconds per point (a multiple of the tier's step).
    pub step: i64,
    /// The series that matched, by name.
    pub series: Vec<SeriesPoints>,
}

/// A series the store knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesInfo {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SeriesKind,
    /// Its newest sample (unix seconds).
    pub last: i64,
}

/// One tier's size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierUsage {
    /// The tier.
    pub tier: Tier,
    /// Rows.
    pub rows: u64,
    /// Oldest bucket (unix seconds), if any.
    pub oldest: Option<i64>,
    /// Newest bucket (unix seconds), if any.
    pub newest: Option<i64>,
}

/// What the store holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// Bytes used on disk (database file and its write-ahead log).
    pub bytes: u64,
    /// The budget.
    pub budget_bytes: u64,
    /// Per tier, finest first.
    pub tiers: Vec<TierUsage>,
    /// Series known.
    pub series: u64,
    /// Markers kept.
    pub markers: u64,
}

/// What one [`crate::HistoryStore::maintain`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Maintenance {
    /// 1-minute buckets written (or rewritten).
    pub minutes_rolled: u64,
    /// 1-hour buckets written (or rewritten).
    pub hours_rolled: u64,
    /// Rows removed for their age.
    pub aged_out: u64,
    /// Rows removed to keep within the budget.
    pub over_budget: u64,
    /// Bytes used afterwards.
    pub bytes: u64,
}
