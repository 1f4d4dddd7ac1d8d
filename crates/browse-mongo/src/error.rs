//! The crate's error enum: four outcomes a caller can act on, plus an upstream failure that is none of them.

use mongodb::error::{Error as DriverError, ErrorKind};

/// Why a browser call failed.
#[derive(Debug, thiserror::Error)]
pub enum MongoBrowseError {
    /// No such database, collection or document.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (bad filter, bad id, bad sort field, missing confirmation).
    #[error("{0}")]
    BadRequest(String),
    /// The request touches something the browser never touches (`admin`, `config`, `local`).
    #[error("{0}")]
    Forbidden(String),
    /// MongoDB cannot be reached (or `MONGO_URL` is unusable); the text is the reason.
    #[error("MongoDB is unavailable: {0}")]
    Unavailable(String),
    /// MongoDB answered with an error that is none of the above.
    #[error("MongoDB refused the operation: {0}")]
    Upstream(String),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, MongoBrowseError>;

/// MongoDB's `NamespaceNotFound`.
const NAMESPACE_NOT_FOUND: i32 = 26;

impl From<DriverError> for MongoBrowseError {
    fn from(e: DriverError) -> Self {
        match e.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => Self::Unavailable(e.to_string()),
            ErrorKind::InvalidArgument { message, .. } => Self::BadRequest(message.clone()),
            ErrorKind::Command(c) if c.code == NAMESPACE_NOT_FOUND => {
                Self::NotFound(c.message.clone())
            }
            _ => Self::Upstream(e.to_string()),
        }
    }
}

impl MongoBrowseError {
    /// Whether the server answered but does not implement what was asked (an honest "not supported").
    pub(crate) fn is_unsupported(&self) -> bool {
        matches!(self, Self::Upstream(_))
    }
}
