//! quotebot beside tantivy, in one run on one machine, on two benchmarks:
//!
//! 1. **Real questions** (the headline): the questions of WikiQA dev and TrecQA dev (clean),
//!    asked clean and with the evaluation protocol's typos, of a corpus made of their real
//!    articles plus **synthetic distractor** articles whose words are drawn from the real
//!    sentences' word distribution (see `realistic.rs`), so question words are as common as
//!    in real text. Answers are judged with `quotebot_eval::correct`.
//! 2. **Synthetic needles**: `quotebot_eval::synth`'s made-up corpus, whose questions only use
//!    rare made-up words; an answer is right when it is the needle sentence.
//!
//! For each: index build time, milliseconds per question (p50 and p99 over several rounds,
//! clean and with typos) and P@1, for quotebot (in-process, `Engine::ask_with(q, 1, 0.0)`)
//! and for tantivy set up carefully and naively (see `peer.rs`), both given quotebot's
//! sentence segmentation. The benchmark data is read from `../shared/bench` at run time.
//!
//! ```text
//! cd compare && cargo run --release -- 1M
//! cd compare && cargo run --release -- 10M --only real --rounds 3
//! ```
//!
//! `--write-corpus target/bench-1M` also writes the real-question corpus and its questions out
//! (only under a `target/` folder: the benchmark data is for evaluation only), for measuring
//! the `quotebot` command itself.

mod peer;
mod realistic;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use quotebot::{Article, Engine, SearchConfig};
use quotebot_eval as eval;
use quotebot_eval::synth;

use crate::peer::{Peer, Setup};

const USAGE: &str = "usage: quotebot-compare [SENTENCES, e.g. 100k, 1M, 10M] [--bench DIR] \
[--rounds N] [--only real|needles] [--no-tantivy] [--threads N] [--write-corpus DIR]";

/// The command line.
struct Options {
    sentences: usize,
    bench: PathBuf,
    rounds: usize,
    real: bool,
    needles: bool,
    tantivy: bool,
    threads: usize,
    write_corpus: Option<PathBuf>,
}

fn count(s: &str) -> Result<usize> {
    let lower = s.to_lowercase();
    let (digits, scale) = match lower.as_bytes().last() {
        Some(b'k') => (&lower[..lower.len() - 1], 1_000),
        Some(b'm') => (&lower[..lower.len() - 1], 1_000_000),
        _ => (lower.as_str(), 1),
    };
    let n: f64 = digits
        .parse()
        .with_context(|| format!("{s:?} is not a count\n{USAGE}"))?;
    Ok((n * scale as f64).round() as usize)
}

impl Options {
    fn parse() -> Result<Options> {
        let mut o = Options {
            sentences: 1_000_000,
            // The checkout's sibling `shared/bench`, wherever the command runs.
            bench: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench"),
            rounds: 20,
            real: true,
            needles: true,
            tantivy: true,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            write_corpus: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{a} needs a value\n{USAGE}"))
            };
            match a.as_str() {
                "--bench" => o.bench = value()?.into(),
                "--rounds" => o.rounds = count(&value()?)?.max(1),
                "--threads" => o.threads = count(&value()?)?.max(1),
                "--write-corpus" => o.write_corpus = Some(value()?.into()),
                "--no-tantivy" => o.tantivy = false,
                "--only" => match value()?.as_str() {
                    "real" => o.needles = false,
                    "needles" => o.real = false,
                    other => bail!("--only {other}: real or needles\n{USAGE}"),
                },
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                _ if !a.starts_with('-') => o.sentences = count(&a)?,
                _ => bail!("unknown option {a}\n{USAGE}"),
            }
        }
        Ok(o)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    (!v.is_empty()).then(|| v[v.len() / 2])
}

/// One system's figures on one question set.
#[derive(Clone, Copy, Default)]
struct Figures {
    p50: f64,
    p99: f64,
    /// The median over questions of each question's fastest round: a second view of what a
    /// question costs, nearer to its cost when nothing else on the machine interferes (these
    /// machines are shared, and the plain p50 of one binary moves between runs).
    best_p50: f64,
    right: usize,
    asked: usize,
}

