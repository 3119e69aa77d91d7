//! The engine: the one search path that the command line and the bot both call. It owns an
//! index generation (read-only, shared) and the search settings, and turns a question into
//! [`Answer`]s.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use rustc_hash::FxHashSet;

use crate::answer::Answer;
use crate::config::SearchConfig;
use crate::corpus::{self, Problem};
use crate::error::Result;
use crate::search::analyze::{self, TokenKind};
use crate::search::{Hit, Index, Model, QueryWord, TermId, rerank};

/// Extra hits fetched beyond `top`, so that dropping duplicate quotes still leaves `top`.
const SPARE_HITS: usize = 8;

/// Answers questions from one corpus. The index can be replaced while questions are being
/// answered: each question holds the generation it started with until it is done, so a
/// reload never makes anyone wait and never mixes two versions of the corpus.
#[derive(Debug)]
pub struct Engine {
    index: ArcSwap<Index>,
    config: SearchConfig,
}

impl Engine {
    /// An engine over `index`.
    #[must_use]
    pub fn new(index: Index, config: SearchConfig) -> Engine {
        Engine {
            index: ArcSwap::from_pointee(index),
            config,
        }
    }

    /// Loads the corpus folder `dir` and indexes it. Files that could not be used are in the
    /// returned problems; only an unreadable folder is an error.
    pub fn load(dir: &Path, config: SearchConfig) -> Result<(Engine, Vec<Problem>)> {
        Engine::load_with_progress(dir, config, &|_| {})
    }

    /// [`Engine::load`], telling `progress` how far it has got.
    pub fn load_with_progress(
        dir: &Path,
        config: SearchConfig,
        progress: &(dyn Fn(corpus::Progress) + Sync),
    ) -> Result<(Engine, Vec<Problem>)> {
        let corpus = corpus::load_with_progress(dir, progress)?;
        progress(corpus::Progress::Indexing);
        Ok((
            Engine::new(Index::build(corpus.articles), config),
            corpus.problems,
        ))
    }

    /// The index it answers from now.
    #[must_use]
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Answers from `index` from now on; returns the index it replaces. Questions already
    /// being answered finish on the old one.
    pub fn replace(&self, index: Index) -> Arc<Index> {
        self.index.swap(Arc::new(index))
    }

    /// Its search settings.
    #[must_use]
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// The answers to `question` with the configured `top` and `min_score`.
    #[must_use]
    pub fn ask(&self, question: &str) -> Vec<Answer> {
        self.ask_with(question, self.config.top, self.config.min_score)
    }

    /// At most `top` answers to `question` scoring at least `min_score`, best first, each a
    /// different quote. Every answer shares at least one (possibly mistyped) word with the
    /// question, whatever `min_score` is.
    #[must_use]
    pub fn ask_with(&self, question: &str, top: usize, min_score: f32) -> Vec<Answer> {
        let index = &*self.index.load();
        let model = &self.config.model;
        let words = index.analyze_question(question, &self.config);
        let depth = model.depth.max(top.saturating_add(SPARE_HITS));
        let hits = index.search(&words, depth, model);
        let mut ranked = rerank_hits(index, question, &words, &hits, model);
        ranked.retain(|r| r.coverage >= min_score);
        let mut seen = FxHashSet::default();
        let mut answers = Vec::new();
        for r in ranked {
            if answers.len() >= top {
                break;
            }
            let mut answer = Answer::new(index, r.hit.sentence, r.coverage);
            if !seen.insert(answer.quote.clone()) {
                continue;
            }
            answer.highlights = highlights(index, &words, &answer.quote);
            answers.push(answer);
        }
        answers
    }
}

impl Engine {
    /// Up to `n` further answers to `question`, leaving out the quotes in `shown`: "More".
    /// Asking for more is asking for weaker matches too, so there is no threshold, but every
    /// quote still shares a word with the question.
    #[must_use]
    pub fn more(&self, question: &str, shown: &[Answer], n: usize) -> Vec<Answer> {
        self.ask_with(question, shown.len() + n, 0.0)
            .into_iter()
            .filter(|a| !shown.iter().any(|s| s.quote == a.quote))
            .take(n)
            .collect()
    }
}

