//! `KatoError`: everything that can go wrong talking to KATO, classified so the server can
//! answer 502/503/504/404 without looking inside.

use kato_dashboard_core::kato::KatoErrorBody;
use std::fmt;
use std::time::Duration;

/// What a [`KatoError::NotFound`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotFoundKind {
    /// The session does not exist or has expired.
    Session,
    /// The metric has no points in the window (KATO also says this for unknown names).
    Metric,
}

impl fmt::Display for NotFoundKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Session => "session",
            Self::Metric => "metric data for",
        })
    }
}

/// An error from a KATO call.
#[derive(Debug, thiserror::Error)]
pub enum KatoError {
    /// No connection: refused, reset, DNS failure (KATO down or restarting).
    #[error("KATO is unreachable at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// KATO did not answer in time.
    #[error("KATO did not answer {path} within {timeout:?}")]
    Timeout { path: String, timeout: Duration },
    /// A session or metric KATO does not have (HTTP 404 with the matching body).
    #[error("KATO has no {kind} {id:?}")]
    NotFound {
        kind: NotFoundKind,
        id: String,
        body: Option<KatoErrorBody>,
    },
    /// Any other non-2xx answer; `body` is KATO's error body when it had a known shape.
    #[error("KATO answered HTTP {status} to {path}: {message}")]
    Http {
        status: u16,
        path: String,
        message: String,
        body: Option<KatoErrorBody>,
    },
    /// A 2xx body that is not JSON or not the expected shape.
    #[error("KATO sent an unreadable body for {path}: {reason} (body starts {snippet:?})")]
    Decode {
        path: String,
        reason: String,
        snippet: String,
    },
    /// A 2xx fallback body with a non-null `error` (KATO failed internally).
    #[error("KATO reported an error for {path}: {message}")]
    Upstream { path: String, message: String },
    /// The request could not be built (bad base URL, `.`/`..`/empty id, foreign path).
    #[error("invalid KATO request: {0}")]
    InvalidRequest(String),
}

impl KatoError {
    /// KATO is down or too slow: unreachable or timed out (→ 503/504).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Timeout { .. })
    }

    /// The call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// A missing session or metric (→ 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The session does not exist (or expired).
    pub fn is_session_not_found(&self) -> bool {
        matches!(
            self,
            Self::NotFound {
                kind: NotFoundKind::Session,
                ..
            }
        )
    }

    /// The request was at fault, not KATO: not found, invalid request, or another 4xx.
    pub fn is_client_error(&self) -> bool {
        match self {
            Self::NotFound { .. } | Self::InvalidRequest(_) => true,
            Self::Http { status, .. } => (400..500).contains(status),
            _ => false,
        }
    }

    /// KATO answered but broke: 5xx, undecodable body, or a fallback body (→ 502).
    pub fn is_upstream_fault(&self) -> bool {
        match self {
            Self::Decode { .. } | Self::Upstream { .. } => true,
            Self::Http { status, .. } => *status >= 500 || *status < 400,
            _ => false,
        }
    }

    /// The HTTP status a dashboard API should answer with: 503 unreachable, 504 timeout,
    /// 404 not found, 400 invalid request, KATO's own status for other 4xx, else 502.
    pub fn http_status_hint(&self) -> u16 {
        match self {
            Self::Unreachable { .. } => 503,
            Self::Timeout { .. } => 504,
            Self::NotFound { .. } => 404,
            Self::InvalidRequest(_) => 400,
            Self::Http { status, .. } if (400..500).contains(status) => *status,
            Self::Http { .. } | Self::Decode { .. } | Self::Upstream { .. } => 502,
        }
    }

    /// KATO's parsed error body, if there was one.
    pub fn error_body(&self) -> Option<&KatoErrorBody> {
        match self {
            Self::NotFound { body, .. } | Self::Http { body, .. } => body.as_ref(),
            _ => None,
        }
    }
}

/// At most `max` characters of `body`, lossily decoded, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> KatoError {
        KatoError::Http {
            status,
            path: "/x".into(),
            message: "m".into(),
            body: None,
        }
    }

    #[test]
    fn classification_table() {
        let unreachable = KatoError::Unreachable {
            url: "http://k".into(),
            reason: "refused".into(),
        };
        let timeout = KatoError::Timeout {
            path: "/x".into(),
            timeout: Duration::from_secs(3),
        };
        let not_found = KatoError::NotFound {
            kind: NotFoundKind::Session,
            id: "s".into(),
            body: None,
        };
        let decode = KatoError::Decode {
            path: "/x".into(),
            reason: "r".into(),
            snippet: "<html>".into(),
        };
        let upstream = KatoError::Upstream {
            path: "/x".into(),
            message: "m".into(),
        };
        // (error, unavailable, client, upstream, status)
        let cases = [
            (unreachable, true, false, false, 503),
            (timeout, true, false, false, 504),
            (not_found, false, true, false, 404),
            (
                KatoError::InvalidRequest("..".into()),
                false,
                true,
                false,
                400,
            ),
            (http(405), false, true, false, 405),
            (http(500), false, false, true, 502),
            (decode, false, false, true, 502),
            (upstream, false, false, true, 502),
        ];
        for (e, unavailable, client, fault, status) in cases {
            assert_eq!(e.is_unavailable(), unavailable, "{e}");
            assert_eq!(e.is_client_error(), client, "{e}");
            assert_eq!(e.is_upstream_fault(), fault, "{e}");
            assert_eq!(e.http_status_hint(), status, "{e}");
        }
    }

    #[test]
    fn snippets_are_short_and_char_safe() {
        assert_eq!(snippet(b"hello", 10), "hello");
        assert_eq!(snippet("héllo wörld".as_bytes(), 4), "héll…");
        assert_eq!(snippet(&[0xff, b'a'], 5), "\u{fffd}a");
    }
}
