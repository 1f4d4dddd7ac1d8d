//! Loading: defaults → TOML file → `.env` → environment, through the `config` crate, then read section by section
//! into [`Config`] (see [`sections`] for why not in one go) and validated.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::{Path, PathBuf},
};

use config::{Environment, File, FileFormat};
use serde::de::{DeserializeOwned, IgnoredAny};

use super::Config;

/// A configuration that could not be loaded or is invalid; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is present but wrong.
    #[error("invalid configuration: {key}: {reason}")]
    Invalid {
        /// The key, upper-case as in the environment.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be read or parsed, or a value has the wrong type.
    #[error("cannot load configuration: {0}")]
    Load(String),
}

impl ConfigError {
    pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.to_uppercase(),
            reason: reason.into(),
        }
    }
}

/// Where to read from. `Default` = no TOML file unless `KATO_DASHBOARD_CONFIG` names one, `./.env` if it
/// exists, and the process environment.
#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// TOML file; must exist when given.
    pub file: Option<PathBuf>,
    /// `.env` file; `None` = `./.env` when present.
    pub dotenv: Option<PathBuf>,
    /// Environment to use instead of the process's (tests).
    pub env: Option<HashMap<String, String>>,
}

impl Config {
    /// Loads and validates the configuration.
    pub fn load(options: LoadOptions) -> Result<Config, ConfigError> {
        let process_env: HashMap<String, String> = match options.env {
            Some(env) => env,
            None => std::env::vars().collect(),
        };
        let keys = Config::keys();
        let file = options.file.or_else(|| {
            process_env
                .get("KATO_DASHBOARD_CONFIG")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        });
        let dotenv_path = options.dotenv.unwrap_or_else(|| PathBuf::from(".env"));

        let mut builder = config::Config::builder();
        if let Some(path) = &file {
            if !path.exists() {
                return Err(ConfigError::Load(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
        }
        if dotenv_path.exists() {
            let dotenv = read_dotenv(&dotenv_path)?;
            builder = builder.add_source(env_source(known_only(dotenv, &keys)));
        }
        builder = builder.add_source(env_source(known_only(process_env, &keys)));

        let built = builder
            .build()
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        reject_unknown(&built, &keys)?;
        let config =
            sections(&built).map_err(|e| ConfigError::Load(upper_keys(&e.to_string(), &keys)))?;
        config.validate()?;
        Ok(config)
    }
}

/// Reads each section straight from the merged sources. `built.try_deserialize::<Config>()` would go through
/// serde's `flatten`, which buffers every value as what it looks like (a string from the environment, an integer
/// from TOML) and then fails on `PORT=8081` for a `u16` or on `ADMIN_TOKEN=12345678` for a `String`; read
/// directly, the `config` crate converts each value to the type its field asks for (rust-cli/config-rs#88).
fn sections(built: &config::Config) -> Result<Config, config::ConfigError> {
    fn section<T: DeserializeOwned>(built: &config::Config) -> Result<T, config::ConfigError> {
        built.clone().try_deserialize()
    }
    Ok(Config {
        server: section(built)?,
        http: section(built)?,
        log: section(built)?,
        kato: section(built)?,
        fleet: section(built)?,
        docker: section(built)?,
        mongo: section(built)?,
        qdrant: section(built)?,
        redis: section(built)?,
        clickhouse: section(built)?,
        auth: section(built)?,
        ws: section(built)?,
        alerts: section(built)?,
        history: section(built)?,
    })
}

/// Refuses keys no section knows (the environment and `.env` are filtered before; this catches TOML typos and
/// `[section]` tables: the TOML file uses the flat keys too).
fn reject_unknown(built: &config::Config, keys: &BTreeSet<String>) -> Result<(), ConfigError> {
    let present: BTreeMap<String, IgnoredAny> = built
        .clone()
        .try_deserialize()
        .map_err(|e| ConfigError::Load(e.to_string()))?;
    let unknown: Vec<&str> = present
        .keys()
        .map(String::as_str)
        .filter(|k| !keys.contains(*k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ConfigError::Load(format!(
        "unknown key(s) `{}`: the keys are listed in .env.example (lower-case in the TOML file, without sections)",
        unknown.join("`, `")
    )))
}

/// Values stay strings here; each field's deserializer converts them (`"8081"` → `u16`, `"yes"` → `bool`), so a
/// token made of digits keeps its leading zeros.
fn env_source(map: HashMap<String, String>) -> Environment {
    Environment::default().source(Some(map))
}

/// Reads a `.env` file into a map (later lines win).
pub(crate) fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| ConfigError::Load(format!("{}: {e}", path.display())))?;
    let mut out = HashMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| ConfigError::Load(format!("{}: {e}", path.display())))?;
        out.insert(k, v);
    }
    Ok(out)
}

/// Keeps the variables that are configuration keys (case-insensitive); empty values count as unset.
fn known_only(vars: HashMap<String, String>, keys: &BTreeSet<String>) -> HashMap<String, String> {
    vars.into_iter()
        .filter(|(k, v)| !v.trim().is_empty() && keys.contains(&k.to_lowercase()))
        .map(|(k, v)| (k.to_lowercase(), v))
        .collect()
}

