//! The one place where errors become HTTP responses.
//!
//! Every handler returns `Result<_, ApiError>`. Bodies keep the old dashboard's `{"detail": "…"}` shape so its
//! clients can read them; an upstream failure is never an HTTP 200 with an `error` field. 4xx carry a message
//! for the user; 5xx log the detail and answer with a generic text.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Which upstream an error came from (shown to users, used in logs and metrics).
pub type Upstream = &'static str;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request (400).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed request with invalid values (422).
    #[error("{0}")]
    Invalid(String),
    /// No such thing (404).
    #[error("{0}")]
    NotFound(String),
    /// Admin token missing or wrong (401).
    #[error("admin token required")]
    Unauthorized,
    /// Operation refused by configuration (403).
    #[error("{0}")]
    Forbidden(String),
    /// A state-changing request that is neither JSON nor carries a custom header (415; see `csrf.rs`).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A WebSocket upgrade asking for a protocol version other than 13 (426, with `Sec-WebSocket-Version: 13`).
    #[error("{0}")]
    UpgradeRequired(String),
    /// A request URI longer than the server takes (414).
    #[error("{0}")]
    UriTooLong(String),
    /// A request head (request line and headers) larger than the server takes (431).
    #[error("{0}")]
    HeadTooLarge(String),
    /// Upstream cannot be reached (503).
    #[error("{upstream} is unavailable: {reason}")]
    Unavailable {
        /// Which upstream.
        upstream: Upstream,
        /// Why, for the user.
        reason: String,
    },
    /// Upstream did not answer in time (504).
    #[error("{upstream} did not answer within {seconds:.1} s")]
    Timeout {
        /// Which upstream.
        upstream: Upstream,
        /// The timeout that expired.
        seconds: f64,
    },
    /// Upstream answered with an error or garbage (502).
    #[error("{upstream} returned an invalid answer: {reason}")]
    BadGateway {
        /// Which upstream.
        upstream: Upstream,
        /// What was wrong with it.
        reason: String,
    },
    /// Our own bug (500); the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UpgradeRequired(_) => StatusCode::UPGRADE_REQUIRED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::HeadTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn upstream(&self) -> Option<Upstream> {
        match self {
            Self::Unavailable { upstream, .. }
            | Self::Timeout { upstream, .. }
            | Self::BadGateway { upstream, .. } => Some(upstream),
            _ => None,
        }
    }

    /// The JSON body: `{"detail": …}`, plus `upstream` for upstream failures; a 500's detail stays out of it.
    fn body(&self) -> serde_json::Value {
        let detail = match self {
            Self::Internal(_) => "internal server error".to_owned(),
            other => other.to_string(),
        };
        let mut body = json!({ "detail": detail });
        if let Some(upstream) = self.upstream() {
            body["upstream"] = json!(upstream);
        }
        body
    }

    /// The whole HTTP/1.1 answer, for the connection layer that answers before any router runs
    /// ([`crate::serve`]); the connection closes after it.
    pub fn to_http1_close(&self) -> Vec<u8> {
        let status = self.status();
        let body = self.body().to_string();
        let retry = if status == StatusCode::SERVICE_UNAVAILABLE {
            "retry-after: 5\r\n"
        } else {
            ""
        };
        format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{retry}\r\n{body}",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len(),
        )
        .into_bytes()
    }
}

impl From<kato_dashboard_kato::KatoError> for ApiError {
    fn from(e: kato_dashboard_kato::KatoError) -> Self {
        use kato_dashboard_kato::KatoError as K;
        match &e {
            K::Unreachable { reason, .. } => Self::Unavailable {
                upstream: "kato",
                reason: reason.clone(),
            },
            K::Timeout { timeout, .. } => Self::Timeout {
                upstream: "kato",
                seconds: timeout.as_secs_f64(),
            },
            K::NotFound { body, .. } => Self::NotFound(
                body.as_ref()
                    .map_or_else(|| e.to_string(), |b| b.message().to_string()),
            ),
            K::InvalidRequest(reason) => Self::BadRequest(reason.clone()),
            K::Http {
                status, message, ..
            } if (400..500).contains(status) => match status {
                422 => Self::Invalid(message.clone()),
                404 => Self::NotFound(message.clone()),
                _ => Self::BadRequest(format!(
                    "KATO refused the request (HTTP {status}): {message}"
                )),
            },
            K::Http { .. } | K::Decode { .. } | K::Upstream { .. } => Self::BadGateway {
                upstream: "kato",
                reason: e.to_string(),
            },
        }
    }
}

