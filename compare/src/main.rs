//! quotebot beside tantivy, on the same synthetic corpus and the same questions, in the same
//! run: building the index, and answering with fuzzy matching on (questions with and without
//! typos), with the median and 99th percentile of each and whether the needle came first.
//!
//! tantivy is set up as a careful user would: BM25 over sentences with English stemming, and
//! each question word also as a distance-1 fuzzy term (a swap counting one) at boost 0.5, as
//! in `../shared/bench/reference_eval.py`. It is given quotebot's sentence segmentation.
//!
//! ```text
//! cd compare && cargo run --release -- 1000000
//! ```

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, IndexWriter, TantivyDocument, Term, doc};

use quotebot::synth;
use quotebot::{Article, Engine, SearchConfig};

/// Questions are asked this many times each, for stable percentiles.
const ROUNDS: usize = 20;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Figures {
    p50: f64,
    p99: f64,
    found: usize,
}

fn time_questions(questions: &[(String, String)], mut ask: impl FnMut(&str) -> Option<String>) -> Figures {
    let mut times = Vec::new();
    let mut found = 0;
    for round in 0..ROUNDS {
        for (q, answer) in questions {
            let t = Instant::now();
            let got = ask(q);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            if round == 0 && got.as_deref() == Some(answer.as_str()) {
                found += 1;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    Figures {
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        found,
    }
}

fn main() -> Result<()> {
    let sentences: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |s| s.parse())
        .context("usage: quotebot-compare [SENTENCES]")?;
    let corpus = synth::generate(sentences, 100, 42);
    println!(
        "corpus: {} articles, {} sentences, {:.1} MB of text, {} questions",
        corpus.files.len(),
        corpus.sentences,
        corpus.text_bytes() as f64 / 1e6,
        corpus.questions.len()
    );

    // quotebot: parse, split and index.
    let start = Instant::now();
    let articles: Vec<Article> = corpus
        .files
        .iter()
        .map(|(name, text)| Article::parse(Path::new(name), text.as_bytes()).map(|(a, _)| a))
        .collect::<Result<_, _>>()?;
    let engine = Engine::new(quotebot::Index::build(articles), SearchConfig::default());
    let quotebot_build = start.elapsed().as_secs_f64();

    // tantivy: the same sentences, one document each.
    let mut schema = Schema::builder();
    let body = schema.add_text_field(
        "body",
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("en_stem")
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
            .set_stored(),
    );
    let _ = STORED;
    let index = Index::create_in_ram(schema.build());
    let start = Instant::now();
    {
        let mut writer: IndexWriter = index.writer_with_num_threads(2, 400_000_000)?;
        for article in engine.index().articles() {
            for i in 0..article.sentences.len() {
                writer.add_document(doc!(body => quotebot::answer::quote_text(article.sentence(i))))?;
            }
        }
        writer.commit()?;
    }
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let tantivy_build = start.elapsed().as_secs_f64();
    let mut analyzer = index.tokenizer_for_field(body)?;

    let mut tantivy_ask = |q: &str| -> Option<String> {
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        for w in &words {
            let mut stream = analyzer.token_stream(w);
            while let Some(token) = stream.next() {
                subs.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(body, &token.text),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
            if w.chars().count() >= 4 {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(body, w), 1, true);
                subs.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), 0.5))));
            }
        }
        let hits = searcher
            .search(&BooleanQuery::new(subs), &TopDocs::with_limit(10))
            .ok()?;
        let (_, address) = hits.first()?;
        let doc: TantivyDocument = searcher.doc(*address).ok()?;
        doc.get_first(body).and_then(|v| v.as_str()).map(String::from)
    };

    println!("\n| figure | quotebot | tantivy | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| build the index (from text in memory) | {quotebot_build:.2} s | {tantivy_build:.2} s | {:.2} |",
        quotebot_build / tantivy_build
    );
    for (name, typos) in [("answer", false), ("answer, typos in the question", true)] {
        let questions: Vec<(String, String)> = corpus
            .questions
            .iter()
            .map(|q| (if typos { q.with_typos.clone() } else { q.text.clone() }, q.answer.clone()))
            .collect();
        let ours = time_questions(&questions, |q| engine.ask(q).into_iter().next().map(|a| a.quote));
        let theirs = time_questions(&questions, &mut tantivy_ask);
        println!(
            "| {name}: p50 | {:.3} ms | {:.3} ms | {:.3} |",
            ours.p50,
            theirs.p50,
            ours.p50 / theirs.p50
        );
        println!(
            "| {name}: p99 | {:.3} ms | {:.3} ms | {:.3} |",
            ours.p99,
            theirs.p99,
            ours.p99 / theirs.p99
        );
        println!(
            "| {name}: needle first | {} of {} | {} of {} | |",
            ours.found,
            questions.len(),
            theirs.found,
            questions.len()
        );
    }
    Ok(())
}
