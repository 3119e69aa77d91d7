//! Typo-tolerant look-up: the vocabulary words within a few edits of a question word.
//!
//! The vocabulary's normalized surface forms are an FST; a Levenshtein automaton that counts a
//! swap of neighbouring letters as one edit (optimal string alignment, so `grian` is one edit
//! from `grain`) walks it, which visits only the branches that can still match instead of
//! scanning every word. `strsim` then scores each candidate's similarity.

use std::sync::OnceLock;

use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use crate::search::analyze;
use crate::search::index::{Index, TermId};

/// A vocabulary word near a question word.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The vocabulary word (normalized surface form).
    pub word: String,
    /// Its term.
    pub term: TermId,
    /// Edits between it and the question word (a swap counts one).
    pub distance: u32,
    /// `1 - distance / longer length`, in characters.
    pub similarity: f32,
}

struct Automaton<'a>(&'a DFA);

impl fst::Automaton for Automaton<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The automaton builders are costly to make (tables for every state) and cheap to use.
fn builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    match distance {
        1 => ONE.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
        _ => TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
    }
}

/// A question word, ready to be looked up with typos.
pub struct Matcher {
    dfa: DFA,
    word: String,
    chars: usize,
}

impl Matcher {
    /// A matcher for `word` (normalized) allowing up to `max_distance` edits (1 or 2).
    #[must_use]
    pub fn new(word: &str, max_distance: u8) -> Matcher {
        Matcher {
            dfa: builder(max_distance.clamp(1, 2)).build_dfa(word),
            word: word.to_string(),
            chars: word.chars().count(),
        }
    }

    /// The vocabulary words within the distance, closest first.
    #[must_use]
    pub fn candidates(&self, index: &Index) -> Vec<Candidate> {
        let mut stream = index.surfaces.search(Automaton(&self.dfa)).into_stream();
        let mut out = Vec::new();
        while let Some((key, term)) = stream.next() {
            let Ok(key) = std::str::from_utf8(key) else {
                continue;
            };
            let distance = strsim::osa_distance(&self.word, key) as u32;
            let longer = self.chars.max(key.chars().count()).max(1);
            out.push(Candidate {
                word: key.to_string(),
                term: term as TermId,
                distance,
                similarity: 1.0 - distance as f32 / longer as f32,
            });
        }
        out.sort_by(|a, b| {
            a.distance
                .cmp(&b.distance)
                .then(b.similarity.total_cmp(&a.similarity))
                .then_with(|| a.word.cmp(&b.word))
        });
        out
    }

    /// Whether the word is one edit from a stop word (`abot`, `wat`, `teh`): a mistyped
    /// function word, not a content word to look for.
    #[must_use]
    pub fn near_stop_word(&self) -> bool {
        let mut stream = stop_words()
            .search_with_state(Automaton(&self.dfa))
            .into_stream();
        while let Some((_, state)) = stream.next() {
            if matches!(self.dfa.distance(state), Distance::Exact(d) if d <= 1) {
                return true;
            }
        }
        false
    }
}

fn stop_words() -> &'static fst::Set<Vec<u8>> {
    static SET: OnceLock<fst::Set<Vec<u8>>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut words: Vec<&str> = analyze::stop_words().collect();
        words.sort_unstable();
        words.dedup();
        fst::Set::from_iter(words).expect("sorted, deduplicated keys always build an FST")
    })
}

/// The vocabulary words within `max_distance` edits (1 or 2) of `word`, closest first.
#[must_use]
pub fn candidates(index: &Index, word: &str, max_distance: u8) -> Vec<Candidate> {
    if max_distance == 0 {
        return Vec::new();
    }
    Matcher::new(word, max_distance).candidates(index)
}

/// Whether `a` and `b` are within one edit (a swap counting one).
#[must_use]
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    la.abs_diff(lb) <= 1 && strsim::osa_distance(a, b) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Article;
    use std::path::Path;

    fn index(text: &str) -> Index {
        Index::build(vec![
            Article::parse(Path::new("a.txt"), text.as_bytes())
                .unwrap()
                .0,
        ])
    }

    #[test]
    fn a_swap_is_one_edit() {
        let index = index("The grain export. Rain fell. Mishustin spoke.");
        let got = candidates(&index, "grian", 1);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].word, "grain");
        assert_eq!(got[0].distance, 1);
        assert!((got[0].similarity - 0.8).abs() < 1e-6);
        let got = candidates(&index, "mishustn", 1);
        assert_eq!(
            got.iter().map(|c| c.word.as_str()).collect::<Vec<_>>(),
            ["mishustin"]
        );
    }

    #[test]
    fn two_edits_only_when_asked() {
        let index = index("Cooperation between the countries.");
        assert!(candidates(&index, "coperatoin", 1).is_empty());
        let got = candidates(&index, "coperatoin", 2);
        assert_eq!(
            got.iter().map(|c| c.word.as_str()).collect::<Vec<_>>(),
            ["cooperation"]
        );
        assert_eq!(got[0].distance, 2);
    }

    #[test]
    fn one_edit_check() {
        assert!(within_one_edit("abot", "about"));
        assert!(within_one_edit("wat", "what"));
        assert!(within_one_edit("teh", "the"));
        assert!(!within_one_edit("grain", "gren"));
        assert!(!within_one_edit("export", "expert1"));
    }

    #[test]
    fn mistyped_stop_words_are_recognised() {
        assert!(Matcher::new("abot", 1).near_stop_word());
        assert!(Matcher::new("wat", 1).near_stop_word());
        assert!(Matcher::new("whcih", 2).near_stop_word());
        assert!(!Matcher::new("grian", 1).near_stop_word());
        assert!(!Matcher::new("mishustn", 2).near_stop_word());
    }
}
