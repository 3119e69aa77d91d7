//! Answer quality on real question → sentence data, by the protocol of
//! `../shared/bench/README.md` (see `quotebot_eval`).
//!
//! ```text
//! cargo run --release --example eval                      # the whole table, with the peers
//! cargo run --release --example eval -- wikiqa ../shared/bench/wikiqa/WikiQA-dev.tsv
//! cargo run --release --example eval -- trecqa FILE --setting perdoc --typos 0.5
//! cargo run --release --example eval -- --json            # for scripts
//! cargo run --release --example eval -- --check .ci/quality.json   # the CI regression guard
//! cargo run --release --example eval -- --record .ci/quality.json  # after an improvement
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;

use quotebot::SearchConfig;
use quotebot::search::Model;
use quotebot_eval::{self as eval, Dataset, Score, Setting};

#[derive(Parser)]
struct Args {
    /// `wikiqa` or `trecqa`; without it, the whole table
    kind: Option<String>,
    /// The dataset file
    path: Option<PathBuf>,
    /// `open` or `perdoc` (one dataset only)
    #[arg(long, default_value = "open")]
    setting: String,
    /// Probability of a typo per content word (one dataset only)
    #[arg(long, default_value_t = 0.0)]
    typos: f64,
    /// The benchmark folder
    #[arg(long, default_value = "../shared/bench")]
    bench: PathBuf,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Also print each question whose first quote is wrong (one dataset only)
    #[arg(long)]
    misses: bool,
    /// Write the table's figures to this file (the regression guard's reference)
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Fail when any figure of any row is more than two questions' worth below this file's
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
}

/// How many questions' worth a figure of one row may fall below its record: the evaluation
/// is deterministic, so anything more is a change that trades questions, which must update the
/// record in the same commit and say so.
const TOLERANCE_QUESTIONS: f64 = 2.0;

/// The figures of a row that the guard checks.
const GUARDED: [&str; 4] = ["p1", "p1_typos", "mrr", "mrr_typos"];

/// The protocol's typo rate for the "with typos" columns.
const TYPOS: f64 = 0.5;

struct Row {
    name: &'static str,
    kind: &'static str,
    file: &'static str,
    setting: Setting,
    /// The row of the peers' table in the bench README, if it has one.
    peers: Option<&'static str>,
}

const ROWS: [Row; 4] = [
    Row {
        name: "WikiQA dev",
        kind: "wikiqa",
        file: "wikiqa/WikiQA-dev.tsv",
        setting: Setting::Open,
        peers: Some("WikiQA dev"),
    },
    Row {
        name: "TrecQA dev clean",
        kind: "trecqa",
        file: "trecqa/trecqa-dev-clean.tsv",
        setting: Setting::Open,
        peers: Some("TrecQA dev clean"),
    },
    Row {
        name: "WikiQA dev, per-document",
        kind: "wikiqa",
        file: "wikiqa/WikiQA-dev.tsv",
        setting: Setting::PerDoc,
        peers: Some("WikiQA dev, per-document"),
    },
    Row {
        name: "TrecQA dev clean, per-document",
        kind: "trecqa",
        file: "trecqa/trecqa-dev-clean.tsv",
        setting: Setting::PerDoc,
        peers: None,
    },
];

fn main() -> Result<()> {
    let args = Args::parse();
    let config = SearchConfig::default();
    match (&args.kind, &args.path) {
        (Some(kind), Some(path)) => one(&args, kind, path, &config),
        (None, None) => table(&args, &config),
        _ => bail!("give both a dataset kind and its file, or neither"),
    }
}

fn setting(name: &str) -> Result<Setting> {
    match name {
        "open" => Ok(Setting::Open),
        "perdoc" => Ok(Setting::PerDoc),
        _ => bail!("--setting is open or perdoc, not {name:?}"),
    }
}

