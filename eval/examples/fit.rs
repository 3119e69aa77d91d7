//! Fits the scoring model (`src/search/model.toml`) on the benchmark's train splits:
//! WikiQA train and TrecQA train, read from `../shared/bench` (never copied into the
//! repository), in both settings (open and per-document), with and without typos.
//!
//! On the first stage's candidates (its parameters are those in `model.toml`), the second
//! stage is fitted in two steps: feature weights by pairwise logistic regression (each right
//! sentence against each wrong one among a question's candidates), then gradient-boosted
//! oblivious trees on top (LambdaRank gradients). The settings (how much TrecQA's 83
//! questions weigh against WikiQA's 873, L2, trees) default to those the cross-dataset table
//! favoured; `--search` chooses them by 3-fold cross-validation on train instead. Dev is only
//! reported, never fitted on; `--cross` fits on one dataset's train and judges on the other's
//! dev, `--ablate` leaves each feature out in turn.
//!
//! ```text
//! cargo run --release -p quotebot-eval --example fit                       # fit with the default settings, report
//! cargo run --release -p quotebot-eval --example fit -- --search --write   # choose settings, fit, write model.toml
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

use quotebot::search::fitted;
use quotebot::search::model::{Model, TREE_DEPTH, Tree};
use quotebot::search::rerank::{FEATURE_NAMES, NF};
use quotebot::{Engine, Index, SearchConfig};
use quotebot_eval::{self as eval, Dataset, Judged, Setting};

#[derive(Parser)]
struct Args {
    /// The benchmark folder
    #[arg(long, default_value = "../shared/bench")]
    bench: PathBuf,
    /// Write the fitted model to src/search/model.toml
    #[arg(long)]
    write: bool,
    /// Print the cross-dataset table: fit on one dataset's train, evaluate on the other's dev
    #[arg(long)]
    cross: bool,
    /// Print the ablation table: each feature left out, on the cross-dataset rows
    #[arg(long)]
    ablate: bool,
    /// The word-family weight of the first stage (default: the configuration's)
    #[arg(long)]
    family_weight: Option<f32>,
    /// Features to leave out of the model, by name (comma-separated)
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Choose the fitting's settings by 3-fold cross-validation on train
    #[arg(long)]
    search: bool,
    /// Only print the cross-validated train MRR of the given settings
    #[arg(long)]
    cv: bool,
    /// Boosted trees to add to the linear model
    #[arg(long, default_value_t = 100)]
    trees: usize,
    /// Learning rate of the trees
    #[arg(long, default_value_t = 0.05)]
    eta: f64,
    /// Split balance of the linear fit (1: every split weighs the same; 0: every question)
    #[arg(long, default_value_t = 1.0)]
    balance: f64,
    /// L2 regularization of the linear fit (on standardized features)
    #[arg(long, default_value_t = 0.001)]
    l2: f64,
    /// Average this many models, each fitted without one part of the questions
    #[arg(long, default_value_t = 1)]
    bags: usize,
    /// Split balance of the trees
    #[arg(long, default_value_t = 0.0)]
    tree_balance: f64,
}

/// One question's candidates, judged ([`eval::Judged`]: as the engine gathers them, which the
/// CI guard checks against what it serves), with their features laid out for fitting.
#[derive(Clone)]
struct List {
    features: Vec<[f32; NF]>,
    right: Vec<bool>,
    judged: Judged,
}

