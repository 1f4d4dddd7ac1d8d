//! Redaction of secrets for logs and `Debug`: tokens and passwords never leave the process in clear text.

use kato_dashboard_core::redact::{Secrets, redact_url};
use serde_json::Value;

/// Keys whose whole value is secret.
const SECRET_KEYS: &[&str] = &[
    "admin_token",
    "admin_password",
    "secret_key",
    "qdrant_api_key",
    "clickhouse_password",
];

/// Replaces secrets in a serialized config object in place (the `Debug` dump).
pub(super) fn redact_config(value: &mut Value) {
    let Value::Object(map) = value else { return };
    for (key, v) in map.iter_mut() {
        if SECRET_KEYS.contains(&key.as_str()) {
            if !v.is_null() {
                *v = Value::String("***".into());
            }
        } else if let Value::String(s) = v
            && s.contains("://")
        {
            *s = if key == "alert_webhook_url" {
                let mut secrets = Secrets::new();
                secrets.add_url(s, true);
                secrets.redact(s).into_owned()
            } else {
                redact_url(s)
            };
        }
    }
}

impl super::Config {
    /// Every secret value of this configuration, for [`Secrets::redact`] on everything the server lets out
    /// (logs, REST answers, `/ws` frames, `/metrics`): tokens and passwords, and the secret parts of every URL
    /// setting (passwords, query values, key-like path segments; the whole path of the alert webhook).
    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::new();
        for token in [
            &self.auth.admin_token,
            &self.auth.admin_password,
            &self.auth.secret_key,
            &self.qdrant.api_key,
            &self.clickhouse.password,
        ]
        .into_iter()
        .flatten()
        {
            secrets.add(token);
        }
        for url in [
            Some(self.kato.api_url.as_str()),
            Some(self.mongo.url.as_str()),
            Some(self.qdrant.url.as_str()),
            Some(self.redis.url.as_str()),
            Some(self.clickhouse.url.as_str()),
            self.qdrant.grpc_url.as_deref(),
            self.docker.host.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            secrets.add_url(url, false);
        }
        // A tcp:// engine may carry a password; a socket path carries none.
        for engine in super::split_list(&self.docker.hosts) {
            let addr = engine.split('#').next().unwrap_or_default();
            if addr.starts_with("tcp://") {
                secrets.add_url(addr, false);
            }
        }
        if let Some(webhook) = &self.alerts.webhook_url {
            secrets.add_url(webhook, true);
        }
        secrets
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn every_secret_setting_is_collected() {
        let mut config = super::super::Config::default();
        config.auth.admin_token = Some("admin-token-123".into());
        config.clickhouse.password = Some("ch-pass-123".into());
        config.clickhouse.url = "http://kato:ch-url-pass@clickhouse:8123".into();
        config.redis.url = "redis://:redis-pass-1@redis:6379".into();
        config.alerts.webhook_url = Some("https://hooks.invalid/services/T1/B2/abc".into());
        let secrets = config.secrets();
        let text = "admin-token-123 redis-pass-1 ch-pass-123 ch-url-pass https://hooks.invalid/services/T1/B2/abc";
        assert_eq!(
            secrets.redact(text),
            "*** *** *** *** https://hooks.invalid***"
        );
    }
}
