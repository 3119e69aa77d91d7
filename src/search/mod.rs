//! Search: the analyzer, the index, typo-tolerant term look-up and scoring. This is the middle
//! of the flow in the crate docs: a question goes in, ranked [`Hit`]s come out.
//!
//! Scoring, in a few lines: each question word becomes the vocabulary terms it stands for (its
//! own stem, or the words a few edits away, weighted by similarity). A sentence scores the
//! BM25 weight of every question word it contains (rare words count more; short sentences a
//! little more), divided by what a sentence containing every question word would get, so that
//! scores mean the same across questions and a threshold can say "not found". Articles whose
//! text and title contain the question's words add to all their sentences, because a question
//! naming an article's subject is about that article.

pub mod analyze;
pub mod deletions;
pub mod edits;
pub mod families;
pub mod fitted;
pub mod fuzzy;
pub mod index;
pub mod model;
pub mod rerank;
mod stopwords;
pub mod strmap;

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashSet;

use crate::config::SearchConfig;
use crate::search::analyze::TokenKind;
pub use crate::search::index::{Index, SentenceId, TermId};
use crate::search::index::{Laid, Postings};
pub use crate::search::model::Model;

/// Questions are cut to this many distinct words (the most informative are kept), so a
/// pasted article as a question costs what a long question does.
pub const MAX_QUESTION_WORDS: usize = 32;

/// One vocabulary term a question word stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Alternative {
    /// The term.
    pub term: TermId,
    /// 1 for the word itself; the similarity for a mistyped one.
    pub weight: f32,
    /// Whether it came from typo-tolerant matching.
    pub fuzzy: bool,
}

/// A question word after analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryWord {
    /// The normalized word.
    pub text: String,
    /// The terms it matches, best first; empty when nothing in the articles is like it.
    pub alternatives: Vec<Alternative>,
    /// How much the word counts (its sentence-level IDF, or that of a word no sentence has).
    pub idf: f32,
    /// Its article-level IDF.
    pub article_idf: f32,
    /// How much more than other words it says what the question is about: [`FOCUS`] for
    /// the topic of "what did X say about *Y*", else 1. Already in `idf` and `article_idf`.
    pub focus: f32,
}

/// Weight of the topic words of "what did X say about Y", "tell me about Y": the question is
/// about Y, and X is often only a pronoun in the answer ("…, he added").
pub const FOCUS: f32 = 3.0;

/// A sentence scored by the first stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// The sentence.
    pub sentence: SentenceId,
    /// Its score (higher is better); about 1 when a sentence has every question word.
    pub score: f32,
    /// The sentence's own BM25 part of the score, normalized.
    pub sentence_score: f32,
    /// The article's text part, normalized, before its weight.
    pub article_score: f32,
    /// The article's title part, normalized, before its weight.
    pub title_score: f32,
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

impl Index {
    fn sentence_idf(&self, term: TermId) -> f32 {
        idf(
            self.sentence_count() as f32,
            self.terms[term as usize].df as f32,
        )
    }

    fn article_idf(&self, term: TermId) -> f32 {
        idf(
            self.articles.len() as f32,
            self.terms[term as usize].article_df as f32,
        )
    }

