//! The inverted index over sentences: built once from the articles, then read-only and shared.
//!
//! Sentence ids follow the tie order of answers (newer article first, then path, then position
//! in the article), so that among equal scores the lowest id wins and nothing is left to
//! chance. Per term it keeps the sentences containing it (delta-encoded varints, with the
//! count of occurrences where it is above one), how many sentences and articles contain it,
//! and which article titles do. The vocabulary is a hash map from stems to term ids for exact
//! look-ups and an FST of the normalized surface forms for typo-tolerant ones.
//!
//! Building runs on all cores: each thread analyzes a contiguous run of articles into its
//! own term numbering, and the parts are merged in order.
//!
//! The rooms: `postings.rs` (the postings' encoding), `build.rs` (building from articles, on
//! all cores), `rebuild.rs` (a new index from an old one and what changed), `stored.rs` (the
//! index as a file, read back instead of built).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::corpus::{self, Article};
use crate::search::deletions::Deletions;
use crate::search::strmap::{IdTable, StrMap};

/// Id of a sentence in the index.
pub type SentenceId = u32;
/// Id of a term (a stem) in the index.
pub type TermId = u32;

const STOP: u32 = u32::MAX;

/// Statistics of one term.
#[derive(Clone, Copy, Debug, Default)]
pub struct TermInfo {
    /// Sentences containing it.
    pub df: u32,
    /// Articles containing it (in their text).
    pub article_df: u32,
}

/// The index: articles, their sentences, and postings.
pub struct Index {
    pub(crate) articles: Vec<Arc<Article>>,
    /// Sentence id of each article's first sentence, plus the total at the end.
    pub(crate) first_sentence: Vec<SentenceId>,
    pub(crate) sentence_article: Vec<u32>,
    /// Analyzed words per sentence (stop words and joined forms not counted).
    pub(crate) sentence_len: Vec<u16>,
    pub(crate) avg_sentence_len: f32,
    pub(crate) terms: Vec<TermInfo>,
    postings_offsets: Vec<usize>,
    postings: Vec<u8>,
    /// For postings read from a file, which terms' have been checked; `None` for postings
    /// built here.
    checked: Option<postings::Checked>,
    stem_ids: IdTable,
    pub(crate) surfaces: fst::Map<Vec<u8>>,
    surface_ids: StrMap,
    deletions: Deletions,
    /// The terms of each article's title.
    titles: Vec<Vec<TermId>>,
    title_offsets: Vec<u32>,
    title_articles: Vec<u32>,
    pub(crate) generation: u64,
    /// The postings of the terms of many sentences, laid out with their sentences' articles
    /// and lengths as questions first walk them.
    laid_out: postings::LaidOut,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("articles", &self.articles.len())
            .field("sentences", &self.sentence_article.len())
            .field("terms", &self.terms.len())
            .field("generation", &self.generation)
            .finish()
    }
}

/// What an index is made of; [`Index::from_parts`] derives the rest.
struct Parts {
    articles: Vec<Arc<Article>>,
    first_sentence: Vec<SentenceId>,
    sentence_article: Vec<u32>,
    sentence_len: Vec<u16>,
    terms: Vec<TermInfo>,
    postings_offsets: Vec<usize>,
    postings: Vec<u8>,
    checked: Option<postings::Checked>,
    stem_ids: IdTable,
    surfaces: fst::Map<Vec<u8>>,
    surface_ids: StrMap,
    deletions: Deletions,
    titles: Vec<Vec<TermId>>,
}

impl Index {
    /// The index of `parts`, with what is derived from them (the generation, the articles of
    /// each title term, the mean sentence length) made the same way wherever an index is
    /// made: built, rebuilt or read from its file (which does not trust a stored one).
    fn from_parts(p: Parts) -> Index {
        let generation = fingerprint(&p.articles);
        let (title_offsets, title_articles) = invert(&p.titles, p.terms.len());
        let avg_sentence_len = average_len(&p.sentence_len);
        let laid_out = postings::LaidOut::new(p.terms.iter().map(|t| t.df));
        Index {
            articles: p.articles,
            first_sentence: p.first_sentence,
            sentence_article: p.sentence_article,
            sentence_len: p.sentence_len,
            avg_sentence_len,
            terms: p.terms,
            postings_offsets: p.postings_offsets,
            postings: p.postings,
            checked: p.checked,
            stem_ids: p.stem_ids,
            surfaces: p.surfaces,
            surface_ids: p.surface_ids,
            deletions: p.deletions,
            titles: p.titles,
            title_offsets,
            title_articles,
            generation,
            laid_out,
        }
    }
}

