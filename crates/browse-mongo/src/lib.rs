//! Browser for KATO's MongoDB knowledge bases, on the official `mongodb` driver (tokio).
//!
//! KATO (≤ v2) keeps one database per node (`sensor_alpha_kato`, …) holding `patterns_kb`, `symbols_kb`,
//! `predictions_kb`, `associative_action_kb` and `metadata`. This crate lists those knowledge bases, pages,
//! sorts and searches patterns and symbols on the server, reads any collection with a checked JSON filter,
//! computes pattern statistics, and performs the edits and deletes the server allows an admin.
//!
//! Rules it keeps whatever the caller does: `admin`, `config` and `local` are never touched; filters that run
//! code (`$where`, `$function`, `$accumulator`) are refused; ids are tried as ObjectIds first (KATO's `_id`s
//! are ObjectIds; the old dashboard matched strings and never found anything); server selection gives up
//! after 2 s so a dead MongoDB is reported as [`MongoBrowseError::Unavailable`], not a hang. Whether a caller
//! may write is the server's decision (admin token, read-only mode): this crate does not know about HTTP.
//! It must not depend on any other dashboard crate.

mod client;
mod documents;
mod error;
pub mod filter;
mod json;
mod kb;
mod patterns;

pub use client::MongoBrowser;
pub use documents::{DocumentPage, DocumentQuery};
pub use error::{MongoBrowseError, Result};
pub use json::to_json;
pub use kb::{CollectionInfo, KnowledgeBase};
pub use mongodb::bson::{self, Document};
pub use patterns::{PatternQuery, SearchMode, SortKey};
