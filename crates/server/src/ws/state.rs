//! The decisions of one `/ws` connection, without I/O: what a client frame means, which topics it gets, where
//! its event cursors stand. The connection loop (`conn.rs`) carries the resulting actions out.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use kato_dashboard_core::protocol::{
    ClientMsg, ErrorCode, ProtocolError, ServerMsg, Topic, TopicSet, parse_client_frame,
};

use super::legacy::RecentSets;

/// Consecutive bad frames after which the connection is closed with 1008.
pub const MAX_BAD_FRAMES: u32 = 20;

/// What the connection loop must do next.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Send a control message.
    Send(ServerMsg),
    /// Send the current state of the subscribed topics (and firing alerts).
    Snapshot,
    /// Deliver buffered events of `topic` after sequence number `after`.
    Replay {
        /// The topic.
        topic: Topic,
        /// Last sequence number the client has.
        after: u64,
    },
    /// Close with this code and reason.
    Close(u16, &'static str),
}

/// Per-connection protocol state.
#[derive(Debug)]
pub struct ConnState {
    /// Topics the client receives.
    pub subs: TopicSet,
    /// Topics the server offers (configuration can switch some off).
    pub offered: TopicSet,
    /// Whether `subscribe` is honoured.
    pub selective: bool,
    /// Whether the client opted into delta updates.
    pub deltas: bool,
    /// Versions of each state topic the client has received (for deltas, and so a re-subscribe only sends
    /// what it lacks). Kept across `subscribe` frames and changes of the set.
    pub sent_versions: crate::hub::SentVersions,
    /// The sticky frame of each event topic last sent (the firing alerts): sent once per change, not per
    /// `subscribe`.
    sent_sticky: [Option<Arc<str>>; 3],
    /// Whether the client spoke the new protocol (`features`, `resume`, `unsubscribe`); until then it is
    /// treated as the old dashboard's client (see `legacy.rs`).
    extended: bool,
    recent: RecentSets,
    bad_frames: u32,
}

impl ConnState {
    /// A new connection: every offered topic until the client subscribes (the old protocol's rule).
    pub fn new(offered: TopicSet, selective: bool) -> Self {
        Self {
            // Opt-in topics (the fleet's `instances`) only for a client that names them.
            subs: offered.without_opt_in(),
            offered,
            selective,
            deltas: false,
            sent_versions: Default::default(),
            sent_sticky: Default::default(),
            extended: false,
            recent: RecentSets::default(),
            bad_frames: 0,
        }
    }

    /// The topics delivered at `now`: the subscribed ones, and for an old client also those its last
    /// `subscribe` frames dropped a moment ago.
    pub fn delivery(&self, now: Instant) -> TopicSet {
        if self.extended {
            self.subs
        } else {
            self.recent.with_held(self.subs, now)
        }
    }

    /// Whether `frame`, the sticky frame of `topic`, is one this client has not been sent yet; records it.
    pub fn sticky_is_new(&mut self, topic: Topic, frame: &Arc<str>) -> bool {
        let Some(slot) = Topic::EVENTS.iter().position(|t| *t == topic) else {
            return false;
        };
        let last = &mut self.sent_sticky[slot];
        if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, frame)) {
            return false;
        }
        *last = Some(frame.clone());
        true
    }

    /// Handles a text frame.
    pub fn on_text(&mut self, text: &str) -> Vec<Action> {
        match parse_client_frame(text) {
            Ok(msg) => {
                self.bad_frames = 0;
                self.on_msg(msg)
            }
            Err(e) => self.reject(e),
        }
    }

    /// Handles a binary frame (not part of the protocol).
    pub fn on_binary(&mut self) -> Vec<Action> {
        self.reject(ProtocolError::new(
            ErrorCode::Binary,
            "binary frames are not supported; send JSON text",
        ))
    }

    fn reject(&mut self, error: ProtocolError) -> Vec<Action> {
        self.bad_frames += 1;
        let mut actions = vec![Action::Send(ServerMsg::Error {
            code: error.code,
            message: error.message,
        })];
        if self.bad_frames >= MAX_BAD_FRAMES {
            actions.push(Action::Send(ServerMsg::Error {
                code: ErrorCode::Abuse,
                message: format!("{MAX_BAD_FRAMES} bad frames in a row; closing"),
            }));
            actions.push(Action::Close(1008, "too many bad frames"));
        }
        actions
    }

    fn on_msg(&mut self, msg: ClientMsg) -> Vec<Action> {
        match msg {
            ClientMsg::Ping => vec![Action::Send(heartbeat())],
            ClientMsg::Subscribe(names) => {
                let (set, unknown) = self.resolve(&names);
                if self.selective {
                    self.recent.replaced(self.subs, set, Instant::now());
                    self.subs = set;
                }
                vec![Action::Send(self.ack(unknown)), Action::Snapshot]
            }
            ClientMsg::Unsubscribe(names) => {
                self.extended = true;
                let (set, unknown) = self.resolve(&names);
                if self.selective {
                    for t in set.iter() {
                        self.subs.remove(t);
                    }
                }
                vec![Action::Send(self.ack(unknown))]
            }
            ClientMsg::Resume(last) => {
                self.extended = true;
                self.resume(last)
            }
            ClientMsg::Features { deltas } => {
                self.extended = true;
                self.deltas = deltas;
                self.sent_versions = Default::default();
                vec![Action::Send(ServerMsg::Features { deltas })]
            }
        }
    }

    fn resume(&mut self, last: BTreeMap<String, u64>) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut unknown = Vec::new();
        for (name, seq) in last {
            match Topic::parse(&name) {
                Some(topic) if !topic.is_state() => {
                    actions.push(Action::Replay { topic, after: seq })
                }
                _ => unknown.push(name),
            }
        }
        if !unknown.is_empty() {
            actions.push(Action::Send(ServerMsg::Error {
                code: ErrorCode::InvalidField,
                message: format!("not event topics, ignored: {}", unknown.join(", ")),
            }));
        }
        actions
    }

    /// Splits names into offered topics and names that are not (unknown, or switched off by configuration).
    fn resolve(&self, names: &[String]) -> (TopicSet, Vec<String>) {
        let mut set = TopicSet::EMPTY;
        let mut unknown = Vec::new();
        for name in names {
            match Topic::parse(name) {
                Some(t) if self.offered.contains(t) => set.insert(t),
                _ => unknown.push(name.clone()),
            }
        }
        (set, unknown)
    }

    fn ack(&self, unknown: Vec<String>) -> ServerMsg {
        ServerMsg::Subscribed {
            subscriptions: self.subs.names().into_iter().map(str::to_owned).collect(),
            unknown,
        }
    }
}