mod build;
mod postings;
mod rebuild;
mod stored;

#[cfg(test)]
pub(crate) use postings::LAID_MIN;
pub(crate) use postings::Laid;
pub use postings::Postings;
pub use stored::{Damage, FORMAT, analysis_probe};

impl Index {
    #[must_use]
    pub fn articles(&self) -> &[Arc<Article>] {
        &self.articles
    }

    /// How many sentences.
    #[must_use]
    pub fn sentence_count(&self) -> usize {
        self.sentence_article.len()
    }

    /// A fingerprint of the articles it was built from (paths, dates, titles, and each text's
    /// length, beginning and end): the same articles give the same number, in any process, so
    /// that a sentence id stays meaningful across restarts and a changed corpus is noticed.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The article of a sentence and the sentence's position in it.
    #[must_use]
    pub fn locate(&self, sid: SentenceId) -> (&Article, usize) {
        let a = self.sentence_article[sid as usize] as usize;
        (&self.articles[a], (sid - self.first_sentence[a]) as usize)
    }

    /// The text of a sentence, as in the article.
    #[must_use]
    pub fn sentence_text(&self, sid: SentenceId) -> &str {
        let (article, i) = self.locate(sid);
        article.sentence(i)
    }

    /// The sentence id of sentence `i` of article `a`.
    #[must_use]
    pub fn sentence_id(&self, article: usize, i: usize) -> Option<SentenceId> {
        let first = *self.first_sentence.get(article)?;
        let next = *self.first_sentence.get(article + 1)?;
        let sid = first + i as SentenceId;
        (sid < next).then_some(sid)
    }

    /// The sentences containing a term (none when they were read from a file and are
    /// damaged).
    #[must_use]
    pub fn postings(&self, term: TermId) -> Postings<'_> {
        let t = term as usize;
        let bytes = &self.postings[self.postings_offsets[t]..self.postings_offsets[t + 1]];
        if let Some(checked) = &self.checked
            && !checked.passes(t, bytes, self.sentence_article.len())
        {
            return Postings::new(&[]);
        }
        Postings::new(bytes)
    }

    /// The postings of a term found in at least [`postings::LAID_MIN`] sentences, with each
    /// sentence's article and length (laid out the first time they are asked for); `None` for
    /// a term of fewer.
    #[must_use]
    pub(crate) fn laid_postings(&self, term: TermId) -> Option<Laid<'_>> {
        self.laid_out.get(
            term,
            || self.postings(term),
            &self.sentence_article,
            &self.sentence_len,
        )
    }

    /// The articles whose title contains a term.
    #[must_use]
    pub fn title_articles(&self, term: TermId) -> &[u32] {
        let t = term as usize;
        &self.title_articles[self.title_offsets[t] as usize..self.title_offsets[t + 1] as usize]
    }

    /// The term of a stem, if any article has it.
    #[must_use]
    pub fn term_of_stem(&self, stem: &str) -> Option<TermId> {
        self.stem_ids.get(stem)
    }

    /// The term of a normalized surface word, if any article has it.
    #[must_use]
    pub fn term_of_surface(&self, word: &str) -> Option<TermId> {
        self.surface_ids.get(word)
    }

    /// The vocabulary: normalized surface words and their terms.
    #[must_use]
    pub fn surface_map(&self) -> &StrMap {
        &self.surface_ids
    }

    /// The vocabulary's deletion neighbourhoods, for one-edit look-ups.
    #[must_use]
    pub fn deletions(&self) -> &Deletions {
        &self.deletions
    }

    /// The terms of an article's title.
    #[must_use]
    pub fn title_terms(&self, article: usize) -> &[TermId] {
        &self.titles[article]
    }

    /// How many sentences contain a term.
    #[must_use]
    pub fn df(&self, term: TermId) -> u32 {
        self.terms[term as usize].df
    }

    /// How many terms.
    #[must_use]
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// How many terms no article has any more, in its text or its title: words of removed
    /// articles, which [`Index::rebuild`] keeps (a full build drops them).
    #[must_use]
    pub fn unused_terms(&self) -> usize {
        (0..self.terms.len())
            .filter(|&t| {
                self.terms[t].df == 0 && self.title_offsets[t] == self.title_offsets[t + 1]
            })
            .count()
    }

    /// Whether anything in it comes from an index file found damaged
    /// ([`crate::corpus::text::TextFile::discard`]): such an index is not written to a file.
    #[must_use]
    pub fn holds_discarded(&self) -> bool {
        self.checked.as_ref().is_some_and(|c| c.file_is_discarded())
            || self
                .articles
                .iter()
                .any(|a| a.text.file().is_some_and(|f| f.is_discarded()))
    }

    /// Bytes of memory the postings take (for reports).
    #[must_use]
    pub fn postings_bytes(&self) -> usize {
        self.postings.len()
    }
}

