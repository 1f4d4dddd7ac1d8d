//! Toasts: at most a few visible, the rest queued, each dismissed by hand or after a while — and a dismissed (or
//! already shown) toast never comes back: every key ever shown is remembered (and persisted by the caller), so
//! replays after a reconnect, the snapshot of firing alerts after a reload and repeated renders cannot resurrect it
//! (the old client re-showed the newest alert every 10 s for as long as the page was open).

use std::collections::VecDeque;

/// Toasts visible at once.
pub const MAX_VISIBLE: usize = 3;
/// How long a toast stays.
pub const TOAST_MS: f64 = 8000.0;
/// Keys remembered as shown.
pub const SEEN_CAP: usize = 1000;

/// Colour of a toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Firing critical alert, KATO down.
    Bad,
    /// Warning.
    Warn,
    /// Resolved, recovered.
    Ok,
    /// Neutral information.
    Info,
}

impl Tone {
    /// CSS modifier.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Bad => "bad",
            Tone::Warn => "warn",
            Tone::Ok => "ok",
            Tone::Info => "info",
        }
    }
}

/// One toast.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Unique key (an alert entry's key, or a local one).
    pub key: String,
    /// What it is about: an alert rule (`kato_unreachable`, …) or `notice` for local messages.
    pub kind: String,
    pub tone: Tone,
    pub title: String,
    pub body: String,
    /// When it leaves by itself (set when it becomes visible).
    pub until_ms: f64,
}

/// The toast stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Toasts {
    pub visible: Vec<Toast>,
    queue: VecDeque<Toast>,
    /// Keys shown, oldest first, at most [`SEEN_CAP`] (a list: a few lookups a minute at most).
    seen_order: VecDeque<String>,
}

impl Toasts {
    /// Restores the keys already shown (from storage).
    pub fn with_seen(keys: impl IntoIterator<Item = String>) -> Self {
        let mut t = Toasts::default();
        for k in keys {
            t.remember(k);
        }
        t
    }

    fn remember(&mut self, key: String) {
        if !self.was_shown(&key) {
            self.seen_order.push_back(key);
            while self.seen_order.len() > SEEN_CAP {
                self.seen_order.pop_front();
            }
        }
    }

    /// Whether a key was ever shown.
    pub fn was_shown(&self, key: &str) -> bool {
        self.seen_order.iter().any(|k| k == key)
    }

    /// The keys shown, oldest first (for storage).
    pub fn seen_keys(&self) -> impl Iterator<Item = &String> {
        self.seen_order.iter()
    }

    /// Shows a toast unless its key was shown before. Returns whether it was taken.
    pub fn push(&mut self, mut toast: Toast, now_ms: f64) -> bool {
        if self.was_shown(&toast.key) {
            return false;
        }
        self.remember(toast.key.clone());
        if self.visible.len() < MAX_VISIBLE {
            toast.until_ms = now_ms + TOAST_MS;
            self.visible.insert(0, toast);
        } else {
            self.queue.push_back(toast);
        }
        true
    }

    /// Removes a toast for good.
    pub fn dismiss(&mut self, key: &str, now_ms: f64) {
        self.visible.retain(|t| t.key != key);
        self.queue.retain(|t| t.key != key);
        self.promote(now_ms);
    }

    /// Removes every toast (visible and queued).
    pub fn dismiss_all(&mut self) {
        self.visible.clear();
        self.queue.clear();
    }

    /// Toasts waiting for room.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Removes toasts whose time is up and shows queued ones. Returns whether anything changed.
    pub fn tick(&mut self, now_ms: f64) -> bool {
        let before = (self.visible.len(), self.queue.len());
        self.visible.retain(|t| t.until_ms > now_ms);
        self.promote(now_ms);
        before != (self.visible.len(), self.queue.len())
    }

    fn promote(&mut self, now_ms: f64) {
        while self.visible.len() < MAX_VISIBLE {
            let Some(mut next) = self.queue.pop_front() else {
                break;
            };
            next.until_ms = now_ms + TOAST_MS;
            self.visible.insert(0, next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toast(key: &str) -> Toast {
        Toast {
            key: key.into(),
            kind: "notice".into(),
            tone: Tone::Bad,
            title: "t".into(),
            body: String::new(),
            until_ms: 0.0,
        }
    }

    #[test]
    fn a_dismissed_toast_never_comes_back() {
        let mut t = Toasts::default();
        assert!(t.push(toast("a"), 0.0));
        t.dismiss("a", 1.0);
        assert!(t.visible.is_empty());
        assert!(
            !t.push(toast("a"), 2.0),
            "the same alert again (replay, reload snapshot)"
        );
        assert!(t.visible.is_empty());
        // Also after a reload, from the persisted keys.
        let keys: Vec<String> = t.seen_keys().cloned().collect();
        let mut reloaded = Toasts::with_seen(keys);
        assert!(!reloaded.push(toast("a"), 3.0));
        assert!(reloaded.push(toast("b"), 3.0));
    }

    #[test]
    fn at_most_three_are_visible_and_the_rest_wait() {
        let mut t = Toasts::default();
        for k in ["a", "b", "c", "d"] {
            t.push(toast(k), 0.0);
        }
        assert_eq!(t.visible.len(), MAX_VISIBLE);
        assert_eq!(t.visible[0].key, "c", "newest on top");
        assert_eq!(t.queued(), 1);
        t.dismiss("b", 100.0);
        assert_eq!(t.visible[0].key, "d");
        assert_eq!(t.visible[0].until_ms, 100.0 + TOAST_MS);
        assert!(t.tick(TOAST_MS + 1.0), "the first three time out");
        assert_eq!(t.visible.len(), 1);
        assert!(!t.tick(TOAST_MS + 2.0));
        assert!(t.tick(100.0 + TOAST_MS));
        assert!(t.visible.is_empty());
        t.push(toast("e"), 0.0);
        t.dismiss_all();
        assert!(t.visible.is_empty() && t.queued() == 0);
    }

    #[test]
    fn the_seen_set_is_bounded() {
        let mut t = Toasts::default();
        for i in 0..SEEN_CAP + 5 {
            t.push(toast(&i.to_string()), 0.0);
            t.dismiss(&i.to_string(), 0.0);
        }
        assert_eq!(t.seen_keys().count(), SEEN_CAP);
        assert!(!t.was_shown("0"));
        assert!(t.was_shown(&(SEEN_CAP + 4).to_string()));
    }
}
