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

    /// The `k` best sentences for the analyzed question, best first. Only sentences sharing
    /// at least one (possibly mistyped) word with the question are scored at all.
    #[must_use]
    pub fn search(&self, words: &[QueryWord], k: usize, model: &Model) -> Vec<Hit> {
        if k == 0 || words.iter().all(|w| w.alternatives.is_empty()) {
            return Vec::new();
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.prepare(self.sentence_count(), self.articles.len());
            let hits = self.score_into(&mut s, words, k, model);
            s.clear();
            hits
        })
    }

    fn score_into(
        &self,
        s: &mut Scratch,
        words: &[QueryWord],
        k: usize,
        model: &Model,
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
        for (wi, word) in words.iter().enumerate() {
            let mark = wi as u16 + 1;
            for alt in &word.alternatives {
                let sidf = self.sentence_idf(alt.term) * alt.weight * word.focus;
                let aidf = self.article_idf(alt.term) * alt.weight * word.focus;
                for (sid, tf) in self.postings(alt.term) {
                    let i = sid as usize;
                    // A sentence counts each question word once, by its best alternative.
                    if s.sentence_mark[i] == mark {
                        continue;
                    }
                    if s.sentence_mark[i] == 0 {
                        s.touched.push(sid);
                    }
                    s.sentence_mark[i] = mark;
                    let tf = tf as f32;
                    let len = f32::from(self.sentence_len[i]);
                    let norm = k1 * (1.0 - b + b * len / avg);
                    s.sentence_score[i] += sidf * tf / (tf + norm);
                    let a = self.sentence_article[i] as usize;
                    if s.article_mark[a] != mark {
                        if s.article_mark[a] == 0 && s.title_mark[a] == 0 {
                            s.touched_articles.push(a as u32);
                        }
                        s.article_mark[a] = mark;
                        s.article_score[a] += aidf;
                    }
                }
                for &a in self.title_articles(alt.term) {
                    let a = a as usize;
                    if s.title_mark[a] != mark {
                        if s.article_mark[a] == 0 && s.title_mark[a] == 0 {
                            s.touched_articles.push(a as u32);
                        }
                        s.title_mark[a] = mark;
                        s.title_score[a] += aidf;
                    }
                }
            }
        }
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        for &sid in &s.touched {
            let i = sid as usize;
            let a = self.sentence_article[i] as usize;
            let score = s.sentence_score[i] / total_idf
                + (article_weight * s.article_score[a] + title_weight * s.title_score[a])
                    / total_article_idf;
            let r = Ranked { score, sid };
            if heap.len() < k {
                heap.push(r);
            } else if let Some(worst) = heap.peek()
                && r.cmp(worst) == Ordering::Less
            {
                heap.pop();
                heap.push(r);
            }
        }
        let mut ranked = heap.into_vec();
        ranked.sort();
        ranked
            .into_iter()
            .map(|r| {
                let i = r.sid as usize;
                let a = self.sentence_article[i] as usize;
                Hit {
                    sentence: r.sid,
                    score: r.score,
                    sentence_score: s.sentence_score[i] / total_idf,
                    article_score: s.article_score[a] / total_article_idf,
                    title_score: s.title_score[a] / total_article_idf,
                }
            })
            .collect()
    }
}

/// A candidate in the top-k heap. `Less` means better: higher score, then lower id (the
/// tie order), so the heap's greatest element is the worst kept.
#[derive(Clone, Copy)]
struct Ranked {
    score: f32,
    sid: SentenceId,
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

/// Per-thread arrays indexed by sentence and article, reused across questions; only the
/// entries a question touched are reset afterwards.
#[derive(Default)]
struct Scratch {
    sentence_score: Vec<f32>,
    sentence_mark: Vec<u16>,
    touched: Vec<SentenceId>,
    article_score: Vec<f32>,
    title_score: Vec<f32>,
    article_mark: Vec<u16>,
    title_mark: Vec<u16>,
    touched_articles: Vec<u32>,
}

impl Scratch {
    fn prepare(&mut self, sentences: usize, articles: usize) {
        if self.sentence_score.len() < sentences {
            self.sentence_score.resize(sentences, 0.0);
            self.sentence_mark.resize(sentences, 0);
        }
        if self.article_score.len() < articles {
            self.article_score.resize(articles, 0.0);
            self.title_score.resize(articles, 0.0);
            self.article_mark.resize(articles, 0);
            self.title_mark.resize(articles, 0);
        }
    }

    fn clear(&mut self) {
        for &sid in &self.touched {
            self.sentence_score[sid as usize] = 0.0;
            self.sentence_mark[sid as usize] = 0;
        }
        self.touched.clear();
        for &a in &self.touched_articles {
            let a = a as usize;
            self.article_score[a] = 0.0;
            self.title_score[a] = 0.0;
            self.article_mark[a] = 0;
            self.title_mark[a] = 0;
        }
        self.touched_articles.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Article;
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
