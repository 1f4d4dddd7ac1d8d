//! The persistent history: where it lives, how long each tier keeps, its disk budget, and how often it samples.
//! Plain data; no I/O.

use std::{path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

/// The tiered history of chart figures on disk (`crates/history-store`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryConfig {
    /// Record the history at all (off: charts show the live minutes only; the analytics answer from live data).
    #[serde(rename = "history_enabled")]
    pub enabled: bool,
    /// Folder of the history file; empty: `DATA_DIR`.
    #[serde(rename = "history_data_dir")]
    pub data_dir: Option<PathBuf>,
    /// Most megabytes (10⁶ bytes) the history may use on disk; the oldest data of the finest tiers goes first.
    #[serde(rename = "history_disk_budget_mb")]
    pub disk_budget_mb: f64,
    /// Hours of raw (per-second) samples kept.
    #[serde(rename = "history_raw_hours")]
    pub raw_hours: f64,
    /// Days of 1-minute min/avg/max buckets kept.
    #[serde(rename = "history_minute_days")]
    pub minute_days: f64,
    /// Days of 1-hour buckets kept.
    #[serde(rename = "history_hour_days")]
    pub hour_days: f64,
    /// Seconds between two samples of the live figures.
    #[serde(rename = "history_sample_seconds")]
    pub sample_seconds: f64,
    /// Seconds between two samples of the knowledge bases' sizes (a query to MongoDB or ClickHouse each).
    #[serde(rename = "history_kb_sample_seconds")]
    pub kb_sample_seconds: f64,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            data_dir: None,
            disk_budget_mb: 200.0,
            raw_hours: 6.0,
            minute_days: 30.0,
            hour_days: 365.0,
            sample_seconds: 1.0,
            kb_sample_seconds: 300.0,
        }
    }
}

impl HistoryConfig {
    /// The store's retention and budget.
    pub fn settings(&self) -> kato_dashboard_history_store::Settings {
        let secs = |v: f64| Duration::try_from_secs_f64(v).unwrap_or(Duration::ZERO);
        kato_dashboard_history_store::Settings {
            raw_keep: secs(self.raw_hours * 3600.0),
            minute_keep: secs(self.minute_days * 86_400.0),
            hour_keep: secs(self.hour_days * 86_400.0),
            budget_bytes: (self.disk_budget_mb * 1e6) as u64,
        }
    }

    /// Time between two samples of the live figures.
    pub fn sample_interval(&self) -> Duration {
        super::secs(self.sample_seconds)
    }

    /// Time between two samples of the knowledge bases.
    pub fn kb_sample_interval(&self) -> Duration {
        super::secs(self.kb_sample_seconds)
    }
}
