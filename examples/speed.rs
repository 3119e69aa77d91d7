//! Start-up and answer times of the engine on a corpus folder written by `gen_corpus`:
//! loading and indexing, then every question (clean and with typos) timed one by one, with the
//! median, the 99th percentile, and how many found their needle.
//!
//! ```text
//! cargo run --release --example gen_corpus -- 1000000 target/bench-corpus/1m
//! cargo run --release --example speed -- target/bench-corpus/1m
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use quotebot::{Engine, SearchConfig};

const ROUNDS: usize = 50;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).context("usage: speed DIR")?);
    let read = |name: &str| -> Result<Vec<String>> {
        Ok(std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("reading {name}"))?
            .lines()
            .map(String::from)
            .collect())
    };
    let (questions, typos, answers) = (
        read("questions.txt")?,
        read("questions-typos.txt")?,
        read("answers.txt")?,
    );
    let start = Instant::now();
    let (engine, problems) = Engine::load(&dir.join("corpus"), SearchConfig::default())?;
    let load = start.elapsed().as_secs_f64();
    anyhow::ensure!(problems.is_empty(), "{} problems", problems.len());
    println!(
        "loaded {} articles, {} sentences in {load:.3} s",
        engine.index().articles().len(),
        engine.index().sentence_count()
    );
    // A reload that changes a few files: 10 removed, 10 added.
    let index = engine.index();
    let removed: std::collections::HashSet<_> = index
        .articles()
        .iter()
        .step_by(index.articles().len() / 10 + 1)
        .map(|a| a.path.clone())
        .collect();
    let added: Vec<quotebot::Article> = (0..10)
        .map(|i| {
            let text = format!(
                "date 2030-01-0{} Fresh news number {i} about volcanoes and zebras.",
                i % 9 + 1
            );
            quotebot::Article::parse(
                std::path::Path::new(&format!("new/{i}.txt")),
                text.as_bytes(),
            )
            .expect("a valid article")
            .0
        })
        .collect();
    let t = Instant::now();
    let rebuilt = index.rebuild(&removed, added);
    println!(
        "rebuilt with {} articles removed and 10 added in {:.3} s ({} sentences)",
        removed.len(),
        t.elapsed().as_secs_f64(),
        rebuilt.sentence_count()
    );
    drop(rebuilt);
    drop(index);
    for (name, qs) in [("clean", &questions), ("typos", &typos)] {
        let mut times = Vec::new();
        let mut found = 0;
        for _round in 0..ROUNDS {
            for (q, a) in qs.iter().zip(&answers) {
                let t = Instant::now();
                let got = engine.ask(q);
                times.push(t.elapsed().as_secs_f64() * 1e3);
                found += usize::from(got.first().is_some_and(|g| g.quote == *a));
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; needle first for {} of {}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
            found / ROUNDS,
            qs.len()
        );
    }
    Ok(())
}
