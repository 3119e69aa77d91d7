//! Articles from the web, end to end through the binary: `quotebot add` with a link (served by
//! a little site on 127.0.0.1) or a saved page, `--json`, the date found or not, charsets, and
//! every refusal — which prints nothing on stdout, one line on stderr, and writes nothing.

use crate::site;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use site::{Reply, Site, page};

/// A folder with an empty corpus and a config that allows the local site.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(allow_private: bool) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("corpus")).unwrap();
        fs::create_dir(dir.path().join("config")).unwrap();
        fs::write(
            dir.path().join("config/quotebot.toml"),
            format!("[web]\nallow_private_addresses = {allow_private}\n"),
        )
        .unwrap();
        Setup { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_quotebot"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("http_proxy", "http://127.0.0.1:9")
            .output()
            .expect("quotebot runs")
    }

    fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    /// Every file in the corpus folder, hidden ones too (the index file and its temporary
    /// files left out).
    fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(self.corpus())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(quotebot::live::INDEX_FILE))
            .collect();
        out.sort();
        out
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.corpus().join(name)).unwrap()
    }

    /// `add --json`, which must succeed; its object.
    fn add_json(&self, target: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["add", "--json"];
        args.extend_from_slice(extra);
        args.push(target);
        let o = self.run(&args);
        assert_ok(&o);
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// `add` that must be refused with `why` in its one stderr line, nothing on stdout and
    /// nothing written.
    #[track_caller]
    fn refused(&self, target: &str, why: &str) {
        let before = self.files();
        let o = self.run(&["add", "--json", target]);
        assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
        assert_eq!(stdout(&o), "", "{}", describe(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: not added: "), "{err}");
        assert!(err.contains(why), "expected {why:?} in {err}");
        assert_eq!(self.files(), before, "nothing written");
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    )
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert!(o.status.success(), "{}", describe(o));
}

fn header_value<'a>(article: &'a str, key: &str) -> Option<&'a str> {
    article
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
}

#[test]
fn a_link_becomes_an_article_with_its_date_title_source_and_language() {
    let site = Site::start();
    site.route(
        "/ru",
        Reply::ok("text/html; charset=utf-8", page("ru-utf8.html")),
    );
    let s = Setup::new(true);
    let url = site.url("/ru");
    let v = s.add_json(&url, &[]);
    let name = "2024-09-30-Россия-откроет-каспийский-коридор-для-экспорта-зерна.txt";
    assert_eq!(v["path"], format!("corpus/{name}"), "{v}");
    assert_eq!(
        v["title"], "Россия откроет каспийский коридор для экспорта зерна",
        "{v}"
    );
    assert_eq!(v["date"], "2024-09-30", "{v}");
    assert_eq!(v["source"], url.as_str(), "{v}");
    assert!(v["sentences"].as_u64().unwrap() >= 4, "{v}");
    let text = s.read(name);
    assert_eq!(header_value(&text, "date"), Some("2024-09-30"), "{text}");
    assert_eq!(header_value(&text, "source"), Some(url.as_str()), "{text}");
    assert_eq!(header_value(&text, "lang"), Some("ru"), "{text}");
    assert!(text.contains("первые поставки пшеницы в Иран"), "{text}");
    for boilerplate in [
        "cookie",
        "Отличная новость",
        "Все права защищены",
        "Цены на пшеницу выросли",
    ] {
        assert!(!text.contains(boilerplate), "{boilerplate:?} in {text}");
    }
    // The article answers questions like any other.
    let o = s.run(&["ask", "--json", "когда начнутся поставки пшеницы в Иран?"]);
    assert_ok(&o);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(answer["answers"][0]["date"], "2024-09-30", "{answer}");
    assert_eq!(answer["answers"][0]["source"], url.as_str(), "{answer}");
}

