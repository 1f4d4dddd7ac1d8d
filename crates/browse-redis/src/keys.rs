//! Keys as bytes: taken from `?key=` (text) or `?key_b64=` (any bytes), shown as text and base64.

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::error::{RedisBrowseError, Result};

/// A key exactly as Redis stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(pub Vec<u8>);

impl KeyName {
    /// From `key` (UTF-8 text) or `key_b64` (standard base64); exactly one must be given.
    pub fn from_params(key: Option<&str>, key_b64: Option<&str>) -> Result<Self> {
        match (key, key_b64) {
            (Some(k), None) if !k.is_empty() => Ok(Self(k.as_bytes().to_vec())),
            (None, Some(b)) if !b.is_empty() => STANDARD
                .decode(b.trim())
                .map(Self)
                .map_err(|e| RedisBrowseError::BadRequest(format!("key_b64 is not base64: {e}"))),
            (Some(_), Some(_)) => Err(RedisBrowseError::BadRequest(
                "give either key or key_b64, not both".into(),
            )),
            _ => Err(RedisBrowseError::BadRequest(
                "give the key as ?key=… or ?key_b64=…".into(),
            )),
        }
    }

    /// The key as text (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// The exact bytes, base64.
    pub fn b64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// Whether the text form loses information.
    pub fn is_binary(&self) -> bool {
        std::str::from_utf8(&self.0).is_err()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_text_or_base64() {
        assert_eq!(
            KeyName::from_params(Some("a b/ü"), None).unwrap().0,
            "a b/ü".as_bytes()
        );
        let k = KeyName::from_params(None, Some("/wA=")).unwrap();
        assert_eq!(k.0, vec![0xff, 0x00]);
        assert!(k.is_binary());
        assert_eq!(k.b64(), "/wA=");
        assert!(KeyName::from_params(None, None).is_err());
        assert!(KeyName::from_params(Some("a"), Some("YQ==")).is_err());
        assert!(KeyName::from_params(None, Some("***")).is_err());
    }
}
