//! Building request URLs: every path parameter is percent-encoded into exactly one segment.
//!
//! A session id or metric name containing `/`, `?`, `#`, `%`, spaces or `..` must never
//! change which KATO endpoint we call. Everything but RFC 3986 unreserved characters is
//! encoded; the whole segments `.` and `..` (which URL parsers collapse even when
//! percent-encoded) and the empty segment are rejected.

use crate::error::KatoError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Everything except RFC 3986 unreserved characters (`A–Z a–z 0–9 - . _ ~`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment.
pub fn encode_segment(raw: &str) -> Result<String, KatoError> {
    if raw.is_empty() || raw == "." || raw == ".." {
        return Err(KatoError::InvalidRequest(format!(
            "{raw:?} cannot be a path segment"
        )));
    }
    Ok(utf8_percent_encode(raw, SEGMENT).to_string())
}

/// A request target: fixed segments and parameters (encoded), plus query pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct ApiPath {
    /// Already-encoded path, starting with `/`.
    path: String,
    query: Vec<(&'static str, String)>,
}

impl ApiPath {
    /// A fixed path such as `/metrics` (not encoded: it must be a literal).
    pub(crate) fn fixed(path: &'static str) -> Self {
        Self {
            path: path.to_owned(),
            query: Vec::new(),
        }
    }

    /// Appends `/<literal>`.
    pub(crate) fn lit(mut self, literal: &'static str) -> Self {
        self.path.push('/');
        self.path.push_str(literal);
        self
    }

    /// Appends `/<encoded param>`.
    pub(crate) fn param(mut self, raw: &str) -> Result<Self, KatoError> {
        self.path.push('/');
        self.path.push_str(&encode_segment(raw)?);
        Ok(self)
    }

    /// Adds `?key=value`.
    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    /// The path as shown in errors and logs.
    pub(crate) fn display(&self) -> String {
        let mut s = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }

    /// `base` + this path (any path prefix of `base` is kept).
    pub(crate) fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", self.path));
        url.set_query(None);
        url.set_fragment(None);
        if !self.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }
}

/// Resolves a caller-given path (`/metrics/x?minutes=600`, already encoded) against `base`,
/// refusing anything that would leave KATO's base URL (absolute URLs, `//host`, `..`).
pub(crate) fn resolve_raw(base: &Url, raw: &str) -> Result<Url, KatoError> {
    let invalid = |why: &str| KatoError::InvalidRequest(format!("path {raw:?}: {why}"));
    if !raw.starts_with('/') || raw.starts_with("//") {
        return Err(invalid("must start with a single '/'"));
    }
    let prefix = base.path().trim_end_matches('/');
    let mut joined = base.clone();
    joined.set_query(None);
    joined.set_fragment(None);
    let joined = joined
        .join(&format!("{prefix}{raw}"))
        .map_err(|e| invalid(&e.to_string()))?;
    let inside = joined.path() == prefix
        || joined
            .path()
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'));
    if joined.origin() != base.origin() || !inside {
        return Err(invalid("leaves the KATO base URL"));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_stay_single() {
        let cases = [
            ("session-abc-1", "session-abc-1"),
            ("a/b", "a%2Fb"),
            ("a?b#c", "a%3Fb%23c"),
            ("a b", "a%20b"),
            ("../etc", "..%2Fetc"),
            ("a..b", "a..b"),
            ("50%", "50%25"),
            ("%2e%2e", "%252e%252e"),
            ("ünï", "%C3%BCn%C3%AF"),
        ];
        for (raw, want) in cases {
            assert_eq!(encode_segment(raw).unwrap(), want, "{raw}");
        }
        for bad in ["", ".", ".."] {
            assert!(encode_segment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_keep_the_base_prefix() {
        let p = ApiPath::fixed("/sessions")
            .param("a/b c")
            .unwrap()
            .lit("stm")
            .query("minutes", 600);
        let base = Url::parse("http://kato:8000").unwrap();
        assert_eq!(
            p.url(&base).as_str(),
            "http://kato:8000/sessions/a%2Fb%20c/stm?minutes=600"
        );
        let prefixed = Url::parse("http://proxy/kato/?x=1").unwrap();
        assert_eq!(
            p.url(&prefixed).as_str(),
            "http://proxy/kato/sessions/a%2Fb%20c/stm?minutes=600"
        );
        assert_eq!(p.display(), "/sessions/a%2Fb%20c/stm?minutes=600");
    }

    #[test]
    fn raw_paths_cannot_escape() {
        let base = Url::parse("http://proxy/kato/").unwrap();
        let ok = resolve_raw(&base, "/metrics/kato_cpu_usage_percent?minutes=600").unwrap();
        assert_eq!(
            ok.as_str(),
            "http://proxy/kato/metrics/kato_cpu_usage_percent?minutes=600"
        );
        for bad in [
            "metrics",
            "//evil/x",
            "/../admin",
            "/a/../../x",
            "http://evil/",
        ] {
            assert!(resolve_raw(&base, bad).is_err(), "{bad}");
        }
        let root = Url::parse("http://kato:8000").unwrap();
        assert_eq!(
            resolve_raw(&root, "/health").unwrap().as_str(),
            "http://kato:8000/health"
        );
    }
}
