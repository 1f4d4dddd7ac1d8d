//! A small stand-in for KATO's knowledge bases (MongoDB at v1, ClickHouse at v3): learned
//! patterns and symbol frequencies per node, plus predictions with KATO's field set. The
//! numbers follow KATO's definitions where they are simple (evidence, confidence, similarity,
//! entropy) and are plausible elsewhere; only the shapes are contractual.

use std::collections::{HashMap, HashSet};

use crate::config::Flavour;
use crate::ids;
use crate::json::Json;
use crate::obj;

/// One learned pattern.
#[derive(Clone, Debug)]
struct Pattern {
    name: String,
    sequence: Vec<Vec<String>>,
    frequency: i64,
    emotives: Vec<(String, f64)>,
}

/// One node's knowledge base.
#[derive(Clone, Debug, Default)]
pub struct NodeKb {
    patterns: Vec<Pattern>,
    /// (symbol, frequency, pattern_member_frequency) in first-seen order.
    symbols: Vec<(String, i64, i64)>,
}

/// All nodes' knowledge bases (shared by every worker and surviving restarts: it is a database).
#[derive(Debug, Default)]
pub struct KnowledgeBase {
    nodes: HashMap<String, NodeKb>,
}

fn flat_symbols(seq: &[Vec<String>]) -> usize {
    seq.iter().map(Vec::len).sum()
}

/// Averages a list of emotive dicts per key, keeping first-seen key order.
fn average_emotives(acc: &[Json]) -> Vec<(String, f64)> {
    let mut sums: Vec<(String, f64, f64)> = Vec::new();
    for e in acc {
        for (k, v) in e.as_object().unwrap_or(&[]) {
            let Some(v) = v.as_f64() else { continue };
            match sums.iter_mut().find(|(key, _, _)| key == k) {
                Some((_, s, n)) => {
                    *s += v;
                    *n += 1.0;
                }
                None => sums.push((k.clone(), v, 1.0)),
            }
        }
    }
    sums.into_iter().map(|(k, s, n)| (k, s / n)).collect()
}

fn emotives_json(e: &[(String, f64)]) -> Json {
    Json::Obj(
        e.iter()
            .map(|(k, v)| (k.clone(), Json::Float(*v)))
            .collect(),
    )
}

fn events_json(seq: &[Vec<String>]) -> Json {
    Json::Arr(
        seq.iter()
            .map(|e| Json::Arr(e.iter().map(Json::from).collect()))
            .collect(),
    )
}

impl KnowledgeBase {
    /// Learns `stm` as a pattern of `node`; returns its name (`PTRN|<40 hex>`).
    pub fn learn(&mut self, node: &str, stm: &[Vec<String>], emotives: &[Json]) -> String {
        let content: Vec<String> = stm.iter().map(|e| e.join("\u{1f}")).collect();
        let name = ids::hex160(&content.join("\u{1e}"));
        let kb = self.nodes.entry(node.to_string()).or_default();
        let new_pattern = match kb.patterns.iter_mut().find(|p| p.name == name) {
            Some(p) => {
                p.frequency += 1;
                false
            }
            None => {
                kb.patterns.push(Pattern {
                    name: name.clone(),
                    sequence: stm.to_vec(),
                    frequency: 1,
                    emotives: average_emotives(emotives),
                });
                true
            }
        };
        let mut seen = HashSet::new();
        for sym in stm.iter().flatten() {
            let first_in_pattern = seen.insert(sym.clone());
            match kb.symbols.iter_mut().find(|(s, _, _)| s == sym) {
                Some((_, f, m)) => {
                    *f += 1;
                    if first_in_pattern && new_pattern {
                        *m += 1;
                    }
                }
                None => kb.symbols.push((sym.clone(), 1, 1)),
            }
        }
        format!("PTRN|{name}")
    }

    /// Forgets everything `node` learned (`clear-all`).
    pub fn clear(&mut self, node: &str) {
        self.nodes.remove(node);
    }

    /// Number of patterns of `node`.
    pub fn pattern_count(&self, node: &str) -> usize {
        self.nodes.get(node).map_or(0, |kb| kb.patterns.len())
    }

