//! One-edit look-up by deletion neighbourhoods (the SymSpell idea): every vocabulary word is
//! also filed under each string made by deleting one of its letters. A question word is one
//! edit (insertion, deletion, substitution or swap of neighbours) from a vocabulary word
//! exactly when the word, or one of its own deletions, is the vocabulary word or one of its
//! deletions. That is a dozen hash look-ups per question word, whatever the size of the
//! vocabulary, where walking an FST with an automaton visits thousands of nodes.
//!
//! Entries are a 32-bit hash of the deletion (its top 16 bits pick a bucket, the next 16 are
//! kept) and the slot of the word in the vocabulary's [`StrMap`]; a hash collision only adds
//! a candidate, which the edit distance then rejects.

use crate::search::strmap::{self, StrMap};

const BUCKET_BITS: u32 = 16;

/// Words longer than this (in characters) take no part in typo matching: no real word is
/// that long, and a word's neighbourhood costs its length squared — a run of script without
/// spaces, or `ﷺ` repeated (NFKC makes each one 15 letters), would take an index build or a
/// question minutes. (At the limit, a word of exactly this length is not found from one a
/// letter longer.)
pub const MAX_WORD_CHARS: usize = 64;

/// Whether `word` is too long for typo matching ([`MAX_WORD_CHARS`]).
#[must_use]
pub fn too_long(word: &str) -> bool {
    word.chars().nth(MAX_WORD_CHARS).is_some()
}

/// The deletion neighbourhoods of a vocabulary.
#[derive(Clone, Default)]
pub struct Deletions {
    /// Start of each bucket in `low` and `slots`, plus the end.
    buckets: Vec<u32>,
    low: Vec<u16>,
    slots: Vec<u32>,
}

impl std::fmt::Debug for Deletions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deletions")
            .field("entries", &self.slots.len())
            .finish()
    }
}

/// `(bucket, low 16 bits)` of a string's hash.
#[inline]
fn key(s: &[u8]) -> (usize, u16) {
    let h = strmap::hash(s);
    ((h >> (64 - BUCKET_BITS)) as usize, (h >> 32) as u16)
}

/// Calls `f` with every string made by deleting one character of `word` (once per distinct
/// string: deleting either `l` of `hello` gives the same one).
fn for_each_deletion(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    let mut prev: Option<char> = None;
    for (i, c) in word.char_indices() {
        if prev != Some(c) {
            buf.clear();
            buf.push_str(&word[..i]);
            buf.push_str(&word[i + c.len_utf8()..]);
            f(buf);
        }
        prev = Some(c);
    }
}

impl Deletions {
    /// The neighbourhoods of every key of `vocabulary` (keys of one character have none).
    #[must_use]
    pub fn build(vocabulary: &StrMap) -> Deletions {
        let mut entries: Vec<(u32, u32)> = Vec::new();
        let mut buf = String::new();
        for (slot, word, _) in vocabulary.iter_slots() {
            if word.chars().nth(1).is_none() || too_long(word) {
                continue;
            }
            for_each_deletion(word, &mut buf, |d| {
                let (bucket, low) = key(d.as_bytes());
                entries.push((((bucket as u32) << 16) | u32::from(low), slot));
            });
        }
        entries.sort_unstable();
        let mut buckets = vec![0u32; (1 << BUCKET_BITS) + 1];
        for &(k, _) in &entries {
            buckets[(k >> 16) as usize + 1] += 1;
        }
        for i in 0..1 << BUCKET_BITS {
            buckets[i + 1] += buckets[i];
        }
        Deletions {
            buckets,
            low: entries.iter().map(|&(k, _)| k as u16).collect(),
            slots: entries.iter().map(|&(_, s)| s).collect(),
        }
    }

