//! Typo-tolerant look-up: the vocabulary words within a few edits of a question word, a swap
//! of neighbouring letters counting one edit (optimal string alignment, so `grian` is one
//! edit from `grain`).
//!
//! One edit: deletion neighbourhoods ([`crate::search::deletions`]), a dozen hash look-ups
//! whatever the vocabulary's size. Two edits, for long words with nothing one edit away: a
//! Levenshtein automaton walks the FST of the vocabulary's normalized surface forms, visiting
//! only the branches that can still match. `strsim` then scores each candidate's similarity.

use std::sync::OnceLock;

use fst::IntoStreamer;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use crate::search::analyze;
use crate::search::deletions::{self, Deletions};
use crate::search::index::{Index, TermId};
use crate::search::strmap::StrMap;

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

/// The two-edit automaton builder is costly to make (tables for every state) and cheap to
/// use.
fn two_edits() -> &'static LevenshteinAutomatonBuilder {
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true))
}

/// The automaton of a word's rest, after its first letter: only the FST branch of that letter
/// is walked.
struct Anchored<'a> {
    first: &'a [u8],
    dfa: &'a DFA,
}

/// A state of [`Anchored`]: how many bytes of the first letter are matched (`u32::MAX`: a
/// mismatch), and the state of the rest's automaton.
#[derive(Clone, Copy)]
struct AnchoredState(u32, u32);

impl fst::Automaton for Anchored<'_> {
    type State = AnchoredState;

    fn start(&self) -> AnchoredState {
        AnchoredState(0, self.dfa.initial_state())
    }

    fn is_match(&self, s: &AnchoredState) -> bool {
        s.0 as usize == self.first.len() && matches!(self.dfa.distance(s.1), Distance::Exact(_))
    }

    fn can_match(&self, s: &AnchoredState) -> bool {
        s.0 != u32::MAX && s.1 != SINK_STATE
    }

    fn accept(&self, s: &AnchoredState, byte: u8) -> AnchoredState {
        let matched = s.0 as usize;
        if matched < self.first.len() {
            if self.first[matched] == byte {
                AnchoredState(s.0 + 1, s.1)
            } else {
                AnchoredState(u32::MAX, s.1)
            }
        } else {
            AnchoredState(s.0, self.dfa.transition(s.1, byte))
        }
    }
}

/// A question word, ready to be looked up with typos: one edit anywhere (by deletion
/// neighbourhoods, see [`crate::search::deletions`]), and, for words long enough that have no
/// vocabulary word one edit away, two edits after the first letter (by an automaton walking
/// the vocabulary's FST). People seldom mistype a word's first letter, and keeping it lets the
/// two-edit search walk one branch of the vocabulary instead of all of it.
pub struct Matcher {
    two: bool,
    word: String,
    chars: usize,
}

impl Matcher {
    /// A matcher for `word` (normalized) allowing up to `max_distance` edits (1 or 2).
    #[must_use]
    pub fn new(word: &str, max_distance: u8) -> Matcher {
        Matcher {
            // The automaton takes about 32 KB a character: none for a word too long to match.
            two: max_distance >= 2 && !word.is_empty() && !deletions::too_long(word),
            word: word.to_string(),
            chars: word.chars().count(),
        }
    }

    /// The vocabulary words within the distance, closest first.
    #[must_use]
    pub fn candidates(&self, index: &Index) -> Vec<Candidate> {
        let vocabulary = index.surface_map();
        let mut found: Vec<(String, u64)> = Vec::new();
        index
            .deletions()
            .within_one(vocabulary, &self.word, |slot| {
                found.push((
                    vocabulary.key_at(slot).to_string(),
                    u64::from(vocabulary.value_at(slot)),
                ));
            });
        // Most typos are one edit: the two-edit search (and its costlier automaton) is for
        // words that have no word one edit away.
        if self.two && found.is_empty() {
            let first = self.word.chars().next().map_or(0, char::len_utf8);
            let dfa = two_edits().build_dfa(&self.word[first..]);
            let anchored = Anchored {
                first: &self.word.as_bytes()[..first],
                dfa: &dfa,
            };
            found.extend(
                index
                    .surfaces
                    .search(anchored)
                    .into_stream()
                    .into_byte_vec()
                    .into_iter()
                    .filter_map(|(k, t)| Some((String::from_utf8(k).ok()?, t))),
            );
        }
        found.sort_unstable();
        found.dedup();
        let mut out: Vec<Candidate> = found
            .into_iter()
            .map(|(key, term)| {
                let distance = strsim::osa_distance(&self.word, &key) as u32;
                let longer = self.chars.max(key.chars().count()).max(1);
                Candidate {
                    similarity: 1.0 - distance as f32 / longer as f32,
                    word: key,
                    term: term as TermId,
                    distance,
                }
            })
            .collect();
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
        let (words, deletions) = stop_words();
        let mut near = false;
        deletions.within_one(words, &self.word, |_| near = true);
        near
    }
}

fn stop_words() -> &'static (StrMap, Deletions) {
    static SET: OnceLock<(StrMap, Deletions)> = OnceLock::new();
    SET.get_or_init(|| {
        let mut words = StrMap::default();
        for w in analyze::stop_words() {
            words.insert(w, 0);
        }
        let deletions = Deletions::build(&words);
        (words, deletions)
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
    fn the_second_edit_keeps_the_first_letter() {
        let index = index("Cooperation, kooperation and coperation.");
        let words = |c: Vec<Candidate>| c.into_iter().map(|c| c.word).collect::<Vec<_>>();
        // Two edits after the first letter when nothing is one edit away; a single edit may
        // change the first letter too.
        assert_eq!(words(candidates(&index, "coperatoin", 2)), ["coperation"]);
        assert_eq!(words(candidates(&index, "cooperatio", 2)), ["cooperation"]);
        assert_eq!(
            words(candidates(&index, "cooperatoinn", 2)),
            ["cooperation"]
        );
        assert_eq!(words(candidates(&index, "kooperatoin", 2)), ["kooperation"]);
        assert_eq!(
            words(candidates(&index, "xooperation", 2)),
            ["cooperation", "kooperation"]
        );
        assert_eq!(
            words(candidates(&index, "xoperatoin", 2)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn words_too_long_are_not_matched() {
        let long = "ab".repeat(30_000);
        let index = index(&format!("Grain {long} end."));
        // Was: a 60,000-letter question word built a 2 GB automaton.
        assert!(!Matcher::new(&format!("{long}c"), 2).two);
        assert!(candidates(&index, &format!("{long}c"), 2).is_empty());
        assert!(candidates(&index, &long[1..], 2).is_empty());
        assert_eq!(candidates(&index, "grian", 2)[0].word, "grain");
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
