//! Loading: defaults → TOML file → `.env` → environment, through the `config` crate.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
};

use config::{Environment, File, FileFormat};

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
        let config: Config = built
            .try_deserialize()
            .map_err(|e| ConfigError::Load(upper_keys(&e.to_string(), &keys)))?;
        config.validate()?;
        Ok(config)
    }
}

fn env_source(map: HashMap<String, String>) -> Environment {
    Environment::default().source(Some(map)).try_parsing(true)
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
        assert_eq!(c.port, 3000);
        assert_eq!(c.kato_api_url.as_str(), "http://kato:8000/");
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
        assert_eq!(c.port, 8081);
        assert_eq!(c.kato_api_url.port(), Some(9000));
        assert_eq!(c.alert_cpu_threshold, 70.0);
        assert!(c.read_only());
        assert_eq!(c.cors_origin_list(), vec!["http://a", "http://b"]);
        assert!(!c.websocket_system_alerts);
    }

    #[test]
    fn numeric_tokens_stay_strings_and_empty_means_unset() {
        let c = Config::load(env(&[("ADMIN_TOKEN", "1234567890"), ("STATIC_DIR", "")])).unwrap();
        assert_eq!(c.admin_token.as_deref(), Some("1234567890"));
        assert!(c.static_dir.is_none());
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Config::load(env(&[("PORT", "http")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("PORT"), "{err}");
        let err = Config::load(env(&[("ALERT_ERROR_RATE_THRESHOLD", "5")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ALERT_ERROR_RATE_THRESHOLD"), "{err}");
        let err = Config::load(env(&[("KATO_API_URL", "ftp://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KATO_API_URL"), "{err}");
        let err = Config::load(env(&[("HOST", "not an ip")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("HOST"), "{err}");
        let err = Config::load(env(&[("ADMIN_TOKEN", "short")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ADMIN_TOKEN"), "{err}");
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
        assert_eq!(c.port, 4000, "TOML over defaults");
        assert_eq!(c.log_level, "warn", ".env over TOML");
        assert_eq!(c.alert_cooldown_seconds, 10.0, "environment over .env");
        assert_eq!(
            c.broadcast_interval(),
            std::time::Duration::from_millis(500)
        );
    }

    #[test]
    fn unknown_toml_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("dash.toml");
        std::fs::write(&toml, "prot = 4000\n").unwrap();
        let err = Config::load(LoadOptions {
            file: Some(toml),
            ..env(&[])
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config::load(env(&[
            ("ADMIN_TOKEN", "supersecret"),
            ("REDIS_URL", "redis://:pw@r:6379"),
            ("QDRANT_API_KEY", "qdrant-key-123"),
        ]))
        .unwrap();
        assert_eq!(c.qdrant_api_key.as_deref(), Some("qdrant-key-123"));
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
            c.broadcast_interval(),
            std::time::Duration::from_millis(250)
        );
    }
}
