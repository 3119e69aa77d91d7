//! Load time and peak memory of 1 MiB adversarial Markdown articles (issue 11, "linear-time
//! loading"): bracket runs, nested links and images, backtick runs, nested emphasis, one 1 MiB
//! line, 100,000 tiny lines, and inputs that made CommonMark parsers quadratic in the past.
//!
//! Each case and stage runs in a child process of its own (this program, re-executed with
//! `--child`), so that a slow case can be killed after a timeout, a runaway one is stopped by an
//! address-space limit instead of taking the machine's memory, and the peak memory of one stage
//! is not hidden by memory an earlier stage freed. Memory is the child's resident high-water
//! mark (`VmHWM`, reset through `/proc/self/clear_refs` once the input is made) minus what was
//! resident at the start: the extra memory the stage needed. Linux only.
//!
//! Stages: `to_text` is `corpus::markdown::to_text` on the file's text; `load` is
//! `corpus::load` of a folder holding the file as `case.md` (read, header, Markdown, sentences);
//! `index` is that plus `Index::build`. The bar (issue 11) is ≤ 0.1 s and ≤ 50 MB extra per
//! 1 MiB file for loading.
//!
//! ```text
//! cargo run --release --example markdown_adversarial
//! cargo run --release --example markdown_adversarial -- --timeout 60 --only "bracket run,under the"
//! ```

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use quotebot::Index;
use quotebot::corpus::{self, markdown};

const MIB: usize = 1 << 20;

/// A child's address space is limited to this (KiB), so that a case that would allocate without
/// bound fails on its own instead of exhausting a machine shared with others.
const ADDRESS_LIMIT_KIB: u64 = 4 << 20;

/// Timing runs of a fast stage are repeated (the best is reported) while they take less than this.
const REPEAT_FOR: Duration = Duration::from_millis(500);

const STAGES: [&str; 3] = ["to_text", "load", "index"];

