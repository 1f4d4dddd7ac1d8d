//! `.env.example` is the configuration reference: it must list every key, nothing else, and load as-is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeSet, path::PathBuf};

use kato_dashboard_server::{Config, config::LoadOptions};

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.env.example")
}

#[test]
fn env_example_lists_every_key_and_only_known_keys() {
    let listed: BTreeSet<String> = dotenvy::from_path_iter(example_path())
        .expect(".env.example is readable")
        .map(|item| item.expect(".env.example parses").0.to_lowercase())
        .collect();
    let known = Config::keys();
    let missing: Vec<_> = known.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&known).collect();
    assert!(
        missing.is_empty(),
        ".env.example does not document: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        ".env.example lists keys the server does not know: {unknown:?}"
    );
}

#[test]
fn env_example_loads_and_matches_the_defaults() {
    let config = Config::load(LoadOptions {
        file: None,
        dotenv: Some(example_path()),
        env: Some(Default::default()),
    })
    .expect(".env.example is a valid configuration");
    let defaults = Config::default();
    assert_eq!(
        serde_json::to_value(&config).unwrap(),
        serde_json::to_value(&defaults).unwrap(),
        ".env.example values differ from the built-in defaults"
    );
}

#[test]
fn the_configuration_reference_documents_every_key_with_its_default() {
    let doc = std::fs::read_to_string(example_path().with_file_name("docs/configuration.md"))
        .expect("docs/configuration.md");
    let mut undocumented = Vec::new();
    for item in dotenvy::from_path_iter(example_path()).expect(".env.example is readable") {
        let (key, value) = item.expect(".env.example parses");
        let default = if value.is_empty() {
            "*(unset)*".to_owned()
        } else {
            format!("`{value}`")
        };
        if !doc.contains(&format!("| `{key}` | {default} |")) {
            undocumented.push(key);
        }
    }
    assert!(
        undocumented.is_empty(),
        "docs/configuration.md lacks (or has another default for): {undocumented:?}"
    );
}