/// Where each article's sentences start (plus the total at the end), and each sentence's
/// article, for articles of `counts` sentences in order.
fn sentence_ranges(counts: impl Iterator<Item = usize>) -> (Vec<SentenceId>, Vec<u32>) {
    let mut first_sentence = Vec::new();
    let mut sentence_article = Vec::new();
    for (a, n) in counts.enumerate() {
        first_sentence.push(sentence_article.len() as SentenceId);
        sentence_article.extend(std::iter::repeat_n(a as u32, n));
    }
    first_sentence.push(sentence_article.len() as SentenceId);
    (first_sentence, sentence_article)
}

/// The mean sentence length in words, at least 1 (BM25's length normalization divides by it).
fn average_len(sentence_len: &[u16]) -> f32 {
    let total: u64 = sentence_len.iter().map(|&l| u64::from(l)).sum();
    (total as f32 / sentence_len.len().max(1) as f32).max(1.0)
}

/// The fingerprint behind [`Index::generation`].
fn fingerprint(articles: &[Arc<Article>]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for a in articles {
        a.path.hash(&mut h);
        a.date.hash(&mut h);
        a.title.hash(&mut h);
        a.text.len().hash(&mut h);
        a.text.crc().hash(&mut h);
        a.sentences.len().hash(&mut h);
    }
    h.finish()
}

/// Term → articles lists as offsets and one array.
fn invert(titles: &[Vec<TermId>], n_terms: usize) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n_terms + 1];
    for ts in titles {
        for &t in ts {
            offsets[t as usize + 1] += 1;
        }
    }
    for i in 0..n_terms {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut out = vec![0u32; offsets[n_terms] as usize];
    for (a, ts) in titles.iter().enumerate() {
        for &t in ts {
            out[fill[t as usize] as usize] = a as u32;
            fill[t as usize] += 1;
        }
    }
    (offsets, out)
}

#[cfg(test)]
mod tests {
    use super::build::{Part, balanced_chunks, tie_order};
    use super::*;
    use crate::corpus::Article;
    use std::path::Path;

    pub(crate) fn article(name: &str, text: &str) -> Article {
        Article::parse(Path::new(name), text.as_bytes()).unwrap().0
    }

    #[test]
    fn terms_of_many_sentences_are_laid_out_with_their_articles_and_lengths() {
        // "grain" in most sentences (twice in some), sentences of 2 to 300 words, articles of
        // 1 to 60 sentences: more sentences than `LAID_MIN`.
        let mut articles = Vec::new();
        for i in 0..80 {
            let mut text = String::from("date 2024-01-01 ");
            for j in 0..1 + (i * 7) % 60 {
                let words = [2, 5, 11, 40, 300][(i + j) % 5];
                text.push_str("The ");
                text.push_str(["", "grain ", "grain grain "][(i + 2 * j) % 3]);
                for w in 0..words {
                    text.push_str(["wheat ", "barley ", "oats "][(w + j) % 3]);
                }
                text.push_str("end.\n");
            }
            if i == 5 {
                text.push_str("A rare word: sorghum.\n");
            }
            articles.push(article(&format!("{i:02}.txt"), &text));
        }
        let index = Index::build(articles);
        let grain = index.term_of_stem("grain").unwrap();
        assert!(index.df(grain) >= LAID_MIN, "{}", index.df(grain));
        let want: Vec<_> = index
            .postings(grain)
            .map(|(sid, tf)| {
                let i = sid as usize;
                (sid, tf, index.sentence_article[i], index.sentence_len[i])
            })
            .collect();
        assert!(want.iter().any(|p| p.1 > 1) && want.iter().any(|p| p.3 >= 300));
        assert!(want.windows(2).any(|w| w[0].2 == w[1].2));
        for _ in 0..2 {
            assert_eq!(
                index.laid_postings(grain).unwrap().collect::<Vec<_>>(),
                want
            );
        }
        let sorghum = index.term_of_stem("sorghum").unwrap();
        assert!(index.laid_postings(sorghum).is_none());
    }

