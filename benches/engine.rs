//! Loading and answering on the shipped corpus: the cost a user pays at start-up and per
//! question. Each benchmark also checks the answer it times.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use quotebot::{Engine, SearchConfig};

const GRAIN: &str =
    "Once the grain export is concluded, Iran can become a grain hub in the region, he added.";

fn corpus_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))
}

fn seed(c: &mut Criterion) {
    let mut group = c.benchmark_group("seed corpus");
    group.bench_function("load and index", |b| {
        b.iter(|| {
            let (engine, problems) = Engine::load(corpus_dir(), SearchConfig::default()).unwrap();
            assert!(problems.is_empty());
            assert_eq!(engine.index().sentence_count(), 8);
            black_box(engine)
        })
    });
    let (engine, _) = Engine::load(corpus_dir(), SearchConfig::default()).unwrap();
    for (name, question) in [
        ("answer", "What did Mishustin say about grain?"),
        (
            "answer with typos",
            "wat did mishustn say abot grian export",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let answers = engine.ask(black_box(question));
                assert_eq!(answers[0].quote, GRAIN);
                answers
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seed);
criterion_main!(benches);
