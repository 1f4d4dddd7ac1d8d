//! Redaction of secrets in any text the dashboard lets out: logs, REST answers, `/ws` frames, `/metrics`.
//!
//! Two rules, applied together by [`Secrets::redact`]:
//! - **Credentials in URLs**, known or not: the password of `scheme://user:password@host` becomes `***`
//!   ([`redact_userinfo`]). This covers URLs that appear inside error messages of libraries.
//! - **Known secret values**, collected once from the configuration ([`Secrets::add`], [`Secrets::add_url`]):
//!   tokens, passwords, and the parts of configured URLs that carry secrets (passwords, query values, token-like
//!   path segments such as a chat webhook's key). Each occurrence, raw or percent-encoded, becomes `***`.
//!
//! Pure string work (no URL parser), so it also applies to fragments and to URLs inside free text.

use std::borrow::Cow;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Shortest value treated as a known secret: shorter ones would mask ordinary words in every log line (their
/// URLs are still covered by [`redact_userinfo`]).
pub const MIN_SECRET_LEN: usize = 6;

/// The secret values to hide, longest first.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// No known secrets (credentials in URLs are still hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret value (a token, a password), with its percent-encoded and JSON-escaped forms.
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        // As written in the configuration, percent-encoded or -decoded (in URLs), and escaped in JSON text.
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_owned();
        for form in [
            value.to_owned(),
            percent_encode(value),
            percent_decode(value),
            json,
        ] {
            if !self.values.contains(&form) {
                self.values.push(form);
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Adds the secret parts of a configured URL: its password, every query value, and path segments that look
    /// like keys (long, or mixing digits and letters). With `whole_path`, the path and query as a whole too (a
    /// webhook URL whose path is the credential).
    pub fn add_url(&mut self, raw: &str, whole_path: bool) {
        let Some(scheme_end) = raw.find("://") else {
            return;
        };
        let rest = &raw[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            self.add(password);
        }
        let tail = tail.split('#').next().unwrap_or_default();
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        if whole_path && tail.len() > 1 {
            self.add(tail);
        }
        for pair in query.split('&') {
            if let Some((_, value)) = pair.split_once('=') {
                self.add(value);
            }
        }
        for segment in path.split('/') {
            if looks_like_key(segment) {
                self.add(segment);
            }
        }
    }

    /// `text` with every known secret and every URL password replaced by [`MASK`]; borrowed when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = redact_userinfo(text);
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }

    /// Whether any secret is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A path segment that looks like a key rather than a word: at least 16 characters, or at least 8 mixing
/// letters and digits (`T0AB12CD3`, `xoxb4f9a…`), but not a plain word like `services` or `webhooks`.
fn looks_like_key(segment: &str) -> bool {
    let len = segment.chars().count();
    let digits = segment.chars().any(|c| c.is_ascii_digit());
    let letters = segment.chars().any(|c| c.is_alphabetic());
    len >= 16 || (len >= 8 && digits && letters)
}

/// Hides the password of every `scheme://user:password@host` in `text` (`redis://:hunter2@redis` →
/// `redis://:***@redis`).
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let start = search + found + 3;
        let authority_len = text[start..]
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ',' | ')' | ']'
                ) || c.is_whitespace()
            })
            .unwrap_or(text.len() - start);
        let authority = &text[start..start + authority_len];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
            && at > colon + 1
        {
            out.push_str(&text[copied..start + colon + 1]);
            out.push_str(MASK);
            copied = start + at;
        }
        search = start + authority_len;
    }
    if copied == 0 {
        Cow::Borrowed(text)
    } else {
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

/// Hides what a configured URL carries before showing it (a whole-URL form of [`Secrets::add_url`]).
pub fn redact_url(raw: &str) -> String {
    let mut secrets = Secrets::new();
    secrets.add_url(raw, false);
    secrets.redact(raw).into_owned()
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_any_url_are_hidden() {
        assert_eq!(
            redact_userinfo("redis://:hunter2@redis:6379"),
            "redis://:***@redis:6379"
        );
        assert_eq!(
            redact_userinfo("cannot reach mongodb://u:p@mongo:27017/db (refused), http://a:b@c"),
            "cannot reach mongodb://u:***@mongo:27017/db (refused), http://a:***@c"
        );
        for plain in [
            "http://kato:8000/x?y=1",
            "no url here",
            "user@example.com",
            "a://b",
        ] {
            assert!(
                matches!(redact_userinfo(plain), Cow::Borrowed(_)),
                "{plain}"
            );
        }
    }

    #[test]
    fn known_secrets_are_hidden_raw_and_encoded() {
        let mut s = Secrets::new();
        s.add("sk-live-0123456789");
        s.add("p@ss/word!");
        s.add("short");
        s.add("quo\"te\\d-secret");
        assert_eq!(
            s.redact(r#"{"detail":"bad quo\"te\\d-secret"}"#),
            r#"{"detail":"bad ***"}"#
        );
        assert_eq!(s.redact("token sk-live-0123456789 used"), "token *** used");
        assert_eq!(
            s.redact("url with p%40ss%2Fword%21 inside"),
            "url with *** inside"
        );
        assert_eq!(s.redact("a short word"), "a short word");
    }

    #[test]
    fn webhook_keys_and_query_values_are_hidden() {
        let url = "https://hooks.chat.invalid/services/T0AB12CD3/B0EF45GH6/xoxbSECRETvalue0123456789?token=q-secret-1";
        let mut s = Secrets::new();
        s.add_url(url, true);
        let line = format!("POST {url} failed");
        assert_eq!(s.redact(&line), "POST https://hooks.chat.invalid*** failed");
        assert!(!s.redact("error at T0AB12CD3").contains("T0AB12CD3"));
        assert_eq!(s.redact("services and webhooks"), "services and webhooks");
        assert_eq!(
            redact_url("http://kato:8000/api?key=abcdef123"),
            "http://kato:8000/api?key=***"
        );
        assert_eq!(
            redact_url("mongodb://u:hunter22@mongo:27017/kato_kb"),
            "mongodb://u:***@mongo:27017/kato_kb"
        );
    }
}
