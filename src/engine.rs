//! The engine: the one search path that the command line and the bot both call. It owns an
//! index generation (read-only, shared) and the search settings, and turns a question into
//! [`Answer`]s.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use rustc_hash::FxHashSet;

use crate::answer::{Answer, Context, quote_text};
use crate::config::SearchConfig;
use crate::corpus::{self, Problem};
use crate::date::{self, Date, DateRange};
use crate::error::Result;
use crate::search::analyze::{self, TokenKind};
use crate::search::{Hit, Index, Model, QueryWord, SentenceId, TermId, rerank};

/// Extra hits fetched beyond `top`, so that dropping duplicate quotes still leaves `top`.
const SPARE_HITS: usize = 8;

/// Answers questions from one corpus. The index can be replaced while questions are being
/// answered: each question holds the generation it started with until it is done, so a
/// reload never makes anyone wait and never mixes two versions of the corpus.
#[derive(Debug)]
pub struct Engine {
    index: ArcSwap<Index>,
    config: SearchConfig,
    model: Model,
}

impl Engine {
    /// An engine over `index`, scoring with the fitted model.
    #[must_use]
    pub fn new(index: Index, config: SearchConfig) -> Engine {
        Engine::with_model(index, config, Model::default())
    }

    /// An engine over `index` scoring with `model` (the fitting tries models this way).
    #[must_use]
    pub fn with_model(index: Index, config: SearchConfig, model: Model) -> Engine {
        Engine {
            index: ArcSwap::from_pointee(index),
            config,
            model,
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

    /// The context of an answer's quote, or `None` when the articles changed since the answer
    /// (see [`context`]).
    #[must_use]
    pub fn context(&self, sentence: SentenceId, generation: u64) -> Option<Context> {
        context(&self.index(), sentence, generation)
    }

    /// Its scoring model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
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
        self.ask_on(question, top, min_score, Date::today())
    }

    /// [`Engine::ask_with`] as if today were `today` (for "last year", "30 September").
    ///
    /// Among answers that match about equally well (within 2% of the best), one from an
    /// article of the time the question names ("in September 2024", "last year") comes
    /// first, and otherwise the newer article's.
    #[must_use]
    pub fn ask_on(&self, question: &str, top: usize, min_score: f32, today: Date) -> Vec<Answer> {
        let candidates = self.candidates(question, today, self.depth_for(top));
        let index = &*candidates.index;
        candidates
            .ranked(&self.model)
            .into_iter()
            .filter(|r| r.coverage >= min_score)
            .take(top)
            .map(|r| {
                let mut answer = answer(index, r.hit.sentence, r.coverage);
                answer.highlights = highlights(index, &candidates.words, &answer.quote);
                answer
            })
            .collect()
    }

    /// How many first-stage candidates are scored again when `top` answers are wanted.
    #[must_use]
    pub fn depth_for(&self, top: usize) -> usize {
        self.model.depth.max(top.saturating_add(SPARE_HITS))
    }

    /// The first `depth` candidates of the first stage for `question` (as if today were
    /// `today`), each with the features the second stage ranks it by. This is the one path
    /// from a question to candidates: answers, "More", the model's fitting
    /// (`eval/examples/fit.rs`) and `examples/explain.rs` all take it, so the model is fitted on
    /// exactly what it serves.
    #[must_use]
    pub fn candidates(&self, question: &str, today: Date, depth: usize) -> Candidates {
        let index = self.index.load_full();
        let when = date::question_date(question, today);
        // Words such as "last year" say when, not what: they are not looked for.
        let mut asked = question.to_string();
        for r in when.iter().flat_map(|w| &w.framing) {
            asked.replace_range(r.clone(), &" ".repeat(r.len()));
        }
        let words = index.analyze_question(&asked, &self.config);
        let hits = index.search(&words, depth, &self.model);
        let info = rerank::QuestionInfo::new(&asked, &words);
        let best = hits.first().map_or(0.0, |h| h.score);
        let list = hits
            .iter()
            // Only a text that could not be read from the index file is empty (see
            // `corpus::text::Text::as_str`): it is never quoted.
            .filter(|h| !index.sentence_text(h.sentence).is_empty())
            .map(|h| Candidate {
                hit: *h,
                features: rerank::features(&index, &info, &words, h, best).to_array(),
                quote: quote_text(index.sentence_text(h.sentence)),
                date: index.locate(h.sentence).0.date,
            })
            .collect();
        Candidates {
            index,
            words,
            when: when.map(|w| w.range),
            list,
        }
    }
}

/// One candidate of the first stage, with what the second stage ranks it by.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The first stage's hit (its score is the first-stage score).
    pub hit: Hit,
    /// The second stage's features ([`rerank::FEATURE_NAMES`]).
    pub features: [f32; rerank::NF],
    /// The sentence as it would be quoted: two candidates with the same quote are one answer.
    pub quote: String,
    /// Its article's date.
    pub date: Option<Date>,
}

/// A question's candidates ([`Engine::candidates`]), with what ranking them needs.
#[derive(Debug)]
pub struct Candidates {
    /// The index generation they come from.
    pub index: Arc<Index>,
    /// The question's words as looked for (date framing words left out).
    pub words: Vec<QueryWord>,
    /// The time the question names, if any.
    pub when: Option<DateRange>,
    /// The candidates, in the first stage's order.
    pub list: Vec<Candidate>,
}