impl List {
    fn new(judged: Judged) -> List {
        List {
            features: judged.candidates.list.iter().map(|c| c.features).collect(),
            right: judged.right.clone(),
            judged,
        }
    }
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
        let mut data =
            eval::load(kind, &path).with_context(|| format!("reading {}", path.display()))?;
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

/// The top answer of every question, for choosing the default threshold: each dataset's
/// questions against its own corpus (open setting, with and without typos), and against the
/// other dataset's corpus (which cannot answer them).
fn threshold_points(datasets: &[&Dataset], base: &SearchConfig, model: &Model) -> Vec<Point> {
    let mut points = Vec::new();
    for corpus in datasets {
        let engine = Engine::with_model(
            Index::build(corpus.articles(&corpus.docs)),
            base.clone(),
            model.clone(),
        );
        for asker in datasets {
            let foreign = !std::ptr::eq(*corpus, *asker);
            for typos in [0.0, 0.5] {
                let mut asked = (*asker).clone();
                asked.add_typos(typos);
                for q in &asked.questions {
                    let depth = engine.depth_for(1);
                    let l = Judged::new(
                        engine.candidates(&q.asked, eval::today(), depth),
                        q,
                        foreign,
                    );
                    if let Some(top) = l.candidates.ranked(model).first() {
                        points.push(Point {
                            coverage: f64::from(top.coverage),
                            right: l.right[top.candidate],
                            foreign,
                        });
                    }
                }
            }
        }
    }
    points
}

/// A top answer: its score (coverage), whether it is right, and whether its question was
/// asked of a corpus that cannot answer it.
struct Point {
    coverage: f64,
    right: bool,
    foreign: bool,
}

/// The candidate lists of every question of a split, under `model`'s first stage and the
/// other settings of `base`, as the engine gathers them for the evaluation's ten answers.
fn lists(split: &Split, base: &SearchConfig, model: &Model) -> Vec<List> {
    split
        .data
        .judged(split.setting, base, model, 10)
        .into_iter()
        .map(List::new)
        .collect()
}

/// P@1 and MRR@10 of `model` on candidate lists ([`eval::score_judged`]: ranking as the
/// engine does; a question whose right sentence is not among its candidates is a miss).
fn evaluate(lists: &[List], model: &Model) -> (f64, f64) {
    let judged: Vec<Judged> = lists.iter().map(|l| l.judged.clone()).collect();
    let s = eval::score_judged(&judged, model);
    (s.p1, s.mrr)
}

/// Gradient-boosted oblivious trees on top of `model`'s linear part, with LambdaRank
/// gradients (NDCG swaps); each list weighs as given.
fn boost(lists: &[(&List, f64)], model: &Model, h: Hyper) -> Vec<Tree> {
    let (rounds, eta, skip) = (h.trees, h.eta, h.skip);
    const BINS: usize = 32;
    const LAMBDA: f64 = 1.0;
    let lists: Vec<(&List, f64)> = lists
        .iter()
        .copied()
        .filter(|(l, _)| l.right.contains(&true) && l.right.contains(&false))
        .collect();
    let mean_weight = lists.iter().map(|l| l.1).sum::<f64>() / lists.len().max(1) as f64;
    let feats: Vec<&[f32; NF]> = lists.iter().flat_map(|(l, _)| &l.features).collect();
    let n = feats.len();
    // Candidate thresholds per feature: quantiles of its values.
    let thresholds: Vec<Vec<f32>> = (0..NF)
        .map(|k| {
            let mut v: Vec<f32> = feats.iter().map(|f| f[k]).collect();
            v.sort_by(f32::total_cmp);
            let mut t: Vec<f32> = (1..BINS).map(|b| v[(b * (n - 1)) / BINS]).collect();
            t.dedup();
            t
        })
        .collect();
    // bin[k][i] = how many thresholds of feature k sample i is above.
    let bins: Vec<Vec<u8>> = (0..NF)
        .map(|k| {
            feats
                .iter()
                .map(|f| thresholds[k].iter().filter(|&&t| f[k] > t).count() as u8)
                .collect()
        })
        .collect();
    let mut scores: Vec<f64> = feats
        .iter()
        .map(|f| f64::from(model.rank_score(f)))
        .collect();
    let mut trees = Vec::new();
    for _ in 0..rounds {
        // LambdaRank gradients and hessians.
        let mut g = vec![0.0f64; n];
        let mut h = vec![0.0f64; n];
        let mut base = 0;
        for (l, weight) in &lists {
            let m = l.features.len();
            let s = &scores[base..base + m];
            let mut order: Vec<usize> = (0..m).collect();
            order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
            let mut rank = vec![0usize; m];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r;
            }
            let npos = l.right.iter().filter(|&&r| r).count();
            let idcg: f64 = (0..npos).map(|k| 1.0 / ((k + 2) as f64).log2()).sum();
            let w = weight / mean_weight;
            for i in (0..m).filter(|&i| l.right[i]) {
                for j in (0..m).filter(|&j| !l.right[j]) {
                    let delta = (1.0 / ((rank[i] + 2) as f64).log2()
                        - 1.0 / ((rank[j] + 2) as f64).log2())
                    .abs()
                        / idcg;
                    let rho = 1.0 / (1.0 + (s[i] - s[j]).exp());
                    g[base + i] -= w * rho * delta;
                    g[base + j] += w * rho * delta;
                    let hh = w * rho * (1.0 - rho) * delta;
                    h[base + i] += hh;
                    h[base + j] += hh;
                }
            }
            base += m;
        }
        // One oblivious tree, level by level.
        let mut leaf_of = vec![0usize; n];
        let mut features = [0u8; TREE_DEPTH];
        let mut cuts = [0f32; TREE_DEPTH];
        for d in 0..TREE_DEPTH {
            let leaves = 1 << d;
            let mut best = (f64::NEG_INFINITY, 0usize, 0usize);
            for k in 0..NF {
                let nt = thresholds[k].len();
                if nt == 0 || skipped(skip, k) {
                    continue;
                }
                // hist[leaf][bin] = (G, H)
                let mut hist = vec![(0.0f64, 0.0f64); leaves * (nt + 1)];
                for i in 0..n {
                    let e = &mut hist[leaf_of[i] * (nt + 1) + usize::from(bins[k][i])];
                    e.0 += g[i];
                    e.1 += h[i];
                }
                for t in 0..nt {
                    let mut gain = 0.0;
                    for leaf in 0..leaves {
                        let row = &hist[leaf * (nt + 1)..(leaf + 1) * (nt + 1)];
                        let (gl, hl) = row[..=t]
                            .iter()
                            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                        let (gr, hr) = row[t + 1..]
                            .iter()
                            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                        gain += gl * gl / (hl + LAMBDA) + gr * gr / (hr + LAMBDA);
                    }
                    if gain > best.0 {
                        best = (gain, k, t);
                    }
                }
            }
            let (_, k, t) = best;
            features[d] = k as u8;
            cuts[d] = thresholds[k][t];
            for i in 0..n {
                if usize::from(bins[k][i]) > t {
                    leaf_of[i] |= 1 << d;
                }
            }
        }
        let mut sums = [(0.0f64, 0.0f64); 1 << TREE_DEPTH];
        for i in 0..n {
            sums[leaf_of[i]].0 += g[i];
            sums[leaf_of[i]].1 += h[i];
        }
        let leaves: [f32; 1 << TREE_DEPTH] =
            std::array::from_fn(|j| (-eta * sums[j].0 / (sums[j].1 + LAMBDA)) as f32);
        for i in 0..n {
            scores[i] += f64::from(leaves[leaf_of[i]]);
        }
        trees.push(Tree {
            features,
            thresholds: cuts,
            leaves,
        });
    }
    trees
}

