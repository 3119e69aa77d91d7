//! Indexing and answering at scale, on synthetic corpora of 10k, 100k and 1M sentences (see
//! `quotebot_eval::synth`): building the index, and answering with fuzzy matching on, questions with
//! and without typos. Every answer timed is checked: the needle sentence must come first.
//!
//! `cargo bench --bench scale` (the 1M size needs about 1 GB of memory and a few minutes);
//! `QUOTEBOT_BENCH_SIZES=10000,100000 cargo bench --bench scale` for fewer sizes.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use quotebot::{Article, Engine, Index, SearchConfig};
use quotebot_eval::synth::{self, Question};

fn sizes() -> Vec<usize> {
    std::env::var("QUOTEBOT_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}

fn label(n: usize) -> String {
    if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1_000)
    }
}

fn articles(corpus: &synth::Corpus) -> Vec<Article> {
    corpus
        .files
        .iter()
        .map(|(name, text)| Article::parse(Path::new(name), text.as_bytes()).unwrap().0)
        .collect()
}

fn scale(c: &mut Criterion) {
    for n in sizes() {
        let corpus = synth::generate(n, 100, 42);
        let parsed = articles(&corpus);
        let mut group = c.benchmark_group(format!("scale {}", label(n)));
        group.sample_size(10);
        group.bench_function("build the index", |b| {
            b.iter_batched(
                || parsed.clone(),
                |a| {
                    let index = Index::build(a);
                    assert_eq!(index.articles().len(), corpus.files.len());
                    index
                },
                BatchSize::PerIteration,
            )
        });
        let engine = Engine::new(Index::build(parsed), SearchConfig::default());
        group.sample_size(100);
        let pick = |q: &Question, typos: bool| {
            if typos {
                q.with_typos.clone()
            } else {
                q.text.clone()
            }
        };
        for (name, typos) in [("answer", false), ("answer with typos", true)] {
            let mut i = 0;
            group.bench_function(name, |b| {
                b.iter(|| {
                    let q = &corpus.questions[i % corpus.questions.len()];
                    i += 1;
                    let answers = engine.ask(black_box(&pick(q, typos)));
                    assert_eq!(
                        answers.first().map(|a| a.quote.as_str()),
                        Some(q.answer.as_str()),
                        "{q:?}"
                    );
                    answers
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, scale);
criterion_main!(benches);
