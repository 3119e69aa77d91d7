//! quotebot's measuring tools, a crate of their own so that the bot's library holds only the
//! bot: the evaluation protocol and synthetic corpora ([`synth`]), the evaluation tool
//! (`examples/eval.rs`), the model's fitting (`examples/fit.rs`) and the benchmarks.
//!
//! The evaluation protocol of `../shared/bench/README.md`, as a library, so that the
//! evaluation tool and the fitting judge answers exactly as the reference implementation
//! (`reference_eval.py`) does.
//!
//! 1. Each document becomes an article: its sentences shuffled with Python's
//!    `random.Random(99)` (document order), separated by blank lines, under
//!    `title: <title>` and `date: 2016-01-01`.
//! 2. Open setting: all articles form one corpus. Per-document setting: each question only
//!    against its own article.
//! 3. A quote is right when it is a gold sentence, or covers at least 80% of a gold
//!    sentence's words and is at most 1.5 × its length + 3 words.
//! 4. P@1 and MRR@10; the typo variant gives each word of 4+ letters that is not a stop word,
//!    with probability p, one random edit after its first letter (`random.Random(1234)`).
//!
//! The benchmark data is licensed for evaluation only: it is read from `../shared/bench` at
//! run time and never copied into the repository.

pub mod pyrandom;
pub mod synth;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quotebot::SearchConfig;
use quotebot::corpus::Article;
use quotebot::date::Date;
use quotebot::engine::{Candidates, Engine};
use quotebot::search::{Index, Model};

pub use pyrandom::PyRandom;

/// A document of a dataset (a WikiQA document, or a TrecQA question's candidates).
#[derive(Clone, Debug)]
pub struct Doc {
    /// `D8`, `T1_5`.
    pub id: String,
    /// The title written into the article's header.
    pub title: String,
    /// `(sentence id, text)` in file order, until [`Dataset::shuffle`].
    pub sentences: Vec<(String, String)>,
}

/// A question with at least one right sentence.
#[derive(Clone, Debug)]
pub struct Question {
    /// The dataset's question id.
    pub id: String,
    /// The question as written.
    pub text: String,
    /// The question as asked: with typos after [`Dataset::add_typos`], else `text`.
    pub asked: String,
    /// Its document.
    pub doc: String,
    /// The right sentences.
    pub gold: Vec<String>,
}

/// A dataset: documents and the questions that have an answer among them.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `wikiqa` or `trecqa`.
    pub kind: String,
    /// Documents in the order they first appear.
    pub docs: Vec<Doc>,
    /// Questions in the order they first appear.
    pub questions: Vec<Question>,
}

/// Where a question is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Against every document at once (the bot's case).
    Open,
    /// Only against the question's own document.
    PerDoc,
}

fn read_rows(path: &Path) -> io::Result<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.split('\n');
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .map(String::from)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    Ok((header, rows))
}

#[derive(Default)]
struct Builder {
    docs: Vec<Doc>,
    doc_index: HashMap<String, usize>,
    questions: Vec<Question>,
    question_index: HashMap<String, usize>,
}

impl Builder {
    fn doc(&mut self, id: &str, title: &str) -> &mut Doc {
        let i = *self.doc_index.entry(id.to_string()).or_insert_with(|| {
            self.docs.push(Doc {
                id: id.to_string(),
                title: title.to_string(),
                sentences: Vec::new(),
            });
            self.docs.len() - 1
        });
        &mut self.docs[i]
    }

    fn question(&mut self, id: &str, text: &str, doc: &str) -> &mut Question {
        let i = *self
            .question_index
            .entry(id.to_string())
            .or_insert_with(|| {
                self.questions.push(Question {
                    id: id.to_string(),
                    text: text.to_string(),
                    asked: text.to_string(),
                    doc: doc.to_string(),
                    gold: Vec::new(),
                });
                self.questions.len() - 1
            });
        &mut self.questions[i]
    }