    /// Analyzes a question against this index: its content words and what each matches.
    #[must_use]
    pub fn analyze_question(&self, question: &str, config: &SearchConfig) -> Vec<QueryWord> {
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let mut words = Vec::new();
        let (mut framed, mut topic, mut after_how) = (false, false, false);
        analyze::words(question, |tok, buf| {
            if tok.kind == TokenKind::Joined {
                return;
            }
            if tok.kind == TokenKind::Word {
                if framed && matches!(buf, "about" | "on" | "regarding" | "concerning") {
                    topic = true;
                }
                // "how long", "how many": the question's kind, not its subject.
                if after_how
                    && analyze::DEGREE_WORDS
                        .iter()
                        .any(|d| rerank::same_or_typo(buf, d))
                {
                    after_how = false;
                    return;
                }
                after_how = buf == "how";
                if analyze::is_question_framing(buf) {
                    framed = true;
                    return;
                }
                if analyze::is_stop_word(buf) {
                    return;
                }
            }
            let key = if tok.kind == TokenKind::Word {
                analyze::stem(buf).into_owned()
            } else {
                buf.to_string()
            };
            if seen.insert(key.clone()) {
                words.push((buf.to_string(), key, if topic { FOCUS } else { 1.0 }));
            }
        });
        // A word no article has counts as much as the rarest word that one has: it may be
        // what the question is about ("capital of *France*"), or only its phrasing.
        let unknown_idf = idf(self.sentence_count() as f32, 1.0);
        let unknown_article_idf = idf(self.articles.len() as f32, 1.0);
        let mut out: Vec<QueryWord> = Vec::with_capacity(words.len());
        for (word, key, focus) in words {
            let exact = self
                .term_of_stem(&key)
                .or_else(|| self.term_of_surface(&word));
            if let Some(term) = exact {
                let mut alternatives = vec![Alternative {
                    term,
                    weight: 1.0,
                    fuzzy: false,
                }];
                self.add_family(&key, config, &mut alternatives);
                out.push(QueryWord {
                    idf: self.sentence_idf(term) * focus,
                    article_idf: self.article_idf(term) * focus,
                    focus,
                    text: word,
                    alternatives,
                });
                continue;
            }
            let len = word.chars().count();
            let max_distance = if !config.fuzzy || len < config.fuzzy_min_len.max(1) {
                0
            } else if config.fuzzy_two_edits_len > 0 && len >= config.fuzzy_two_edits_len {
                2
            } else {
                1
            };
            let mut alternatives = Vec::new();
            if len >= 3 {
                let matcher = fuzzy::Matcher::new(&word, max_distance.max(1));
                if matcher.near_stop_word() {
                    continue;
                }
                // A real word the articles only have in another form ("Cuban", "Cuba").
                self.add_family(&key, config, &mut alternatives);
                let family = alternatives.len();
                if max_distance > 0 {
                    for c in matcher.candidates(self) {
                        if c.distance > u32::from(max_distance)
                            || alternatives.iter().any(|a| a.term == c.term)
                        {
                            continue;
                        }
                        alternatives.push(Alternative {
                            term: c.term,
                            weight: c.similarity,
                            fuzzy: true,
                        });
                        if alternatives.len() - family >= config.max_expansions {
                            break;
                        }
                    }
                }
            }
            let (idf, article_idf) = match alternatives.first() {
                Some(a) => (self.sentence_idf(a.term), self.article_idf(a.term)),
                None => (unknown_idf, unknown_article_idf),
            };
            out.push(QueryWord {
                text: word,
                alternatives,
                idf: idf * focus,
                article_idf: article_idf * focus,
                focus,
            });
        }
        if out.len() > MAX_QUESTION_WORDS {
            // Keep the most informative words that match something, in question order.
            let mut by_idf: Vec<usize> = (0..out.len()).collect();
            by_idf.sort_by(|&a, &b| {
                let (wa, wb) = (&out[a], &out[b]);
                wa.alternatives
                    .is_empty()
                    .cmp(&wb.alternatives.is_empty())
                    .then(wb.idf.total_cmp(&wa.idf))
                    .then(a.cmp(&b))
            });
            let keep: FxHashSet<usize> = by_idf[..MAX_QUESTION_WORDS].iter().copied().collect();
            out = out
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep.contains(i))
                .map(|(_, w)| w)
                .collect();
        }
        out
    }

    /// Adds the terms of `stem`'s word family ([`families`]) that the articles have.
    fn add_family(&self, stem: &str, config: &SearchConfig, alternatives: &mut Vec<Alternative>) {
        if config.family_weight <= 0.0 {
            return;
        }
        for related in families::related(stem) {
            if let Some(term) = self.term_of_stem(related)
                && !alternatives.iter().any(|a| a.term == term)
            {
                alternatives.push(Alternative {
                    term,
                    weight: config.family_weight,
                    fuzzy: false,
                });
            }
        }
    }

    /// The first article any of `cursors` still reaches, in its text or its title.
    fn first_article(&self, cursors: &[Cursor<'_>]) -> Option<u32> {
        let by_text = cursors
            .iter()
            .filter_map(|c| c.next)
            .map(|(sid, ..)| sid)
            .min();
        let by_title = cursors.iter().filter_map(|c| c.titles.first()).min();
        by_text
            .map(|sid| self.sentence_article[sid as usize])
            .into_iter()
            .chain(by_title.copied())
            .min()
    }

    /// The `k` best sentences for the analyzed question, best first. Only sentences sharing
    /// at least one (possibly mistyped) word with the question are scored at all.
    #[must_use]
    pub fn search(&self, words: &[QueryWord], k: usize, model: &Model) -> Vec<Hit> {
        if k == 0 || words.iter().all(|w| w.alternatives.is_empty()) {
            return Vec::new();
        }
        SCRATCH.with(|s| self.score_into(&mut s.borrow_mut(), words, k, model, WINDOW))
    }

    /// Scores every sentence the question's terms reach, a window of whole articles at a
    /// time: each term's postings are walked up to the window's end, into arrays the size of
    /// the window, so that the per-posting reads and writes stay in the fastest caches
    /// instead of landing anywhere in arrays the size of the corpus (at 10M sentences, a
    /// cache miss for nearly every posting). Within a window the terms are added in the
    /// order of the question's words and their alternatives, as a whole-corpus pass would
    /// add them, so every score is the same (a test holds it to that pass). A
    /// window is `window` sentences (at least 1), rounded up to the end of an article.
    fn score_into(
        &self,
        s: &mut Scratch,
        words: &[QueryWord],
        k: usize,
        model: &Model,
        window: usize,
    ) -> Vec<Hit> {
        let Model {
            k1,
            b,
            article: article_weight,
            title: title_weight,
            ..
        } = *model;
        let avg = self.avg_sentence_len;
        let total_idf: f32 = words.iter().map(|w| w.idf).sum::<f32>().max(f32::EPSILON);
        let total_article_idf: f32 = words
            .iter()
            .map(|w| w.article_idf)
            .sum::<f32>()
            .max(f32::EPSILON);
        let mut cursors: Vec<Cursor<'_>> = Vec::new();
        for (wi, word) in words.iter().enumerate() {
            for alt in &word.alternatives {
                let mut walk = match self.laid_postings(alt.term) {
                    Some(laid) => Walk::Laid(laid),
                    None => Walk::Plain(self.postings(alt.term)),
                };
                cursors.push(Cursor {
                    next: walk.next(),
                    walk,
                    titles: self.title_articles(alt.term),
                    sidf: self.sentence_idf(alt.term) * alt.weight * word.focus,
                    aidf: self.article_idf(alt.term) * alt.weight * word.focus,
                    mark: wi as u16 + 1,
                    once: None,
                });
                let c = cursors.last_mut().expect("just pushed");
                // A laid-out term has the many postings that repay the table.
                if let Walk::Laid(_) = c.walk {
                    let mut once = Box::new([0.0; SHORT]);
                    for (len, x) in once.iter_mut().enumerate() {
                        *x = bm25(c.sidf, 1, len as u16, k1, b, avg);
                    }
                    c.once = Some(once);
                }
            }
        }
        let sentences = self.sentence_count();
        let window = window.max(1);
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        while let Some(a_lo) = self.first_article(&cursors) {
            let a_lo = a_lo as usize;
            let lo = self.first_sentence[a_lo] as usize;
            let a_hi = if lo + window >= sentences {
                self.articles.len()
            } else {
                self.sentence_article[lo + window - 1] as usize + 1
            };
            let hi = self.first_sentence[a_hi] as usize;
            s.prepare(hi - lo, a_hi - a_lo);
            for c in &mut cursors {
                let (sidf, aidf, mark) = (c.sidf, c.aidf, c.mark);
                // First the term's postings in the window; for a term not laid out, then what
                // scoring them reads from the per-sentence arrays, in a loop of loads that
                // depend on nothing but the postings (so the processor has many of their cache
                // misses under way at once); then the scoring, whose branches would otherwise
                // wait on each miss. A laid-out term's postings carry those values.
                s.batch.clear();
                while let Some((sid, tf, a, len)) = c.next {
                    let i = sid as usize;
                    if i >= hi {
                        break;
                    }
                    c.next = c.walk.next();
                    s.batch.push(Gathered {
                        w: (i - lo) as u32,
                        tf,
                        len,
                        a: a.wrapping_sub(a_lo as u32),
                    });
                }
                if let Walk::Plain(_) = c.walk {
                    let lens = &self.sentence_len[lo..hi];
                    let of_article = &self.sentence_article[lo..hi];
                    for p in &mut s.batch {
                        p.len = lens[p.w as usize];
                        p.a = of_article[p.w as usize] - a_lo as u32;
                    }
                }
                for p in &s.batch {
                    let w = p.w as usize;
                    // A sentence counts each question word once, by the first of its
                    // alternatives (best first) that the sentence has.
                    let seen = s.sentence_mark[w];
                    if seen == mark {
                        continue;
                    }
                    // Whether a sentence or an article is new to the window is as good as
                    // random, and a mispredicted branch costs more than the stores, so the
                    // touched lists are written always and counted when new, and an article
                    // already counted adds 0.0 (which leaves its score exactly as it was:
                    // scores start at +0.0 and only grow).
                    let n = s.n_touched;
                    s.touched[n] = (w as u32, p.a);
                    s.n_touched = n + usize::from(seen == 0);
                    s.sentence_mark[w] = mark;
                    s.sentence_score[w] += match &c.once {
                        Some(once) if p.tf == 1 && usize::from(p.len) < SHORT => {
                            once[usize::from(p.len)]
                        }
                        _ => bm25(sidf, p.tf, p.len, k1, b, avg),
                    };
                    let a = p.a as usize;
                    let marked = s.article_mark[a];
                    let n = s.n_touched_articles;
                    s.touched_articles[n] = a as u32;
                    s.n_touched_articles = n + usize::from((marked | s.title_mark[a]) == 0);
                    s.article_score[a] += if marked != mark { aidf } else { 0.0 };
                    s.article_mark[a] = mark;
                }
                let within = c.titles.partition_point(|&a| (a as usize) < a_hi);
                let (now, later) = c.titles.split_at(within);
                c.titles = later;
                for &a in now {
                    let a = a as usize - a_lo;
                    if s.title_mark[a] != mark {
                        if s.article_mark[a] == 0 && s.title_mark[a] == 0 {
                            s.touched_articles[s.n_touched_articles] = a as u32;
                            s.n_touched_articles += 1;
                        }
                        s.title_mark[a] = mark;
                        s.title_score[a] += aidf;
                    }
                }
            }
            for &(w, a) in &s.touched[..s.n_touched] {
                let w = w as usize;
                let sid = (lo + w) as SentenceId;
                let a = a as usize;
                let sentence = s.sentence_score[w] / total_idf;
                let score = sentence
                    + (article_weight * s.article_score[a] + title_weight * s.title_score[a])
                        / total_article_idf;
                // The parts are worked out only for a sentence the heap keeps.
                let kept =
                    heap.len() < k || heap.peek().is_some_and(|worst| worst.after(score, sid));
                if kept {
                    if heap.len() == k {
                        heap.pop();
                    }
                    heap.push(Ranked {
                        score,
                        sid,
                        parts: ScoreParts {
                            sentence,
                            article: s.article_score[a] / total_article_idf,
                            title: s.title_score[a] / total_article_idf,
                        },
                    });
                }
            }
            s.clear();
        }
        let mut ranked = heap.into_vec();
        ranked.sort();
        ranked
            .into_iter()
            .map(|r| Hit {
                sentence: r.sid,
                score: r.score,
                sentence_score: r.parts.sentence,
                article_score: r.parts.article,
                title_score: r.parts.title,
            })
            .collect()
    }
}

