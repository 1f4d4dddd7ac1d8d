//! The server's own sections: where it listens and what it keeps ([`ServerConfig`]), its HTTP limits and the
//! browser-facing policies ([`HttpConfig`]), and its logging ([`LogConfig`]). Plain data plus the helpers that
//! read it; no I/O.

use std::{net::SocketAddr, path::PathBuf};

use serde::{Deserialize, Serialize};

use super::{ConfigError, split_list};

/// Where the server listens, what it serves from disk, where it keeps state, and how long it drains on shutdown.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to bind.
    pub host: String,
    /// Port for the UI, the REST API and `/ws`.
    pub port: u16,
    /// Folder holding the built web app (`index.html` + assets). Empty: look next to the binary.
    pub static_dir: Option<PathBuf>,
    /// Folder for persistent state (alert history).
    pub data_dir: PathBuf,
    /// Seconds the server waits for connections to close on shutdown.
    pub shutdown_grace_seconds: f64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".into(),
            port: 3000,
            static_dir: None,
            data_dir: PathBuf::from("./data"),
            shutdown_grace_seconds: 5.0,
        }
    }
}

impl ServerConfig {
    /// Socket address to bind.
    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let ip = host
            .parse()
            .or_else(|_| {
                if host == "localhost" {
                    Ok([127, 0, 0, 1].into())
                } else {
                    Err(())
                }
            })
            .map_err(|()| {
                ConfigError::invalid("host", format!("`{}` is not an IP address", self.host))
            })?;
        Ok(SocketAddr::new(ip, self.port))
    }
}

/// HTTP connection limits and timeouts, and which browser origins and `Host` names the server accepts.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Most open HTTP and `/ws` connections together (also capped by the open-file limit); more get 503.
    #[serde(rename = "http_max_connections")]
    pub max_connections: usize,
    /// Seconds a connection has to send a whole request head, counted from when it is ready for one: this also
    /// closes idle keep-alive connections.
    #[serde(rename = "http_header_timeout_seconds")]
    pub header_timeout_seconds: f64,
    /// Seconds a request body or a response may go without a byte moving before the connection is closed.
    #[serde(rename = "http_stall_timeout_seconds")]
    pub stall_timeout_seconds: f64,
    /// Comma-separated origins allowed by CORS.
    pub cors_origins: String,
    /// `Host` names the server answers (comma-separated, `*` or empty = any), against DNS rebinding.
    pub allowed_hosts: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_connections: 25_000,
            header_timeout_seconds: 10.0,
            stall_timeout_seconds: 60.0,
            cors_origins: "http://localhost:3000,http://localhost:8080".into(),
            allowed_hosts: String::new(),
        }
    }
}

impl HttpConfig {
    /// CORS origins, trimmed, empty entries dropped.
    pub fn cors_origin_list(&self) -> Vec<String> {
        split_list(&self.cors_origins)
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// What is logged and how it is written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `trace`, `debug`, `info`, `warn`, `error`, or a full `tracing` filter directive.
    #[serde(rename = "log_level")]
    pub level: String,
    /// `text` or `json`.
    #[serde(rename = "log_format")]
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}