    #[test]
    fn postings_round_trip_and_ids_follow_tie_order() {
        let index = Index::build(vec![
            article("b.txt", "date 2024-01-01 Grain grain grain. Wheat."),
            article("a.txt", "date 2024-01-01 Wheat and grain."),
            article("c.txt", "date 2024-05-01 Grain news."),
        ]);
        // c (newest) first, then a before b (same date, path order).
        let paths: Vec<_> = index.articles().iter().map(|a| a.path.clone()).collect();
        assert_eq!(
            paths,
            [Path::new("c.txt"), Path::new("a.txt"), Path::new("b.txt")]
        );
        let grain = index.term_of_stem("grain").unwrap();
        let got: Vec<_> = index.postings(grain).collect();
        assert_eq!(got, [(0, 1), (1, 1), (2, 3)]);
        assert_eq!(index.terms[grain as usize].df, 3);
        assert_eq!(index.terms[grain as usize].article_df, 3);
        let wheat = index.term_of_stem("wheat").unwrap();
        assert_eq!(index.postings(wheat).collect::<Vec<_>>(), [(1, 1), (3, 1)]);
        assert_eq!(index.sentence_text(3), "Wheat.");
        assert_eq!(index.sentence_len[2], 3);
    }

    #[test]
    fn the_same_articles_give_the_same_generation() {
        let make = |extra: &str| {
            Index::build(vec![
                article("a.txt", "date 2024-01-01 Grain news."),
                article("b.txt", &format!("date 2024-01-01 Oil news{extra}.")),
            ])
        };
        assert_eq!(make("").generation(), make("").generation());
        assert_ne!(make("").generation(), make(" today").generation());
    }

    #[test]
    fn title_terms_are_indexed_per_article() {
        let index = Index::build(vec![
            article("2024-01-01-Grain-exports.txt", "Text one."),
            article("2024-01-02-Oil.txt", "Text two."),
        ]);
        let grain = index.term_of_stem("grain").unwrap();
        assert_eq!(index.title_articles(grain), [1]);
        assert_eq!(index.terms[grain as usize].df, 0);
    }

    #[test]
    fn surfaces_map_to_stems() {
        let index = Index::build(vec![article(
            "a.txt",
            "Exports exported the Rasht-Astara line.",
        )]);
        let export = index.term_of_stem("export").unwrap();
        assert_eq!(index.surfaces.get("exports"), Some(u64::from(export)));
        assert_eq!(index.surfaces.get("exported"), Some(u64::from(export)));
        assert!(index.surfaces.get("the").is_none());
        assert!(index.term_of_stem("rashtastara").is_some());
    }

    #[test]
    fn building_on_several_threads_matches_one() {
        let articles: Vec<Article> = (0..40)
            .map(|i| {
                article(
                    &format!("{i:02}.txt"),
                    &format!(
                        "date 2024-01-01 Word{} shared. Other{} shared shared.",
                        i % 7,
                        i % 3
                    ),
                )
            })
            .collect();
        let one = {
            let mut part = Part::default();
            let mut sorted: Vec<Arc<Article>> = articles.iter().cloned().map(Arc::new).collect();
            sorted.sort_by(|a, b| tie_order(a, b));
            part.add_articles(&sorted, 0, 0);
            part
        };
        let index = Index::build(articles);
        for l in 0..one.stem_ids.len() as u32 {
            let stem = one.stem_ids.key(l);
            let g = index.term_of_stem(stem).unwrap();
            let state = &one.terms[l as usize];
            let mut bytes = Vec::new();
            state.copy_to(&one.arena, &mut bytes);
            let want: Vec<_> = Postings::new(&bytes).collect();
            assert_eq!(index.postings(g).collect::<Vec<_>>(), want, "{stem}");
            assert_eq!(index.terms[g as usize].df, state.info.df, "{stem}");
            assert_eq!(
                index.terms[g as usize].article_df, state.info.article_df,
                "{stem}"
            );
        }
    }

