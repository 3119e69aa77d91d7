//! Why an answer won: the question's words and what they matched, then the candidates with
//! their first-stage score, features and model score.
//!
//! ```text
//! cargo run --release --example explain -- corpus "What did Mishustin say about grain?"
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};

use quotebot::search::rerank::{self, FEATURE_NAMES};
use quotebot::{Engine, SearchConfig};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context("usage: explain CORPUS QUESTION")?);
    let question: String = args.collect::<Vec<_>>().join(" ");
    let (engine, _) = Engine::load(&dir, SearchConfig::default())?;
    let index = engine.index();
    let model = &engine.config().model;
    let words = index.analyze_question(&question, engine.config());
    for w in &words {
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
    let hits = index.search(&words, model.depth, model);
    let info = rerank::QuestionInfo::new(&question, &words);
    let best = hits.first().map_or(0.0, |h| h.score);
    let mut rows: Vec<(f32, String, Vec<String>)> = hits
        .iter()
        .map(|h| {
            let f = rerank::features(&index, &info, &words, h, best);
            let shown = FEATURE_NAMES
                .iter()
                .zip(&f)
                .filter(|(_, v)| **v != 0.0)
                .map(|(n, v)| format!("{n}={v:.2}"))
                .collect();
            (
                model.rank_score(&f),
                index.sentence_text(h.sentence).to_string(),
                shown,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, text, shown) in rows.iter().take(10) {
        println!("\n{score:+.3} {text}\n       {}", shown.join(" "));
    }
    Ok(())
}