impl From<kato_dashboard_browse_mongo::MongoBrowseError> for ApiError {
    fn from(e: kato_dashboard_browse_mongo::MongoBrowseError) -> Self {
        use kato_dashboard_browse_mongo::MongoBrowseError as M;
        match e {
            M::NotFound(m) => Self::NotFound(m),
            M::BadRequest(m) => Self::BadRequest(m),
            M::Forbidden(m) => Self::Forbidden(m),
            M::Unavailable(reason) => Self::Unavailable {
                upstream: "mongodb",
                reason,
            },
            M::Upstream(reason) => Self::BadGateway {
                upstream: "mongodb",
                reason,
            },
        }
    }
}

impl From<kato_dashboard_browse_redis::RedisBrowseError> for ApiError {
    fn from(e: kato_dashboard_browse_redis::RedisBrowseError) -> Self {
        use kato_dashboard_browse_redis::RedisBrowseError as R;
        match e {
            R::NotFound(m) => Self::NotFound(m),
            R::BadRequest(m) => Self::BadRequest(m),
            R::Unavailable(reason) => Self::Unavailable {
                upstream: "redis",
                reason,
            },
            R::Upstream(reason) => Self::BadGateway {
                upstream: "redis",
                reason,
            },
        }
    }
}

impl From<kato_dashboard_browse_clickhouse::ClickHouseBrowseError> for ApiError {
    fn from(e: kato_dashboard_browse_clickhouse::ClickHouseBrowseError) -> Self {
        use kato_dashboard_browse_clickhouse::ClickHouseBrowseError as C;
        match e {
            C::NotFound(m) => Self::NotFound(m),
            C::BadRequest(m) => Self::BadRequest(m),
            C::Forbidden(m) => Self::Forbidden(m),
            C::Unavailable(reason) => Self::Unavailable {
                upstream: "clickhouse",
                reason,
            },
            C::Upstream(reason) => Self::BadGateway {
                upstream: "clickhouse",
                reason,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Logged once, rate-limited, by the `error_log` layer; a 500's detail stays out of the answer.
        let logged = crate::error_log::LoggedError {
            status: status.as_u16(),
            detail: self.to_string(),
        };
        let mut response = (status, Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if status == StatusCode::UPGRADE_REQUIRED {
            response.headers_mut().insert(
                "sec-websocket-version",
                axum::http::HeaderValue::from_static("13"),
            );
        }
        response.extensions_mut().insert(logged);
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn upstream_errors_are_5xx_with_detail() {
        let cases = [
            (
                ApiError::Unavailable {
                    upstream: "kato",
                    reason: "connection refused".into(),
                },
                503,
            ),
            (
                ApiError::Timeout {
                    upstream: "kato",
                    seconds: 3.0,
                },
                504,
            ),
            (
                ApiError::BadGateway {
                    upstream: "kato",
                    reason: "not JSON".into(),
                },
                502,
            ),
            (ApiError::NotFound("no such session".into()), 404),
            (ApiError::Internal("secret stack".into()), 500),
        ];
        for (err, code) in cases {
            let response = err.into_response();
            assert_eq!(response.status().as_u16(), code);
            let bytes = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let detail = body["detail"].as_str().unwrap();
            assert!(!detail.is_empty());
            assert!(
                !detail.contains("secret"),
                "internal detail leaked: {detail}"
            );
        }
    }
}