    fn finish(self, kind: &str) -> Dataset {
        Dataset {
            kind: kind.to_string(),
            docs: self.docs,
            questions: self
                .questions
                .into_iter()
                .filter(|q| !q.gold.is_empty())
                .collect(),
        }
    }
}

/// Reads a WikiQA split (`QuestionID Question DocumentID DocumentTitle SentenceID Sentence
/// Label`).
pub fn load_wikiqa(path: &Path) -> io::Result<Dataset> {
    let (header, rows) = read_rows(path)?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| io::Error::other(format!("{}: no {name} column", path.display())))
    };
    let (qid, qtext, did, title, sid, sent, label) = (
        col("QuestionID")?,
        col("Question")?,
        col("DocumentID")?,
        col("DocumentTitle")?,
        col("SentenceID")?,
        col("Sentence")?,
        col("Label")?,
    );
    let mut b = Builder::default();
    for r in rows.iter().filter(|r| r.len() >= header.len()) {
        let d = b.doc(&r[did], &r[title]);
        if !d.sentences.iter().any(|(id, _)| *id == r[sid]) {
            d.sentences.push((r[sid].clone(), r[sent].clone()));
        }
        let q = b.question(&r[qid], &r[qtext], &r[did]);
        if r[label] == "1" {
            q.gold.push(r[sent].clone());
        }
    }
    Ok(b.finish("wikiqa"))
}

/// Reads a TrecQA split (`QuestionID Question Label Sentence`); each question's candidates
/// form one document.
pub fn load_trecqa(path: &Path) -> io::Result<Dataset> {
    let (_, rows) = read_rows(path)?;
    let mut b = Builder::default();
    for r in rows.iter().filter(|r| r.len() >= 4) {
        let did = format!("T{}", r[0].replace('.', "_"));
        let d = b.doc(&did, &format!("TREC {}", r[0]));
        let sid = format!("{did}-{}", d.sentences.len());
        d.sentences.push((sid, r[3].clone()));
        let q = b.question(&r[0], &r[1], &did);
        if r[2] == "1" {
            q.gold.push(r[3].clone());
        }
    }
    Ok(b.finish("trecqa"))
}

/// Reads `kind` (`wikiqa` or `trecqa`) from `path`.
pub fn load(kind: &str, path: &Path) -> io::Result<Dataset> {
    match kind {
        "wikiqa" => load_wikiqa(path),
        "trecqa" => load_trecqa(path),
        _ => Err(io::Error::other(format!(
            "unknown dataset kind {kind:?} (wikiqa or trecqa)"
        ))),
    }
}

impl Dataset {
    /// Shuffles each document's sentences as the protocol does (seed 99, document order).
    pub fn shuffle(&mut self) {
        let mut rng = PyRandom::new(99);
        for d in &mut self.docs {
            if !d.sentences.iter().any(|(id, _)| id.contains("-P")) {
                rng.shuffle(&mut d.sentences);
            }
        }
    }

    /// Puts typos into the asked questions (seed 1234, question order); `p = 0` asks them as
    /// written.
    pub fn add_typos(&mut self, p: f64) {
        let mut rng = PyRandom::new(1234);
        for q in &mut self.questions {
            q.asked = if p > 0.0 {
                add_typos(&q.text, &mut rng, p)
            } else {
                q.text.clone()
            };
        }
    }

