//! Why an answer won: the question's words and what they matched, then the candidates in the
//! order answers are given, with their model score, first-stage score and features.
//!
//! ```text
//! cargo run --release --example explain -- corpus "What did Mishustin say about grain?"
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};

use quotebot::date::Date;
use quotebot::search::rerank::FEATURE_NAMES;
use quotebot::{Engine, SearchConfig};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context("usage: explain CORPUS QUESTION")?);
    let question: String = args.collect::<Vec<_>>().join(" ");
    let (engine, _) = Engine::load(&dir, SearchConfig::default())?;
    let model = engine.model();
    // The path answers take: date words left out, the same depth, the same features.
    let depth = engine.depth_for(engine.config().top);
    let candidates = engine.candidates(&question, Date::today(), depth);
    for w in &candidates.words {
        println!(
            "word {:?}: idf {:.3}, focus {}, {} alternatives {:?}",
            w.text,
            w.idf,
            w.focus,
            w.alternatives.len(),
            w.alternatives
                .iter()
                .map(|a| (a.term, a.weight, a.fuzzy))
                .collect::<Vec<_>>()
        );
    }
    // In the order answers are given (each quote once), with the first stage's score.
    for r in candidates.ranked(model).iter().take(10) {
        let c = &candidates.list[r.candidate];
        let shown: Vec<String> = FEATURE_NAMES
            .iter()
            .zip(&c.features)
            .filter(|(_, v)| **v != 0.0)
            .map(|(n, v)| format!("{n}={v:.2}"))
            .collect();
        println!(
            "\n{:+.3} (first stage {:.3}) {}\n       {}",
            r.rank,
            c.hit.score,
            c.quote,
            shown.join(" ")
        );
    }
    Ok(())
}