impl Figures {
    fn p1(&self) -> f64 {
        self.right as f64 / self.asked.max(1) as f64
    }
}

/// A system under test: its name and how it answers (the best quote, if any).
type Ask<'a> = (&'a str, Box<dyn FnMut(&str) -> Option<String> + 'a>);

/// Judges every system's first answers (which also warms them up), then times `rounds`
/// rounds of all questions. Within a round the systems take turns, starting with a
/// different one each round, so that other load on the machine falls on all of them alike.
fn measure(
    systems: &mut [Ask<'_>],
    questions: &[String],
    right: &dyn Fn(usize, &str) -> bool,
    rounds: usize,
) -> Vec<Figures> {
    let mut figures = vec![Figures::default(); systems.len()];
    let mut times = vec![Vec::with_capacity(questions.len() * rounds); systems.len()];
    for ((_, ask), f) in systems.iter_mut().zip(&mut figures) {
        f.asked = questions.len();
        f.right = questions
            .iter()
            .enumerate()
            .filter(|(i, q)| ask(q).is_some_and(|a| right(*i, &a)))
            .count();
    }
    for round in 0..rounds {
        for k in 0..systems.len() {
            let s = (round + k) % systems.len();
            let ask = &mut systems[s].1;
            for q in questions {
                let t = Instant::now();
                std::hint::black_box(ask(q));
                times[s].push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    for (t, f) in times.iter_mut().zip(&mut figures) {
        let mut best: Vec<f64> = (0..questions.len())
            .map(|q| {
                t.iter()
                    .skip(q)
                    .step_by(questions.len().max(1))
                    .copied()
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        best.sort_by(f64::total_cmp);
        f.best_p50 = percentile(&best, 0.5);
        t.sort_by(f64::total_cmp);
        f.p50 = percentile(t, 0.5);
        f.p99 = percentile(t, 0.99);
    }
    figures
}

/// Parses the articles on all cores (quotebot's loader does the same), keeping their order.
fn parse(files: Vec<(PathBuf, String)>, threads: usize) -> Result<Vec<Article>> {
    let chunk = files.len().div_ceil(threads.max(1)).max(1);
    let mut chunks: Vec<Vec<(PathBuf, String)>> = Vec::new();
    let mut files = files.into_iter().peekable();
    while files.peek().is_some() {
        chunks.push(files.by_ref().take(chunk).collect());
    }
    let parsed: Vec<Result<Vec<Article>>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                s.spawn(move || {
                    c.into_iter()
                        .map(|(name, text)| {
                            Article::parse_owned(&name, text.into_bytes())
                                .map(|(a, _)| a)
                                .with_context(|| format!("parsing {}", name.display()))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("parsing does not panic"))
            .collect()
    });
    let mut articles = Vec::new();
    for p in parsed {
        articles.extend(p?);
    }
    Ok(articles)
}

/// Whether the answer to question `i` is right.
type Judge = Box<dyn Fn(usize, &str) -> bool>;

/// A benchmark: a corpus and its questions, clean and with typos.
struct Section {
    title: String,
    description: Vec<String>,
    files: Vec<(PathBuf, String)>,
    clean: Vec<String>,
    typos: Vec<String>,
    /// Whether the answer to question `i` is right (the same for its typo variant).
    right: Judge,
}

fn fmt_ms(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.3} ms")
    } else {
        format!("{x:.1} ms")
    }
}

fn run(section: Section, o: &Options) -> Result<()> {
    println!("\n## {}\n", section.title);
    for line in &section.description {
        println!("{line}");
    }
    let Section {
        files,
        clean,
        typos,
        right,
        ..
    } = section;
    let text_bytes: usize = files.iter().map(|(_, t)| t.len()).sum();

    // quotebot: parse, split and index the text in memory.
    let start = Instant::now();
    let articles = parse(files, o.threads)?;
    let engine = Engine::new(quotebot::Index::build(articles), SearchConfig::default());
    let quotebot_build = start.elapsed().as_secs_f64();
    let index = engine.index();
    println!(
        "corpus: {} articles, {} sentences (as quotebot splits them), {:.1} MB of text; {} questions",
        index.articles().len(),
        index.sentence_count(),
        text_bytes as f64 / 1e6,
        clean.len()
    );

    // Postings per question word: how much of the corpus a question touches.
    let quotebot_postings: Vec<u64> = clean
        .iter()
        .flat_map(|q| index.analyze_question(q, engine.config()))
        .filter_map(|w| {
            w.alternatives
                .iter()
                .find(|a| !a.fuzzy)
                .map(|a| u64::from(index.df(a.term)))
        })
        .collect();

    // tantivy: the same sentences, one document each.
    let peer = if o.tantivy {
        let start = Instant::now();
        let sentences = index.articles().iter().flat_map(|a| {
            (0..a.sentences.len()).map(move |i| quotebot::answer::quote_text(a.sentence(i)))
        });
        let peer = Peer::build(sentences, o.threads)?;
        Some((peer, start.elapsed().as_secs_f64()))
    } else {
        None
    };
    drop(index);

    let median_text = |v: Vec<u64>| median(v).map_or("-".to_string(), |m| m.to_string());
    let quotebot_words = quotebot_postings.len();
    print!(
        "median postings per question word (clean questions, words found in the corpus): \
         quotebot {} (its analysis, {quotebot_words} words)",
        median_text(quotebot_postings)
    );
    let peer = peer.map(|(mut p, t)| {
        let terms: Vec<String> = clean.iter().flat_map(|q| p.careful_terms(q)).collect();
        let dfs: Vec<u64> = terms
            .iter()
            .map(|t| p.doc_freq(t))
            .filter(|&df| df > 0)
            .collect();
        print!(
            "; tantivy {} (careful query terms, {} words)",
            median_text(dfs.clone()),
            dfs.len()
        );
        println!(
            "\ntantivy index: {} segment(s) after merging, built with {} thread(s)",
            p.segments, o.threads
        );
        (RefCell::new(p), t)
    });
    if peer.is_none() {
        println!();
    }

    let mut names = vec!["quotebot".to_string()];
    let mut builds = vec![quotebot_build];
    let mut systems: Vec<Ask<'_>> = vec![(
        "quotebot",
        Box::new(|q: &str| {
            engine
                .ask_with(q, 1, 0.0)
                .into_iter()
                .next()
                .map(|a| a.quote)
        }),
    )];
    if let Some((p, t)) = &peer {
        let tantivy = tantivy::version_string()
            .split(',')
            .next()
            .unwrap_or("tantivy");
        names.push(format!("{tantivy}, careful"));
        names.push(format!(
            "{tantivy}, naive (every word a term, 4+ letters also fuzzy)"
        ));
        builds.extend([*t, *t]);
        systems.push((
            "careful",
            Box::new(move |q: &str| p.borrow_mut().ask(Setup::Careful, q)),
        ));
        systems.push((
            "naive",
            Box::new(move |q: &str| p.borrow_mut().ask(Setup::Naive, q)),
        ));
    }
    let clean_figures = measure(&mut systems, &clean, &*right, o.rounds);
    let typo_figures = measure(&mut systems, &typos, &*right, o.rounds);
    drop(systems);

    println!(
        "\n| system | index build | clean p50 | clean p99 | clean P@1 | typos p50 | typos p99 | typos P@1 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, name) in names.iter().enumerate() {
        let (c, t) = (clean_figures[i], typo_figures[i]);
        let build = if i == 2 {
            "(same index)".to_string()
        } else {
            format!("{:.2} s", builds[i])
        };
        println!(
            "| {name} | {build} | {} | {} | {:.3} | {} | {} | {:.3} |",
            fmt_ms(c.p50),
            fmt_ms(c.p99),
            c.p1(),
            fmt_ms(t.p50),
            fmt_ms(t.p99),
            t.p1()
        );
    }
    if names.len() > 1 {
        let (qc, qt, cc, ct) = (
            clean_figures[0],
            typo_figures[0],
            clean_figures[1],
            typo_figures[1],
        );
        println!(
            "| ratio quotebot / careful tantivy | {:.2} | {:.2} | {:.2} | {:+.3} | {:.2} | {:.2} | {:+.3} |",
            builds[0] / builds[1],
            qc.p50 / cc.p50,
            qc.p99 / cc.p99,
            qc.p1() - cc.p1(),
            qt.p50 / ct.p50,
            qt.p99 / ct.p99,
            qt.p1() - ct.p1()
        );
    }
    println!("\np50 of each question's fastest round, clean / typos:");
    for (i, name) in names.iter().enumerate() {
        println!(
            "- {name}: {} / {}",
            fmt_ms(clean_figures[i].best_p50),
            fmt_ms(typo_figures[i].best_p50)
        );
    }
    print!(
        "\n({} rounds of every question; index build: quotebot parses, splits and indexes the text in memory",
        o.rounds
    );
    if names.len() > 1 {
        print!(
            ", tantivy indexes the already split sentences in RAM and merges its segments into one; \
             the ratio row's P@1 cells are differences"
        );
    }
    println!(")");
    Ok(())
}

fn real_section(o: &Options) -> Result<Section> {
    let bench = realistic::build(&o.bench, o.sentences, 42)
        .with_context(|| format!("building the benchmark corpus from {}", o.bench.display()))?;
    if let Some(dir) = &o.write_corpus {
        bench.write(dir)?;
        println!("wrote the corpus and questions to {}", dir.display());
    }
    let splits: Vec<String> = bench
        .per_split
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let files: Vec<String> = bench
        .vocabulary_files
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let description = vec![
        format!(
            "Real questions ({}) about {} real articles ({} sentences: WikiQA dev, TrecQA dev clean), \
             among {} **synthetic** distractor articles ({} sentences) whose words are drawn from the \
             word distribution of the bench's train and dev sentences ({} distinct words, {} tokens; {}) \
             and whose sentence lengths are those of real sentences; typos: the protocol's, p = {}.",
            splits.join(" + "),
            bench.real_articles,
            bench.real_sentences,
            bench.synthetic_articles,
            bench.synthetic_sentences,
            bench.vocabulary_words,
            bench.vocabulary_tokens,
            files.join(", "),
            realistic::TYPO_RATE
        ),
        "P@1: the top quote is right by the protocol's rule (`quotebot_eval::correct`)."
            .to_string(),
    ];
    let clean: Vec<String> = bench.clean.iter().map(|q| q.asked.clone()).collect();
    let typos: Vec<String> = bench.typos.iter().map(|q| q.asked.clone()).collect();
    let judged = bench.clean;
    Ok(Section {
        title: format!(
            "Real questions, {} sentences (real articles + synthetic distractors)",
            o.sentences
        ),
        description,
        files: bench.files,
        clean,
        typos,
        right: Box::new(move |i, answer| eval::correct(answer, &judged[i])),
    })
}

fn needles_section(o: &Options) -> Section {
    let corpus = synth::generate(o.sentences, 100, 42);
    let clean = corpus.questions.iter().map(|q| q.text.clone()).collect();
    let typos = corpus
        .questions
        .iter()
        .map(|q| q.with_typos.clone())
        .collect();
    let answers: Vec<String> = corpus.questions.iter().map(|q| q.answer.clone()).collect();
    Section {
        title: format!("Synthetic needles, {} sentences (made-up words, rare-word questions)", o.sentences),
        description: vec![
            "`quotebot_eval::synth`: a made-up Zipf vocabulary; each question asks about rare made-up words \
             of one needle sentence. P@1: the needle is the top quote."
                .to_string(),
        ],
        files: corpus
            .files
            .into_iter()
            .map(|(name, text)| (PathBuf::from(name), text))
            .collect(),
        clean,
        typos,
        right: Box::new(move |i, answer| answer == answers[i]),
    }
}

fn main() -> Result<()> {
    let o = Options::parse()?;
    if o.real && !o.bench.join("README.md").exists() {
        bail!(
            "no benchmark data in {} (give --bench DIR)",
            o.bench.display()
        );
    }
    println!(
        "# quotebot beside {} — {} sentences, release build, {} thread(s)",
        tantivy::version_string(),
        o.sentences,
        o.threads
    );
    if o.real {
        run(real_section(&o)?, &o)?;
    }
    if o.needles {
        run(needles_section(&o), &o)?;
    }
    Ok(())
}