fn load(kind: &str, path: &Path) -> Result<Dataset> {
    let mut data = eval::load(kind, path).with_context(|| format!("reading {}", path.display()))?;
    data.shuffle();
    Ok(data)
}

fn measure(
    data: &mut Dataset,
    setting: Setting,
    typos: f64,
    config: &SearchConfig,
) -> (Score, f64, Vec<Vec<String>>) {
    data.add_typos(typos);
    let start = Instant::now();
    let rankings = data.rankings(setting, config, &Model::default(), 10);
    let ms = start.elapsed().as_secs_f64() * 1000.0 / data.questions.len().max(1) as f64;
    (eval::score(&data.questions, &rankings), ms, rankings)
}

fn one(args: &Args, kind: &str, path: &Path, config: &SearchConfig) -> Result<()> {
    let setting = setting(&args.setting)?;
    let mut data = load(kind, path)?;
    let (s, ms, rankings) = measure(&mut data, setting, args.typos, config);
    if args.misses {
        for (q, ranked) in data.questions.iter().zip(&rankings) {
            if ranked.first().is_some_and(|a| eval::correct(a, q)) {
                continue;
            }
            let rank = ranked.iter().position(|a| eval::correct(a, q));
            println!(
                "Q {} [{}]: {}",
                q.id,
                rank.map_or("-".into(), |r| (r + 1).to_string()),
                q.asked
            );
            println!("  gold: {}", q.gold[0]);
            println!(
                "  got:  {}",
                ranked.first().map_or("(nothing)", String::as_str)
            );
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({"dataset": kind, "setting": args.setting, "typos": args.typos,
                "p1": s.p1, "mrr": s.mrr, "n": s.n, "ms_per_question": ms})
        );
    } else {
        println!(
            "{kind} setting={} typos={} docs={} questions={}\n  quotebot P@1={:.3} MRR@10={:.3} ms/q={ms:.3} (index build included)",
            args.setting,
            args.typos,
            data.docs.len(),
            s.n,
            s.p1,
            s.mrr
        );
    }
    Ok(())
}

/// The best peer's figures for a row of the bench README's table: P@1, MRR@10, P@1 with typos,
/// MRR@10 with typos.
fn best_peers(readme: &str, row: &str) -> Option<[f64; 4]> {
    let mut best: Option<[f64; 4]> = None;
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 7 || cells[1] != row {
            continue;
        }
        let nums: Vec<f64> = cells[3..7].iter().filter_map(|c| c.parse().ok()).collect();
        if nums.len() != 4 {
            continue;
        }
        let b = best.get_or_insert([0.0; 4]);
        for (b, n) in b.iter_mut().zip(&nums) {
            *b = b.max(*n);
        }
    }
    best
}

