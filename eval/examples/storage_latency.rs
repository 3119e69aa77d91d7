//! What recording costs an answer, and how large the database grows. The bot's work for one
//! question — [`Engine::ask_with`], the reply rendered, and with storage the record queued
//! ([`quotebot::telegram::ops::record`], exactly what the bot calls) — timed over 1,000
//! questions with and without storage, interleaved; medians printed. Then 100,000 questions
//! recorded within seconds (one day), half answered (500 different questions) and half not
//! found (10,000 different), and the file's size; and the worst case, 100,000 different
//! questions that all found nothing.
//!
//! ```text
//! cargo run --release --example storage_latency            # a generated corpus: 20,000 sentences asked of `synth::generate`, 25,014 made
//! ```

use std::time::Instant;

use anyhow::Result;

use quotebot::answer::replies;
use quotebot::answer::rich::Format;
use quotebot::config::StorageConfig;
use quotebot::storage::Storage;
use quotebot::telegram::ops;
use quotebot::{Engine, SearchConfig};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn size(storage: &Storage) -> Result<u64> {
    // Everything queued written, then the write-ahead log folded into the file (outside the
    // writer's transactions: the checkpoint needs none to be open).
    storage.close();
    let path = storage.path();
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(conn);
    let wal = path.with_extension("sqlite-wal");
    Ok(std::fs::metadata(path)?.len() + std::fs::metadata(wal).map_or(0, |m| m.len()))
}

fn main() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let synth = quotebot_eval::synth::generate(20_000, 1_000, 7);
    let dir = tmp.path().join("corpus");
    synth.write(&dir)?;
    let (engine, _) = Engine::load(&dir, SearchConfig::default())?;
    let min_score = engine.config().min_score;
    println!(
        "corpus: {} sentences; questions: 500 that the articles answer, 500 made of words they lack",
        engine.index().sentence_count()
    );
    let mut questions: Vec<String> = synth
        .questions
        .iter()
        .take(500)
        .map(|q| q.text.clone())
        .collect();
    questions.extend((0..500).map(|i| format!("what about qzx{i} and vrrt{i} today")));
    let storage = Storage::open(&StorageConfig {
        path: tmp.path().join("data/latency.sqlite"),
        keep_days: 90,
    })?;

    let answer = |q: &str, store: bool| {
        let start = Instant::now();
        let answers = engine.ask_with(q, 1, min_score);
        let text = replies::answer(&answers).render(Format::Html);
        if store {
            ops::record(&storage, "private", q, &answers);
        }
        std::hint::black_box(text);
        start.elapsed().as_secs_f64() * 1e6
    };
    // Warm up both paths.
    for q in questions.iter().take(50) {
        answer(q, true);
        answer(q, false);
    }
    // Back to back (the writer busy all the while: the worst case), then paced at 500
    // questions a second (16 times what Telegram lets a bot send).
    for pause in [None, Some(std::time::Duration::from_millis(2))] {
        let (mut with, mut without) = (Vec::new(), Vec::new());
        let mut found = 0;
        for (i, q) in questions.iter().enumerate() {
            // Interleaved, the order alternating, so that drift and caches favour neither.
            if i % 2 == 0 {
                with.push(answer(q, true));
                if let Some(p) = pause {
                    std::thread::sleep(p);
                }
                without.push(answer(q, false));
            } else {
                without.push(answer(q, false));
                if let Some(p) = pause {
                    std::thread::sleep(p);
                }
                with.push(answer(q, true));
            }
            if let Some(p) = pause {
                std::thread::sleep(p);
            }
            found += usize::from(!engine.ask_with(q, 1, min_score).is_empty());
        }
        println!(
            "answer latency over {} questions ({found} answered), {}: median {:.1} µs with storage, {:.1} µs without; p90 {:.1} / {:.1} µs",
            questions.len(),
            if pause.is_some() {
                "paced at 500 a second"
            } else {
                "back to back"
            },
            median(&mut with),
            median(&mut without),
            percentile(&mut with, 0.9),
            percentile(&mut without, 0.9),
        );
    }
    drop(storage);

    for (name, distinct) in [
        ("half answered, half not found (10,000 different)", false),
        ("all not found, all different", true),
    ] {
        let storage = Storage::open(&StorageConfig {
            path: tmp.path().join(format!("data/size-{distinct}.sqlite")),
            keep_days: 90,
        })?;
        let start = Instant::now();
        for i in 0..100_000usize {
            let q = if distinct {
                format!("what did minister number {i} say about the harvest")
            } else {
                questions[i % 500].clone()
            };
            let answers = if !distinct && i % 2 == 0 {
                engine.ask_with(&q, 1, 0.0)
            } else {
                Vec::new()
            };
            let q = if !distinct && answers.is_empty() {
                format!(
                    "what did minister number {} say about the harvest",
                    i % 10_000
                )
            } else {
                q
            };
            ops::record(&storage, "private", &q, &answers);
        }
        let bytes = size(&storage)?;
        println!(
            "100,000 recorded questions, {name}: {:.1} MB ({:.0} bytes a question), recorded in {:.1} s",
            bytes as f64 / 1e6,
            bytes as f64 / 100_000.0,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
