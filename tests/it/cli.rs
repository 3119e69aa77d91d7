//! The `quotebot` binary as users and scripts meet it: `ask` with words and on standard input,
//! `--json`, `check`, `chat`, the configuration, and questions of every odd kind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const GRAIN: &str =
    "Once the grain export is concluded, Iran can become a grain hub in the region, he added.";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `quotebot` in `dir` with `args`, feeding `stdin`.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quotebot starts");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn run(args: &[&str]) -> Output {
    run_in(&root(), args, None)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

#[test]
fn mishustin_and_grain() {
    let o = run(&["ask", "What did Mishustin say about grain?"]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(out.contains(GRAIN), "{out}");
    assert!(out.contains("30 September 2024"), "{out}");
    assert!(
        out.contains("Iran and Russia vow to expand cooperation"),
        "{out}"
    );
}

#[test]
fn a_question_full_of_typos() {
    let o = run(&["ask", "wat did mishustn say abot grian export"]);
    assert_ok(&o);
    assert!(stdout(&o).contains(GRAIN), "{}", stdout(&o));
}

#[test]
fn a_hyphenated_name() {
    let o = run(&["ask", "--json", "Rasht-Astara railway"]);
    assert_ok(&o);
    let lines = json_lines(&o);
    let quote = lines[0]["answers"][0]["quote"].as_str().unwrap();
    assert!(quote.contains("Rasht-Astara"), "{quote}");
}

#[test]
fn what_the_articles_do_not_cover() {
    let o = run(&["ask", "What is the capital of France?"]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(out.contains("found nothing"), "{out}");
    let o = run(&["ask", "--json", "What is the capital of France?"]);
    assert_eq!(json_lines(&o)[0]["answers"], serde_json::json!([]));
}

#[test]
fn json_answers_follow_the_contract() {
    let o = run(&[
        "ask",
        "--json",
        "--top",
        "3",
        "--min-score",
        "0",
        "Iran Russia cooperation",
    ]);
    assert_ok(&o);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    assert_eq!(v["question"], "Iran Russia cooperation");
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3, "{v}");
    assert_eq!(answers[0].as_object().unwrap().len(), 6, "{v}");
    let raw = stdout(&o);
    let at = |key: &str| raw.find(&format!("\"{key}\":")).unwrap_or(usize::MAX);
    let order = [
        "question", "answers", "quote", "title", "date", "path", "source", "score",
    ];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "fields in contract order: {raw}"
    );
    assert_eq!(answers[0]["date"], "2024-09-30");
    assert_eq!(
        answers[0]["path"],
        "corpus/2024-09-30-Iran-and-Russia-vow-to-expand-cooperation.txt"
    );
    assert!(answers[0]["source"].is_null());
    let scores: Vec<f64> = answers
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
}

#[test]
fn a_thousand_questions_on_stdin_give_a_thousand_lines_in_order() {
    let questions: Vec<String> = (0..1000)
        .map(|i| match i % 4 {
            0 => format!("grain export {i}"),
            1 => String::new(),
            2 => format!("Rasht-Astara railway number {i}"),
            _ => format!("capital of France {i}"),
        })
        .collect();
    let input = questions.join("\n") + "\n";
    let o = run_in(&root(), &["ask", "--json"], Some(input.as_bytes()));
    assert_ok(&o);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1000);
    for (q, line) in questions.iter().zip(&lines) {
        assert_eq!(line["question"], q.as_str());
    }
    assert_eq!(lines[0]["answers"][0]["quote"], GRAIN);
    assert_eq!(lines[1]["answers"], serde_json::json!([]));
}

#[test]
fn plain_answers_on_stdin_are_separated_by_blank_lines() {
    let o = run_in(&root(), &["ask"], Some(b"grain\n\ncapital of France\n"));
    assert_ok(&o);
    let out = stdout(&o);
    let blocks: Vec<&str> = out.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), 3, "{out}");
    assert!(blocks[0].contains(GRAIN), "{out}");
    assert_eq!(blocks[1], "(empty question)");
    assert!(blocks[2].contains("found nothing"), "{out}");
}