/// Pairwise logistic regression with L2, by Adam on standardized features; each question
/// weighs `weight` of its list.
fn fit_logistic(lists: &[(&List, f64)], l2: f64, skip: u64) -> [f32; NF] {
    // Standardize, so that one learning rate and one L2 suit every feature.
    let all: Vec<&[f32; NF]> = lists.iter().flat_map(|(l, _)| &l.features).collect();
    let n = all.len().max(1) as f64;
    let mut mean = [0.0f64; NF];
    let mut std = [0.0f64; NF];
    for f in &all {
        for k in 0..NF {
            mean[k] += f64::from(f[k]) / n;
        }
    }
    for f in &all {
        for k in 0..NF {
            std[k] += (f64::from(f[k]) - mean[k]).powi(2) / n;
        }
    }
    let std = std.map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 });
    let usable: Vec<(Vec<[f64; NF]>, &List, f64)> = lists
        .iter()
        .filter(|(l, _)| l.right.iter().any(|&r| r) && l.right.iter().any(|&r| !r))
        .map(|&(l, weight)| {
            let z = l
                .features
                .iter()
                .map(|f| std::array::from_fn(|k| (f64::from(f[k]) - mean[k]) / std[k]))
                .collect();
            (z, l, weight)
        })
        .collect();
    let total_weight: f64 = usable.iter().map(|u| u.2).sum::<f64>().max(1e-9);
    let mut w = [0.0f64; NF];
    let (mut m, mut v) = ([0.0f64; NF], [0.0f64; NF]);
    let (lr, beta1, beta2) = (0.05, 0.9, 0.999);
    let signs: [f64; NF] = std::array::from_fn(|k| expected_sign(FEATURE_NAMES[k]));
    for step in 1..=800 {
        let mut grad = [0.0f64; NF];
        for (z, l, weight) in &usable {
            let scores: Vec<f64> = z
                .iter()
                .map(|f| f.iter().zip(&w).map(|(x, w)| x * w).sum())
                .collect();
            let pos: Vec<usize> = (0..l.right.len()).filter(|&i| l.right[i]).collect();
            let neg: Vec<usize> = (0..l.right.len()).filter(|&i| !l.right[i]).collect();
            let pairs = (pos.len() * neg.len()) as f64;
            for &p in &pos {
                for &q in &neg {
                    // d/dw log(1 + exp(-(s_p - s_q))) = -sigmoid(s_q - s_p) (x_p - x_q)
                    let g = -weight / (1.0 + (scores[p] - scores[q]).exp()) / pairs;
                    for k in 0..NF {
                        grad[k] += g * (z[p][k] - z[q][k]);
                    }
                }
            }
        }
        for k in 0..NF {
            let g = grad[k] / total_weight + l2 * w[k];
            m[k] = beta1 * m[k] + (1.0 - beta1) * g;
            v[k] = beta2 * v[k] + (1.0 - beta2) * g * g;
            let mh = m[k] / (1.0 - beta1.powi(step));
            let vh = v[k] / (1.0 - beta2.powi(step));
            w[k] -= lr * mh / (vh.sqrt() + 1e-8);
            // A feature whose direction is known keeps it, whatever its correlations.
            if w[k] * signs[k] < 0.0 || skipped(skip, k) {
                w[k] = 0.0;
            }
        }
    }
    std::array::from_fn(|k| (w[k] / std[k]) as f32)
}