/// Sentences scored at a time (rounded up to the end of an article): small enough that the
/// window's arrays (a `f32` and a `u16` per sentence) stay in a core's own caches.
const WINDOW: usize = 4096;

/// A posting of one window, with what scoring it reads: its offset in the window, its
/// occurrences, its sentence's length and its article's offset in the window.
struct Gathered {
    w: u32,
    tf: u32,
    len: u16,
    a: u32,
}

/// One term of a question, walked window by window.
struct Cursor<'a> {
    walk: Walk<'a>,
    /// The next posting not yet scored: sentence, occurrences, article and length (the last
    /// two 0 for a plain walk, and looked up).
    next: Option<(SentenceId, u32, u32, u16)>,
    /// The articles whose titles have it, not yet scored.
    titles: &'a [u32],
    sidf: f32,
    aidf: f32,
    /// Its question word's mark (1 for the first word).
    mark: u16,
    /// For a laid-out term (at least `LAID_MIN` postings, so at least four for each of
    /// the table's entries, which cost two divisions each), its BM25 part in a sentence that
    /// has it once, by the sentence's length (below [`SHORT`]): worked out once per question
    /// instead of once per posting, with the same operations, so to the same bits.
    once: Option<Box<[f32; SHORT]>>,
}

/// A term's postings, laid out with their sentences' articles and lengths if it has many.
enum Walk<'a> {
    Plain(Postings<'a>),
    Laid(Laid<'a>),
}

impl Walk<'_> {
    #[inline]
    fn next(&mut self) -> Option<(SentenceId, u32, u32, u16)> {
        match self {
            Walk::Plain(p) => p.next().map(|(sid, tf)| (sid, tf, 0, 0)),
            Walk::Laid(l) => l.next(),
        }
    }
}