#[test]
fn odd_questions_never_crash() {
    let long = "grain ".repeat(17_000);
    let questions: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   \t ".to_vec(),
        long.into_bytes(),
        "😀🌾🚂".into(),
        "مذاکرات ایران و روسیه درباره غلات".into(),
        "Что сказал Мишустин о зерне?".into(),
        b"grain\x01\x02\x1b[31m export\x7f".to_vec(),
        b"\xff\xfe not utf8 grain".to_vec(),
        "\u{200b}\u{feff}\u{202e}".into(),
        "<b>grain</b> & \"export\"".into(),
    ];
    for q in &questions {
        let mut input = q.clone();
        input.push(b'\n');
        let o = run_in(
            &root(),
            &["ask", "--json", "--top", "5", "--min-score", "0"],
            Some(&input),
        );
        assert_ok(&o);
        assert_eq!(json_lines(&o).len(), 1, "{:?}", String::from_utf8_lossy(q));
        let o = run_in(&root(), &["ask"], Some(&input));
        assert_ok(&o);
    }
    let o = run(&["ask", "😀"]);
    assert_ok(&o);
}

fn temp_corpus(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    fs::create_dir_all(&corpus).unwrap();
    for (name, bytes) in files {
        fs::write(corpus.join(name), bytes).unwrap();
    }
    tmp
}

#[test]
fn one_bad_file_does_not_stop_the_good_ones() {
    let tmp = temp_corpus(&[
        ("good.txt", b"date 2024-05-01 Wheat harvest broke records."),
        ("bad.txt", b"date 2024-13-45 Broken."),
    ]);
    let o = run_in(tmp.path(), &["ask", "wheat harvest"], None);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("Wheat harvest broke records."),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("bad.txt:1") && err.contains("2024-13-45"),
        "{err}"
    );
}