/// The direction a feature must push in (1 up, -1 down, 0 either): more of the question in
/// the sentence, or of the kind of thing asked for, can only help, and so can a sentence that
/// defines its subject ("X is a …"); missing words only hurt. (Unconstrained, `defining`
/// fitted on TrecQA's 83 questions came out negative and cost 8 questions on WikiQA dev,
/// open and clean; 23 over its four splits.)
fn expected_sign(feature: &str) -> f64 {
    if feature == "max_missing" {
        -1.0
    } else if SIGNED.contains(&feature) {
        1.0
    } else {
        0.0
    }
}

/// The features that may only raise a score, and `max_missing`, which may only lower it.
const SIGNED: &[&str] = &[
    "bm25",
    "article",
    "title",
    "coverage",
    "count_coverage",
    "bigrams",
    "density",
    "relative",
    "when_date",
    "who_name",
    "who_by",
    "when_near_date",
    "howmany_near_number",
    "who_near_name",
    "defining",
    "max_missing",
];

/// Weights for the lists of each split: `balance` 1 makes every split weigh the same (83
/// TrecQA questions as much as 873 WikiQA ones), 0 every question; in between, between.
fn weigh(splits: &[Vec<List>], balance: f64) -> Vec<(&List, f64)> {
    splits
        .iter()
        .flat_map(|ls| {
            let w = (1.0 / ls.len().max(1) as f64).powf(balance);
            ls.iter().map(move |l| (l, w))
        })
        .collect()
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// How the model is fitted.
#[derive(Clone, Copy, Debug)]
struct Hyper {
    balance: f64,
    l2: f64,
    trees: usize,
    eta: f64,
    tree_balance: f64,
    /// Features left out of the model (bit k: feature k), for the ablation.
    skip: u64,
}

/// Whether `skip` leaves feature `k` out.
fn skipped(skip: u64, k: usize) -> bool {
    skip >> k & 1 == 1
}

/// Fits the second stage on candidate lists made with `stage1`'s first stage.
fn train_model(stage1: &Model, train_lists: &[Vec<List>], h: Hyper) -> Model {
    let mut model = Model {
        weights: fit_logistic(&weigh(train_lists, h.balance), h.l2, h.skip),
        trees: Vec::new(),
        ..stage1.clone()
    };
    if h.trees > 0 {
        model.trees = boost(&weigh(train_lists, h.tree_balance), &model, h);
    }
    model
}

/// The average of models fitted on `bags` overlapping parts of the questions (each leaves one
/// part in `bags` out), which varies less from one fit to the next than a single model.
fn train_bagged(stage1: &Model, train_lists: &[Vec<List>], h: Hyper, bags: usize) -> Model {
    if bags <= 1 {
        return train_model(stage1, train_lists, h);
    }
    let models: Vec<Model> = (0..bags)
        .map(|bag| {
            let part: Vec<Vec<List>> = train_lists
                .iter()
                .map(|ls| {
                    ls.iter()
                        .enumerate()
                        .filter(|(i, _)| i % bags != bag)
                        .map(|(_, l)| l.clone())
                        .collect()
                })
                .collect();
            train_model(stage1, &part, h)
        })
        .collect();
    let k = bags as f32;
    Model {
        weights: std::array::from_fn(|i| models.iter().map(|m| m.weights[i]).sum::<f32>() / k),
        trees: models
            .iter()
            .flat_map(|m| &m.trees)
            .map(|t| Tree {
                leaves: t.leaves.map(|v| v / k),
                ..*t
            })
            .collect(),
        ..stage1.clone()
    }
}

/// Mean MRR over the splits of held-out questions, fitting on the others (`folds`-fold
/// cross-validation; a question is in the same fold in every split).
fn cross_validate(
    stage1: &Model,
    train_lists: &[Vec<List>],
    h: Hyper,
    bags: usize,
    folds: usize,
) -> f64 {
    let part = |fold: usize, held_out: bool| -> Vec<Vec<List>> {
        train_lists
            .iter()
            .map(|ls| {
                ls.iter()
                    .enumerate()
                    .filter(|(i, _)| (i % folds == fold) == held_out)
                    .map(|(_, l)| l.clone())
                    .collect()
            })
            .collect()
    };
    mean((0..folds).map(|fold| {
        let model = train_bagged(stage1, &part(fold, false), h, bags);
        let held = part(fold, true);
        mean(held.iter().map(|l| evaluate(l, &model).1))
    }))
}

/// The splits the model is fitted on.
const TRAINING: &[(&str, &str, &str)] = &[
    ("WikiQA train", "wikiqa", "wikiqa/WikiQA-train.tsv"),
    ("TrecQA train", "trecqa", "trecqa/trecqa-train-raw.tsv"),
];

fn main() -> Result<()> {
    let args = Args::parse();
    // A name misspelled in `expected_sign` would leave its feature unconstrained.
    for name in SIGNED {
        anyhow::ensure!(
            FEATURE_NAMES.contains(name),
            "expected_sign names no feature {name:?}"
        );
    }
    let train = splits(&args.bench, TRAINING)?;
    let dev = splits(
        &args.bench,
        &[
            ("WikiQA dev", "wikiqa", "wikiqa/WikiQA-dev.tsv"),
            ("TrecQA dev clean", "trecqa", "trecqa/trecqa-dev-clean.tsv"),
        ],
    )?;
    let base = SearchConfig {
        family_weight: args
            .family_weight
            .unwrap_or(SearchConfig::default().family_weight),
        ..SearchConfig::default()
    };
    let current = Model::default();
    let stage1 = current.clone();
    let train_lists: Vec<Vec<List>> = train.iter().map(|s| lists(s, &base, &stage1)).collect();
    let mut hyper = Hyper {
        balance: args.balance,
        l2: args.l2,
        trees: args.trees,
        eta: args.eta,
        tree_balance: args.tree_balance,
        skip: args.skip.iter().try_fold(0u64, |mask, name| {
            let k = FEATURE_NAMES
                .iter()
                .position(|n| n == name)
                .with_context(|| format!("no feature {name:?}"))?;
            anyhow::Ok(mask | 1 << k)
        })?,
    };
    if args.cross || args.ablate {
        let dev_lists: Vec<Vec<List>> = dev.iter().map(|s| lists(s, &base, &stage1)).collect();
        let fit = |train: &[Vec<List>], h: Hyper| train_bagged(&stage1, train, h, args.bags);
        let (wiki, trec) = train_lists.split_at(4);
        if args.cross {
            cross_table(
                &dev,
                &dev_lists,
                &stage1,
                &fit(&train_lists, hyper),
                &fit(wiki, hyper),
                &fit(trec, hyper),
            );
        }
        if args.ablate {
            ablation_table(&dev, &dev_lists, wiki, trec, hyper, &fit);
        }
        return Ok(());
    }
    if args.cv {
        let cv = cross_validate(&stage1, &train_lists, hyper, args.bags, 3);
        println!(
            "{hyper:?}, {} bags: cross-validated train MRR {cv:.4}",
            args.bags
        );
        return Ok(());
    }
    if args.search {
        let mut best = (f64::NEG_INFINITY, hyper);
        for balance in [0.5, 1.0] {
            for l2 in [0.001, 0.01, 0.1] {
                for (trees, eta) in [(0, 0.0), (100, 0.05), (200, 0.05), (400, 0.05)] {
                    let h = Hyper {
                        balance,
                        l2,
                        trees,
                        eta,
                        tree_balance: 0.0,
                        skip: hyper.skip,
                    };
                    let cv = cross_validate(&stage1, &train_lists, h, args.bags, 3);
                    println!("{h:?}: cross-validated train MRR {cv:.4}");
                    if cv > best.0 {
                        best = (cv, h);
                    }
                }
            }
        }
        hyper = best.1;
        println!("chosen by cross-validation: {hyper:?} ({:.4})", best.0);
    }
    let model = train_bagged(&stage1, &train_lists, hyper, args.bags);
    let threshold_sets: Vec<Dataset> = [
        ("wikiqa", "wikiqa/WikiQA-train.tsv"),
        ("trecqa", "trecqa/trecqa-train-raw.tsv"),
    ]
    .iter()
    .map(|(kind, file)| {
        let mut d = eval::load(kind, &args.bench.join(file))?;
        d.shuffle();
        Ok(d)
    })
    .collect::<Result<_>>()?;
    let points = threshold_points(&threshold_sets.iter().collect::<Vec<_>>(), &base, &model);
    println!(
        "thresholds, on the top answers of train questions asked of their own corpus and of the other one:"
    );
    println!(
        "| min_score | own questions answered | right among them | foreign questions answered |"
    );
    println!("|---|---|---|---|");
    for t in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] {
        let own: Vec<&Point> = points.iter().filter(|p| !p.foreign).collect();
        let foreign: Vec<&Point> = points.iter().filter(|p| p.foreign).collect();
        let answered: Vec<&&Point> = own.iter().filter(|p| p.coverage >= t).collect();
        let right = answered.iter().filter(|p| p.right).count();
        println!(
            "| {t} | {:.3} | {:.3} | {:.3} |",
            answered.len() as f64 / own.len().max(1) as f64,
            right as f64 / answered.len().max(1) as f64,
            foreign.iter().filter(|p| p.coverage >= t).count() as f64 / foreign.len().max(1) as f64
        );
    }
    let train_mrr = mean(train_lists.iter().map(|l| evaluate(l, &model).1));
    println!(
        "model: k1={} b={} article={} title={} depth={}, {} trees; {hyper:?}; train MRR {train_mrr:.4}",
        model.k1,
        model.b,
        model.article,
        model.title,
        model.depth,
        model.trees.len()
    );
    for (name, w) in FEATURE_NAMES.iter().zip(&model.weights) {
        println!("  {name:>18} {w:+.4}");
    }
    println!(
        "\n| split | setting | typos | P@1 before | P@1 after | MRR before | MRR after | recall |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for s in train.iter().chain(&dev) {
        let before = evaluate(&lists(s, &base, &current), &current);
        let after_lists = lists(s, &base, &model);
        let after = evaluate(&after_lists, &model);
        let recall = mean(
            after_lists
                .iter()
                .map(|l| f64::from(u8::from(l.right.contains(&true)))),
        );
        println!(
            "| {} | {:?} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {recall:.3} |",
            s.name, s.setting, s.typos, before.0, after.0, before.1, after.1
        );
    }
    if args.write {
        let cv = cross_validate(&stage1, &train_lists, hyper, args.bags, 3);
        let settings = format!(
            "{hyper:?}, {} bags, family weight {}",
            args.bags, base.family_weight
        );
        write_model(&args, &model, settings, cv)?;
        println!("\nwrote src/search/model.toml (3-fold cross-validated train MRR@10 {cv:.4})");
    }
    Ok(())
}

