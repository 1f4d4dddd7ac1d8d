//! Connecting to the engine (unix socket, plain HTTP, or TLS with client certificates) and turning
//! failures into the reasons operators read in `docker: unavailable`.

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::hosts::TlsCerts;

/// Why the engine cannot be used right now.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The engine answered with an error or could not be reached; `reason` is for humans.
    #[error("{reason}")]
    Engine {
        reason: String,
        #[source]
        source: bollard::errors::Error,
    },
    /// The configured host is not something this collector can talk to.
    #[error("unsupported Docker host {0:?} (use unix:///path or tcp://host:port)")]
    UnsupportedHost(String),
    /// The event stream ended: the engine went away.
    #[error("Docker event stream closed (engine stopped?)")]
    EventsClosed,
}

impl DockerError {
    /// Wraps a bollard error with a readable reason that names `host`.
    pub fn engine(host: &str, source: bollard::errors::Error) -> Self {
        Self::Engine {
            reason: reason(host, &source),
            source,
        }
    }
}

/// Connects, negotiates the API version (bollard's default is newer than e.g. Debian's 20.10
/// engine) and checks the engine answers. `shown` is the address as reasons name it (no password);
/// with `tls` the engine is spoken to over TLS with those client certificates.
pub async fn connect(
    host: &str,
    shown: &str,
    tls: Option<&TlsCerts>,
    timeout: Duration,
) -> Result<Docker, DockerError> {
    let secs = timeout.as_secs().max(1);
    let tcp = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"));
    let docker = match (tcp, tls) {
        (Some(addr), Some(certs)) => Docker::connect_with_ssl(
            &format!("tcp://{addr}"),
            &certs.key(),
            &certs.cert(),
            &certs.ca(),
            secs,
            API_DEFAULT_VERSION,
        ),
        (Some(addr), None) => {
            Docker::connect_with_http(&format!("http://{addr}"), secs, API_DEFAULT_VERSION)
        }
        (None, None) if host.starts_with("unix://") || host.starts_with('/') => {
            Docker::connect_with_unix(host, secs, API_DEFAULT_VERSION)
        }
        _ => return Err(DockerError::UnsupportedHost(shown.to_owned())),
    }
    .map_err(|e| DockerError::engine(shown, e))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| DockerError::engine(shown, e))?;
    docker
        .ping()
        .await
        .map_err(|e| DockerError::engine(shown, e))?;
    Ok(docker)
}

/// A sentence for operators: the cause found in the error chain, with the host.
pub fn reason(host: &str, err: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    if let E::SocketNotFoundError(path) = err {
        return format!("no Docker socket at {path} (engine not running, or socket not mounted)");
    }
    if let E::DockerResponseServerError {
        status_code,
        message,
    } = err
    {
        if message.contains("HTTPS server") {
            return format!(
                "Docker at {host} speaks TLS only: give its client certificates \
                 (DOCKER_HOSTS entry tcp://host:port#certs=DIR with ca.pem, cert.pem, key.pem)"
            );
        }
        return format!("Docker at {host} answered {status_code}: {message}");
    }
    if let E::CertPathError { path } | E::CertParseError { path } = err {
        return format!(
            "TLS certificate {} for Docker at {host} cannot be used: {err}",
            path.display()
        );
    }
    if let E::RequestTimeoutError = err {
        return format!("Docker at {host} did not answer in time");
    }
    if let E::IOError { err } = err {
        return io_reason(host, err);
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io_reason(host, io);
        }
        source = e.source();
    }
    format!("Docker at {host}: {err}")
}

fn io_reason(host: &str, io: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match io.kind() {
        K::PermissionDenied => format!(
            "permission denied on {host} (the dashboard's user needs read access to the \
             Docker socket, e.g. the docker group)"
        ),
        K::ConnectionRefused => {
            format!("connection refused at {host} (Docker engine not running?)")
        }
        K::NotFound => format!("no Docker socket at {host}"),
        _ if is_tls(io) => format!("TLS handshake with Docker at {host} failed: {io}"),
        _ => format!("lost Docker at {host}: {io}"),
    }
}

/// Whether an I/O error is the TLS layer's (rustls puts its error, or the peer's alert, inside one).
fn is_tls(io: &std::io::Error) -> bool {
    let text = io.to_string().to_ascii_lowercase();
    ["certificate", "alert", "handshake", "tls"]
        .iter()
        .any(|w| text.contains(w))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_socket_says_so() {
        let host = "unix:///nonexistent/docker.sock";
        let err = connect(host, host, None, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no Docker socket at /nonexistent/docker.sock"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn refused_and_unsupported() {
        let dir = tempfile_dir();
        // A socket file nobody listens on: bind then drop the listener.
        let path = dir.join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let host = format!("unix://{}", path.display());
        let err = connect(&host, &host, None, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("connection refused"), "{err}");
        let err = connect("ssh://host", "ssh://host", None, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, DockerError::UnsupportedHost(_)));
        let certs = TlsCerts { dir: dir.clone() };
        let err = connect(&host, &host, Some(&certs), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, DockerError::UnsupportedHost(_)),
            "no TLS on a socket"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn reasons_name_the_cause() {
        use bollard::errors::Error as E;
        use std::io::{Error, ErrorKind};
        let host = "unix:///var/run/docker.sock";
        let io = |kind| E::IOError {
            err: Error::from(kind),
        };
        let cases = [
            (
                io(ErrorKind::PermissionDenied),
                "permission denied on unix:///var/run/docker.sock",
            ),
            (io(ErrorKind::ConnectionRefused), "connection refused at"),
            (
                E::SocketNotFoundError("/x.sock".into()),
                "no Docker socket at /x.sock",
            ),
            (E::RequestTimeoutError, "did not answer in time"),
            (
                E::DockerResponseServerError {
                    status_code: 400,
                    message: "Client sent an HTTP request to an HTTPS server.".into(),
                },
                "speaks TLS only",
            ),
            (io(ErrorKind::InvalidData), "lost Docker at"),
            (
                E::DockerResponseServerError {
                    status_code: 500,
                    message: "boom".into(),
                },
                "answered 500: boom",
            ),
        ];
        for (err, want) in cases {
            let got = reason(host, &err);
            assert!(got.contains(want), "{got:?} should contain {want:?}");
        }
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kd-connect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