/// A case: its name, and how to make the article.
type Case = (&'static str, fn() -> String);

const CASES: &[Case] = &[
    ("bracket run", || "[".repeat(MIB)),
    ("nested links", || nested("[", "a", "](u)")),
    ("nested images", || nested("![", "a", "](u)")),
    ("backtick run", || "`".repeat(MIB)),
    ("nested emphasis", || nested("*_", "a", "_*")),
    ("one 1 MiB line", || {
        fill("Iran and Russia agreed on a grain deal in Moscow on Monday, officials said. ")
    }),
    ("100,000 tiny lines", || "Grain up.\n".repeat(100_000)),
    // Inputs beyond the issue's list: past quadratic cases of CommonMark parsers
    // (pulldown-cmark issues #82, #247–#255, #280, #844; md4c #236), and our own code paths.
    ("backtick runs 1,2,3…", backtick_runs),
    ("list items `- a`", || fill("- a\n")),
    ("nested list `* * * …a`", || nested("* ", "a", "")),
    ("nested quotes + lazy lines", || {
        let mut s = ">".repeat(MIB / 2);
        s.push_str(" a\n");
        s + &fill_to("b\n", MIB / 2 - 3)
    }),
    ("nested list + lazy lines", || {
        let mut s = "- ".repeat(MIB / 4);
        s.push_str("a\n");
        s + &fill_to("b\n", MIB / 2 - 2)
    }),
    ("list indented 700 deep + lazy", || {
        let s: String = (0..700).map(|i| " ".repeat(2 * i) + "- a\n").collect();
        let rest = MIB - s.len();
        s + &fill_to("b\n", rest)
    }),
    // Just under the reader's work budget (2^18 tree nodes; see `markdown::parser_work`): the
    // most that still goes to the parser.
    ("under the budget: 250,000 `[`", || {
        under_budget("[".repeat(250_000))
    }),
    ("under the budget: 86,000 `[a](<b`", || {
        under_budget("[a](<b".repeat(86_000))
    }),
    ("under the budget: 64,000 `[a][b]`", || {
        under_budget("[a][b] ".repeat(64_000))
    }),
    ("under the budget: quotes 40 deep", || {
        let mut s = ">".repeat(40) + " a\n" + &"b\n".repeat(78_000);
        let rest = MIB - s.len();
        s.push_str(&fill_to("Iran and Russia agreed on a grain deal. ", rest));
        s
    }),
    ("link refs `[x]: xxx…` used N×", || {
        let n = (MIB - 6) / 5;
        format!("[x]: {}{}\n", "x".repeat(n), "\n[x]".repeat(n))
    }),
    ("broken refs `[a][b]`", || fill("[a][b] ")),
    ("`[a](<b`", || fill("[a](<b")),
    ("`[ (](`", || fill("[ (](")),
    ("`a***`", || fill("a***")),
    ("`[*_a`", || fill("[*_a")),
    ("``\\", || fill("``\\")),
    ("`a <![CDATA[`", || fill("a <![CDATA[")),
    ("`]([` lines", || fill("]([\n")),
    ("entities `&amp;&#`", || fill("&amp;&#x41;&#")),
    ("inline HTML `a <b`", || fill("a <b ")),
    ("HTML block, `<` run", || {
        format!("<div>\n{}", "<".repeat(MIB - 6))
    }),
];

/// `open` k times, `mid`, `close` k times: k levels of nesting in 1 MiB.
fn nested(open: &str, mid: &str, close: &str) -> String {
    let k = (MIB - mid.len()) / (open.len() + close.len());
    let mut s = open.repeat(k);
    s.push_str(mid);
    s.push_str(&close.repeat(k));
    s
}

/// `markup` on a line of its own, then prose to fill 1 MiB.
fn under_budget(markup: String) -> String {
    let s = markup + "\n";
    let rest = MIB - s.len();
    s + &fill_to("Iran and Russia agreed on a grain deal. ", rest)
}

/// `unit` repeated to fill 1 MiB.
fn fill(unit: &str) -> String {
    fill_to(unit, MIB)
}

fn fill_to(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

/// Backtick runs of lengths 1, 2, 3, … between letters: no run closes another, so a reader that
/// looks for each opener's closer scans the rest of the line every time.
fn backtick_runs() -> String {
    let mut s = String::with_capacity(MIB);
    let mut n = 1;
    while s.len() + n < MIB {
        s.extend(std::iter::repeat_n('`', n));
        s.push('a');
        n += 1;
    }
    s
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let [_, case, stage, dir] = &args[..] else {
            bail!("usage: --child CASE STAGE DIR");
        };
        return child(case, stage, Path::new(dir));
    }
    let mut timeout = Duration::from_secs(60);
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--timeout" => {
                let secs: u64 = it.next().context("--timeout SECS")?.parse()?;
                timeout = Duration::from_secs(secs);
            }
            "--only" => {
                let names = it.next().context("--only CASE,CASE")?;
                only = Some(names.split(',').map(str::to_owned).collect());
            }
            other => bail!(
                "unknown argument {other:?}; usage: markdown_adversarial [--timeout SECS] [--only CASE,…]"
            ),
        }
    }
    parent(timeout, only.as_deref())
}

/// What one child reported, or how it ended.
enum Outcome {
    Done {
        seconds: f64,
        extra_kib: u64,
        note: String,
    },
    Failed(String),
}

fn parent(timeout: Duration, only: Option<&[String]>) -> Result<()> {
    let exe = std::env::current_exe()?;
    let dir = std::env::temp_dir().join(format!("quotebot-md-adversarial-{}", std::process::id()));
    println!(
        "1 MiB adversarial Markdown; time (best of repeats under {} ms) and peak extra resident \
         memory per stage; timeout {} s, address space {} GiB per child",
        REPEAT_FOR.as_millis(),
        timeout.as_secs(),
        ADDRESS_LIMIT_KIB >> 20
    );
    println!();
    print!("| {:<34} |", "case");
    for stage in STAGES {
        print!(" {:<26} |", stage);
    }
    println!(" output");
    print!("|{}|", "-".repeat(36));
    for _ in STAGES {
        print!("{}|", "-".repeat(28));
    }
    println!("-------");
    for (i, &(name, _)) in CASES.iter().enumerate() {
        if only.is_some_and(|o| !o.iter().any(|x| name.contains(x.as_str()))) {
            continue;
        }
        print!("| {name:<34} |");
        let mut failed = false;
        let mut last_note = String::new();
        for stage in STAGES {
            if failed {
                print!(" {:<26} |", "(not run)");
                continue;
            }
            let cell = match run_child(&exe, i, stage, &dir.join(format!("{i}-{stage}")), timeout)?
            {
                Outcome::Done {
                    seconds,
                    extra_kib,
                    note,
                } => {
                    // The sentences `load` found say more than the text's length.
                    if last_note.is_empty() || stage == "load" {
                        last_note = note;
                    }
                    format!(
                        "{} {:>7.1} MB",
                        fmt_seconds(seconds),
                        extra_kib as f64 / 1024.0
                    )
                }
                Outcome::Failed(why) => {
                    failed = true;
                    why
                }
            };
            print!(" {cell:<26} |");
            use std::io::Write;
            std::io::stdout().flush()?;
        }
        println!(" {last_note}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn fmt_seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:>6.1} ms", s * 1e3)
    } else {
        format!("{:>7.2} s", s)
    }
}

