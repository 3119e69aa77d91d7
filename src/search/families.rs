//! Word families from WordNet (`families.txt`, written by `examples/families.rs`): words that
//! the stemmer keeps apart but that say the same thing in another part of speech or form —
//! "invented" and "inventor", "Cuban" and "Cuba", "died" and "death", "children" and "child".
//! A question word also matches its family's words, at a lower weight.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

const DATA: &str = include_str!("families.txt");

/// The stems related to `stem` (an English stem, as [`super::analyze::stem`] makes it).
#[must_use]
pub fn related(stem: &str) -> &'static [&'static str] {
    static TABLE: OnceLock<FxHashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            DATA.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .filter_map(|l| {
                    let mut words = l.split(' ');
                    Some((words.next()?, words.collect()))
                })
                .collect()
        })
        .get(stem)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analyze::stem;

    fn family(word: &str) -> &'static [&'static str] {
        related(&stem(word))
    }

    #[test]
    fn derivations_pertainyms_and_irregular_forms_are_related() {
        assert!(family("invented").contains(&stem("inventor").as_ref()));
        assert!(family("Cuban".to_lowercase().as_str()).contains(&"cuba"));
        assert!(family("died").contains(&stem("death").as_ref()));
        assert!(family("children").contains(&"child"));
        assert!(family("child").contains(&stem("children").as_ref()));
    }

    #[test]
    fn words_the_stemmer_joins_and_unknown_words_have_no_family() {
        // "construction" and "constructed" share a stem: no link is needed.
        assert!(!family("construction").contains(&stem("constructed").as_ref()));
        assert!(family("qwzxv").is_empty());
        assert!(family("").is_empty());
    }
}