/// Sentence lengths the table of a [`Cursor`] covers.
const SHORT: usize = 256;

/// A term's BM25 part in a sentence: `sidf` (its weight), `tf` occurrences, `len` words.
#[inline]
fn bm25(sidf: f32, tf: u32, len: u16, k1: f32, b: f32, avg: f32) -> f32 {
    let tf = tf as f32;
    let len = f32::from(len);
    let norm = k1 * (1.0 - b + b * len / avg);
    sidf * tf / (tf + norm)
}

/// A candidate's score parts, normalized (as in [`Hit`]).
#[derive(Clone, Copy)]
struct ScoreParts {
    sentence: f32,
    article: f32,
    title: f32,
}

/// A candidate in the top-k heap. `Less` means better: higher score, then lower id (the
/// tie order), so the heap's greatest element is the worst kept.
#[derive(Clone, Copy)]
struct Ranked {
    score: f32,
    sid: SentenceId,
    parts: ScoreParts,
}

impl Ranked {
    /// Whether a sentence of `score` and `sid` would rank before this one.
    fn after(&self, score: f32, sid: SentenceId) -> bool {
        self.score.total_cmp(&score).then(sid.cmp(&self.sid)) == Ordering::Less
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.sid.cmp(&other.sid))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// Per-thread arrays indexed by the sentences and the articles of one window (offsets from its
/// first), reused across windows and questions; only the entries a window touched are reset.
#[derive(Default)]
struct Scratch {
    sentence_score: Vec<f32>,
    sentence_mark: Vec<u16>,
    /// The window's sentences scored so far, with their articles: the first `n_touched`
    /// (one more entry than the largest window has sentences, for the write that is not
    /// counted; likewise `touched_articles`).
    touched: Vec<(u32, u32)>,
    n_touched: usize,
    article_score: Vec<f32>,
    title_score: Vec<f32>,
    article_mark: Vec<u16>,
    title_mark: Vec<u16>,
    touched_articles: Vec<u32>,
    n_touched_articles: usize,
    /// One term's postings in the window.
    batch: Vec<Gathered>,
}

impl Scratch {
    fn prepare(&mut self, sentences: usize, articles: usize) {
        if self.sentence_score.len() < sentences {
            self.sentence_score.resize(sentences, 0.0);
            self.sentence_mark.resize(sentences, 0);
            self.touched.resize(sentences + 1, (0, 0));
        }
        if self.article_score.len() < articles {
            self.article_score.resize(articles, 0.0);
            self.title_score.resize(articles, 0.0);
            self.article_mark.resize(articles, 0);
            self.title_mark.resize(articles, 0);
            self.touched_articles.resize(articles + 1, 0);
        }
    }