/// A heartbeat now.
pub fn heartbeat() -> ServerMsg {
    ServerMsg::Heartbeat {
        timestamp: kato_dashboard_core::time::rfc3339(chrono::Utc::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered_all() -> ConnState {
        ConnState::new(TopicSet::all(), true)
    }

    #[test]
    fn subscribe_replaces_the_set_acks_and_asks_for_a_snapshot() {
        let mut c = offered_all();
        assert_eq!(
            c.subs,
            TopicSet::all().without_opt_in(),
            "no subscribe yet = everything but the opt-in `instances`"
        );
        let actions = c.on_text(
            r#"{"type":"subscribe","subscriptions":["containers","bogus","system_alerts"]}"#,
        );
        assert_eq!(
            actions,
            vec![
                Action::Send(ServerMsg::Subscribed {
                    subscriptions: vec!["containers".into(), "system_alerts".into()],
                    unknown: vec!["bogus".into()]
                }),
                Action::Snapshot
            ]
        );
        c.on_text(r#"{"type":"unsubscribe","subscriptions":["containers"]}"#);
        assert_eq!(c.subs.names(), vec!["system_alerts"]);
        c.on_text(r#"{"type":"subscribe","subscriptions":[]}"#);
        assert!(c.subs.is_empty(), "an empty list means no topics");
    }

    #[test]
    fn non_selective_mode_ignores_subscriptions_but_still_acks() {
        let mut c = ConnState::new(TopicSet::all(), false);
        let actions = c.on_text(r#"{"type":"subscribe","subscriptions":["metrics"]}"#);
        assert!(
            matches!(&actions[0], Action::Send(ServerMsg::Subscribed { subscriptions, .. }) if subscriptions.len() == 6)
        );
        assert_eq!(c.subs, TopicSet::all().without_opt_in());
    }

    #[test]
    fn switched_off_topics_are_reported_unknown() {
        let mut offered = TopicSet::all();
        offered.remove(Topic::Containers);
        let mut c = ConnState::new(offered, true);
        let actions = c.on_text(r#"{"type":"subscribe","subscriptions":["containers","metrics"]}"#);
        assert!(
            matches!(&actions[0], Action::Send(ServerMsg::Subscribed { unknown, .. }) if unknown == &vec!["containers".to_string()])
        );
    }

    #[test]
    fn bad_frames_get_errors_and_only_abuse_closes() {
        let mut c = offered_all();
        for _ in 0..MAX_BAD_FRAMES - 1 {
            let actions = c.on_text("[]");
            assert!(matches!(
                &actions[..],
                [Action::Send(ServerMsg::Error {
                    code: ErrorCode::NotObject,
                    ..
                })]
            ));
        }
        // A good frame resets the count.
        assert!(matches!(
            &c.on_text("ping")[..],
            [Action::Send(ServerMsg::Heartbeat { .. })]
        ));
        for _ in 0..MAX_BAD_FRAMES - 1 {
            assert_eq!(c.on_binary().len(), 1);
        }
        let last = c.on_binary();
        assert_eq!(
            last.last(),
            Some(&Action::Close(1008, "too many bad frames"))
        );
    }

    #[test]
    fn resume_replays_event_topics_only() {
        let mut c = offered_all();
        let actions = c.on_text(r#"{"type":"resume","last_seq":{"session_events":7,"metrics":1}}"#);
        assert_eq!(
            actions[0],
            Action::Replay {
                topic: Topic::SessionEvents,
                after: 7
            }
        );
        assert!(matches!(
            &actions[1],
            Action::Send(ServerMsg::Error {
                code: ErrorCode::InvalidField,
                ..
            })
        ));
    }
}
