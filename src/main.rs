//! The `quotebot` command: glue between the command line and the library. Parsing is clap's,
//! errors are anyhow's (printed with their causes), and everything else is in `quotebot::`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use quotebot::chat::{Session, Step};
use quotebot::corpus::Progress;
use quotebot::telegram::redact;
use quotebot::{Config, Engine, answer, intake};

/// Answers questions about a folder of news articles with the sentence that best answers
/// them, quoted exactly, with the article's title and date.
#[derive(Parser)]
#[command(name = "quotebot", version)]
struct Cli {
    /// The corpus folder [default: the config's corpus.dir, else ./corpus]
    #[arg(long, global = true, value_name = "DIR")]
    corpus: Option<PathBuf>,

    /// The configuration file [default: config/quotebot.toml when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question, or each line of standard input
    Ask {
        /// At most this many answers per question [default: the config's search.top]
        #[arg(long, value_name = "K")]
        top: Option<usize>,

        /// Leave out answers scoring below this; 0 turns the threshold off
        /// [default: the config's search.min_score]
        #[arg(long, value_name = "X", allow_negative_numbers = true)]
        min_score: Option<f32>,

        /// One JSON object per question per line, for scripts
        #[arg(long)]
        json: bool,

        /// The question; without it, each line of standard input is one
        question: Vec<String>,
    },
    /// Chat in the terminal, with the replies the bot gives
    Chat {
        /// The language of the bot's words (quotes stay as the articles have them)
        #[arg(long, value_name = "LANG", default_value = "en", value_parser = ["en", "ru", "fa"])]
        lang: String,
    },
    /// Check every corpus file and list the problems; exit status 1 if a file is unusable
    Check,
    /// Run the Telegram bot (token from TELOXIDE_TOKEN; TELOXIDE_API_URL for another Bot API
    /// server); Ctrl-C or SIGTERM stops it
    Telegram {
        /// Webhook mode: Telegram posts updates to this public https:// address, which a reverse
        /// proxy passes on to --listen; "" polls [default: the config's telegram.webhook_url,
        /// else polling]
        #[arg(long, value_name = "URL")]
        webhook_url: Option<String>,
        /// Where webhook mode listens, GET /healthz included [default: the config's
        /// telegram.listen, 127.0.0.1:8443]
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Turn a text file, a saved web page or a link into a corpus article (header written,
    /// text kept); refuses a duplicate
    Add {
        /// The text file (.txt or .md), saved page (.html, .htm) or http(s) link
        #[arg(value_name = "FILE|URL")]
        file: String,
        /// The article's date, YYYY-MM-DD [default: its own header or the page's date; a text
        /// file's leading date in its name, or today; a page without one is added undated]
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: Option<quotebot::Date>,
        /// The article's title [default: its own header, the page's title, or its file name]
        #[arg(long)]
        title: Option<String>,
        /// Where the article comes from, usually a URL [default: the link]
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        /// Print one JSON object: {"path", "title", "date", "sentences", "source"}
        #[arg(long)]
        json: bool,
    },
    /// List the articles, newest first
    Articles,
    /// What the bot recorded: questions answered and not found, votes, the most asked
    /// questions that found nothing, the quotes with the most 👎 (reads [storage] path)
    Report {
        /// The days to look back
        #[arg(long, value_name = "N", default_value_t = 30,
              value_parser = clap::value_parser!(u32).range(1..=36_500))]
        days: u32,
        /// One JSON object, for scripts
        #[arg(long)]
        json: bool,
    },
    /// List the feeds ([[feeds]] in the config) with their last fetch and item counts; with
    /// --poll, fetch them all once and add their new items (exit status 1 if a feed failed)
    Feeds {
        /// One JSON object per feed per line
        #[arg(long)]
        json: bool,
        /// Fetch every feed now and add the new items
        #[arg(long)]
        poll: bool,
    },
}