    fn clear(&mut self) {
        for &(w, _) in &self.touched[..self.n_touched] {
            self.sentence_score[w as usize] = 0.0;
            self.sentence_mark[w as usize] = 0;
        }
        self.n_touched = 0;
        for &a in &self.touched_articles[..self.n_touched_articles] {
            let a = a as usize;
            self.article_score[a] = 0.0;
            self.title_score[a] = 0.0;
            self.article_mark[a] = 0;
            self.title_mark[a] = 0;
        }
        self.n_touched_articles = 0;
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Article;
    use crate::search::index::LAID_MIN;
    use std::path::Path;

    fn index(files: &[(&str, &str)]) -> Index {
        Index::build(
            files
                .iter()
                .map(|(name, text)| Article::parse(Path::new(name), text.as_bytes()).unwrap().0)
                .collect(),
        )
    }

    fn best(index: &Index, q: &str) -> Option<String> {
        let words = index.analyze_question(q, &SearchConfig::default());
        index
            .search(&words, 1, &Model::default())
            .first()
            .map(|h| index.sentence_text(h.sentence).to_string())
    }

    #[test]
    fn rare_words_count_more() {
        let ix = index(&[(
            "a.txt",
            "date 2024-01-01 Iran and Russia met. Iran talked about grain. Iran, Russia and Iran again.",
        )]);
        assert_eq!(
            best(&ix, "iran grain").as_deref(),
            Some("Iran talked about grain.")
        );
    }

    #[test]
    fn typos_match_by_similarity() {
        let ix = index(&[(
            "a.txt",
            "date 2024-01-01 Mishustin spoke. The grain export is concluded. It rained.",
        )]);
        let words = ix.analyze_question(
            "wat did mishustn say abot grian exprot",
            &SearchConfig::default(),
        );
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["mishustn", "grian", "exprot"], "{words:?}");
        assert!(words.iter().all(|w| w.alternatives[0].fuzzy), "{words:?}");
        assert_eq!(
            best(&ix, "wat did mishustn say abot grian exprot").as_deref(),
            Some("The grain export is concluded.")
        );
    }