    /// The articles of the given documents, as `all/<id>.txt` files would read.
    #[must_use]
    pub fn articles<'a>(&self, docs: impl IntoIterator<Item = &'a Doc>) -> Vec<Article> {
        docs.into_iter()
            .map(|d| {
                let (name, text) = article_file(d);
                Article::parse(&PathBuf::from("all").join(name), text.as_bytes())
                    .map(|(a, _)| a)
                    .expect("benchmark documents have text and a valid date")
            })
            .collect()
    }

    /// An engine per place a question is asked in `setting`: one over every document, or
    /// one per document.
    #[must_use]
    pub fn engines(&self, setting: Setting, config: &SearchConfig, model: &Model) -> Engines {
        let build = |docs: &[Doc]| {
            Engine::with_model(
                Index::build(self.articles(docs)),
                config.clone(),
                model.clone(),
            )
        };
        match setting {
            Setting::Open => Engines {
                open: Some(build(&self.docs)),
                per_doc: HashMap::new(),
            },
            Setting::PerDoc => Engines {
                open: None,
                per_doc: self
                    .docs
                    .iter()
                    .map(|d| (d.id.clone(), build(std::slice::from_ref(d))))
                    .collect(),
            },
        }
    }

    /// The ranked quotes (at most `k`) for every question, in question order: what the
    /// engine answers (as on [`today`]).
    #[must_use]
    pub fn rankings(
        &self,
        setting: Setting,
        config: &SearchConfig,
        model: &Model,
        k: usize,
    ) -> Vec<Vec<String>> {
        let engines = self.engines(setting, config, model);
        self.questions
            .iter()
            .map(|q| {
                engines
                    .of(q)
                    .ask_on(&q.asked, k, 0.0, today())
                    .into_iter()
                    .map(|a| a.quote)
                    .collect()
            })
            .collect()
    }

    /// Every question's candidates, as the engine gathers them when asked for `k` answers
    /// (as on [`today`]), in question order.
    #[must_use]
    pub fn candidates(
        &self,
        setting: Setting,
        config: &SearchConfig,
        model: &Model,
        k: usize,
    ) -> Vec<Candidates> {
        let engines = self.engines(setting, config, model);
        self.questions
            .iter()
            .map(|q| {
                let engine = engines.of(q);
                engine.candidates(&q.asked, today(), engine.depth_for(k))
            })
            .collect()
    }
}

impl Dataset {
    /// The questions whose answers, as the engine gives them ([`Dataset::rankings`]), are
    /// not the fitting's view of them: its candidates ([`Dataset::candidates`]) ranked by
    /// the same model. One line per question that differs; none when fit and serve agree.
    #[must_use]
    pub fn fit_serve_differences(
        &self,
        setting: Setting,
        config: &SearchConfig,
        model: &Model,
        k: usize,
    ) -> Vec<String> {
        let served = self.rankings(setting, config, model, k);
        let fitted = self.candidates(setting, config, model, k);
        self.questions
            .iter()
            .zip(served.iter().zip(&fitted))
            .filter_map(|(q, (served, candidates))| {
                let fitted: Vec<&str> = candidates
                    .ranked(model)
                    .iter()
                    .take(k)
                    .map(|r| candidates.list[r.candidate].quote.as_str())
                    .collect();
                (fitted != *served).then(|| {
                    format!(
                        "{} {:?}: served {served:?}, fitted {fitted:?}",
                        q.id, q.asked
                    )
                })
            })
            .collect()
    }
}

/// A question's candidates as the model is fitted on them: each judged right or wrong by the
/// protocol ([`correct`] on its quote).
#[derive(Clone, Debug)]
pub struct Judged {
    /// The candidates, as [`Engine::candidates`] gathers them.
    pub candidates: Arc<Candidates>,
    /// Whether each candidate (in [`Candidates::list`] order) is right.
    pub right: Vec<bool>,
}

impl Judged {
    /// Judges `candidates` for `q`; `foreign` questions are asked of a corpus that cannot
    /// answer them, so nothing is right.
    #[must_use]
    pub fn new(candidates: Candidates, q: &Question, foreign: bool) -> Judged {
        Judged {
            right: candidates
                .list
                .iter()
                .map(|c| !foreign && correct(&c.quote, q))
                .collect(),
            candidates: Arc::new(candidates),
        }
    }

    /// The rank (0 = first) of the first right answer among the first ten that `model`
    /// gives, ranking as the engine does ([`Candidates::ranked`]).
    #[must_use]
    pub fn first_right(&self, model: &Model) -> Option<usize> {
        self.candidates
            .ranked(model)
            .iter()
            .take(10)
            .position(|r| self.right[r.candidate])
    }
}