    /// Slots of the words filed under `s` (and, rarely, of some that only share its hash).
    #[inline]
    fn under(&self, s: &str) -> impl Iterator<Item = u32> + '_ {
        let (bucket, low) = key(s.as_bytes());
        let (from, to) = if self.buckets.is_empty() {
            (0, 0)
        } else {
            (
                self.buckets[bucket] as usize,
                self.buckets[bucket + 1] as usize,
            )
        };
        (from..to)
            .filter(move |&i| self.low[i] == low)
            .map(move |i| self.slots[i])
    }

    /// Calls `f` with the slot of every key of `vocabulary` (the one these neighbourhoods
    /// were built from) that is exactly one edit from `word`, a swap of neighbours counting
    /// one, each once.
    pub fn within_one(&self, vocabulary: &StrMap, word: &str, mut f: impl FnMut(u32)) {
        if too_long(word) {
            return;
        }
        let mut seen: Vec<u32> = Vec::new();
        let mut check = |slot: u32| {
            if !seen.contains(&slot)
                && crate::search::edits::within_one_edit(word, vocabulary.key_at(slot))
                && vocabulary.key_at(slot) != word
            {
                seen.push(slot);
                f(slot);
            }
        };
        // Words one letter longer: the word is one of their deletions.
        for slot in self.under(word) {
            check(slot);
        }
        let mut buf = String::new();
        for_each_deletion(word, &mut buf, |d| {
            // Words one letter shorter: a deletion of the word is one of them.
            if let Some(slot) = vocabulary.slot_of(d) {
                check(slot);
            }
            // Words of the same length: one letter different, or two neighbours swapped,
            // share a deletion.
            for slot in self.under(d) {
                check(slot);
            }
        });
    }

    /// Bytes of memory it takes.
    #[must_use]
    pub fn memory(&self) -> usize {
        self.buckets.len() * 4 + self.low.len() * 2 + self.slots.len() * 4
    }

    /// Its three arrays, for storing it: bucket starts, low hash bits, vocabulary slots.
    #[must_use]
    pub fn parts(&self) -> (&[u32], &[u16], &[u32]) {
        (&self.buckets, &self.low, &self.slots)
    }

    /// The neighbourhoods [`Deletions::parts`] gave, if the parts fit together and every slot
    /// holds a word of `vocabulary`.
    #[must_use]
    pub fn from_parts(
        buckets: Vec<u32>,
        low: Vec<u16>,
        slots: Vec<u32>,
        vocabulary: &StrMap,
    ) -> Option<Deletions> {
        let fits = if buckets.is_empty() {
            low.is_empty() && slots.is_empty()
        } else {
            buckets.len() == (1 << BUCKET_BITS) + 1
                && buckets[0] == 0
                && buckets.windows(2).all(|w| w[0] <= w[1])
                && buckets.last().is_some_and(|&e| e as usize == low.len())
                && low.len() == slots.len()
                && slots.iter().all(|&s| vocabulary.is_occupied(s))
        };
        fits.then_some(Deletions {
            buckets,
            low,
            slots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(words: &[&str]) -> StrMap {
        let mut m = StrMap::default();
        for (i, w) in words.iter().enumerate() {
            m.insert(w, i as u32);
        }
        m
    }

    fn near(v: &StrMap, d: &Deletions, word: &str) -> Vec<String> {
        let mut out = Vec::new();
        d.within_one(v, word, |slot| out.push(v.key_at(slot).to_string()));
        out.sort();
        out
    }

    #[test]
    fn finds_every_kind_of_single_edit() {
        let v = vocabulary(&[
            "grain",
            "rain",
            "gain",
            "grains",
            "brain",
            "train",
            "export",
            "mishustin",
        ]);
        let d = Deletions::build(&v);
        assert_eq!(near(&v, &d, "grian"), ["grain"]); // swap
        assert_eq!(near(&v, &d, "gran"), ["grain"]); // deletion
        assert_eq!(near(&v, &d, "graain"), ["grain"]); // insertion
        assert_eq!(near(&v, &d, "groin"), ["grain"]); // substitution
        assert_eq!(near(&v, &d, "exprot"), ["export"]);
        assert_eq!(near(&v, &d, "mishustn"), ["mishustin"]);
        assert_eq!(
            near(&v, &d, "grain"),
            ["brain", "gain", "grains", "rain", "train"]
        );
        assert_eq!(near(&v, &d, "xyz"), Vec::<String>::new());
    }

    #[test]
    fn words_too_long_take_no_part_and_cost_nothing() {
        // A quarter of a million characters: its neighbourhood would be 64 GB of hashing.
        let long = "ab".repeat(1 << 17);
        let near_long = format!("{long}c");
        let v = vocabulary(&["grain", &long, &"x".repeat(MAX_WORD_CHARS)]);
        let d = Deletions::build(&v);
        assert_eq!(
            d.slots.len(),
            5 + 1,
            "grain's five deletions, x…x's one: {d:?}"
        );
        assert_eq!(near(&v, &d, &near_long), Vec::<String>::new());
        assert_eq!(near(&v, &d, "gran"), ["grain"]);
        assert_eq!(
            near(&v, &d, &"x".repeat(MAX_WORD_CHARS - 1)),
            ["x".repeat(MAX_WORD_CHARS)]
        );
    }

    #[test]
    fn agrees_with_the_edit_distance_on_many_words() {
        let words: Vec<String> = (0..400)
            .map(|i| format!("w{}x{}", i % 37, i % 11))
            .collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let v = vocabulary(&refs);
        let d = Deletions::build(&v);
        for q in ["w1x1", "w12x3", "w3x12", "wx1", "w1xx1", "1wx1", "w10x10"] {
            let mut want: Vec<String> = words
                .iter()
                .filter(|w| w.as_str() != q && crate::search::edits::within_one_edit(q, w))
                .cloned()
                .collect();
            want.sort();
            want.dedup();
            assert_eq!(near(&v, &d, q), want, "{q}");
        }
    }
}