/// A candidate after the second stage.
#[derive(Clone, Copy, Debug)]
pub struct Ranked {
    /// The model's score: the order of the answers.
    pub rank: f32,
    /// How much of the question the sentence holds, 0 to 1: the answer's score, which the
    /// threshold applies to.
    pub coverage: f32,
    /// The first stage's hit.
    pub hit: Hit,
}

/// The first stage's hits scored again by the model, best first (ties: lower sentence id).
#[must_use]
pub fn rerank_hits(
    index: &Index,
    question: &str,
    words: &[QueryWord],
    hits: &[Hit],
    model: &Model,
) -> Vec<Ranked> {
    let info = rerank::QuestionInfo::new(question, words);
    let best = hits.first().map_or(0.0, |h| h.score);
    let mut ranked: Vec<Ranked> = hits
        .iter()
        .map(|h| {
            let f = rerank::features(index, &info, words, h, best);
            Ranked {
                rank: model.rank_score(&f),
                coverage: f[rerank::COVERAGE],
                hit: *h,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.rank
            .total_cmp(&a.rank)
            .then(a.hit.sentence.cmp(&b.hit.sentence))
    });
    ranked
}

/// Byte ranges of the words of `quote` that match the question's words.
fn highlights(index: &Index, words: &[QueryWord], quote: &str) -> Vec<std::ops::Range<usize>> {
    let terms: FxHashSet<TermId> = words
        .iter()
        .flat_map(|w| w.alternatives.iter().map(|a| a.term))
        .collect();
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut buf = String::new();
    analyze::tokenize(quote, |tok| {
        if tok.kind == TokenKind::Joined {
            return;
        }
        analyze::normalize(&quote[tok.start..tok.end], &mut buf);
        let term = index.term_of_surface(&buf);
        if term.is_some_and(|t| terms.contains(&t)) {
            // Matched parts of one hyphenated word are marked as one: `Rasht-Astara`.
            match out.last_mut() {
                Some(prev)
                    if matches!(&quote[prev.end..tok.start], "-" | "\u{2010}" | "\u{2011}") =>
                {
                    prev.end = tok.end;
                }
                _ => out.push(tok.start..tok.end),
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Article;

    fn engine(text: &str) -> Engine {
        let (a, _) = Article::parse(Path::new("corpus/a.txt"), text.as_bytes()).unwrap();
        Engine::new(Index::build(vec![a]), SearchConfig::default())
    }

    #[test]
    fn answers_carry_the_article_and_highlights() {
        let e = engine("title: Deal\ndate: 2024-09-30\n\nThe grain export\nis concluded. Rain.");
        let answers = e.ask("grain exports");
        assert_eq!(answers.len(), 1, "{answers:?}");
        let a = &answers[0];
        assert_eq!(a.quote, "The grain export is concluded.");
        assert_eq!(a.title, "Deal");
        assert_eq!(a.path, "corpus/a.txt");
        let marked: Vec<&str> = a.highlights.iter().map(|r| &a.quote[r.clone()]).collect();
        assert_eq!(marked, ["grain", "export"]);
        let e = engine("date 2024-01-01 The Rasht-Astara railway and a half-built road.");
        let a = &e.ask_with("rasht astara railway built", 1, 0.0)[0];
        let marked: Vec<&str> = a.highlights.iter().map(|r| &a.quote[r.clone()]).collect();
        assert_eq!(marked, ["Rasht-Astara", "railway", "built"]);
    }

    #[test]
    fn duplicate_quotes_are_given_once() {
        let e = engine("date 2024-01-01 Grain is up.\n\nGrain is up.\n\nGrain fell.");
        let answers = e.ask_with("grain", 5, 0.0);
        let mut quotes: Vec<&str> = answers.iter().map(|a| a.quote.as_str()).collect();
        quotes.sort_unstable();
        assert_eq!(quotes, ["Grain fell.", "Grain is up."]);
    }

    #[test]
    fn threshold_and_top_are_respected() {
        let e = engine("date 2024-01-01 Grain and oil. Oil only. Grain only.");
        assert_eq!(e.ask_with("grain oil", 1, 0.0).len(), 1);
        let all = e.ask_with("grain oil", 10, 0.0);
        assert_eq!(all.len(), 3, "{all:?}");
        let cut = all[0].score.min(all[1].score) + 0.001;
        let strict = e.ask_with("grain oil", 10, cut);
        assert!(strict.iter().all(|a| a.score >= cut), "{strict:?}");
        assert!(strict.len() < 3, "{strict:?}");
    }
}