/// The `config` crate reports lower-case keys; users set upper-case ones.
fn upper_keys(message: &str, keys: &BTreeSet<String>) -> String {
    let mut out = message.to_owned();
    for key in keys {
        if out.contains(key.as_str()) {
            out = out.replace(key.as_str(), &key.to_uppercase());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            file: None,
            dotenv: Some(PathBuf::from("/nonexistent/.env")),
            env: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn defaults_load_and_old_variables_are_honoured() {
        let c = Config::load(env(&[])).unwrap();
        assert_eq!(c.server.port, 3000);
        assert_eq!(c.kato.api_url.as_str(), "http://kato:8000/");
        let c = Config::load(env(&[
            ("PORT", "8081"),
            ("KATO_API_URL", "http://127.0.0.1:9000"),
            ("ALERT_CPU_THRESHOLD", "70"),
            ("ALERT_ERROR_RATE_THRESHOLD", "0.1"),
            ("MONGO_READ_ONLY", "true"),
            ("CORS_ORIGINS", "http://a, http://b,"),
            ("WEBSOCKET_SYSTEM_ALERTS", "false"),
            ("PATH", "/usr/bin"),
        ]))
        .unwrap();
        assert_eq!(c.server.port, 8081);
        assert_eq!(c.kato.api_url.port(), Some(9000));
        assert_eq!(c.alerts.cpu_threshold, 70.0);
        assert!(c.auth.read_only());
        assert_eq!(c.http.cors_origin_list(), vec!["http://a", "http://b"]);
        assert!(!c.ws.system_alerts);
    }

    #[test]
    fn numeric_tokens_stay_strings_and_empty_means_unset() {
        let c = Config::load(env(&[("ADMIN_TOKEN", "1234567890"), ("STATIC_DIR", "")])).unwrap();
        assert_eq!(c.auth.admin_token.as_deref(), Some("1234567890"));
        assert!(c.server.static_dir.is_none());
        let c = Config::load(env(&[
            ("ADMIN_TOKEN", "0012345678"),
            ("DOCKER_ENABLED", "yes"),
        ]))
        .unwrap();
        assert_eq!(
            c.auth.admin_token.as_deref(),
            Some("0012345678"),
            "leading zeros kept"
        );
        assert!(c.docker.enabled);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (key, value) in [
            ("PORT", "http"),
            ("ALERT_ERROR_RATE_THRESHOLD", "5"),
            ("KATO_API_URL", "ftp://x"),
            ("HOST", "not an ip"),
            ("ADMIN_TOKEN", "short"),
            ("WS_EVENT_QUEUE", "0"),
            ("DOCKER_ENABLED", "maybe"),
        ] {
            let err = Config::load(env(&[(key, value)])).unwrap_err().to_string();
            assert!(err.contains(key), "{key}={value}: {err}");
        }
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("dash.toml");
        std::fs::write(
            &toml,
            "port = 4000\nlog_level = \"debug\"\nbroadcast_interval = 0.5\n",
        )
        .unwrap();
        let dotenv = dir.path().join(".env");
        std::fs::write(&dotenv, "LOG_LEVEL=warn\nALERT_COOLDOWN_SECONDS=30\n").unwrap();
        let c = Config::load(LoadOptions {
            file: Some(toml),
            dotenv: Some(dotenv),
            env: Some([("ALERT_COOLDOWN_SECONDS".to_string(), "10".to_string())].into()),
        })
        .unwrap();
        assert_eq!(c.server.port, 4000, "TOML over defaults");
        assert_eq!(c.log.level, "warn", ".env over TOML");
        assert_eq!(c.alerts.cooldown_seconds, 10.0, "environment over .env");
        assert_eq!(
            c.ws.broadcast_interval(),
            std::time::Duration::from_millis(500)
        );
    }

    #[test]
    fn unknown_toml_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("dash.toml");
        for (text, key) in [
            ("prot = 4000\n", "prot"),
            ("[ws]\nheartbeat_seconds = 3\n", "ws"),
        ] {
            std::fs::write(&toml, text).unwrap();
            let err = Config::load(LoadOptions {
                file: Some(toml.clone()),
                ..env(&[])
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains(&format!("`{key}`")), "{err}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config::load(env(&[
            ("ADMIN_TOKEN", "supersecret"),
            ("REDIS_URL", "redis://:pw@r:6379"),
            ("QDRANT_API_KEY", "qdrant-key-123"),
        ]))
        .unwrap();
        assert_eq!(c.qdrant.api_key.as_deref(), Some("qdrant-key-123"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("supersecret")
                && !shown.contains(":pw@")
                && !shown.contains("qdrant-key-123"),
            "{shown}"
        );
    }

    #[test]
    fn broadcast_interval_has_a_floor() {
        let c = Config::load(env(&[("BROADCAST_INTERVAL", "0.01")])).unwrap();
        assert_eq!(
            c.ws.broadcast_interval(),
            std::time::Duration::from_millis(250)
        );
    }
}