impl Dataset {
    /// Every question's candidates, judged ([`Judged`]), as the engine gathers them when
    /// asked for `k` answers: what the model is fitted on.
    #[must_use]
    pub fn judged(
        &self,
        setting: Setting,
        config: &SearchConfig,
        model: &Model,
        k: usize,
    ) -> Vec<Judged> {
        self.candidates(setting, config, model, k)
            .into_iter()
            .zip(&self.questions)
            .map(|(c, q)| Judged::new(c, q, false))
            .collect()
    }
}

/// P@1 and MRR@10 of `model` on judged candidates: the fitting's view of a dataset's score,
/// which must equal [`score`] of what the engine serves.
#[must_use]
pub fn score_judged(judged: &[Judged], model: &Model) -> Score {
    Score::of_ranks(judged.len(), judged.iter().map(|j| j.first_right(model)))
}

/// The day every evaluation question is asked on, so that figures never depend on when they
/// are measured ("last year" in a question means 2025).
#[must_use]
pub fn today() -> Date {
    Date::new(2026, 1, 1).expect("a valid date")
}

/// The engines a dataset's questions are asked of ([`Dataset::engines`]).
#[derive(Debug)]
pub struct Engines {
    open: Option<Engine>,
    per_doc: HashMap<String, Engine>,
}

impl Engines {
    /// The engine `q` is asked of.
    ///
    /// # Panics
    /// When `q`'s document is not in the dataset the engines were made from.
    #[must_use]
    pub fn of(&self, q: &Question) -> &Engine {
        self.open
            .as_ref()
            .or_else(|| self.per_doc.get(&q.doc))
            .expect("every question has its document")
    }
}

/// The file name and contents of a document's article.
#[must_use]
pub fn article_file(d: &Doc) -> (String, String) {
    let body: Vec<&str> = d.sentences.iter().map(|(_, s)| s.as_str()).collect();
    (
        format!("{}.txt", d.id),
        format!(
            "title: {}\ndate: 2016-01-01\n\n{}\n",
            d.title,
            body.join("\n\n")
        ),
    )
}

/// The reference's stop words for typos (words in it get none).
const TYPO_STOP: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "is",
    "are", "was", "were", "be", "been", "being", "do", "does", "did", "what", "which", "who",
    "whom", "whose", "when", "where", "why", "how", "that", "this", "these", "those", "it", "its",
    "as", "into", "than", "then", "there", "their", "they", "he", "she", "his", "her", "him", "we",
    "you", "your", "i", "me", "my", "our", "us", "not", "no",
];

/// Python's `\w`, near enough: letters, digits and `_`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One random edit in some words of `q`, exactly as the reference's `add_typos` makes it.
pub fn add_typos(q: &str, rng: &mut PyRandom, p: f64) -> String {
    const ALPHABET: [char; 26] = [
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
        's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
    ];
    let mut out = Vec::new();
    for word in q.split(' ') {
        let mut w: Vec<char> = word.chars().collect();
        let core: Vec<char> = w.iter().copied().filter(|&c| is_word(c)).collect();
        let core_lower: String = core.iter().collect::<String>().to_lowercase();
        if core.len() >= 4 && !TYPO_STOP.contains(&core_lower.as_str()) && rng.random() < p {
            let i = if w.len() > 2 {
                rng.randrange(1, w.len() - 1)
            } else {
                1
            };
            let op = rng.choice(&['d', 'i', 's', 't']);
            let c = if word.is_ascii() {
                rng.choice(&ALPHABET)
            } else {
                rng.choice(&core)
            };
            match op {
                'd' => {
                    w.remove(i);
                }
                'i' => w.insert(i, c),
                's' => w[i] = c,
                _ => {
                    if i + 1 < w.len() {
                        w.swap(i, i + 1);
                    }
                }
            }
        }
        out.push(w.into_iter().collect::<String>());
    }
    out.join(" ")
}