#[test]
fn windows_1251_from_the_header_or_from_the_page() {
    let site = Site::start();
    site.route(
        "/header",
        Reply::ok("text/html; charset=windows-1251", page("ru-1251.html")),
    );
    // No charset in the header: the page's <meta charset> decides.
    site.route("/meta", Reply::ok("text/html", page("ru-1251.html")));
    let s = Setup::new(true);
    let v = s.add_json(&site.url("/header"), &[]);
    assert_eq!(v["title"], "Центробанк сохранил ключевую ставку", "{v}");
    assert_eq!(v["date"], "2024-09-13", "{v}");
    let text = s.read(v["path"].as_str().unwrap().trim_start_matches("corpus/"));
    assert!(
        text.contains("сохранил ключевую ставку на уровне девятнадцати процентов"),
        "{text}"
    );
    // The same text again, by its other address: a duplicate.
    s.refused(&site.url("/meta"), "same text");
    let s2 = Setup::new(true);
    let v = s2.add_json(&site.url("/meta"), &[]);
    assert_eq!(v["title"], "Центробанк сохранил ключевую ставку", "{v}");
}

#[test]
fn a_page_without_a_date_is_added_undated_with_a_warning_and_fixed_with_date() {
    let site = Site::start();
    site.route("/museum", Reply::ok("text/html", page("ru-undated.html")));
    let s = Setup::new(true);
    let url = site.url("/museum");
    let o = s.run(&["add", &url]);
    assert_ok(&o);
    let name = "undated-В-Казани-открылся-музей-современного-искусства.txt";
    assert_eq!(
        stdout(&o),
        format!(
            "added corpus/{name}: “В Казани открылся музей современного искусства”, date unknown, 4 sentences\n"
        )
    );
    assert!(stderr(&o).contains("no date found"), "{}", describe(&o));
    let text = s.read(name);
    assert_eq!(
        header_value(&text, "date"),
        None,
        "never today's date: {text}"
    );
    let o = s.run(&["ask", "--json", "музей современного искусства в Казани"]);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        answer["answers"][0]["date"],
        serde_json::Value::Null,
        "{answer}"
    );
    // Added again with its date: the dated copy replaces the undated one.
    let v = s.add_json(&url, &["--date", "2024-05-18"]);
    assert_eq!(v["date"], "2024-05-18", "{v}");
    assert_eq!(
        s.files(),
        vec!["2024-05-18-В-Казани-открылся-музей-современного-искусства.txt"]
    );
    // And once dated, the same page is a duplicate.
    s.refused(&url, "same");
}

#[test]
fn the_date_from_the_address_and_title_and_source_overridden() {
    let site = Site::start();
    site.route(
        "/news/2024/09/30/tram-depot-market",
        Reply::html(&String::from_utf8(page("en-url-date.html")).unwrap()),
    );
    let s = Setup::new(true);
    let v = s.add_json(
        &site.url("/news/2024/09/30/tram-depot-market"),
        &[
            "--title",
            "Tram depot",
            "--source",
            "https://herald.example/tram",
        ],
    );
    assert_eq!(v["date"], "2024-09-30", "{v}");
    assert_eq!(v["title"], "Tram depot", "{v}");
    assert_eq!(v["source"], "https://herald.example/tram", "{v}");
    assert_eq!(v["path"], "corpus/2024-09-30-Tram-depot.txt", "{v}");
}

#[test]
fn saved_pages_by_file_in_persian_and_russian() {
    let s = Setup::new(false);
    for (name, date, title) in [
        (
            "fa-utf8.html",
            "2024-09-30",
            "ورود نخستین محموله گندم روسیه از بندر انزلی",
        ),
        ("fa-meta.html", "2024-09-22", "کاهش نرخ تورم در شهریور"),
        (
            "ru-1251.html",
            "2024-09-13",
            "Центробанк сохранил ключевую ставку",
        ),
    ] {
        let file = s.dir.path().join(name);
        fs::write(&file, page(name)).unwrap();
        let v = s.add_json(file.to_str().unwrap(), &[]);
        assert_eq!(v["date"], date, "{name}: {v}");
        assert_eq!(v["title"], title, "{name}: {v}");
        assert_eq!(v["source"], serde_json::Value::Null, "{name}: {v}");
    }
    let fa = s.read("2024-09-30-ورود-نخستین-محموله-گندم-روسیه-از-بندر-انزلی.txt");
    assert_eq!(header_value(&fa, "lang"), Some("fa"), "{fa}");
    assert!(
        fa.contains("ایران می‌تواند به مرکز تجارت غلات در منطقه تبدیل شود"),
        "{fa}"
    );
    assert!(!fa.contains("کوکی"), "{fa}");
    // Binary data and an empty page are refused.
    let junk = s.dir.path().join("junk.html");
    fs::write(&junk, b"\x00\x01\x02<p>\xff\xfe").unwrap();
    s.refused(junk.to_str().unwrap(), "binary");
    let empty = s.dir.path().join("empty.htm");
    fs::write(&empty, b"<html><body><script>var a;</script></body></html>").unwrap();
    s.refused(empty.to_str().unwrap(), "no article text");
    // Nesting that would overflow the parser's stack: refused before parsing.
    let deep = s.dir.path().join("deep.html");
    fs::write(&deep, format!("<html><body>{}text", "<b>".repeat(100_000))).unwrap();
    s.refused(deep.to_str().unwrap(), "nested too deeply");
}

