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
                    return Self::Unavailable(readable_transport(&message));
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

/// qdrant-client words a failed connection as `Failed to connect to URL: <tonic's Debug output>`; this keeps the
/// URL and the innermost readable cause (the OS or resolver message), e.g. `Failed to connect to
/// http://qdrant:6334/: Connection refused`. Anything else is returned unchanged.
fn readable_transport(message: &str) -> String {
    let Some((head, detail)) = message.split_once(": ") else {
        return message.to_owned();
    };
    if !detail.contains('(') {
        return message.to_owned();
    }
    // The last quoted string after `message: ` or `error: ` is the cause a person can read; else the first quoted
    // string (e.g. "dns error").
    let quoted = |key: &str| {
        detail.rmatch_indices(key).find_map(|(i, _)| {
            let rest = &detail[i + key.len()..];
            rest.split_once('"').map(|(q, _)| q.to_owned())
        })
    };
    let cause = quoted("message: \"")
        .or_else(|| quoted("error: \""))
        .or_else(|| detail.split('"').nth(1).map(str::to_owned));
    match cause {
        Some(c) if !c.is_empty() => format!("{head}: {c}"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_read_like_sentences() {
        let dns = "Failed to connect to http://qdrant:6334/: tonic::transport::Error(Transport, \
            ConnectError(ConnectError(\"dns error\", Custom { kind: Uncategorized, error: \"failed to lookup address \
            information: Name or service not known\" })))";
        assert_eq!(
            readable_transport(dns),
            "Failed to connect to http://qdrant:6334/: failed to lookup address information: Name or service not known"
        );
        let refused = "Failed to connect to http://127.0.0.1:1/: tonic::transport::Error(Transport, \
            ConnectError(ConnectError(\"tcp connect error\", Os { code: 111, kind: ConnectionRefused, message: \
            \"Connection refused\" })))";
        assert_eq!(
            readable_transport(refused),
            "Failed to connect to http://127.0.0.1:1/: Connection refused"
        );
        let bare = "Failed to connect to http://q:6334/: tonic::transport::Error(Transport, hyper::Error(Io))";
        assert_eq!(
            readable_transport(bare),
            bare,
            "no readable cause: unchanged"
        );
        assert_eq!(readable_transport("transport error"), "transport error");
    }
}