impl Candidates {
    /// The candidates as `model` ranks them, best first (ties: lower sentence id); among the
    /// equal matches at the top, an article of the time the question names first, then the
    /// newer one; then each quote once, where it ranks best.
    #[must_use]
    pub fn ranked(&self, model: &Model) -> Vec<Ranked> {
        let mut ranked: Vec<Ranked> = self
            .list
            .iter()
            .enumerate()
            .map(|(i, c)| Ranked {
                rank: model.rank_score(&c.features),
                coverage: c.features[rerank::COVERAGE],
                hit: c.hit,
                candidate: i,
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.rank
                .total_cmp(&a.rank)
                .then(a.hit.sentence.cmp(&b.hit.sentence))
        });
        self.prefer_dates(&mut ranked);
        let mut seen = FxHashSet::default();
        ranked.retain(|r| seen.insert(self.list[r.candidate].quote.as_str()));
        ranked
    }

    /// Reorders the equal matches at the top: articles of the question's time first, then
    /// newer ones.
    fn prefer_dates(&self, ranked: &mut [Ranked]) {
        let Some(best) = ranked.first().map(|r| r.rank) else {
            return;
        };
        let slack = EQUAL_MATCH * best.abs().max(1.0);
        let equal = ranked.iter().take_while(|r| best - r.rank <= slack).count();
        let date = |r: &Ranked| self.list[r.candidate].date;
        let in_range = |r: &Ranked| {
            self.when
                .is_some_and(|g| date(r).is_some_and(|d| g.contains(d)))
        };
        ranked[..equal].sort_by(|a, b| {
            in_range(b)
                .cmp(&in_range(a))
                .then_with(|| date(b).cmp(&date(a)))
        });
    }
}

/// How close to the best an answer must be to count as an equal match (a share of the best
/// ranking score).
pub const EQUAL_MATCH: f32 = 0.02;

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
    /// Where it is in [`Candidates::list`].
    pub candidate: usize,
}

/// The answer for sentence `sid` of `index`: what rendering needs, taken from the index here so
/// that rendering never reads it.
fn answer(index: &Index, sid: SentenceId, score: f32) -> Answer {
    let (article, _) = index.locate(sid);
    Answer {
        quote: quote_text(index.sentence_text(sid)),
        title: article.title.clone(),
        date: article.date,
        path: article.path.to_string_lossy().into_owned(),
        source: article.source.clone(),
        score,
        highlights: Vec::new(),
        sentence: sid,
        generation: index.generation(),
    }
}

/// The context of an answer's quote: its sentence `sentence` of the index of generation
/// `generation`; `None` when `index` is another (the articles changed since the answer) or
/// the sentence is not in it.
#[must_use]
pub fn context(index: &Index, sentence: SentenceId, generation: u64) -> Option<Context> {
    if generation != index.generation() || sentence as usize >= index.sentence_count() {
        return None;
    }
    let a = index.sentence_article[sentence as usize] as usize;
    Some(Context {
        article: std::sync::Arc::clone(&index.articles()[a]),
        position: (sentence - index.first_sentence[a]) as usize,
    })
}

/// Byte ranges of the words of `quote` that match the question's words.
fn highlights(index: &Index, words: &[QueryWord], quote: &str) -> Vec<std::ops::Range<usize>> {
    let terms: FxHashSet<TermId> = words
        .iter()
        .flat_map(|w| w.alternatives.iter().map(|a| a.term))
        .collect();
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    analyze::words(quote, |tok, word| {
        if tok.kind == TokenKind::Joined {
            return;
        }
        let term = index.term_of_surface(word);
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

    fn engine_of(files: &[(&str, &str)]) -> Engine {
        let articles = files
            .iter()
            .map(|(n, t)| Article::parse(Path::new(n), t.as_bytes()).unwrap().0)
            .collect();
        Engine::new(Index::build(articles), SearchConfig::default())
    }

    #[test]
    fn dates_in_questions_pick_the_article_of_that_time() {
        let e = engine_of(&[
            (
                "a.txt",
                "date 2024-09-30 The port handled record grain volumes.",
            ),
            (
                "b.txt",
                "date 2023-05-02 The port handled record grain volumes again.",
            ),
            (
                "c.txt",
                "date 2025-01-15 The port handled record grain volumes, officials said.",
            ),
        ]);
        let today = Date::new(2025, 3, 1).unwrap();
        let date_of = |q: &str| e.ask_on(q, 1, 0.0, today)[0].date.unwrap().to_string();
        // No date: the newest of the equal matches.
        assert_eq!(date_of("port record grain volumes"), "2025-01-15");
        assert_eq!(
            date_of("port record grain volumes in September 2024"),
            "2024-09-30"
        );
        assert_eq!(date_of("port record grain volumes in 2023"), "2023-05-02");
        assert_eq!(date_of("port record grain volumes last year"), "2024-09-30");
        assert_eq!(
            date_of("port record grain volumes on 30 September"),
            "2024-09-30"
        );
        // "last year" is not looked for in the text.
        let a = &e.ask_on("grain last year", 1, 0.0, today)[0];
        assert!(
            a.highlights.iter().all(|r| &a.quote[r.clone()] == "grain"),
            "{a:?}"
        );
    }

    #[test]
    fn the_same_news_in_two_files_is_given_once() {
        let e = engine_of(&[
            (
                "old.txt",
                "date 2024-01-01 Grain prices hit a record.\n\nTraders were surprised.",
            ),
            (
                "copy.txt",
                "date 2024-02-01 Grain prices hit a record.\n\nTraders were surprised.",
            ),
        ]);
        let answers = e.ask_with("grain prices record traders", 5, 0.0);
        let quotes: Vec<&str> = answers.iter().map(|a| a.quote.as_str()).collect();
        assert_eq!(quotes.len(), 2, "{quotes:?}");
        assert!(
            answers.iter().all(|a| a.path == "copy.txt"),
            "the newer copy: {answers:?}"
        );
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