#[test]
fn html_files_in_the_corpus_are_read_at_load() {
    let s = Setup::new(false);
    fs::create_dir(s.corpus().join("saved")).unwrap();
    fs::write(s.corpus().join("saved/rates.htm"), page("ru-1251.html")).unwrap();
    fs::write(s.corpus().join("museum.html"), page("ru-undated.html")).unwrap();
    fs::write(s.corpus().join("broken.html"), b"\x00\x00\x00").unwrap();
    fs::write(s.corpus().join("deep.html"), "<div>".repeat(200_000)).unwrap();
    let o = s.run(&["check"]);
    let out = stdout(&o);
    assert!(out.contains("2 articles"), "{}", describe(&o));
    assert!(out.contains("broken.html"), "{out}");
    assert!(out.contains("deep.html"), "{out}");
    assert!(out.contains("museum.html: no date found"), "{out}");
    let o = s.run(&["ask", "--json", "ключевая ставка центробанка"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["answers"][0]["title"], "Центробанк сохранил ключевую ставку",
        "{v}"
    );
    assert_eq!(v["answers"][0]["date"], "2024-09-13", "{v}");
    assert_eq!(v["answers"][0]["path"], "corpus/saved/rates.htm", "{v}");
}

#[test]
fn redirects_are_followed_up_to_five() {
    let site = Site::start();
    site.route("/ru", Reply::ok("text/html", page("ru-utf8.html")));
    for i in 1..=6 {
        let next = if i == 1 {
            "/ru".to_string()
        } else {
            format!("/r{}", i - 1)
        };
        site.route(&format!("/r{i}"), Reply::Redirect(next));
    }
    let s = Setup::new(true);
    s.refused(&site.url("/r6"), "redirects more than 5 times");
    let v = s.add_json(&site.url("/r5"), &[]);
    assert_eq!(v["date"], "2024-09-30", "{v}");
    assert_eq!(
        v["source"],
        site.url("/ru"),
        "the address it was read from: {v}"
    );
}

#[test]
fn errors_wrong_types_and_sizes_are_refused() {
    let site = Site::start();
    site.route(
        "/pdf",
        Reply::ok("application/pdf", b"%PDF-1.7\n...".to_vec()),
    );
    site.route("/png", Reply::ok("image/png", b"\x89PNG".to_vec()));
    site.route(
        "/broken",
        Reply::Body {
            status: 500,
            content_type: "text/html".into(),
            body: b"oops".to_vec(),
            no_length: false,
        },
    );
    let big = format!(
        "<html><body><p>{}</p></body></html>",
        "word ".repeat(1_300_000)
    );
    site.route("/big", Reply::html(&big));
    site.route(
        "/big-stream",
        Reply::Body {
            status: 200,
            content_type: "text/html".into(),
            body: big.into_bytes(),
            no_length: true,
        },
    );
    site.route("/empty", Reply::html("<html><body></body></html>"));
    let s = Setup::new(true);
    s.refused(&site.url("/missing"), "the server answered 404 Not Found");
    s.refused(&site.url("/broken"), "the server answered 500");
    s.refused(&site.url("/pdf"), "it is application/pdf, not a web page");
    s.refused(&site.url("/png"), "image/png");
    s.refused(&site.url("/big"), "larger than 5 MiB");
    s.refused(&site.url("/big-stream"), "larger than 5 MiB");
    s.refused(&site.url("/empty"), "no article text");
    s.refused("ftp://example.org/a.html", "only http and https");
    // Nothing listens on port 9 of 127.0.0.1 (the discard port, closed here): refused, not hung.
    s.refused("http://127.0.0.1:9/", "could not connect");
}

#[test]
fn a_server_that_never_answers_is_given_up() {
    let site = Site::start();
    site.route("/hang", Reply::Hang);
    let s = Setup::new(true);
    s.refused(&site.url("/hang"), "did not answer within 20 s");
}

#[test]
fn private_addresses_are_refused_by_default() {
    let site = Site::start();
    site.route("/ru", Reply::ok("text/html", page("ru-utf8.html")));
    let s = Setup::new(false);
    s.refused(&site.url("/ru"), "127.0.0.1 is a private or local address");
    s.refused(
        &format!("http://localhost:{}/ru", site.port),
        "localhost is a private or local address",
    );
    s.refused(
        &format!("http://[::ffff:127.0.0.1]:{}/ru", site.port),
        "private or local address",
    );
    s.refused(
        "http://169.254.169.254/latest/meta-data/",
        "private or local address",
    );
    assert!(
        site.hits().is_empty(),
        "nothing reached the server: {:?}",
        site.hits()
    );
}

#[test]
fn proxy_variables_are_ignored() {
    // HTTP_PROXY points at a closed port in every run of Setup; the fetch still succeeds.
    let site = Site::start();
    site.route("/fa", Reply::ok("text/html", page("fa-utf8.html")));
    let s = Setup::new(true);
    let v = s.add_json(&site.url("/fa"), &[]);
    assert_eq!(v["date"], "2024-09-30", "{v}");
    assert_eq!(site.hits(), vec!["/fa"]);
    let agent = &site.agents()[0];
    assert!(agent.starts_with("quotebot/"), "User-Agent: {agent}");
}

#[test]
fn compressed_pages_are_read_and_a_compression_bomb_is_refused() {
    let site = Site::start();
    site.route("/gz", Reply::Gzip(page("ru-utf8.html.gz")));
    // 20 KiB that inflate to 20 MiB.
    site.route("/bomb", Reply::Gzip(page("bomb.html.gz")));
    let s = Setup::new(true);
    s.refused(&site.url("/bomb"), "larger than 5 MiB");
    let v = s.add_json(&site.url("/gz"), &[]);
    assert_eq!(v["date"], "2024-09-30", "{v}");
    assert_eq!(
        v["title"], "Россия откроет каспийский коридор для экспорта зерна",
        "{v}"
    );
}

#[test]
fn text_files_keep_their_rules_and_print_json_too() {
    let s = Setup::new(false);
    let f = s.dir.path().join("note.txt");
    fs::write(
        &f,
        "date 2024-01-02\nTin output rose by a tenth in December.",
    )
    .unwrap();
    let v = s.add_json(f.to_str().unwrap(), &["--source", "https://tin.example/a"]);
    assert_eq!(v["path"], "corpus/2024-01-02-Note.txt", "{v}");
    assert_eq!(v["date"], "2024-01-02", "{v}");
    assert_eq!(v["source"], "https://tin.example/a", "{v}");
    assert_eq!(v["sentences"], 1, "{v}");
}

#[test]
fn the_living_corpus_reads_html_files_and_ignores_the_feeds_state() {
    let s = Setup::new(false);
    fs::write(s.corpus().join("a.txt"), "date 2024-01-02 Tin output rose.").unwrap();
    let (library, _) =
        quotebot::live::Library::open(&s.corpus(), quotebot::SearchConfig::default()).unwrap();
    fs::write(s.corpus().join("rates.html"), page("ru-1251.html")).unwrap();
    fs::write(s.corpus().join(".quotebot-feeds.json"), "{\"seen\": {}}").unwrap();
    let report = library.reload().unwrap();
    assert_eq!(report.added, 1, "{report}");
    assert!(report.problems.is_empty(), "{report}");
    let answers = library.engine().ask("ключевая ставка центробанка");
    assert_eq!(
        answers[0].title, "Центробанк сохранил ключевую ставку",
        "{answers:?}"
    );
    assert_eq!(
        answers[0].date.map(|d| d.to_string()).as_deref(),
        Some("2024-09-13")
    );
}