#[test]
fn check_lists_problems_and_sets_the_exit_status() {
    let o = run(&["check"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("1 article with 8 sentences"),
        "{}",
        stdout(&o)
    );

    let tmp = temp_corpus(&[
        ("good.txt", b"date 2024-05-01 Fine."),
        ("undated.txt", b"No date."),
        ("bad.txt", b"title: B\ndate: 2024-02-30\n\nText."),
        ("binary.txt", b"\x00\xff\xfe"),
    ]);
    let o = run_in(tmp.path(), &["check"], None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("error: corpus/bad.txt:2: malformed date"),
        "{out}"
    );
    assert!(
        out.contains("error: corpus/binary.txt:1: not valid UTF-8"),
        "{out}"
    );
    assert!(
        out.contains("warning: corpus/undated.txt: no date"),
        "{out}"
    );
    assert!(
        out.contains("2 articles") && out.contains("2 files skipped"),
        "{out}"
    );

    let tmp = temp_corpus(&[("undated.txt", b"No date.")]);
    let o = run_in(tmp.path(), &["check"], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings alone pass: {}",
        stdout(&o)
    );
}

#[test]
fn a_missing_corpus_folder_is_a_clear_error() {
    let o = run(&["ask", "--corpus", "no/such/folder", "grain"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no/such/folder") && err.contains("not found"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn configuration_file_and_flags() {
    let tmp = temp_corpus(&[(
        "a.txt",
        b"date 2024-05-01 Wheat grew. Wheat and barley grew.",
    )]);
    let dir = tmp.path();
    fs::create_dir_all(dir.join("config")).unwrap();
    // Only the telegram section: valid, everything else defaults.
    fs::write(
        dir.join("config/quotebot.toml"),
        "[telegram]\nadmins = [123]\n",
    )
    .unwrap();
    let o = run_in(dir, &["ask", "--json", "wheat"], None);
    assert_ok(&o);
    assert_eq!(json_lines(&o)[0]["answers"].as_array().unwrap().len(), 1);

    // The config's top and corpus folder; --corpus beats the config.
    fs::create_dir_all(dir.join("other")).unwrap();
    fs::write(dir.join("other/b.txt"), b"date 2024-05-02 Barley only.").unwrap();
    fs::write(
        dir.join("my.toml"),
        "[corpus]\ndir = \"other\"\n[search]\ntop = 3\nmin_score = 0\n",
    )
    .unwrap();
    let o = run_in(
        dir,
        &["ask", "--config", "my.toml", "--json", "barley wheat"],
        None,
    );
    assert_ok(&o);
    let answers = json_lines(&o)[0]["answers"].clone();
    assert_eq!(answers.as_array().unwrap().len(), 1, "{answers}");
    assert_eq!(answers[0]["quote"], "Barley only.");
    let o = run_in(
        dir,
        &[
            "ask",
            "--config",
            "my.toml",
            "--corpus",
            "corpus",
            "--json",
            "barley wheat",
        ],
        None,
    );
    assert_eq!(json_lines(&o)[0]["answers"].as_array().unwrap().len(), 2);

    // A broken config is an error naming the file.
    fs::write(dir.join("bad.toml"), "[search]\ntop = \"many\"\n").unwrap();
    let o = run_in(dir, &["ask", "--config", "bad.toml", "wheat"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
}

#[test]
fn chat_gives_the_bots_replies() {
    let o = run_in(
        &root(),
        &["chat"],
        Some(
            "/about\nWhat did Mishustin say about grain?\n/context\n/quit\nnever read\n".as_bytes(),
        ),
    );
    assert_ok(&o);
    let out = stdout(&o);
    assert!(out.contains("I know 1 article with 8 sentences"), "{out}");
    assert!(out.contains(GRAIN), "{out}");
    assert!(out.contains("» Once the grain"), "{out}");
    assert!(!out.contains("never read"), "{out}");
}

#[test]
fn help_lists_the_subcommands() {
    let o = run(&["--help"]);
    assert_ok(&o);
    let out = stdout(&o);
    for sub in ["ask", "chat", "check"] {
        assert!(out.contains(sub), "{out}");
    }
}

#[test]
fn add_turns_a_text_file_into_an_article_and_refuses_duplicates() {
    let tmp = temp_corpus(&[("2024-01-01-old.txt", b"date 2024-01-01 Old news about tin.")]);
    let dir = tmp.path();
    fs::write(
        dir.join("outside.txt"),
        "Grain flows resumed on Monday.\nPorts reopened.\n",
    )
    .unwrap();
    let o = run_in(
        dir,
        &[
            "add",
            "outside.txt",
            "--date",
            "2024-10-05",
            "--title",
            "Grain flows resume",
            "--source",
            "https://example.org/g",
        ],
        None,
    );
    assert_ok(&o);
    assert!(
        stdout(&o).contains("“Grain flows resume”, 5 October 2024, 2 sentences"),
        "{}",
        stdout(&o)
    );
    let written = fs::read_to_string(dir.join("corpus/2024-10-05-Grain-flows-resume.txt")).unwrap();
    assert_eq!(
        written,
        "title: Grain flows resume\ndate: 2024-10-05\nsource: https://example.org/g\n\nGrain flows resumed on Monday.\nPorts reopened.\n"
    );
    // Now answered.
    let o = run_in(dir, &["ask", "--json", "grain flows"], None);
    assert_eq!(
        json_lines(&o)[0]["answers"][0]["quote"],
        "Grain flows resumed on Monday."
    );
    // The same text again, even wrapped differently: refused, nothing written.
    fs::write(
        dir.join("again.txt"),
        "Grain flows resumed   on Monday. Ports\nreopened.",
    )
    .unwrap();
    let o = run_in(dir, &["add", "again.txt", "--date", "2024-10-06"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("same text as 2024-10-05-Grain-flows-resume.txt"),
        "{}",
        stderr(&o)
    );
    // (Beside the index file.)
    let articles = fs::read_dir(dir.join("corpus"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != quotebot::live::INDEX_FILE)
        .count();
    assert_eq!(articles, 2);
    // A bad date is refused before anything is read.
    let o = run_in(dir, &["add", "again.txt", "--date", "2024-13-45"], None);
    assert_eq!(o.status.code(), Some(2));
    // Listing: newest first.
    let o = run_in(dir, &["articles"], None);
    assert_ok(&o);
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("5 October 2024 — Grain flows resume"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("1 January 2024 — Old"), "{lines:?}");
}

/// A character that counts as a letter but normalizes to nothing — a tatweel standing alone
/// (U+0640), as Persian and Arabic typography use it, or Arabic small waw and yeh (U+06E5,
/// U+06E6) — once made every question that reached its sentence panic (exit 101).
#[test]
fn letters_that_normalize_to_nothing_are_answered_around() {
    let tmp = temp_corpus(&[(
        "tatweel.txt",
        "date: 2024-09-30\n\nGrain \u{640} exports rose sharply.\n\nOil \u{6e5} \u{6e6} \u{64e} prices fell.\n\nاین \u{640} گندم است.\n"
            .as_bytes(),
    )]);
    for (question, quote) in [
        ("grain exports", "Grain \u{640} exports rose sharply."),
        ("oil prices", "Oil \u{6e5} \u{6e6} \u{64e} prices fell."),
        ("گندم", "این \u{640} گندم است."),
        ("\u{640} grain", "Grain \u{640} exports rose sharply."),
    ] {
        let o = run_in(tmp.path(), &["ask", "--json", question], None);
        assert_ok(&o);
        let lines = json_lines(&o);
        assert_eq!(
            lines[0]["answers"][0]["quote"], quote,
            "{question:?}: {lines:?}"
        );
    }
}
