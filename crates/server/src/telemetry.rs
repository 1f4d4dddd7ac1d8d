//! Structured logging: `tracing` with a level or filter from `LOG_LEVEL` and text or JSON lines from `LOG_FORMAT`.

use std::{io, sync::Arc};

use kato_dashboard_core::redact::Secrets;
use tracing_subscriber::{EnvFilter, fmt, fmt::MakeWriter, prelude::*};

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. Call once, from `main`. A `RUST_LOG` variable, when set, wins over
/// `LOG_LEVEL`, so a developer can turn up one module without touching the deployment's config.
pub fn init(config: &Config) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(v),
        _ => EnvFilter::try_new(level_directive(&config.log.level)),
    }
    .map_err(|e| format!("invalid LOG_LEVEL `{}`: {e}", config.log.level))?;
    let registry = tracing_subscriber::registry().with(filter);
    let writer = Redacting {
        secrets: Arc::new(config.secrets()),
    };
    let result = match config.log.format {
        LogFormat::Text => registry
            .with(fmt::layer().with_target(true).with_writer(writer))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_writer(writer),
            )
            .try_init(),
    };
    result.map_err(|e| e.to_string())
}

/// Standard output with every secret of the configuration hidden ([`Secrets::redact`]): one place for every log
/// line, whatever a call site or a library put in it.
struct Redacting {
    secrets: Arc<Secrets>,
}

/// One formatted event on its way out.
struct RedactingWriter<'a> {
    secrets: &'a Secrets,
    out: io::Stdout,
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = RedactingWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            secrets: &self.secrets,
            out: io::stdout(),
        }
    }
}

impl io::Write for RedactingWriter<'_> {
    // The formatter writes a whole event at once, so a secret is never split across two calls.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.out
            .lock()
            .write_all(self.secrets.redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `INFO` → `info`; a bare level also quiets chatty dependencies (the ClickHouse client logs two debug lines per
/// query; its failures reach the log as the dashboard's own errors).
fn level_directive(level: &str) -> String {
    let level = level.trim().to_lowercase();
    match level.as_str() {
        "trace" | "debug" | "info" | "warn" | "warning" | "error" | "critical" => {
            let level = match level.as_str() {
                "warning" => "warn",
                "critical" => "error",
                other => other,
            };
            format!(
                "{level},hyper=warn,h2=warn,tower_http=info,tungstenite=warn,tokio_tungstenite=warn,\
                 clickhouse=warn"
            )
        }
        _ => level,
    }
}

#[cfg(test)]
mod tests {
    use super::level_directive;

    #[test]
    fn python_style_levels_are_accepted() {
        assert!(level_directive("INFO").starts_with("info,"));
        assert!(level_directive("WARNING").starts_with("warn,"));
        assert_eq!(
            level_directive("kato_dashboard_server=debug"),
            "kato_dashboard_server=debug"
        );
    }
}

/// A value from a request (a URL path segment, a name) made safe for a log line: control characters, line breaks
/// and terminal escapes are written escaped (`\n`, `\u{1b}`), so a request cannot forge a log line or drive
/// the operator's terminal. Use it for every untrusted field: `target = %untrusted(&id)`.
pub fn untrusted(value: &str) -> impl std::fmt::Display + '_ {
    value.escape_debug()
}

#[cfg(test)]
mod untrusted_tests {
    use super::untrusted;

    #[test]
    fn line_breaks_and_terminal_escapes_are_escaped() {
        let forged = "x\n2026-12-07T00:00:00Z INFO audit: outcome=allowed\u{1b}[31mred\r";
        let shown = untrusted(forged).to_string();
        assert!(
            !shown.contains('\n') && !shown.contains('\r') && !shown.contains('\u{1b}'),
            "{shown}"
        );
        assert!(
            shown.contains("\\n") && shown.contains("\\u{1b}"),
            "{shown}"
        );
        assert_eq!(untrusted("session-abc/ü").to_string(), "session-abc/ü");
    }
}
