//! Client configuration: where KATO is and how long we are willing to wait for it.

use std::fmt;
use std::time::Duration;
use url::Url;

/// How to reach KATO's REST API.
#[derive(Clone)]
pub struct KatoClientConfig {
    /// E.g. `http://kato:8000` (a path prefix such as `http://proxy/kato/` is kept).
    pub base_url: Url,
    /// Bound on every call, from connect to the last body byte (default 3 s). The old
    /// dashboard waited up to 30 s on a dead KATO; never again.
    pub timeout: Duration,
    /// Bound on establishing the TCP connection (default 1 s, capped by `timeout`).
    pub connect_timeout: Duration,
}

impl KatoClientConfig {
    /// Default per-call timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
    /// Default connect timeout.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

    /// A configuration with the default timeouts.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Sets the per-call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }
}

/// The URL with its password and query values hidden, for logs, errors and `Debug`.
pub(crate) fn redacted(url: &Url) -> String {
    kato_dashboard_core::redact::redact_url(url.as_str())
}

impl fmt::Debug for KatoClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KatoClientConfig")
            .field("base_url", &redacted(&self.base_url))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_redaction() {
        let url = Url::parse("http://user:secret@kato:8000/").unwrap();
        let c = KatoClientConfig::new(url).with_timeout(Duration::from_millis(500));
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.connect_timeout, KatoClientConfig::DEFAULT_CONNECT_TIMEOUT);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("secret") && dbg.contains("***"), "{dbg}");
    }
}
