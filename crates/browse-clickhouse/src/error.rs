//! The crate's error enum: four outcomes a caller can act on, plus an upstream failure that is none of them, and
//! how the client's errors (and ClickHouse's `Code: N. DB::Exception: …` texts) map onto them.

use std::error::Error as _;

/// Why a browser call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClickHouseBrowseError {
    /// No such knowledge base, pattern, database or table.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (bad kb_id, sort key, page size, missing confirmation).
    #[error("{0}")]
    BadRequest(String),
    /// ClickHouse refused the operation for this user (`ACCESS_DENIED`, `READONLY`).
    #[error("{0}")]
    Forbidden(String),
    /// ClickHouse cannot be reached, did not answer in time, refused the credentials, or `CLICKHOUSE_URL` is
    /// unusable; the text is the reason.
    #[error("ClickHouse is unavailable: {0}")]
    Unavailable(String),
    /// ClickHouse answered with an error that is none of the above, or with rows of an unexpected shape.
    #[error("ClickHouse refused the operation: {0}")]
    Upstream(String),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, ClickHouseBrowseError>;

/// ClickHouse error codes the browser tells apart.
mod code {
    pub const UNKNOWN_TABLE: u32 = 60;
    pub const UNKNOWN_DATABASE: u32 = 81;
    pub const READONLY: u32 = 164;
    pub const UNKNOWN_USER: u32 = 192;
    pub const WRONG_PASSWORD: u32 = 193;
    pub const REQUIRED_PASSWORD: u32 = 194;
    pub const ACCESS_DENIED: u32 = 497;
    pub const AUTHENTICATION_FAILED: u32 = 516;
}

/// The `N` of a ClickHouse exception text `Code: N. DB::Exception: …`.
pub(crate) fn exception_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + "Code: ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An error and its sources, `a: b: c` (the client's network errors say little at the top level).
fn chain(e: &clickhouse::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

impl ClickHouseBrowseError {
    /// Maps a client error; `target` (`host:port`, never credentials) names the server in reachability errors.
    pub(crate) fn from_client(e: clickhouse::error::Error, target: &str) -> Self {
        use clickhouse::error::Error as E;
        match &e {
            E::Network(_) | E::TimedOut => Self::Unavailable(format!(
                "cannot reach ClickHouse at {target}: {}",
                chain(&e)
            )),
            E::Unsupported(m) => Self::Unavailable(format!("CLICKHOUSE_URL is not usable: {m}")),
            E::BadResponse(text) => Self::from_exception(text),
            _ => Self::Upstream(chain(&e)),
        }
    }

    /// Maps an error answer of ClickHouse by its exception code.
    pub(crate) fn from_exception(text: &str) -> Self {
        let text = text.trim().to_owned();
        match exception_code(&text) {
            Some(code::UNKNOWN_TABLE | code::UNKNOWN_DATABASE) => Self::NotFound(format!(
                "ClickHouse has no such table or database (KATO 3.x creates them at start-up): {text}"
            )),
            Some(
                code::UNKNOWN_USER
                | code::WRONG_PASSWORD
                | code::REQUIRED_PASSWORD
                | code::AUTHENTICATION_FAILED,
            ) => Self::Unavailable(format!(
                "ClickHouse refused the credentials (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD): {text}"
            )),
            Some(code::ACCESS_DENIED | code::READONLY) => {
                Self::Forbidden(format!("the ClickHouse user may not do this: {text}"))
            }
            Some(_) => Self::Upstream(text),
            // No exception text: a proxy or a server that is starting; 5xx without a code means "not there".
            None if text.starts_with("502")
                || text.starts_with("503")
                || text.starts_with("504") =>
            {
                Self::Unavailable(text)
            }
            None => Self::Upstream(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_codes_decide_the_kind() {
        let cases = [
            (
                "Code: 60. DB::Exception: Unknown table expression identifier 'kato.nope'. (UNKNOWN_TABLE)",
                "NotFound",
            ),
            (
                "Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)",
                "Unavailable",
            ),
            (
                "Code: 497. DB::Exception: x: Not enough privileges. (ACCESS_DENIED)",
                "Forbidden",
            ),
            ("Code: 62. DB::Exception: Syntax error", "Upstream"),
            ("503 Service Unavailable", "Unavailable"),
            ("garbage", "Upstream"),
        ];
        for (text, kind) in cases {
            let got = match ClickHouseBrowseError::from_exception(text) {
                ClickHouseBrowseError::NotFound(_) => "NotFound",
                ClickHouseBrowseError::BadRequest(_) => "BadRequest",
                ClickHouseBrowseError::Forbidden(_) => "Forbidden",
                ClickHouseBrowseError::Unavailable(_) => "Unavailable",
                ClickHouseBrowseError::Upstream(_) => "Upstream",
            };
            assert_eq!(got, kind, "{text}");
        }
        assert_eq!(exception_code("x Code: 81. DB::Exception"), Some(81));
        assert_eq!(exception_code("Code: x"), None);
    }
}