    /// `/symbols/stats` body for `node` (v3).
    pub fn symbols_stats(&self, node: &str, kb_id: &str) -> Json {
        let symbols = self
            .nodes
            .get(node)
            .map(|kb| {
                kb.symbols
                    .iter()
                    .map(|(s, f, m)| {
                        (
                            s.clone(),
                            obj! { "name" => s, "frequency" => *f, "pattern_member_frequency" => *m },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        obj! { "symbols" => Json::Obj(symbols), "node_id" => kb_id }
    }

    /// Predictions for `stm` against `node`'s patterns, best first, at most `max` of them,
    /// and their `future_potentials`.
    pub fn predict(
        &self,
        flavour: Flavour,
        node: &str,
        stm: &[Vec<String>],
        max: usize,
        recall_threshold: f64,
    ) -> (Vec<Json>, Vec<Json>) {
        let Some(kb) = self.nodes.get(node) else {
            return (Vec::new(), Vec::new());
        };
        let total_frequency: i64 = kb.patterns.iter().map(|p| p.frequency).sum();
        let mut scored: Vec<(f64, Json, Vec<Vec<String>>, f64)> = kb
            .patterns
            .iter()
            .filter_map(|p| {
                let m = Match::compute(p, stm)?;
                (m.similarity >= recall_threshold).then_some(())?;
                let probability = p.frequency as f64 / total_frequency.max(1) as f64;
                let json = m.to_json(flavour, p, probability);
                Some((
                    m.potential(flavour),
                    json,
                    m.future,
                    m.similarity * probability,
                ))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.truncate(max.max(1));
        let total_potential: f64 = scored.iter().map(|s| s.0).sum();
        let mut futures: Vec<(Vec<Vec<String>>, f64, i64, f64)> = Vec::new();
        for (potential, _, future, weighted) in &scored {
            match futures.iter_mut().find(|f| &f.0 == future) {
                Some(f) => {
                    f.1 += potential;
                    f.2 += 1;
                    f.3 += weighted;
                }
                None => futures.push((future.clone(), *potential, 1, *weighted)),
            }
        }
        let future_potentials = futures
            .into_iter()
            .map(|(future, potential, count, weighted)| {
                obj! {
                    "future" => events_json(&future),
                    "aggregate_potential" => if total_potential > 0.0 { potential / total_potential } else { 0.0 },
                    "supporting_patterns" => count,
                    "total_weighted_frequency" => weighted,
                }
            })
            .collect();
        (scored.into_iter().map(|s| s.1).collect(), future_potentials)
    }
}

/// How a pattern lines up with the STM.
struct Match {
    past: Vec<Vec<String>>,
    present: Vec<Vec<String>>,
    future: Vec<Vec<String>>,
    matches: Vec<String>,
    missing: Vec<Vec<String>>,
    extras: Vec<Vec<String>>,
    similarity: f64,
    evidence: f64,
    confidence: f64,
    snr: f64,
    entropy: f64,
    normalized_entropy: f64,
}

impl Match {
    fn compute(p: &Pattern, stm: &[Vec<String>]) -> Option<Match> {
        let observed: HashSet<&String> = stm.iter().flatten().collect();
        let overlapping: Vec<usize> = p
            .sequence
            .iter()
            .enumerate()
            .filter(|(_, e)| e.iter().any(|s| observed.contains(s)))
            .map(|(i, _)| i)
            .collect();
        let (first, last) = (*overlapping.first()?, *overlapping.last()?);
        let present = p.sequence[first..=last].to_vec();
        let in_present: HashSet<&String> = present.iter().flatten().collect();
        let matches: Vec<String> = present
            .iter()
            .flatten()
            .filter(|s| observed.contains(s))
            .cloned()
            .collect();
        let missing = present
            .iter()
            .map(|e| {
                e.iter()
                    .filter(|s| !observed.contains(s))
                    .cloned()
                    .collect()
            })
            .collect();
        let extras: Vec<Vec<String>> = stm
            .iter()
            .map(|e| {
                e.iter()
                    .filter(|s| !in_present.contains(s))
                    .cloned()
                    .collect()
            })
            .collect();
        let m = matches.len() as f64;
        let present_n = flat_symbols(&present) as f64;
        let extras_n = flat_symbols(&extras) as f64;
        let pattern_n = flat_symbols(&p.sequence) as f64;
        let entropy = present_n.max(1.0).log2();
        Some(Match {
            past: p.sequence[..first].to_vec(),
            future: p.sequence[last + 1..].to_vec(),
            similarity: 2.0 * m / (present_n + flat_symbols(stm) as f64 + extras_n).max(1.0),
            evidence: m / pattern_n.max(1.0),
            confidence: m / present_n.max(1.0),
            snr: (m - extras_n) / (m + extras_n).max(1.0),
            normalized_entropy: if pattern_n > 1.0 {
                entropy / pattern_n.log2()
            } else {
                0.0
            },
            entropy,
            present,
            matches,
            missing,
            extras,
        })
    }

    fn potential(&self, flavour: Flavour) -> f64 {
        match flavour {
            Flavour::V1 => self.similarity * self.similarity,
            Flavour::V3 => {
                (self.evidence + self.confidence) * self.snr + self.similarity + self.entropy / 2.0
            }
        }
    }

    fn to_json(&self, flavour: Flavour, p: &Pattern, probability: f64) -> Json {
        let itfdf = self.confidence.sqrt();
        let mut v = obj! {
            "type" => "prototypical",
            "name" => &p.name,
            "frequency" => p.frequency,
            "emotives" => emotives_json(&p.emotives),
            "matches" => Json::Arr(self.matches.iter().map(Json::from).collect()),
            "past" => events_json(&self.past),
            "present" => events_json(&self.present),
            "missing" => events_json(&self.missing),
            "extras" => events_json(&self.extras),
        };
        let weighted_strength = self.similarity * probability;
        let fields: Vec<(&str, Json)> = match flavour {
            Flavour::V1 => vec![
                ("potential", self.potential(flavour).into()),
                ("evidence", self.evidence.into()),
                ("similarity", self.similarity.into()),
                ("fragmentation", 0.0.into()),
                ("snr", self.snr.into()),
                ("entropy", 0.0.into()),
                ("normalized_entropy", self.normalized_entropy.into()),
                ("global_normalized_entropy", self.evidence.into()),
                ("confluence", 0.0.into()),
                ("predictive_information", self.similarity.into()),
                ("sequence", events_json(&p.sequence)),
                ("future", events_json(&self.future)),
                ("confidence", self.confidence.into()),
                ("itfdf_similarity", itfdf.into()),
                ("pattern_probability", probability.into()),
                ("weighted_strength", weighted_strength.into()),
            ],
            Flavour::V3 => vec![
                ("anomalies", Json::Arr(vec![])),
                ("potential", self.potential(flavour).into()),
                ("evidence", self.evidence.into()),
                ("similarity", self.similarity.into()),
                ("fragmentation", 0.0.into()),
                ("snr", self.snr.into()),
                ("confluence", 0.0.into()),
                ("predictive_information", self.similarity.into()),
                ("sequence", events_json(&p.sequence)),
                ("future", events_json(&self.future)),
                ("confidence", self.confidence.into()),
                ("weighted_similarity", Json::Null),
                ("weighted_evidence", Json::Null),
                ("weighted_confidence", Json::Null),
                ("weighted_snr", Json::Null),
                ("entropy", self.entropy.into()),
                ("normalized_entropy", self.normalized_entropy.into()),
                ("global_normalized_entropy", 0.0.into()),
                ("itfdf_similarity", itfdf.into()),
                (
                    "tfidf_score",
                    (1.0 / flat_symbols(&self.present).max(1) as f64).into(),
                ),
                ("pattern_probability", probability.into()),
                ("weighted_strength", weighted_strength.into()),
                ("bayesian_posterior", 1.0.into()),
                ("bayesian_prior", probability.into()),
                ("bayesian_likelihood", self.similarity.into()),
            ],
        };
        for (k, val) in fields {
            v.set(k, val);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn learn_then_predict_like_the_fixture() {
        let mut kb = KnowledgeBase::default();
        let seq = vec![
            ev(&["hello", "world"]),
            ev(&["are", "how", "you"]),
            ev(&["VCTR|x", "fine"]),
        ];
        let joy = Json::parse(br#"{"joy": 0.8}"#).unwrap();
        let name = kb.learn("dash-alice", &seq, &[joy]);
        assert!(name.starts_with("PTRN|") && name.len() == 45);
        assert_eq!(
            kb.learn("dash-alice", &seq, &[]),
            name,
            "same content, same name"
        );
        let stm = vec![ev(&["hello", "world"]), ev(&["are", "how"])];
        for flavour in [Flavour::V1, Flavour::V3] {
            let (preds, futures) = kb.predict(flavour, "dash-alice", &stm, 10, 0.1);
            assert_eq!(preds.len(), 1);
            let p = &preds[0];
            assert_eq!(p.get("frequency"), Some(&Json::Int(2)));
            assert_eq!(p.get("confidence"), Some(&Json::Float(0.8)));
            assert_eq!(
                p.get("future").unwrap().to_compact(),
                r#"[["VCTR|x","fine"]]"#
            );
            assert_eq!(futures.len(), 1);
        }
        let stats = kb.symbols_stats("dash-alice", "dash_alice_kato");
        assert_eq!(
            stats
                .get("symbols")
                .unwrap()
                .get("hello")
                .unwrap()
                .get("frequency"),
            Some(&Json::Int(2))
        );
    }
}
