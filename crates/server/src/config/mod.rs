//! Typed configuration, loaded once at start-up.
//!
//! Layers, later ones win: built-in defaults → optional TOML file → `.env` file → process environment.
//! Every key has one flat, lower-case name (`kato_api_url`) that is the same in the TOML file and, upper-cased
//! (`KATO_API_URL`), in `.env` and the environment. The old Python dashboard's variables keep their names and
//! meaning; `.env.example` documents every key and a test keeps it complete.
//!
//! In code the keys are grouped into sections by what uses them (`config.kato.api_url`, `config.ws.heartbeat()`),
//! one small struct each, `#[serde(flatten)]`ed into [`Config`] with `#[serde(rename)]` on every field whose key
//! is not its name, so the keys, [`Config::keys`], the defaults and the redacted dump stay flat.
//!
//! Nothing here does I/O beyond reading the two files; the result is validated and passed around as
//! `Arc<Config>`. `Debug` redacts secrets and passwords inside URLs.

mod alerts;
mod auth;
mod databases;
mod fleet;
mod history;
mod load;
mod redact;
mod server;
mod sources;
#[cfg(test)]
mod tests;
mod validate;
mod ws;

pub use kato_dashboard_core::redact::redact_url;

use std::{collections::BTreeSet, fmt, path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

pub use alerts::{AlertsConfig, WebhookFormat};
pub use auth::AuthConfig;
pub use databases::{ClickHouseConfig, MongoConfig, QdrantConfig, RedisConfig};
pub use fleet::FleetConfig;
pub use history::HistoryConfig;
pub use load::{ConfigError, LoadOptions};
pub use server::{HttpConfig, LogConfig, LogFormat, ServerConfig};
pub use sources::{DockerConfig, KatoConfig};
pub use ws::WsConfig;

/// The whole configuration: one field per section, each flattened, so a key is the name of a field of a section
/// (or its `rename`), never `section.field`.
///
/// `Serialize` and `Deserialize` see the flat keys. [`Config::load`] does not deserialize a `Config` in one go: it
/// reads each section straight from the `config` crate, because `flatten` buffers the values and the crate's
/// conversions (`"3000"` → `u16`, `"yes"` → `bool`) are lost on the way (rust-cli/config-rs#88). Adding a section
/// means a field here and a line in `load::sections`, which the compiler asks for.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// Bind address, static files, data folder, shutdown grace.
    #[serde(flatten)]
    pub server: ServerConfig,
    /// HTTP connection limits and timeouts, CORS origins, allowed `Host` names.
    #[serde(flatten)]
    pub http: HttpConfig,
    /// Log level and format.
    #[serde(flatten)]
    pub log: LogConfig,
    /// The KATO API and its polling.
    #[serde(flatten)]
    pub kato: KatoConfig,
    /// Several KATO instances watched one by one, and the fleet alerts.
    #[serde(flatten)]
    pub fleet: FleetConfig,
    /// The Docker engine and the monitored containers.
    #[serde(flatten)]
    pub docker: DockerConfig,
    /// KATO's MongoDB.
    #[serde(flatten)]
    pub mongo: MongoConfig,
    /// KATO's Qdrant.
    #[serde(flatten)]
    pub qdrant: QdrantConfig,
    /// KATO's Redis and the session reconciliation.
    #[serde(flatten)]
    pub redis: RedisConfig,
    /// KATO's ClickHouse.
    #[serde(flatten)]
    pub clickhouse: ClickHouseConfig,
    /// Admin token, read-only switches, legacy login keys.
    #[serde(flatten)]
    pub auth: AuthConfig,
    /// The `/ws` push.
    #[serde(flatten)]
    pub ws: WsConfig,
    /// Alert thresholds, rules, store and webhook.
    #[serde(flatten)]
    pub alerts: AlertsConfig,
    /// The persistent, tiered history of chart figures.
    #[serde(flatten)]
    pub history: HistoryConfig,
}

impl Config {
    /// Every configuration key, lower-case, as `Config::default()` serializes them.
    pub fn keys() -> BTreeSet<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    /// Origins allowed to open `/ws` (besides same-origin pages): `WS_ALLOWED_ORIGINS`, else `CORS_ORIGINS`.
    pub fn ws_origin_list(&self) -> Vec<String> {
        let own = split_list(&self.ws.allowed_origins);
        if own.is_empty() {
            self.http.cors_origin_list()
        } else {
            own
        }
    }

    /// The folder of the history: `HISTORY_DATA_DIR`, else `DATA_DIR`.
    pub fn history_dir(&self) -> PathBuf {
        self.history
            .data_dir
            .clone()
            .unwrap_or_else(|| self.server.data_dir.clone())
    }

    /// The folder of the alert store: `ALERT_DATA_DIR`, else `DATA_DIR`.
    pub fn alert_store_dir(&self) -> PathBuf {
        self.alerts
            .data_dir
            .clone()
            .unwrap_or_else(|| self.server.data_dir.clone())
    }
}

/// Seconds as a `Duration`, saturating on nonsense (validated earlier).
pub(crate) fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// Splits a comma-separated list, trimming and dropping empty entries.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = serde_json::to_value(self).map_err(|_| fmt::Error)?;
        redact::redact_config(&mut value);
        write!(f, "Config {value}")
    }
}