    #[test]
    fn a_word_matches_its_family_below_the_word_itself() {
        let ix = index(&[(
            "a.txt",
            "date 2024-01-01 The cone's inventor is a Briton. Roads were invented long ago. \
             Cuba makes rum. Rum is made on islands.",
        )]);
        // Only with the family ("inventor" for "invented") does a sentence hold both words.
        assert_eq!(
            best(&ix, "Who invented the cone?").as_deref(),
            Some("The cone's inventor is a Briton.")
        );
        let words = ix.analyze_question("invented cone", &SearchConfig::default());
        let weights: Vec<f32> = words[0].alternatives.iter().map(|a| a.weight).collect();
        assert_eq!(weights, [1.0, SearchConfig::default().family_weight]);
        // A word the articles only have in another form: "Cuban" finds "Cuba", not as a typo.
        let words = ix.analyze_question("Cuban rum", &SearchConfig::default());
        assert!(!words[0].alternatives.is_empty(), "{words:?}");
        assert!(!words[0].alternatives[0].fuzzy, "{words:?}");
        assert_eq!(best(&ix, "Cuban rum").as_deref(), Some("Cuba makes rum."));
        // Turned off, "invented" is only itself, and the answer holds less of the question.
        let off = SearchConfig {
            family_weight: 0.0,
            ..SearchConfig::default()
        };
        let words = ix.analyze_question("invented cone", &off);
        assert_eq!(words[0].alternatives.len(), 1, "{words:?}");
        let top_score = |config: &SearchConfig| {
            let words = ix.analyze_question("Who invented the cone?", config);
            ix.search(&words, 1, &Model::default())[0].score
        };
        let (on, off) = (top_score(&SearchConfig::default()), top_score(&off));
        assert!(on > off + 0.1, "{on} {off}");
    }

    #[test]
    fn the_topic_of_say_about_questions_counts_more() {
        let ix = index(&[(
            "a.txt",
            "date 2024-01-01 Mishustin spoke. The grain export is concluded.",
        )]);
        let words = ix.analyze_question(
            "What did Mishustin say about grain?",
            &SearchConfig::default(),
        );
        let focus: Vec<(&str, f32)> = words.iter().map(|w| (w.text.as_str(), w.focus)).collect();
        assert_eq!(focus, [("mishustin", 1.0), ("grain", FOCUS)]);
        let words = ix.analyze_question("Mishustin grain talks about", &SearchConfig::default());
        assert!(words.iter().all(|w| w.focus == 1.0), "{words:?}");
    }

    #[test]
    fn a_real_word_is_not_replaced_by_a_neighbour() {
        let ix = index(&[("a.txt", "date 2024-01-01 Rain fell. The grain is ripe.")]);
        let words = ix.analyze_question("rain", &SearchConfig::default());
        assert_eq!(words[0].alternatives.len(), 1, "{words:?}");
        assert!(!words[0].alternatives[0].fuzzy);
    }

    #[test]
    fn ties_go_to_the_newer_article_then_the_path() {
        let ix = index(&[
            ("b.txt", "date 2024-01-01 Grain news."),
            ("a.txt", "date 2024-01-01 Grain news."),
            ("c.txt", "date 2023-01-01 Grain news."),
            ("d.txt", "date 2024-06-01 Grain news."),
        ]);
        let words = ix.analyze_question("grain", &SearchConfig::default());
        let hits = ix.search(&words, 4, &Model::default());
        let paths: Vec<_> = hits
            .iter()
            .map(|h| ix.locate(h.sentence).0.path.to_string_lossy().into_owned())
            .collect();
        assert_eq!(paths, ["d.txt", "a.txt", "b.txt", "c.txt"]);
        assert!(
            hits.windows(2).all(|w| w[0].score == w[1].score),
            "{hits:?}"
        );
    }

