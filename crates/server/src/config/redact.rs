//! Redaction of secrets for logs and `Debug`: tokens and passwords never leave the process in clear text.

use serde_json::Value;
use url::Url;

/// Keys whose whole value is secret.
const SECRET_KEYS: &[&str] = &[
    "admin_token",
    "admin_password",
    "secret_key",
    "qdrant_api_key",
];

/// Replaces secrets in a serialized config object in place.
pub(super) fn redact_config(value: &mut Value) {
    let Value::Object(map) = value else { return };
    for (key, v) in map.iter_mut() {
        if SECRET_KEYS.contains(&key.as_str()) {
            if !v.is_null() {
                *v = Value::String("***".into());
            }
        } else if let Value::String(s) = v
            && s.contains("://")
        {
            *s = redact_url(s);
        }
    }
}

/// Hides the password of a URL's user info (`redis://:secret@host` → `redis://:***@host`).
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            if url.set_password(Some("***")).is_err() {
                return "<url with credentials>".into();
            }
            url.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Not a URL we can parse: hide anything between `://` and `@`, which is where credentials live.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &raw[..start + 3], &raw[at..])
            }
            _ => raw.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact_url("redis://:hunter2@redis:6379"),
            "redis://:***@redis:6379"
        );
        assert_eq!(
            redact_url("mongodb://u:p@mongo:27017/db"),
            "mongodb://u:***@mongo:27017/db"
        );
        assert_eq!(redact_url("http://kato:8000"), "http://kato:8000");
        assert_eq!(redact_url("weird://a:b@c d"), "weird://***@c d");
    }
}