    /// Two indexes hold the same articles, sentences and postings (terms compared by stem).
    pub(super) fn assert_same(a: &Index, b: &Index) {
        assert_eq!(a.articles.len(), b.articles.len());
        for (x, y) in a.articles.iter().zip(&b.articles) {
            assert_eq!(x.path, y.path);
        }
        assert_eq!(a.first_sentence, b.first_sentence);
        assert_eq!(a.sentence_len, b.sentence_len);
        assert_eq!(a.generation, b.generation);
        for t in 0..b.terms.len() as u32 {
            let stem = b.stem_ids.key(t);
            let u = a
                .term_of_stem(stem)
                .unwrap_or_else(|| panic!("{stem} missing"));
            assert_eq!(
                a.postings(u).collect::<Vec<_>>(),
                b.postings(t).collect::<Vec<_>>(),
                "{stem}"
            );
            assert_eq!(a.terms[u as usize].df, b.terms[t as usize].df, "{stem}");
            assert_eq!(
                a.terms[u as usize].article_df, b.terms[t as usize].article_df,
                "{stem}"
            );
        }
        for (i, (x, y)) in a.titles.iter().zip(&b.titles).enumerate() {
            let mut x: Vec<&str> = x.iter().map(|&t| a.stem_ids.key(t)).collect();
            let mut y: Vec<&str> = y.iter().map(|&t| b.stem_ids.key(t)).collect();
            x.sort_unstable();
            y.sort_unstable();
            assert_eq!(x, y, "title of article {i}");
        }
        // Terms only the removed articles had are still known, with no sentences.
        for t in 0..a.terms.len() as u32 {
            if b.term_of_stem(a.stem_ids.key(t)).is_none() {
                assert_eq!(a.terms[t as usize].df, 0, "{}", a.stem_ids.key(t));
            }
        }
    }

    #[test]
    fn a_rebuild_equals_a_fresh_build() {
        // 300 articles of ten sentences, their words drawn (skewed to the first ones, so that
        // some are common and most rare) from 2,000 made-up words.
        let mut seed = 3u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let all: Vec<Article> = (0..300)
            .map(|i| {
                let mut text = format!("date 2024-{:02}-{:02}\n\n", 1 + i % 12, 1 + i % 28);
                for _ in 0..10 {
                    for _ in 0..3 + next(12) {
                        let bound = 1 + next(2_000);
                        let w = next(bound);
                        text.push_str(&format!("w{w}x "));
                    }
                    text.push_str("end.\n");
                }
                article(&format!("a{i}.txt"), &text)
            })
            .collect();
        let (first, extra) = all.split_at(100);
        let old = Index::build(first.to_vec());
        // Remove 7 articles, change 3 (same path, new text), add the rest.
        let removed: std::collections::HashSet<std::path::PathBuf> =
            first.iter().step_by(13).map(|a| a.path.clone()).collect();
        let changed: Vec<Article> = first
            .iter()
            .skip(5)
            .step_by(31)
            .map(|a| {
                article(
                    &a.path.to_string_lossy(),
                    "date 2001-01-01 A brand new text about zebras and quasars. Another one.",
                )
            })
            .collect();
        let mut gone = removed.clone();
        gone.extend(changed.iter().map(|a| a.path.clone()));
        let mut added = changed.clone();
        added.extend(extra.iter().cloned());
        let rebuilt = old.rebuild(&gone, added.clone());

        let mut expected: Vec<Article> = first
            .iter()
            .filter(|a| !gone.contains(&a.path))
            .cloned()
            .collect();
        expected.extend(added);
        let fresh = Index::build(expected);
        assert_same(&rebuilt, &fresh);

        // Nothing added, nothing removed: the same index again.
        let again = rebuilt.rebuild(&Default::default(), Vec::new());
        assert_same(&again, &fresh);
    }

    #[test]
    fn balanced_chunks_cover_everything() {
        let articles: Vec<Arc<Article>> = (0..5)
            .map(|i| Arc::new(article(&format!("{i}.txt"), "Some text.")))
            .collect();
        for n in 1..8 {
            let chunks = balanced_chunks(&articles, n);
            assert_eq!(chunks.first().unwrap().0, 0);
            assert_eq!(chunks.last().unwrap().1, 5);
            assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0), "{chunks:?}");
            assert!(chunks.len() <= n);
        }
    }
}
