//! Following feeds end to end: `quotebot feeds --poll` against RSS, Atom and JSON feeds served
//! on 127.0.0.1, a feed gaining items between two polls and across a restart of the bot (which
//! polls by itself), nothing added twice (same link or same text), the item's date when the
//! page has none, and a malformed or missing feed reported and retried without stopping the
//! others. The seen-state is the hidden `.quotebot-feeds.json` in the corpus folder.

use crate::common;
use crate::site;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::process::BotProcess;
use common::{FakeApi, message};
use site::{Reply, Site, page};

const WAIT: Duration = Duration::from_secs(60);

fn rss(items: &[(&str, &str, Option<&str>)]) -> Reply {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title><link>http://example.org/</link><description>d</description>"#,
    );
    // Newest first, as feeds list them.
    for (title, link, date) in items.iter().rev() {
        xml.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        ));
        if let Some(d) = date {
            xml.push_str(&format!("<pubDate>{d}</pubDate>"));
        }
        xml.push_str("</item>");
    }
    xml.push_str("</channel></rss>");
    Reply::ok("application/rss+xml", xml.into_bytes())
}

fn setup(site: &Site, feeds: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("corpus")).unwrap();
    fs::create_dir_all(tmp.path().join("config")).unwrap();
    let mut config =
        String::from("[telegram]\nadmins = [1]\n[web]\nallow_private_addresses = true\n");
    for (path, every) in feeds {
        config.push_str(&format!(
            "[[feeds]]\nurl = \"{}\"\nevery = \"{every}\"\n",
            site.url(path)
        ));
    }
    fs::write(tmp.path().join("config/quotebot.toml"), config).unwrap();
    tmp
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The article files of the corpus, sorted.
fn articles(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

fn feed_lines(dir: &Path) -> Vec<serde_json::Value> {
    let o = run(dir, &["feeds", "--json"]);
    assert!(o.status.success(), "{}", describe(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(site: &Site, path: &str) -> usize {
    site.hits().iter().filter(|h| *h == path).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_gains_items_between_polls_and_after_a_restart() {
    let site = Site::start();
    site.route("/a", Reply::ok("text/html", page("ru-utf8.html")));
    site.route("/a-copy", Reply::ok("text/html", page("ru-utf8.html")));
    site.route("/b", Reply::ok("text/html", page("fa-utf8.html")));
    site.route("/c", Reply::ok("text/html", page("ru-undated.html")));
    site.route(
        "/d",
        Reply::ok("text/html; charset=windows-1251", page("ru-1251.html")),
    );
    site.route(
        "/news/2024/09/30/tram",
        Reply::ok("text/html", page("en-url-date.html")),
    );
    site.route(
        "/feed.xml",
        rss(&[
            ("A", "/a", None),
            ("B", "/b", None),
            ("A again", "/a-copy", None),
        ]),
    );
    let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Culture</title><id>urn:c</id><updated>2024-05-18T10:00:00Z</updated>
        <entry><title>Museum</title><id>urn:c:1</id><link href="/c"/><updated>2024-05-18T10:00:00Z</updated></entry></feed>"#;
    site.route(
        "/atom.xml",
        Reply::ok("application/atom+xml", atom.as_bytes()),
    );
    let tmp = setup(&site, &[("/feed.xml", "10m"), ("/atom.xml", "10m")]);
    let dir = tmp.path();

    let o = run(dir, &["feeds", "--poll"]);
    assert!(o.status.success(), "{}", describe(&o));
    let files = articles(dir);
    assert_eq!(
        files.len(),
        3,
        "a, b and c; a-copy is the same text as a: {files:?}"
    );
    // The page had no date: the Atom entry's is used.
    assert!(
        files
            .contains(&"2024-05-18-В-Казани-открылся-музей-современного-искусства.txt".to_string()),
        "{files:?}"
    );
    let lines = feed_lines(dir);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["items"], 3, "{lines:?}");
    assert_eq!(lines[0]["added"], 2, "{lines:?}");
    assert_eq!(lines[1]["added"], 1, "{lines:?}");
    assert!(
        lines[0]["last_fetch"].is_string() && lines[0]["error"].is_null(),
        "{lines:?}"
    );
    assert!(dir.join("corpus/.quotebot-feeds.json").exists());

    // Nothing new: no page fetched again, nothing added.
    let o = run(dir, &["feeds", "--poll"]);
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(articles(dir), files);
    for p in ["/a", "/b", "/c", "/a-copy"] {
        assert_eq!(count(&site, p), 1, "{p} fetched again: {:?}", site.hits());
    }

    // The feed gains an item: only it is fetched and added.
    site.route(
        "/feed.xml",
        rss(&[
            ("A", "/a", None),
            ("B", "/b", None),
            ("A again", "/a-copy", None),
            ("D", "/d", None),
        ]),
    );
    let o = run(dir, &["feeds", "--poll"]);
    assert!(o.status.success(), "{}", describe(&o));
    let files = articles(dir);
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(
        files.contains(&"2024-09-13-Центробанк-сохранил-ключевую-ставку.txt".to_string()),
        "{files:?}"
    );
    assert_eq!(count(&site, "/d"), 1);

    // The bot, started afresh, polls by itself: a new item is added and answered from, and
    // nothing it saw before is fetched again.
    site.route(
        "/feed.xml",
        rss(&[
            ("A", "/a", None),
            ("B", "/b", None),
            ("A again", "/a-copy", None),
            ("D", "/d", None),
            (
                "E",
                "/news/2024/09/30/tram",
                Some("Mon, 30 Sep 2024 08:00:00 GMT"),
            ),
        ]),
    );
    let config = fs::read_to_string(dir.join("config/quotebot.toml")).unwrap();
    fs::write(
        dir.join("config/quotebot.toml"),
        config.replace("\"10m\"", "\"1s\""),
    )
    .unwrap();
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(dir, &api.url(), Some("42:feeds-token"));
    let deadline = Instant::now() + WAIT;
    let tram = "2024-09-30-Old-tram-depot-to-become-a-covered-market.txt";
    // The file appears before the bot's index has it (the bot reloads after writing it); the
    // round's log line comes after both.
    while !(articles(dir).contains(&tram.to_string()) && bot.output().contains(" 1 added")) {
        assert!(
            Instant::now() < deadline,
            "the bot did not add the new item: {:?}\n{}",
            articles(dir),
            bot.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.wait_for("setMyCommands", 1, WAIT, |_| true).await;
    api.push(message(5, 5, 1, "what will the old tram depot become?"));
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 5)
        .await;
    let text = replies[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("covered market") && text.contains("30 September 2024"),
        "{text}"
    );
    // Two more rounds of the bot (every 1 s); the old items are still fetched once each.
    let polled = count(&site, "/feed.xml");
    while count(&site, "/feed.xml") < polled + 2 {
        assert!(
            Instant::now() < deadline,
            "the bot stopped polling: {:?}",
            site.hits()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for p in ["/a", "/b", "/c", "/a-copy", "/d", "/news/2024/09/30/tram"] {
        assert_eq!(count(&site, p), 1, "{p}: {:?}", site.hits());
    }
    bot.signal("INT");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert_eq!(articles(dir).len(), 5, "{:?}", articles(dir));
}

#[test]
fn a_malformed_or_missing_feed_is_reported_and_retried_without_stopping_the_others() {
    let site = Site::start();
    site.route("/a", Reply::ok("text/html", page("ru-utf8.html")));
    site.route("/b", Reply::ok("text/html", page("fa-meta.html")));
    site.route(
        "/bad.xml",
        Reply::ok(
            "application/rss+xml",
            b"<rss><channel><item><title>cut off".to_vec(),
        ),
    );
    let json_feed = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{{"id": "1", "url": "{}", "title": "A"}}]}}"#,
        site.url("/a")
    );
    site.route(
        "/feed.json",
        Reply::ok("application/feed+json", json_feed.into_bytes()),
    );
    let tmp = setup(
        &site,
        &[
            ("/bad.xml", "15m"),
            ("/missing.xml", "15m"),
            ("/feed.json", "15m"),
        ],
    );
    let dir = tmp.path();

    let o = run(dir, &["feeds", "--poll"]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.xml: failed: malformed feed"), "{err}");
    assert!(
        err.contains("missing.xml: failed: the server answered 404"),
        "{err}"
    );
    assert_eq!(
        articles(dir),
        vec!["2024-09-30-Россия-откроет-каспийский-коридор-для-экспорта-зерна.txt"]
    );
    let lines = feed_lines(dir);
    assert!(
        lines[0]["error"].as_str().unwrap().contains("malformed"),
        "{lines:?}"
    );
    assert_eq!(lines[2]["added"], 1, "{lines:?}");
    let plain = String::from_utf8(run(dir, &["feeds"]).stdout).unwrap();
    assert!(plain.contains("failed: malformed feed"), "{plain}");

    // Mended: read on the next round, the error gone.
    site.route("/bad.xml", rss(&[("B", "/b", None)]));
    let o = run(dir, &["feeds", "--poll", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the missing feed still fails: {}",
        describe(&o)
    );
    let lines = feed_lines(dir);
    assert!(lines[0]["error"].is_null(), "{lines:?}");
    assert_eq!(lines[0]["added"], 1, "{lines:?}");
    assert_eq!(articles(dir).len(), 2, "{:?}", articles(dir));
    // The state file is not an article and damages nothing.
    let o = run(dir, &["check"]);
    assert!(o.status.success(), "{}", describe(&o));
}
