//! What can go wrong talking to Qdrant, classified so the server can answer with an honest status code.

use std::time::Duration;

use qdrant_client::QdrantError;
use tonic::Code;

/// A failed browser call.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// Qdrant cannot be reached (connection refused, DNS, TLS, closed).
    #[error("cannot reach Qdrant: {0}")]
    Unavailable(String),
    /// Qdrant did not answer within the deadline.
    #[error("Qdrant did not answer within {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The collection or point does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is wrong (bad id, wrong vector dimension, limits).
    #[error("{0}")]
    Invalid(String),
    /// Qdrant answered with an error or with data this browser cannot read.
    #[error("Qdrant error: {0}")]
    Upstream(String),
}

/// Result of the browser.
pub type Result<T> = std::result::Result<T, BrowseError>;

impl BrowseError {
    /// Classifies a client error; `what` names the thing asked for, for a not-found message.
    pub(crate) fn from_client(e: QdrantError, what: &str) -> Self {
        match e {
            QdrantError::ResponseError { status }
            | QdrantError::ResourceExhaustedError { status, .. } => {
                let message = status.message().to_owned();
                // qdrant-client reports a failed connection as `Internal: Failed to connect to …`.
                if is_transport(&message) {
                    return Self::Unavailable(message);
                }
                match status.code() {
                    Code::NotFound => Self::NotFound(format!("{what} not found")),
                    // Qdrant answers a missing collection with NotFound, but some versions and proxies use
                    // InvalidArgument with "doesn't exist" / "Not found" in the text.
                    Code::InvalidArgument if looks_missing(&message) => {
                        Self::NotFound(format!("{what} not found"))
                    }
                    Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
                        Self::Invalid(message)
                    }
                    Code::Unavailable => Self::Unavailable(message),
                    // The client's own deadline (tonic's timeout layer) ends as `Cancelled: Timeout expired`.
                    Code::DeadlineExceeded => Self::Timeout(Duration::ZERO),
                    Code::Cancelled if message.to_ascii_lowercase().contains("timeout") => {
                        Self::Timeout(Duration::ZERO)
                    }
                    code => Self::Upstream(format!("{code:?}: {message}")),
                }
            }
            QdrantError::InvalidUri(e) => Self::Unavailable(format!("invalid Qdrant URL: {e}")),
            QdrantError::Io(e) => Self::Unavailable(e.to_string()),
            other => Self::Upstream(other.to_string()),
        }
    }
}

fn looks_missing(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("doesn't exist") || m.contains("does not exist") || m.contains("not found")
}

fn is_transport(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("failed to connect")
        || m.contains("transport error")
        || m.contains("connect error")
        || m.contains("connection refused")
        || m.contains("dns error")
}