/// Runs one case and stage in a child limited in time and address space.
fn run_child(
    exe: &Path,
    case: usize,
    stage: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<Outcome> {
    // `ulimit -v` in a shell that then execs the child: the limit without any unsafe code here.
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args(["--child", &case.to_string(), stage])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting a child")?;
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = pipe(Box::new(child.stdout.take().context("stdout")?));
    let err = pipe(Box::new(child.stderr.take().context("stderr")?));
    let start = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        // The child's own high-water mark, for the report when it is killed or dies.
        if let Some(kib) = status_kib(format!("/proc/{}/status", child.id()), "VmHWM:") {
            peak_kib = peak_kib.max(kib);
        }
        if start.elapsed() > timeout {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = std::fs::remove_dir_all(dir);
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let Some(status) = status else {
        return Ok(Outcome::Failed(format!(
            "> {} s (killed; RSS {} MB)",
            timeout.as_secs(),
            peak_kib / 1024
        )));
    };
    if !status.success() {
        let why = if err.contains("memory allocation") {
            format!("out of memory > {} GiB", ADDRESS_LIMIT_KIB >> 20)
        } else if err.contains("overflowed its stack") {
            "stack overflow".to_owned()
        } else {
            format!("died: {status}")
        };
        return Ok(Outcome::Failed(format!(
            "{why}, {:.1} s",
            start.elapsed().as_secs_f64()
        )));
    }
    let mut fields = out.trim().splitn(3, ' ');
    let mut next = || fields.next().context("child output");
    Ok(Outcome::Done {
        seconds: next()?.parse()?,
        extra_kib: next()?.parse()?,
        note: next().unwrap_or("").to_owned(),
    })
}

/// In the child: makes the article, then times the stage and measures its peak extra memory.
/// Prints `SECONDS EXTRA_KIB NOTE`.
fn child(case: &str, stage: &str, dir: &Path) -> Result<()> {
    let (_, make) = CASES[case.parse::<usize>()?];
    let md = make();
    std::fs::create_dir_all(dir)?;
    let file = dir.join("case.md");
    std::fs::write(&file, &md)?;
    let run = || -> Result<String> {
        Ok(match stage {
            "to_text" => {
                let text = markdown::to_text(&md);
                format!("text of {} bytes", text.len())
            }
            "load" => load(dir)?.0,
            "index" => {
                let (_, corpus) = load(dir)?;
                let index = Index::build(corpus.articles);
                format!("{} sentences indexed", index.sentence_count())
            }
            _ => bail!("unknown stage {stage}"),
        })
    };
    // The first run is the one whose memory counts: nothing of it was allocated before.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let base = status_kib("/proc/self/status", "VmRSS:").context("VmRSS")?;
    let start = Instant::now();
    let note = std::hint::black_box(run()?);
    let mut best = start.elapsed();
    let peak = status_kib("/proc/self/status", "VmHWM:").context("VmHWM")?;
    let extra = if reset {
        peak.saturating_sub(base)
    } else {
        peak
    };
    let begun = Instant::now();
    while begun.elapsed() < REPEAT_FOR {
        let start = Instant::now();
        std::hint::black_box(run()?);
        best = best.min(start.elapsed());
    }
    println!("{} {extra} {note}", best.as_secs_f64());
    Ok(())
}

/// `corpus::load` of `dir`, which must give one article: what it found, and the corpus.
fn load(dir: &Path) -> Result<(String, quotebot::Corpus)> {
    let corpus = corpus::load(dir)?;
    let note = match corpus.articles.first() {
        Some(a) => format!(
            "{} bytes of text, {} sentences",
            a.text.len(),
            a.sentences.len()
        ),
        // Nothing but markup, or nothing at all: the file is skipped, as a `.txt` would be.
        None => match corpus.problems.first() {
            Some(quotebot::Problem::Skipped(e)) => format!("skipped: {e}")
                .replace(&dir.join("case.md").display().to_string(), "case.md"),
            _ => "no article".to_owned(),
        },
    };
    Ok((note, corpus))
}

/// A `kB` field of a `/proc/…/status` file.
fn status_kib(path: impl AsRef<Path>, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