fn table(args: &Args, config: &SearchConfig) -> Result<()> {
    let readme = std::fs::read_to_string(args.bench.join("README.md")).unwrap_or_default();
    let start = Instant::now();
    let mut json_rows = Vec::new();
    let quiet = args.json;
    if !quiet {
        println!(
            "| data | P@1 | P@1 with typos | MRR@10 | MRR@10 with typos | best peer: P@1 / with typos / MRR@10 |"
        );
        println!("|---|---|---|---|---|---|");
    }
    let (mut p1s, mut mrrs) = (Vec::new(), Vec::new());
    for row in &ROWS {
        let mut data = load(row.kind, &args.bench.join(row.file))?;
        let (clean, _, _) = measure(&mut data, row.setting, 0.0, config);
        let (typo, _, _) = measure(&mut data, row.setting, TYPOS, config);
        p1s.extend([clean.p1, typo.p1]);
        mrrs.extend([clean.mrr, typo.mrr]);
        json_rows.push(serde_json::json!({
            "data": row.name, "p1": clean.p1, "p1_typos": typo.p1,
            "mrr": clean.mrr, "mrr_typos": typo.mrr, "n": clean.n,
        }));
        if !quiet {
            let peers = row.peers.and_then(|p| best_peers(&readme, p)).map_or_else(
                || "—".to_string(),
                |[p1, mrr, p1t, _]| format!("{p1:.3} / {p1t:.3} / {mrr:.3}"),
            );
            println!(
                "| {} ({} questions) | {:.3} | {:.3} | {:.3} | {:.3} | {peers} |",
                row.name, clean.n, clean.p1, typo.p1, clean.mrr, typo.mrr
            );
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let figures = serde_json::json!({
        "rows": json_rows,
        "mean_p1": mean(&p1s),
        "mean_mrr": mean(&mrrs),
    });
    if args.json {
        println!("{figures}");
    } else {
        println!(
            "\nmean P@1 {:.3}, mean MRR@10 {:.3}; {:.1} s; typos with probability {TYPOS} per content word; peers from {}",
            mean(&p1s),
            mean(&mrrs),
            start.elapsed().as_secs_f64(),
            args.bench.join("README.md").display()
        );
    }
    if let Some(path) = &args.record {
        std::fs::write(path, serde_json::to_string_pretty(&figures)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        println!("recorded in {}", path.display());
    }
    if let Some(path) = &args.check {
        // The model is fitted on the candidates `Dataset::judged` gathers and judges; what it
        // serves must be exactly those, ranked by it, and score the same.
        let model = Model::default();
        let mut differ = 0;
        for row in &ROWS {
            let mut data = load(row.kind, &args.bench.join(row.file))?;
            for typos in [0.0, TYPOS] {
                data.add_typos(typos);
                let lines = data.fit_serve_differences(row.setting, config, &model, 10);
                for line in lines.iter().take(3) {
                    println!("{}: fit and serve differ: {line}", row.name);
                }
                // The fitting judges candidates itself (`Judged`): its score must be the
                // score of what is served.
                let served = eval::score(
                    &data.questions,
                    &data.rankings(row.setting, config, &model, 10),
                );
                let fitted =
                    eval::score_judged(&data.judged(row.setting, config, &model, 10), &model);
                if served != fitted {
                    println!(
                        "{} (typos {typos}): the fitting scores {fitted:?}, the engine {served:?}",
                        row.name
                    );
                    differ += 1;
                }
                println!(
                    "{} (typos {typos}): fit and serve agree on {} of {} questions",
                    row.name,
                    data.questions.len() - lines.len(),
                    data.questions.len()
                );
                differ += lines.len();
            }
        }
        if differ > 0 {
            bail!("the fitting's candidates differ from what is served for {differ} questions");
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let recorded: serde_json::Value = serde_json::from_str(&text)?;
        let mut failed = false;
        let rows = recorded["rows"]
            .as_array()
            .with_context(|| format!("rows in {}", path.display()))?;
        for was_row in rows {
            let name = was_row["data"].as_str().unwrap_or_default();
            let Some(now_row) = json_rows.iter().find(|r| r["data"] == name) else {
                println!("{name}: in the record but not measured: REGRESSION");
                failed = true;
                continue;
            };
            let n = now_row["n"].as_f64().unwrap_or(1.0).max(1.0);
            // A figure is a mean over n questions: one question moves it by at most 1/n.
            let tolerance = TOLERANCE_QUESTIONS / n + 1e-9;
            for key in GUARDED {
                let was = was_row[key]
                    .as_f64()
                    .with_context(|| format!("{name} {key} in {}", path.display()))?;
                let now = now_row[key].as_f64().unwrap_or(0.0);
                let ok = now >= was - tolerance;
                println!(
                    "{name} {key}: {now:.3} now, {was:.3} recorded (may fall {tolerance:.3}): {}",
                    if ok { "ok" } else { "REGRESSION" }
                );
                failed |= !ok;
            }
        }
        if failed {
            bail!(
                "answer quality of a row fell more than {TOLERANCE_QUESTIONS} questions' worth below {}",
                path.display()
            );
        }
    }
    Ok(())
}