/// Questions `model` answers right at rank 1, over `lists`.
fn right_first(lists: &[List], model: &Model) -> usize {
    lists
        .iter()
        .filter(|l| l.judged.first_right(model) == Some(0))
        .count()
}

/// The first stage alone: candidates in its order (the `relative` feature is its score).
fn first_stage(stage1: &Model) -> Model {
    let relative = FEATURE_NAMES.iter().position(|&n| n == "relative");
    Model {
        weights: std::array::from_fn(|k| f32::from(u8::from(Some(k) == relative))),
        trees: Vec::new(),
        ..stage1.clone()
    }
}

/// P@1 of each model on each dev split (the dev splits are WikiQA's four, then TrecQA's).
fn cross_table(
    dev: &[Split],
    dev_lists: &[Vec<List>],
    stage1: &Model,
    both: &Model,
    wiki: &Model,
    trec: &Model,
) {
    print!("| model |");
    for s in dev {
        print!(
            " {} {}{} ({}) |",
            s.name,
            if s.setting == Setting::Open {
                "open"
            } else {
                "per-doc"
            },
            if s.typos > 0.0 { ", typos" } else { "" },
            s.data.questions.len()
        );
    }
    println!("\n|---|{}", "---|".repeat(dev.len()));
    let rows = [
        ("first stage alone (the floor)", first_stage(stage1)),
        ("shipped (src/search/model.toml)", stage1.clone()),
        ("fitted on both trains", both.clone()),
        ("fitted on WikiQA train only", wiki.clone()),
        ("fitted on TrecQA train only", trec.clone()),
    ];
    for (name, model) in &rows {
        print!("| {name} |");
        for l in dev_lists {
            let right = right_first(l, model);
            print!(" {:.3} ({right}) |", right as f64 / l.len().max(1) as f64);
        }
        println!();
    }
    println!(
        "\ncross-dataset rows: \"fitted on WikiQA train only\" on TrecQA dev, \"fitted on TrecQA train only\" on WikiQA dev; (n) = questions right"
    );
}

