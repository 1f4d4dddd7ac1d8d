//! The simulator's error type.

/// Why a simulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// Only loopback addresses are served.
    #[error("refusing to listen on non-loopback address {0}")]
    NotLoopback(std::net::SocketAddr),
    /// The session store (Redis) failed.
    #[error("session store: {0}")]
    Store(String),
    /// A request could not be built or its answer not read.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The simulated KATO is down (restart or refusal in progress).
    #[error("the simulated KATO is not accepting connections")]
    Down,
    /// KATO answered with an unexpected status.
    #[error("KATO answered {status}: {body}")]
    Status { status: u16, body: String },
}

impl From<redis::RedisError> for SimError {
    fn from(e: redis::RedisError) -> Self {
        SimError::Store(e.to_string())
    }
}