/// Words as the judge sees them: runs of letters, digits and `_`, lowercased.
fn judge_tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `answer` is right for `q` (rule 3 of the protocol).
#[must_use]
pub fn correct(answer: &str, q: &Question) -> bool {
    let at = judge_tokens(answer);
    let a = at.join(" ");
    for g in &q.gold {
        let gt = judge_tokens(g);
        if gt.is_empty() {
            continue;
        }
        if a == gt.join(" ") {
            return true;
        }
        let gs: std::collections::HashSet<&String> = gt.iter().collect();
        let covered = gs.iter().filter(|w| at.contains(w)).count();
        let cover = covered as f64 / gs.len() as f64;
        if cover >= 0.8 && at.len() as f64 <= 1.5 * gt.len() as f64 + 3.0 {
            return true;
        }
    }
    false
}

/// P@1 and MRR@10 over some questions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Share of questions whose first quote is right.
    pub p1: f64,
    /// Mean reciprocal rank of the first right quote in the top ten.
    pub mrr: f64,
    /// How many questions.
    pub n: usize,
}

impl Score {
    /// The score of `n` questions, given the rank of each one's first right quote (`None`:
    /// none right).
    fn of_ranks(n: usize, first_right: impl IntoIterator<Item = Option<usize>>) -> Score {
        let (mut p1, mut mrr) = (0.0, 0.0);
        for rank in first_right.into_iter().flatten() {
            mrr += 1.0 / (rank + 1) as f64;
            if rank == 0 {
                p1 += 1.0;
            }
        }
        let d = n.max(1) as f64;
        Score {
            p1: p1 / d,
            mrr: mrr / d,
            n,
        }
    }
}

/// Judges rankings (one per question, in question order).
#[must_use]
pub fn score(questions: &[Question], rankings: &[Vec<String>]) -> Score {
    Score::of_ranks(
        questions.len(),
        questions
            .iter()
            .zip(rankings)
            .map(|(q, ranked)| ranked.iter().take(10).position(|a| correct(a, q))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_match_the_reference() {
        // Printed by reference_eval.add_typos with random.Random(1234).
        let mut rng = PyRandom::new(1234);
        assert_eq!(
            add_typos(
                "What did Mishustin say about the grain exports of Iran?",
                &mut rng,
                0.5
            ),
            "What did Mishustin say aout the grain exports of Iraan?"
        );
        assert_eq!(
            add_typos("Что сказал Мишустин о зерне", &mut rng, 1.0),
            "Что слазал Мишуситн о зере"
        );
    }

    fn question(gold: &str) -> Question {
        Question {
            id: "q".into(),
            text: "q".into(),
            asked: "q".into(),
            doc: "d".into(),
            gold: vec![gold.into()],
        }
    }

    #[test]
    fn judging_allows_small_splitting_differences() {
        let q = question("It lies in Africa , near the coast .");
        assert!(correct("It lies in Africa, near the coast.", &q));
        assert!(correct("It lies in Africa , near the coast", &q));
        assert!(correct(
            "Today it lies in Africa, near the coast, they say.",
            &q
        ));
        assert!(!correct("It lies in Africa.", &q));
        let long =
            "It lies in Africa near the coast and many other words follow here to make it long";
        assert!(!correct(long, &q));
    }

    #[test]
    fn scores_count_first_right_rank() {
        let qs = vec![question("A b c."), question("D e f."), question("G h i.")];
        let rankings = vec![
            vec!["A b c.".to_string()],
            vec!["x".into(), "D e f.".into()],
            vec!["x".into()],
        ];
        let s = score(&qs, &rankings);
        assert_eq!(s.n, 3);
        assert!((s.p1 - 1.0 / 3.0).abs() < 1e-9);
        assert!((s.mrr - 0.5).abs() < 1e-9);
    }
}