/// Each feature left out in turn (and the trees): how many more questions (summed over the
/// four dev splits of a dataset) each cross-dataset fit answers right at rank 1 without it.
fn ablation_table(
    dev: &[Split],
    dev_lists: &[Vec<List>],
    wiki: &[Vec<List>],
    trec: &[Vec<List>],
    hyper: Hyper,
    fit: &dyn Fn(&[Vec<List>], Hyper) -> Model,
) {
    let (wiki_dev, trec_dev) = dev_lists.split_at(4);
    let count = |lists: &[Vec<List>], model: &Model| -> i64 {
        lists.iter().map(|l| right_first(l, model) as i64).sum()
    };
    let score = |h: Hyper| {
        let (w, t) = (fit(wiki, h), fit(trec, h));
        [
            count(trec_dev, &w),
            count(wiki_dev, &t),
            count(wiki_dev, &w),
            count(trec_dev, &t),
        ]
    };
    let base = score(hyper);
    println!(
        "full model: right at rank 1 over the four dev splits: WikiQA-fit on TrecQA dev {}, TrecQA-fit on WikiQA dev {}, WikiQA-fit on WikiQA dev {}, TrecQA-fit on TrecQA dev {} ({} and {} questions per split)",
        base[0],
        base[1],
        base[2],
        base[3],
        dev[4].data.questions.len(),
        dev[0].data.questions.len()
    );
    println!(
        "\n| left out | WikiQA fit → TrecQA dev | TrecQA fit → WikiQA dev | WikiQA fit → WikiQA dev | TrecQA fit → TrecQA dev |"
    );
    println!("|---|---|---|---|---|");
    let mut rows: Vec<(String, Hyper)> =
        vec![("the trees".to_string(), Hyper { trees: 0, ..hyper })];
    for (k, name) in FEATURE_NAMES.iter().enumerate() {
        rows.push((
            (*name).to_string(),
            Hyper {
                skip: hyper.skip | 1 << k,
                ..hyper
            },
        ));
    }
    for (name, h) in rows {
        if h.skip == hyper.skip && h.trees == hyper.trees {
            continue;
        }
        let s = score(h);
        println!(
            "| {name} | {:+} | {:+} | {:+} | {:+} |",
            s[0] - base[0],
            s[1] - base[1],
            s[2] - base[2],
            s[3] - base[3]
        );
    }
}

/// Writes `model` to `src/search/model.toml`, with where it came from: this command, its
/// settings, the training files' checksums and the settings' cross-validated figure.
fn write_model(args: &Args, model: &Model, settings: String, cross_validated: f64) -> Result<()> {
    let training = TRAINING
        .iter()
        .map(|(_, _, file)| {
            let bytes = std::fs::read(args.bench.join(file))
                .with_context(|| format!("reading {}", args.bench.join(file).display()))?;
            Ok(fitted::TrainingFile {
                path: (*file).to_string(),
                fnv1a64: fitted::fnv1a64(&bytes),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let provenance = fitted::Provenance {
        command: std::iter::once(
            "cargo run --release -p quotebot-eval --example fit --".to_string(),
        )
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" "),
        settings,
        training,
        cross_validated: format!("3-fold cross-validated train MRR@10 {cross_validated:.4}"),
        features: FEATURE_NAMES.iter().map(|s| (*s).to_string()).collect(),
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src/search/model.toml");
    std::fs::write(&path, fitted::write(&provenance, model))
        .with_context(|| format!("writing {}", path.display()))
}
