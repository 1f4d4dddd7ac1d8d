//! The crate's error enum.

/// Why a browser call failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisBrowseError {
    /// No such key.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (bad key encoding, bad cursor, missing pattern).
    #[error("{0}")]
    BadRequest(String),
    /// Redis cannot be reached (or `REDIS_URL` is unusable); the text is the reason.
    #[error("Redis is unavailable: {0}")]
    Unavailable(String),
    /// Redis answered with an error.
    #[error("Redis refused the command: {0}")]
    Upstream(String),
}

impl RedisBrowseError {
    /// The reason alone, without the kind's prefix (for callers that say "Redis" themselves).
    pub fn reason(&self) -> &str {
        match self {
            Self::NotFound(r) | Self::BadRequest(r) | Self::Unavailable(r) | Self::Upstream(r) => r,
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, RedisBrowseError>;

impl From<redis::RedisError> for RedisBrowseError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_refusal()
            || e.is_connection_dropped()
        {
            Self::Unavailable(e.to_string())
        } else {
            Self::Upstream(e.to_string())
        }
    }
}
