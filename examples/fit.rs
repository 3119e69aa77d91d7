//! Fits the scoring model (`src/search/weights.rs`) on the benchmark's train splits:
//! WikiQA train and TrecQA train, read from `../shared/bench` (never copied into the
//! repository), in both settings (open and per-document), with and without typos.
//!
//! The first stage's parameters (BM25 `k1` and `b`, the weights of article and title
//! evidence) are chosen by a small grid search; for each point, the second stage's feature
//! weights are fitted by pairwise logistic regression (each right sentence against each
//! wrong one among a question's candidates, every question weighing the same), and the point
//! with the best mean reciprocal rank on train wins. Dev is only reported, never fitted on.
//!
//! ```text
//! cargo run --release --example fit              # fit and report, train and dev
//! cargo run --release --example fit -- --write   # … and write src/search/weights.rs
//! cargo run --release --example fit -- --quick   # the current first stage only
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

use quotebot::eval::{self, Dataset, Setting};
use quotebot::search::rerank::{self, FEATURE_NAMES, Model, NF};
use quotebot::{Engine, Index, SearchConfig};

#[derive(Parser)]
struct Args {
    /// The benchmark folder
    #[arg(long, default_value = "../shared/bench")]
    bench: PathBuf,
    /// Write the fitted model to src/search/weights.rs
    #[arg(long)]
    write: bool,
    /// Keep the current first-stage parameters (no grid search)
    #[arg(long)]
    quick: bool,
}

/// One question's candidates: features and whether each is right.
struct List {
    features: Vec<[f32; NF]>,
    right: Vec<bool>,
}

/// Everything fitted on or reported for one dataset split.
struct Split {
    name: &'static str,
    data: Dataset,
    typos: f64,
    setting: Setting,
}