    #[test]
    fn nothing_in_common_means_no_hits() {
        let ix = index(&[("a.txt", "date 2024-01-01 Grain news.")]);
        let words = ix.analyze_question("capital of France", &SearchConfig::default());
        assert!(ix.search(&words, 5, &Model::default()).is_empty());
        assert!(
            ix.search(
                &ix.analyze_question("", &SearchConfig::default()),
                5,
                &Model::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn fuzzy_off_means_exact_words_only() {
        let ix = index(&[("a.txt", "date 2024-01-01 Grain news.")]);
        let config = SearchConfig {
            fuzzy: false,
            ..SearchConfig::default()
        };
        assert!(
            ix.search(&ix.analyze_question("grian", &config), 1, &Model::default())
                .is_empty()
        );
    }

    /// The first stage as one pass over the whole corpus, as it was before windows, ranked
    /// by a full sort instead of a heap: the windowed pass must give exactly its hits.
    fn whole_corpus(ix: &Index, words: &[QueryWord], k: usize, model: &Model) -> Vec<Hit> {
        let (n, na) = (ix.sentence_count(), ix.articles.len());
        let (mut sentence_score, mut sentence_mark) = (vec![0f32; n], vec![0u16; n]);
        let (mut article_score, mut article_mark) = (vec![0f32; na], vec![0u16; na]);
        let (mut title_score, mut title_mark) = (vec![0f32; na], vec![0u16; na]);
        let mut touched = Vec::new();
        for (wi, word) in words.iter().enumerate() {
            let mark = wi as u16 + 1;
            for alt in &word.alternatives {
                let sidf = ix.sentence_idf(alt.term) * alt.weight * word.focus;
                let aidf = ix.article_idf(alt.term) * alt.weight * word.focus;
                for (sid, tf) in ix.postings(alt.term) {
                    let i = sid as usize;
                    if sentence_mark[i] == mark {
                        continue;
                    }
                    if sentence_mark[i] == 0 {
                        touched.push(sid);
                    }
                    sentence_mark[i] = mark;
                    let tf = tf as f32;
                    let len = f32::from(ix.sentence_len[i]);
                    let norm = model.k1 * (1.0 - model.b + model.b * len / ix.avg_sentence_len);
                    sentence_score[i] += sidf * tf / (tf + norm);
                    let a = ix.sentence_article[i] as usize;
                    if article_mark[a] != mark {
                        article_mark[a] = mark;
                        article_score[a] += aidf;
                    }
                }
                for &a in ix.title_articles(alt.term) {
                    let a = a as usize;
                    if title_mark[a] != mark {
                        title_mark[a] = mark;
                        title_score[a] += aidf;
                    }
                }
            }
        }
        let total_idf = words.iter().map(|w| w.idf).sum::<f32>().max(f32::EPSILON);
        let total_article_idf = words
            .iter()
            .map(|w| w.article_idf)
            .sum::<f32>()
            .max(f32::EPSILON);
        let mut hits: Vec<Hit> = touched
            .iter()
            .map(|&sid| {
                let i = sid as usize;
                let a = ix.sentence_article[i] as usize;
                Hit {
                    sentence: sid,
                    score: sentence_score[i] / total_idf
                        + (model.article * article_score[a] + model.title * title_score[a])
                            / total_article_idf,
                    sentence_score: sentence_score[i] / total_idf,
                    article_score: article_score[a] / total_article_idf,
                    title_score: title_score[a] / total_article_idf,
                }
            })
            .collect();
        hits.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then(x.sentence.cmp(&y.sentence))
        });
        hits.truncate(k);
        hits
    }

    #[test]
    fn windows_give_the_hits_of_one_whole_corpus_pass() {
        // Made-up words of three syllables, drawn skewed to the first ones so that some are
        // in most sentences and most are rare; titles from file names; articles from one sentence
        // to longer than a window.
        const SYLLABLES: [&str; 15] = [
            "ba", "ko", "ri", "tu", "me", "sa", "li", "no", "pe", "du", "fi", "ga", "ho", "ju",
            "ve",
        ];
        let word = |n: u64| -> String {
            let n = n as usize;
            [n / 225 % 15, n / 15 % 15, n % 15]
                .iter()
                .map(|&i| SYLLABLES[i])
                .collect()
        };
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let skewed = |next: &mut dyn FnMut(u64) -> u64| {
            let bound = 1 + next(3_000);
            next(bound)
        };
        let mut files = Vec::new();
        for i in 0..420 {
            let sentences = match i {
                7 => 2 * WINDOW + 300,
                _ => 1 + next(40) as usize,
            };
            let mut text = String::new();
            for j in 0..sentences {
                text.push_str("The ");
                // "vevevo" is in half the sentences (more than `LAID_MIN`), twice in some; a
                // few sentences of the long article are longer than `SHORT` words.
                for _ in 0..next(4).saturating_sub(1) {
                    text.push_str("vevevo ");
                }
                let long = i == 7 && j % 1000 == 0;
                for _ in 0..if long {
                    SHORT as u64 + next(50)
                } else {
                    2 + next(10)
                } {
                    let w = skewed(&mut next);
                    text.push_str(&word(w));
                    text.push(' ');
                }
                text.push_str("end.\n");
            }
            let title = format!("{}-{}", word(skewed(&mut next)), word(skewed(&mut next)));
            let date = format!("2024-{:02}-{:02}", 1 + next(12), 1 + next(28));
            files.push(
                Article::parse(
                    Path::new(&format!("{date}-{title}-{i}.txt")),
                    text.as_bytes(),
                )
                .unwrap()
                .0,
            );
        }
        let ix = Index::build(files);
        assert!(ix.sentence_count() > 4 * WINDOW, "{}", ix.sentence_count());
        // The common word is walked laid out, and scored from its table and, where it is
        // twice in a sentence or the sentence is long, without it.
        let common = ix.term_of_stem("vevevo").unwrap();
        assert!(ix.df(common) >= LAID_MIN, "{}", ix.df(common));
        assert!(ix.laid_postings(common).is_some());
        let postings: Vec<_> = ix.postings(common).collect();
        let long = |sid: SentenceId| usize::from(ix.sentence_len[sid as usize]) >= SHORT;
        assert!(postings.iter().any(|&(_, tf)| tf > 1));
        assert!(postings.iter().any(|&(sid, tf)| tf == 1 && long(sid)));
        let model = Model::default();
        let (mut questions, mut compared) = (0, 0);
        let (mut several, mut focus, mut titled, mut tabled) = (0, 0, 0, 0);
        for q in 0..400 {
            let mut question = String::new();
            if q % 5 == 0 {
                question.push_str("what did ");
            }
            for j in 0..1 + next(6) {
                let mut w = word(skewed(&mut next));
                if q % 3 == 0 && j == 0 {
                    // A typo: the first consonant changed to one no syllable has, so that
                    // up to three words are one edit away ("zakori": bakori, sakori, gakori).
                    w.replace_range(0..1, "z");
                }
                question.push_str(&w);
                question.push(' ');
                if q % 5 == 0 && j == 0 {
                    question.push_str("say about ");
                }
            }
            if q % 4 == 1 {
                question.push_str("vevevo");
            }
            let words = ix.analyze_question(&question, &SearchConfig::default());
            several += words.iter().filter(|w| w.alternatives.len() > 1).count();
            focus += words.iter().filter(|w| w.focus > 1.0).count();
            tabled += words
                .iter()
                .flat_map(|w| &w.alternatives)
                .filter(|a| ix.df(a.term) >= LAID_MIN)
                .count();
            titled += words
                .iter()
                .flat_map(|w| &w.alternatives)
                .filter(|a| !ix.title_articles(a.term).is_empty())
                .count();
            for k in [1, 3, 30, 100_000] {
                let want = whole_corpus(&ix, &words, k, &model);
                let got = ix.search(&words, k, &model);
                assert_eq!(got, want, "{question:?} k={k}");
                compared += got.len();
                // Windows of one article each, and a few articles: every boundary is crossed.
                for window in [1, 50] {
                    let mut s = Scratch::default();
                    let got = ix.score_into(&mut s, &words, k, &model, window);
                    assert_eq!(got, want, "{question:?} k={k} window={window}");
                }
            }
            questions += 1;
        }
        assert_eq!(questions, 400);
        // What the comparison went through: words with several alternatives (a typo one
        // edit from several words), focus words, and terms of titles.
        assert!(
            compared > 100_000 && several > 50 && focus > 50 && titled > 200 && tabled > 50,
            "{compared} {several} {focus} {titled} {tabled}"
        );
    }

    #[test]
    fn long_questions_keep_the_rarest_words() {
        let ix = index(&[("a.txt", "date 2024-01-01 Grain news.")]);
        let q: String = (0..100).map(|i| format!("word{i} ")).collect::<String>() + "grain";
        let words = ix.analyze_question(&q, &SearchConfig::default());
        assert_eq!(words.len(), MAX_QUESTION_WORDS);
        assert!(
            words.iter().any(|w| w.text == "grain"),
            "the known word is the most informative"
        );
    }
}