fn parse_date(s: &str) -> std::result::Result<quotebot::Date, String> {
    quotebot::Date::parse_iso(s).ok_or_else(|| format!("{s:?} is not a date like 2024-09-30"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let telegram = matches!(cli.command, Command::Telegram { .. });
    if telegram {
        // The token is in every Bot API address, so in many network errors: mask it in every
        // line written from here on.
        let token = std::env::var("TELOXIDE_TOKEN").unwrap_or_default();
        redact::set_global(redact::Redactor::new(token.trim()));
    }
    init_logging(if telegram { "info" } else { "warn" }, telegram);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", redact::redact(&format!("{e:#}")));
            if e.downcast_ref::<UsageError>().is_some() {
                return ExitCode::from(2);
            }
            ExitCode::FAILURE
        }
    }
}

/// A mistake in how the command was started (exit status 2).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `RUST_LOG` wins; otherwise `default` (the CLI shows warnings such as corpus problems, the
/// bot also what it does). The bot's lines carry a timestamp; every line is redacted.
fn init_logging(default: &str, timestamps: bool) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
        .format(move |f, record| {
            let level = match record.level() {
                log::Level::Error => "error",
                log::Level::Warn => "warning",
                log::Level::Info => "info",
                log::Level::Debug => "debug",
                log::Level::Trace => "trace",
            };
            let message = record.args().to_string();
            let message = redact::redact(&message);
            if timestamps {
                writeln!(f, "{} {level}: {message}", f.timestamp_seconds())
            } else {
                writeln!(f, "{level}: {message}")
            }
        })
        .init();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::load(cli.config.as_deref()).context("reading the configuration")?;
    // Checked with the configuration: a name it refused never reaches here.
    if let Ok(zone) = quotebot::date::time_zone_named(&config.general.timezone) {
        quotebot::date::set_time_zone(zone);
    }
    let corpus_dir = cli
        .corpus
        .clone()
        .unwrap_or_else(|| config.corpus.dir.clone());
    match cli.command {
        Command::Ask {
            top,
            min_score,
            json,
            question,
        } => {
            let engine = load(&corpus_dir, &config)?;
            let top = top.unwrap_or(config.search.top);
            let min_score = min_score.unwrap_or(config.search.min_score);
            anyhow::ensure!(min_score.is_finite(), "--min-score must be a number");
            ask(&engine, top, min_score, json, &question)?;
            // The process ends here: freeing the index, millions of allocations, would only
            // make it end later (a fifth of a second at 10M sentences).
            std::mem::forget(engine);
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat { lang } => {
            let engine = load(&corpus_dir, &config)?;
            chat(
                &engine,
                quotebot::i18n::Lang::parse(&lang).unwrap_or_default(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(&corpus_dir),
        Command::Telegram {
            webhook_url,
            listen,
        } => {
            let mut config = config;
            if let Some(url) = webhook_url {
                config.telegram.webhook_url = url;
            }
            if let Some(address) = listen {
                if config.telegram.webhook_url.is_empty() {
                    return Err(UsageError(
                        "--listen is for webhook mode: give --webhook-url too (or [telegram] webhook_url)".into(),
                    )
                    .into());
                }
                config.telegram.listen = quotebot::config::Listen(address);
            }
            telegram(&corpus_dir, &config)
        }
        Command::Add {
            file,
            date,
            title,
            source,
            json,
        } => {
            let options = quotebot::live::AddOptions {
                date,
                title,
                source,
            };
            add(&corpus_dir, &config, &file, &options, json)
        }
        Command::Report { days, json } => {
            report(&config.storage, days, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Feeds { json, poll } => feeds(&corpus_dir, &config, json, poll),
        Command::Articles => {
            let corpus = quotebot::corpus::load(&corpus_dir)
                .with_context(|| format!("reading the corpus in {}", corpus_dir.display()))?;
            for p in &corpus.problems {
                log::warn!("{p}");
            }
            let index = quotebot::Index::build(corpus.articles);
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for a in index.articles() {
                writeln!(
                    out,
                    "{} — {} ({}, {})",
                    answer::human_date(a.date),
                    a.title,
                    a.path.display(),
                    quotebot::answer::replies::plural(a.sentences.len(), "sentence")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `quotebot feeds [--json] [--poll]`.
fn feeds(
    corpus_dir: &std::path::Path,
    config: &Config,
    json: bool,
    poll: bool,
) -> Result<ExitCode> {
    use quotebot::intake::feeds;
    let mut code = ExitCode::SUCCESS;
    let mut rounds = Vec::new();
    if poll {
        let fetcher = quotebot::web::Fetcher::new(&config.web)
            .map_err(|e| UsageError(format!("[web]: {e}")))?;
        let mut sink = feeds::FolderSink::open(corpus_dir)
            .with_context(|| format!("reading the corpus in {}", corpus_dir.display()))?;
        rounds = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
            .block_on(feeds::poll_all(
                corpus_dir,
                &config.feeds,
                &fetcher,
                &mut sink,
            ));
        for r in &rounds {
            if r.error.is_some() {
                log::warn!("feed {r}");
                code = ExitCode::FAILURE;
            }
        }
    }
    if config.feeds.is_empty() {
        log::warn!("no feeds: add [[feeds]] tables (url, every) to the configuration");
    }
    let state = feeds::State::load(corpus_dir);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for feed in &config.feeds {
        let s = state.feeds.get(&feed.url).cloned().unwrap_or_default();
        let round = rounds.iter().find(|r| r.url == feed.url);
        if json {
            let mut v = serde_json::json!({
                "url": feed.url,
                "every_secs": feed.every.as_secs(),
                "last_fetch": s.last_fetch.map(feeds::format_time),
                "last_ok": s.last_ok.map(feeds::format_time),
                "items": s.items,
                "added": s.added,
                "error": s.error,
            });
            if let Some(r) = round {
                v["added_now"] = serde_json::json!(r.added);
            }
            writeln!(out, "{v}")?;
        } else {
            let when = s.last_fetch.map_or_else(
                || "never fetched".to_string(),
                |t| format!("last fetched {}", feeds::format_time(t)),
            );
            let status = match &s.error {
                Some(e) => format!("failed: {e}"),
                None => format!("{} items, {} added in all", s.items, s.added),
            };
            write!(
                out,
                "{} (every {}s): {when}, {status}",
                feed.url,
                feed.every.as_secs()
            )?;
            if let Some(r) = round
                && r.error.is_none()
            {
                write!(out, "; now {} added", r.added.len())?;
                if r.retry > 0 {
                    write!(out, ", {} to retry", r.retry)?;
                }
            }
            writeln!(out)?;
        }
    }
    Ok(code)
}

/// `quotebot add`: a link, a saved page or a text file. A refusal is one line on stderr,
/// nothing on stdout, exit status 1.
fn add(
    corpus_dir: &std::path::Path,
    config: &Config,
    target: &str,
    options: &quotebot::live::AddOptions,
    json: bool,
) -> Result<ExitCode> {
    use quotebot::web;
    let is_url = target.contains("://");
    let path = std::path::Path::new(target);
    let html = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    let result = if is_url {
        match web::Fetcher::new(&config.web) {
            Ok(fetcher) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?
                .block_on(intake::add_url(corpus_dir, target, options, &fetcher)),
            Err(e) => Err(quotebot::live::Refusal::Web(e.to_string())),
        }
    } else if html {
        intake::add_html_file(corpus_dir, path, options)
    } else {
        quotebot::live::add_file(corpus_dir, path, options).map(|added| {
            let source = quotebot::corpus::load_file(&corpus_dir.join(&added.saved_as))
                .ok()
                .and_then(|(a, _)| a.source);
            intake::WebAdded {
                added,
                source,
                replaced: None,
            }
        })
    };
    let done = match result {
        Ok(done) => done,
        Err(refusal) => {
            eprintln!("error: not added: {refusal}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let added = &done.added;
    let shown = corpus_dir.join(&added.saved_as);
    if done.undated() {
        log::warn!(
            "{}: no date found: added undated; answers will say the date is unknown (add it again with --date YYYY-MM-DD to fix it)",
            shown.display()
        );
    }
    if let Some(old) = &done.replaced {
        log::warn!(
            "{}: replaced by the dated copy",
            corpus_dir.join(old).display()
        );
    }
    if json {
        let value = serde_json::json!({
            "path": shown.to_string_lossy(),
            "title": added.title,
            "date": added.date.map(|d| d.to_string()),
            "sentences": added.sentences,
            "source": done.source,
        });
        println!("{value}");
    } else {
        println!(
            "added {}: “{}”, {}, {}",
            shown.display(),
            added.title,
            answer::human_date(added.date),
            quotebot::answer::replies::plural(added.sentences, "sentence")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn telegram(corpus_dir: &std::path::Path, config: &Config) -> Result<ExitCode> {
    let token = std::env::var("TELOXIDE_TOKEN").unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return Err(UsageError(
            "TELOXIDE_TOKEN is not set: give the bot token from @BotFather, e.g. TELOXIDE_TOKEN=123:ABC quotebot telegram".into(),
        )
        .into());
    }
    let api_url = match std::env::var("TELOXIDE_API_URL") {
        Ok(u) if !u.trim().is_empty() => Some(
            url::Url::parse(u.trim().trim_end_matches('/'))
                .map_err(|e| UsageError(format!("TELOXIDE_API_URL {u:?} is not a URL: {e}")))?,
        ),
        _ => None,
    };
    // Before the corpus, as the database below: an address that cannot be used stops the bot
    // at once.
    let webhook = if config.telegram.webhook_url.is_empty() {
        None
    } else {
        let url = quotebot::config::check_webhook_url(&config.telegram.webhook_url)
            .map_err(|e| UsageError(format!("--webhook-url: {e}")))?;
        let address = config.telegram.listen.0;
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .with_context(|| format!("listening on {address} (--listen, [telegram] listen)"))?;
        Some((url, listener))
    };
    // Before the corpus: a database that cannot be used stops the bot at once.
    let storage = std::sync::Arc::new(
        quotebot::storage::Storage::open(&config.storage).context("opening the database")?,
    );
    let (library, problems) =
        with_progress(|_| quotebot::live::Library::open(corpus_dir, config.search.clone()))
            .with_context(|| format!("loading the corpus from {}", corpus_dir.display()))?;
    for p in &problems {
        log::warn!("{p}");
    }
    library
        .set_web(&config.web)
        .map_err(|e| UsageError(format!("[web]: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let updates = match webhook {
        None => quotebot::telegram::Updates::Polling,
        Some((url, listener)) => {
            let _runtime = runtime.enter();
            quotebot::telegram::Updates::Webhook(quotebot::telegram::webhook::Webhook {
                url,
                secret: config.telegram.webhook_secret.clone(),
                listener: tokio::net::TcpListener::from_std(listener)
                    .context("listening for the webhook")?,
            })
        }
    };
    let library = std::sync::Arc::new(library);
    let writing = std::sync::Arc::clone(&library);
    let feeds = config.feeds.clone();
    let following = std::sync::Arc::clone(&library);
    let stored = std::sync::Arc::clone(&storage);
    let result = runtime.block_on(async move {
        // Stops with the runtime, when the bot has stopped.
        tokio::spawn(quotebot::live::follow_feeds(following, feeds));
        quotebot::telegram::run_updates(
            quotebot::telegram::bot(token, api_url),
            library,
            config.telegram.clone(),
            Some(stored),
            quotebot::telegram::schema(),
            updates,
            quotebot::telegram::signals(),
        )
        .await
    });
    // What was queued is written before the process ends, and the index file too.
    storage.close();
    if !writing.finish_writing(Duration::from_secs(30)) {
        log::warn!(
            "stopped while writing {}: it is written again at the next start",
            quotebot::live::INDEX_FILE
        );
    }
    result?;
    // A feed round in progress is not waited for long.
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}

fn report(config: &quotebot::config::StorageConfig, days: u32, json: bool) -> Result<()> {
    let r = quotebot::storage::report(config, days).context("reading the database")?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&r)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "Last {}: {} answered, {} not found; {} 👍, {} 👎.",
        quotebot::answer::replies::plural(days as usize, "day"),
        r.answered,
        r.not_found,
        r.votes.up,
        r.votes.down
    )?;
    if !r.unanswered.is_empty() {
        writeln!(out, "\nAsked and not found (or 👎), most asked first:")?;
        for u in &r.unanswered {
            writeln!(
                out,
                "{:>5}×  {}  (first {}, last {})",
                u.count, u.question, u.first_seen, u.last_seen
            )?;
        }
    }
    if !r.disliked.is_empty() {
        writeln!(out, "\nQuotes with the most 👎:")?;
        for d in &r.disliked {
            writeln!(out, "{:>5}×  “{}” — {}", d.count, d.quote, d.title)?;
        }
    }
    Ok(())
}

/// The engine over the corpus folder, from its index file when it has a usable one.
fn load(dir: &std::path::Path, config: &Config) -> Result<std::sync::Arc<Engine>> {
    let (library, problems) = with_progress(|progress| {
        quotebot::live::Library::open_with_progress(dir, config.search.clone(), progress)
    })
    .with_context(|| format!("loading the corpus from {}", dir.display()))?;
    let engine = std::sync::Arc::clone(library.engine());
    for p in &problems {
        log::warn!("{p}");
    }
    if engine.index().articles().is_empty() {
        log::warn!("{}: no articles to answer from", dir.display());
    }
    Ok(engine)
}

/// Runs `load`, showing a progress bar on stderr (when it is a terminal) once loading has
/// taken more than a second. Standard output is never written to.
fn with_progress<T>(load: impl FnOnce(&(dyn Fn(Progress) + Sync)) -> T) -> T {
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {wide_bar} {pos}/{len} files")
            .expect("the template is valid"),
    );
    bar.set_message("reading the corpus");
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(1) {
                if finished.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !finished.load(Ordering::Relaxed) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
        });
        let result = load(&|p| match p {
            Progress::Reading { done, total } => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Progress::Indexing => bar.set_message("indexing"),
        });
        finished.store(true, Ordering::Relaxed);
        bar.finish_and_clear();
        result
    })
}

fn ask(engine: &Engine, top: usize, min_score: f32, json: bool, words: &[String]) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let answer_one = |out: &mut dyn Write, question: &str| -> io::Result<()> {
        let answers = if question.trim().is_empty() {
            Vec::new()
        } else {
            engine.ask_with(question, top, min_score)
        };
        if json {
            writeln!(out, "{}", answer::json(question, &answers))
        } else if question.trim().is_empty() {
            writeln!(out, "{}", answer::EMPTY_QUESTION)
        } else {
            writeln!(out, "{}", answer::plain(&answers))
        }
    };
    if !words.is_empty() {
        answer_one(&mut out, &words.join(" "))?;
        out.flush()?;
        return Ok(());
    }
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading questions")?
            == 0
        {
            break;
        }
        let question = String::from_utf8_lossy(&line);
        let question = question.trim_end_matches(['\n', '\r']);
        if !json && !first {
            writeln!(out)?;
        }
        first = false;
        answer_one(&mut out, question)?;
        // A script may wait for each answer before it asks the next question.
        out.flush()?;
    }
    Ok(())
}

fn chat(engine: &Engine, lang: quotebot::i18n::Lang) -> Result<()> {
    let interactive = io::stdin().is_terminal();
    let mut session = Session::in_lang(engine, lang);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if interactive {
        writeln!(out, "{}", quotebot::chat::banner(engine, lang))?;
    }
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
        if interactive {
            write!(out, "> ")?;
            out.flush()?;
        }
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        match session.handle(&String::from_utf8_lossy(&line)) {
            Step::Quit => break,
            Step::Reply(r) if r.is_empty() => {}
            Step::Reply(r) => {
                writeln!(out, "{r}\n")?;
                out.flush()?;
            }
        }
    }
    Ok(())
}

fn check(dir: &std::path::Path) -> Result<ExitCode> {
    let corpus = quotebot::corpus::load(dir)
        .with_context(|| format!("checking the corpus in {}", dir.display()))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut errors = 0;
    for p in &corpus.problems {
        if p.is_error() {
            errors += 1;
            writeln!(out, "error: {p}")?;
        } else {
            writeln!(out, "warning: {p}")?;
        }
    }
    let sentences: usize = corpus.articles.iter().map(|a| a.sentences.len()).sum();
    let warnings = corpus.problems.len() - errors;
    writeln!(
        out,
        "{}: {} with {}; {} skipped, {}",
        dir.display(),
        quotebot::answer::replies::plural(corpus.articles.len(), "article"),
        quotebot::answer::replies::plural(sentences, "sentence"),
        quotebot::answer::replies::plural(errors, "file"),
        quotebot::answer::replies::plural(warnings, "warning"),
    )?;
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
