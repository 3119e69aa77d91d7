//! Writes a synthetic corpus (see `quotebot_eval::synth`) to a folder, with its questions, for
//! measuring `quotebot` itself: start-up, answers, memory.
//!
//! ```text
//! cargo run --release --example gen_corpus -- 1000000 target/bench-corpus/1m
//! /usr/bin/time -v target/release/quotebot ask --corpus target/bench-corpus/1m/corpus \
//!     < target/bench-corpus/1m/questions.txt
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let sentences: usize = args
        .next()
        .context("usage: gen_corpus SENTENCES DIR")?
        .parse()?;
    let dir = PathBuf::from(args.next().context("usage: gen_corpus SENTENCES DIR")?);
    let corpus = quotebot_eval::synth::generate(sentences, 100, 42);
    corpus.write(&dir.join("corpus"))?;
    let mut questions = String::new();
    let mut typos = String::new();
    let mut answers = String::new();
    for q in &corpus.questions {
        let _ = writeln!(questions, "{}", q.text);
        let _ = writeln!(typos, "{}", q.with_typos);
        let _ = writeln!(answers, "{}", q.answer);
    }
    std::fs::write(dir.join("questions.txt"), questions)?;
    std::fs::write(dir.join("questions-typos.txt"), typos)?;
    std::fs::write(dir.join("answers.txt"), answers)?;
    println!(
        "{}: {} articles, {} sentences, {:.1} MB of text, {} questions",
        dir.display(),
        corpus.files.len(),
        corpus.sentences,
        corpus.text_bytes() as f64 / 1e6,
        corpus.questions.len()
    );
    Ok(())
}
