//! Answer quality on a small fixture of our own (`tests/data/quality/`): news articles in
//! both header forms and in Markdown, questions with the quote that answers them (some with
//! typos), and questions the articles do not cover. The licensed benchmark data is not in the
//! repository; this guards the basics on a plain clone.

use std::path::Path;

use quotebot::search::Model;
use quotebot::{Engine, SearchConfig};

struct Case {
    question: String,
    want: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/quality/questions.tsv"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (q, a) = l.split_once('\t').expect("question<TAB>answer");
            Case {
                question: q.to_string(),
                want: (!a.is_empty()).then(|| a.to_string()),
            }
        })
        .collect()
}

#[test]
fn the_fixture_questions_are_answered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/quality");
    let (engine, problems) = Engine::load(&dir, SearchConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let cases = cases();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let got = engine.ask(&c.question).into_iter().next().map(|a| a.quote);
        if got != c.want {
            failures.push(format!(
                "{:?}\n   want {:?}\n    got {:?}",
                c.question, c.want, got
            ));
        }
    }
    // Every covered question has its quote first and every other question gets "not found",
    // with room for one miss so that a model refit is not a test failure by itself.
    assert!(
        failures.len() <= 1,
        "{} of {} fixture questions answered wrongly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_answer_quotes_its_article_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/quality");
    let (engine, _) = Engine::load(&dir, SearchConfig::default()).unwrap();
    for c in cases() {
        for a in engine.ask_with(&c.question, 5, 0.0) {
            let file = std::fs::read_to_string(&a.path).unwrap();
            let quote_words: Vec<&str> = a.quote.split_whitespace().collect();
            let file_words: Vec<&str> = file.split_whitespace().collect();
            let markdown = a.path.ends_with(".md");
            let found = file_words
                .windows(quote_words.len())
                .any(|w| w == quote_words.as_slice());
            assert!(found || markdown, "{:?} is not in {}", a.quote, a.path);
            assert!(a.score > 0.0 && a.score <= 1.0 + 1e-6, "{a:?}");
        }
    }
}

/// The model is fitted (`examples/fit.rs`) on the candidates `Dataset::judged` gathers and
/// judges; what the engine serves must be exactly those, ranked by the model, and score the
/// same. On questions of our own, with date words, typos, duplicate sentences and more
/// sentences than the depth, in both settings. (On a fixture this small the first stage and
/// the model often agree, so a fitting that ranked by the first stage could pass here: the CI
/// guard runs the same checks on every benchmark dev question, where it fails.)
#[test]
fn fit_and_serve_rank_the_same_candidates() {
    use quotebot_eval::{self as eval, Dataset, Doc, Question, Setting};
    let doc = |id: &str, title: &str, sentences: &[&str]| Doc {
        id: id.into(),
        title: title.into(),
        sentences: sentences
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{id}-{i}"), (*s).to_string()))
            .collect(),
    };
    let question = |id: &str, text: &str, doc: &str, gold: &str| Question {
        id: id.into(),
        text: text.into(),
        asked: text.into(),
        doc: doc.into(),
        gold: vec![gold.into()],
    };
    // More sentences than the candidates scored again (30), so that depth matters.
    let filler: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "Ship number {i} carried {} tonnes of grain and barley to the port.",
                100 + 7 * i
            )
        })
        .collect();
    let filler: Vec<&str> = filler.iter().map(String::as_str).collect();
    let mut data = Dataset {
        kind: "ours".into(),
        docs: vec![
            doc("D3", "Shipping log", &filler),
            doc(
                "D1",
                "Grain corridor",
                &[
                    "The grain corridor opened in 2023 after long talks.",
                    "Ships carried wheat and barley through the corridor.",
                    "Ships carried wheat and barley through the corridor.",
                    "Last year the port handled a record harvest.",
                ],
            ),
            doc(
                "D2",
                "Railway",
                &[
                    "The Rasht-Astara railway will link Iran and Azerbaijan.",
                    "Construction of the railway is expected to take four years.",
                    "Russia lends most of the money for the railway.",
                ],
            ),
        ],
        questions: vec![
            question("Q1", "When did the grain corridor open?", "D1", "D1-0"),
            question("Q2", "What did ships carry last year?", "D1", "D1-1"),
            question(
                "Q3",
                "How long will the railway take to build?",
                "D2",
                "D2-1",
            ),
            question("Q4", "Who lends the money for the railway?", "D2", "D2-2"),
            question(
                "Q5",
                "Which ship carried 191 tonnes of grain?",
                "D3",
                "D3-13",
            ),
        ],
    };
    // The gold answers above are sentence ids; the protocol judges by text.
    let text_of: std::collections::HashMap<String, String> = data
        .docs
        .iter()
        .flat_map(|d| d.sentences.iter().cloned())
        .collect();
    for q in &mut data.questions {
        q.gold = q.gold.iter().map(|id| text_of[id].clone()).collect();
    }
    for typos in [0.0, 0.5] {
        data.add_typos(typos);
        for setting in [Setting::Open, Setting::PerDoc] {
            let config = SearchConfig::default();
            let model = Model::default();
            let rankings = data.rankings(setting, &config, &model, 10);
            assert!(rankings.iter().all(|r| !r.is_empty()), "{rankings:?}");
            let differences = data.fit_serve_differences(setting, &config, &model, 10);
            assert!(differences.is_empty(), "{setting:?}: {differences:#?}");
            // The fitting's own judging and scoring agree with the protocol's on what is served.
            let served = eval::score(&data.questions, &rankings);
            let fitted = eval::score_judged(&data.judged(setting, &config, &model, 10), &model);
            assert_eq!(served, fitted, "{setting:?}");
            assert!(served.p1 > 0.0, "{served:?}");
        }
    }
}
