//! `localStorage`, as JSON. Every failure (private mode, quota, corrupt value) degrades to "nothing stored": the
//! app works without storage, it only forgets between reloads.

use serde::{Serialize, de::DeserializeOwned};

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A stored string.
pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

/// Stores a string (or removes the key for `None`).
pub fn set(key: &str, value: Option<&str>) {
    if let Some(s) = local() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// A stored JSON value.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Option<T> {
    get(key).and_then(|text| serde_json::from_str(&text).ok())
}

/// Stores a value as JSON.
pub fn set_json<T: Serialize>(key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        set(key, Some(&text));
    }
}
