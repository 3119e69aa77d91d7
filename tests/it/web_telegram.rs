//! Links and saved pages from the chat, through the built `quotebot telegram` against the
//! fake Bot API (`TELOXIDE_API_URL`) and a little web site, both on 127.0.0.1: an admin's link
//! (a bare URL or `/add URL`) is fetched and added, with a reply giving its title, date (or
//! "no date found") and sentences, or why it was refused; an admin's `.html` document is read
//! the same way; a stranger's link is an ordinary question and is never fetched.

use crate::common;
use crate::site;

use std::time::Duration;

use common::process::BotProcess;
use common::{FakeApi, message};
use site::{Reply, Site, page};

const TOKEN: &str = "123456:WEB-test-token";
const WAIT: Duration = Duration::from_secs(60);
const ADMIN: i64 = 777;
const STRANGER: i64 = 778;

/// The reply to the `n`-th message of `chat` (counting from 1).
async fn reply(api: &FakeApi, chat: i64, n: usize) -> String {
    let replies = api
        .wait_for("sendMessage", n, WAIT, |b| b["chat_id"] == chat)
        .await;
    replies[n - 1].body["text"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_links_and_saved_pages_and_strangers_links_are_questions() {
    let site = Site::start();
    site.route(
        "/ru",
        Reply::ok("text/html; charset=utf-8", page("ru-utf8.html")),
    );
    site.route("/museum", Reply::ok("text/html", page("ru-undated.html")));
    site.route(
        "/report.pdf",
        Reply::ok("application/pdf", b"%PDF-1.7".to_vec()),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config/quotebot.toml"),
        format!("[telegram]\nadmins = [{ADMIN}]\n[web]\nallow_private_addresses = true\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("corpus/2024-01-01-nickel.txt"),
        "date 2024-01-01 Nickel output rose in Norilsk.",
    )
    .unwrap();
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(dir, &api.url(), Some(TOKEN));
    api.wait_for("setMyCommands", 2, WAIT, |_| true).await;

    // A stranger's link is a question: nothing is fetched.
    api.push(message(STRANGER, STRANGER, 1, &site.url("/ru")));
    let text = reply(&api, STRANGER, 1).await;
    assert!(!text.contains("Added"), "{text}");
    assert!(
        site.hits().is_empty(),
        "a stranger's link was fetched: {:?}",
        site.hits()
    );

    // An admin's bare link: added, with its title, date and sentences.
    api.push(message(ADMIN, ADMIN, 2, &site.url("/ru")));
    let text = reply(&api, ADMIN, 1).await;
    assert!(
        text.contains("Россия откроет каспийский коридор для экспорта зерна"),
        "{text}"
    );
    assert!(text.contains("30 September 2024"), "{text}");
    assert!(text.contains("sentences"), "{text}");
    assert_eq!(site.hits(), vec!["/ru"]);
    let saved =
        dir.join("corpus/2024-09-30-Россия-откроет-каспийский-коридор-для-экспорта-зерна.txt");
    assert!(saved.exists(), "{}", saved.display());
    // …and answered from at once.
    api.push(message(
        STRANGER,
        STRANGER,
        3,
        "когда начнутся поставки пшеницы в Иран?",
    ));
    let text = reply(&api, STRANGER, 2).await;
    assert!(text.contains("30 September 2024"), "{text}");

    // `/add URL` of a page without a date: added undated, and the reply says so.
    api.push(message(
        ADMIN,
        ADMIN,
        4,
        &format!("/add {}", site.url("/museum")),
    ));
    let text = reply(&api, ADMIN, 2).await;
    assert!(text.contains("no date found"), "{text}");
    assert!(
        dir.join("corpus/undated-В-Казани-открылся-музей-современного-искусства.txt")
            .exists()
    );

    // Refusals say why: the same link again, a missing page, a PDF; `/add` alone.
    api.push(message(ADMIN, ADMIN, 5, &site.url("/ru")));
    let text = reply(&api, ADMIN, 3).await;
    assert!(
        text.starts_with("Not added:") && text.contains("same"),
        "{text}"
    );
    api.push(message(ADMIN, ADMIN, 6, &site.url("/gone")));
    let text = reply(&api, ADMIN, 4).await;
    assert!(
        text.contains("Not added: the server answered 404 Not Found"),
        "{text}"
    );
    api.push(message(
        ADMIN,
        ADMIN,
        7,
        &format!("/add {}", site.url("/report.pdf")),
    ));
    let text = reply(&api, ADMIN, 5).await;
    assert!(text.contains("application/pdf, not a web page"), "{text}");
    api.push(message(ADMIN, ADMIN, 8, "/add"));
    let text = reply(&api, ADMIN, 6).await;
    assert!(text.contains("Send /add with the article's link"), "{text}");

    // A saved page sent as a document, windows-1251.
    api.add_file("page1", &page("ru-1251.html"));
    api.push(common::document(
        ADMIN,
        ADMIN,
        9,
        "page1",
        "rates.html",
        2000,
    ));
    let text = reply(&api, ADMIN, 7).await;
    assert!(
        text.contains("Центробанк сохранил ключевую ставку"),
        "{text}"
    );
    assert!(text.contains("13 September 2024"), "{text}");
    // A stranger's saved page: refused, nothing written.
    api.add_file("page2", &page("fa-utf8.html"));
    api.push(common::document(
        STRANGER, STRANGER, 10, "page2", "fa.html", 2000,
    ));
    let text = reply(&api, STRANGER, 3).await;
    assert!(text.contains("only the bot's admins"), "{text}");

    bot.signal("INT");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    let mut files: Vec<String> = std::fs::read_dir(dir.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(quotebot::live::INDEX_FILE))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        4,
        "nickel, the link, the undated link, the saved page: {files:?}"
    );
    assert!(!files.iter().any(|f| f.contains("ورود")), "{files:?}");
}