fn splits(bench: &std::path::Path, files: &[(&'static str, &str, &str)]) -> Result<Vec<Split>> {
    let mut out = Vec::new();
    for &(name, kind, file) in files {
        let path = bench.join(file);
        let mut data = eval::load(kind, &path).with_context(|| format!("reading {}", path.display()))?;
        data.shuffle();
        for setting in [Setting::Open, Setting::PerDoc] {
            for typos in [0.0, 0.5] {
                let mut d = data.clone();
                d.add_typos(typos);
                out.push(Split {
                    name,
                    data: d,
                    typos,
                    setting,
                });
            }
        }
    }
    Ok(out)
}

/// The candidate lists of every question of a split, under `model`'s first stage.
fn lists(split: &Split, model: &Model) -> Vec<List> {
    let config = SearchConfig {
        model: model.clone(),
        ..SearchConfig::default()
    };
    let data = &split.data;
    let engines: Vec<(Option<&str>, Engine)> = match split.setting {
        Setting::Open => vec![(
            None,
            Engine::new(Index::build(data.articles(&data.docs)), config.clone()),
        )],
        Setting::PerDoc => data
            .docs
            .iter()
            .map(|d| {
                (
                    Some(d.id.as_str()),
                    Engine::new(Index::build(data.articles([d])), config.clone()),
                )
            })
            .collect(),
    };
    data.questions
        .iter()
        .map(|q| {
            let engine = &engines
                .iter()
                .find(|(id, _)| id.is_none_or(|id| id == q.doc))
                .expect("every question has its document")
                .1;
            let index = engine.index();
            let words = index.analyze_question(&q.asked, &config);
            let hits = index.search(&words, model.depth, model);
            let info = rerank::QuestionInfo::new(&q.asked, &words);
            let best = hits.first().map_or(0.0, |h| h.score);
            let mut list = List {
                features: Vec::new(),
                right: Vec::new(),
            };
            let mut seen = std::collections::HashSet::new();
            for h in &hits {
                let quote = quotebot::answer::quote_text(index.sentence_text(h.sentence));
                if !seen.insert(quote.clone()) {
                    continue;
                }
                list.features
                    .push(rerank::features(index, &info, &words, h, best));
                list.right.push(eval::correct(&quote, q));
            }
            list
        })
        .collect()
}

/// P@1 and MRR@10 of `weights` on candidate lists (a question whose right sentence is not
/// among its candidates counts as a miss).
fn evaluate(lists: &[List], weights: &[f32; NF]) -> (f64, f64) {
    let (mut p1, mut mrr) = (0.0, 0.0);
    for l in lists {
        let mut order: Vec<usize> = (0..l.features.len()).collect();
        let scores: Vec<f32> = l.features.iter().map(|f| rerank::combine(weights, f)).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        if let Some(rank) = order.iter().take(10).position(|&i| l.right[i]) {
            mrr += 1.0 / (rank + 1) as f64;
            p1 += f64::from(u8::from(rank == 0));
        }
    }
    let n = lists.len().max(1) as f64;
    (p1 / n, mrr / n)
}

/// Pairwise logistic regression with L2, by Adam; each question weighs the same.
fn fit(lists: &[List], start: &[f32; NF]) -> [f32; NF] {
    let mut w = start.map(f64::from);
    let (mut m, mut v) = ([0.0f64; NF], [0.0f64; NF]);
    let (lr, beta1, beta2, l2) = (0.02, 0.9, 0.999, 1e-3);
    let usable: Vec<&List> = lists
        .iter()
        .filter(|l| l.right.iter().any(|&r| r) && l.right.iter().any(|&r| !r))
        .collect();
    for step in 1..=400 {
        let mut grad = [0.0f64; NF];
        for l in &usable {
            let scores: Vec<f64> = l
                .features
                .iter()
                .map(|f| f.iter().zip(&w).map(|(x, w)| f64::from(*x) * w).sum())
                .collect();
            let pos: Vec<usize> = (0..l.right.len()).filter(|&i| l.right[i]).collect();
            let neg: Vec<usize> = (0..l.right.len()).filter(|&i| !l.right[i]).collect();
            let pairs = (pos.len() * neg.len()) as f64;
            for &p in &pos {
                for &n in &neg {
                    // d/dw log(1 + exp(-(s_p - s_n))) = -sigmoid(-(s_p - s_n)) (x_p - x_n)
                    let g = -1.0 / (1.0 + (scores[p] - scores[n]).exp()) / pairs;
                    for k in 0..NF {
                        grad[k] += g * f64::from(l.features[p][k] - l.features[n][k]);
                    }
                }
            }
        }
        let count = usable.len().max(1) as f64;
        for k in 0..NF {
            let g = grad[k] / count + l2 * w[k];
            m[k] = beta1 * m[k] + (1.0 - beta1) * g;
            v[k] = beta2 * v[k] + (1.0 - beta2) * g * g;
            let mh = m[k] / (1.0 - beta1.powi(step));
            let vh = v[k] / (1.0 - beta2.powi(step));
            w[k] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
    // Scale so that the three "how much of the question is here" features weigh 1 together:
    // scores then stay near 1 for a sentence holding the whole question.
    let anchor = w[0] + w[3] + w[4];
    let scale = if anchor > 0.05 { 1.0 / anchor } else { 1.0 };
    w.map(|x| (x * scale) as f32)
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn main() -> Result<()> {
    let args = Args::parse();
    let train = splits(
        &args.bench,
        &[
            ("WikiQA train", "wikiqa", "wikiqa/WikiQA-train.tsv"),
            ("TrecQA train", "trecqa", "trecqa/trecqa-train-raw.tsv"),
        ],
    )?;
    let dev = splits(
        &args.bench,
        &[
            ("WikiQA dev", "wikiqa", "wikiqa/WikiQA-dev.tsv"),
            ("TrecQA dev clean", "trecqa", "trecqa/trecqa-dev-clean.tsv"),
        ],
    )?;
    let current = Model::default();
    let grid: Vec<Model> = if args.quick {
        vec![current.clone()]
    } else {
        let mut g = Vec::new();
        for k1 in [0.6, 1.0, 1.4] {
            for b in [0.3, 0.6, 0.9] {
                for article in [0.0, 0.3, 0.6] {
                    for title in [0.0, 0.3, 0.6] {
                        g.push(Model {
                            k1,
                            b,
                            article,
                            title,
                            ..current.clone()
                        });
                    }
                }
            }
        }
        g
    };
    let mut best: Option<(f64, Model)> = None;
    for model in &grid {
        let train_lists: Vec<Vec<List>> = train.iter().map(|s| lists(s, model)).collect();
        let all: Vec<&List> = train_lists.iter().flatten().collect();
        let owned: Vec<List> = all
            .iter()
            .map(|l| List {
                features: l.features.clone(),
                right: l.right.clone(),
            })
            .collect();
        let weights = fit(&owned, &model.weights);
        let mrr = mean(train_lists.iter().map(|l| evaluate(l, &weights).1));
        eprintln!(
            "k1={} b={} article={} title={}: train MRR {mrr:.4}",
            model.k1, model.b, model.article, model.title
        );
        if best.as_ref().is_none_or(|(m, _)| mrr > *m) {
            best = Some((
                mrr,
                Model {
                    weights,
                    ..model.clone()
                },
            ));
        }
    }
    let (train_mrr, model) = best.expect("the grid is not empty");
    println!(
        "chosen: k1={} b={} article={} title={} depth={} (train MRR {train_mrr:.4})",
        model.k1, model.b, model.article, model.title, model.depth
    );
    for (name, w) in FEATURE_NAMES.iter().zip(&model.weights) {
        println!("  {name:>18} {w:+.4}");
    }
    println!("\n| split | setting | typos | P@1 before | P@1 after | MRR before | MRR after |");
    println!("|---|---|---|---|---|---|---|");
    for s in train.iter().chain(&dev) {
        let before = evaluate(&lists(s, &current), &current.weights);
        let after = evaluate(&lists(s, &model), &model.weights);
        println!(
            "| {} | {:?} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            s.name, s.setting, s.typos, before.0, after.0, before.1, after.1
        );
    }
    if args.write {
        write_weights(&model)?;
        println!("\nwrote src/search/weights.rs");
    }
    Ok(())
}

fn write_weights(model: &Model) -> Result<()> {
    let mut out = String::from(
        "//! The fitted scoring parameters. Written by `cargo run --release --example fit -- --write`\n\
         //! (which reads the benchmark's train splits from `../shared/bench`); the feature order is\n\
         //! [`super::rerank::FEATURE_NAMES`].\n\n",
    );
    let _ = writeln!(out, "/// BM25 saturation of repeated words.\npub const K1: f32 = {:?};", model.k1);
    let _ = writeln!(out, "/// BM25 length normalization.\npub const B: f32 = {:?};", model.b);
    let _ = writeln!(
        out,
        "/// Weight of the article's text containing the question's words (first stage).\npub const ARTICLE: f32 = {:?};",
        model.article
    );
    let _ = writeln!(
        out,
        "/// Weight of the article's title containing the question's words (first stage).\npub const TITLE: f32 = {:?};",
        model.title
    );
    let _ = writeln!(out, "/// First-stage candidates scored again.\npub const DEPTH: usize = {};", model.depth);
    let _ = writeln!(out, "/// Feature weights.\npub const WEIGHTS: [f32; super::rerank::NF] = [");
    for (name, w) in FEATURE_NAMES.iter().zip(&model.weights) {
        let _ = writeln!(out, "    {w:?}, // {name}");
    }
    out.push_str("];\n");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/search/weights.rs");
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))
}
