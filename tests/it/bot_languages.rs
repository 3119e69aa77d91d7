//! The bot's own words in English, Russian and Persian, through the built binary against the
//! fake Bot API (`tests/common`): `/start`, `/help`, "not found" and an answer with its date and
//! buttons for Telegram language codes `en`, `ru`, `fa-IR`, an unknown one (`de`) and none;
//! inline answers in the asker's language; the command menu registered per language
//! (`setMyCommands` with `language_code`), or once without a code when `[telegram] language`
//! sets one language for everyone (who then all get it), and a language the config does not
//! know refused; a follow alert in the language of whoever followed the topic; and
//! `quotebot chat --lang`. Quotes and titles stay as the articles have them. (The engine's own
//! languages are `tests/languages.rs`.)

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::FakeApi;
use common::process::BotProcess;
use common::{inline_query_in, message_in};

const TOKEN: &str = "555111:LANG-secret-token-QWERTY";
const WAIT: Duration = Duration::from_secs(60);

/// The question the repository's article answers, and one it does not.
const QUESTION: &str = "What did Mishustin say about grain?";
const NOT_IN_THE_ARTICLES: &str = "What is the capital of France?";
/// Words of the quote that answers [`QUESTION`] (the article's own English).
const QUOTE_WORDS: &str = "<b>grain</b> hub in the region, he added.";

const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

/// Sends `text` in private chat `chat` from a user whose Telegram speaks `code`, and returns
/// the reply: the `n`-th message to that chat.
async fn say(api: &FakeApi, chat: i64, code: Option<&str>, text: &str, n: usize) -> Value {
    api.push(message_in(chat, chat, n as i64, text, code));
    api.wait_for("sendMessage", n, WAIT, |b| b["chat_id"] == chat)
        .await
        .remove(n - 1)
        .body
}

fn text(body: &Value) -> String {
    body["text"].as_str().unwrap_or_default().to_string()
}

/// The labels of the buttons under a message.
fn labels(body: &Value) -> Vec<String> {
    body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| b["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What one language's reader must get.
struct Expected {
    start: &'static str,
    help_line: &'static str,
    not_found: &'static str,
    date: &'static str,
    more: &'static str,
}

const ENGLISH: Expected = Expected {
    start: "Hi! Ask me anything about the news articles I know",
    help_line: "/help — show this help",
    not_found: "Sorry, I found nothing about that in the articles. <i>Try other words",
    date: "\n— Iran and Russia vow to expand cooperation, 30 September 2024",
    more: "More",
};

const RUSSIAN: Expected = Expected {
    start: "Здравствуйте! Задайте вопрос о новостях",
    help_line: "/help — показать эту справку",
    not_found: "Извините, в статьях об этом ничего нет. <i>Попробуйте другие слова",
    date: "\n— Iran and Russia vow to expand cooperation, 30 сентября 2024",
    more: "Ещё",
};

const PERSIAN: Expected = Expected {
    start: "سلام! هر سؤالی دربارهٔ مقاله‌های خبری",
    help_line: "\u{200f}/help — نمایش این راهنما",
    not_found: "متأسفم، در مقاله‌ها چیزی در این باره پیدا نکردم. <i>واژه‌های دیگری",
    date: "\n— \u{2068}Iran and Russia vow to expand cooperation\u{2069}، ۹ مهر ۱۴۰۳ (30 September 2024)",
    more: "بیشتر",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_help_not_found_and_answers_in_each_language() {
    let dir = common::process::copy_of_repo();
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(dir.path(), &api.url(), Some(TOKEN));
    api.wait_for("setMyCommands", 3, WAIT, |_| true).await;

    let readers: [(i64, Option<&str>, &Expected); 5] = [
        (11, Some("en"), &ENGLISH),
        (12, Some("ru"), &RUSSIAN),
        (13, Some("fa-IR"), &PERSIAN),
        (14, Some("de"), &ENGLISH),
        (15, None, &ENGLISH),
    ];
    for (chat, code, want) in readers {
        let start = text(&say(&api, chat, code, "/start", 1).await);
        assert!(start.starts_with(want.start), "{code:?}: {start}");
        let help = text(&say(&api, chat, code, "/help", 2).await);
        assert!(help.contains(want.help_line), "{code:?}: {help}");
        let not_found = text(&say(&api, chat, code, NOT_IN_THE_ARTICLES, 3).await);
        assert!(
            not_found.starts_with(want.not_found),
            "{code:?}: {not_found}"
        );
        let answer = say(&api, chat, code, QUESTION, 4).await;
        let quote = text(&answer);
        assert!(
            quote.contains(QUOTE_WORDS) && quote.ends_with(want.date),
            "{code:?}: {quote}"
        );
        assert!(
            labels(&answer).first() == Some(&want.more.to_string()),
            "{code:?}: {:?}",
            labels(&answer)
        );
    }
    // Persian: the English quote is an isolate, inside Persian quotation marks.
    let persian = text(
        &api.served("sendMessage")
            .into_iter()
            .filter(|c| c.body["chat_id"] == 13)
            .nth(3)
            .unwrap()
            .body,
    );
    assert!(
        persian.starts_with(&format!("«{FSI}")) && persian.contains(&format!("{PDI}»\n— ")),
        "{persian}"
    );
    let russian_help = text(
        &api.served("sendMessage")
            .into_iter()
            .find(|c| c.body["chat_id"] == 12 && text(&c.body).contains("/help"))
            .unwrap()
            .body,
    );
    assert!(
        russian_help.contains("/follow — получать новые цитаты на тему"),
        "{russian_help}"
    );

    // Inline mode speaks the asker's language.
    api.push(inline_query_in(16, "grain export", "ru"));
    let inline = api
        .wait_for("answerInlineQuery", 1, WAIT, |_| true)
        .await
        .remove(0);
    let first = &inline.body["results"][0];
    let content = first["input_message_content"]["message_text"]
        .as_str()
        .unwrap_or_default();
    assert!(content.contains("30 сентября 2024"), "{content}");
    assert_eq!(
        first["description"],
        "Iran and Russia vow to expand cooperation, 30 сентября 2024"
    );

    // The command menu: English as the default, then Russian and Persian under their codes.
    let menus = api.served("setMyCommands");
    assert_eq!(menus.len(), 3, "{menus:#?}");
    let help_of = |body: &Value| -> String {
        body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["command"] == "help")
            .map(|c| c["description"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let by_code: Vec<(Option<&str>, String)> = menus
        .iter()
        .map(|c| (c.body["language_code"].as_str(), help_of(&c.body)))
        .collect();
    assert_eq!(
        by_code,
        [
            (None, "show this help".to_string()),
            (Some("ru"), "показать эту справку".to_string()),
            (Some("fa"), "نمایش این راهنما".to_string()),
        ]
    );
    for menu in &menus {
        let names: Vec<&str> = menu.body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "start",
                "help",
                "ask",
                "articles",
                "about",
                "follow",
                "following",
                "unfollow"
            ],
            "the same commands in every language, without their slash"
        );
    }

    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
}

/// A folder with the repository's corpus and a config holding `telegram`.
fn folder_with_config(telegram: &str) -> tempfile::TempDir {
    let dir = common::process::copy_of_repo();
    std::fs::write(
        dir.path().join("config/quotebot.toml"),
        format!("[telegram]\n{telegram}\n"),
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_language_set_in_the_config_is_everyones() {
    let dir = folder_with_config("language = \"ru\"\nadmins = [900]");
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(dir.path(), &api.url(), Some(TOKEN));
    api.wait_for("setMyCommands", 2, WAIT, |_| true).await;
    for (chat, code) in [(21, Some("fa")), (22, Some("en")), (23, None)] {
        let start = text(&say(&api, chat, code, "/start", 1).await);
        assert!(start.starts_with(RUSSIAN.start), "{code:?}: {start}");
        let answer = text(&say(&api, chat, code, QUESTION, 2).await);
        assert!(answer.ends_with(RUSSIAN.date), "{code:?}: {answer}");
    }
    // Registered once, without a language code, in Russian (and once more for the admin's
    // chat); the lists an earlier "auto" may have left for Russian and Persian users, the
    // admin's too, are deleted.
    let menus = api.served("setMyCommands");
    assert_eq!(menus.len(), 2, "{menus:#?}");
    for menu in &menus {
        assert!(menu.body.get("language_code").is_none(), "{menus:#?}");
        assert!(
            menu.body["commands"]
                .to_string()
                .contains("показать эту справку"),
            "{menus:#?}"
        );
    }
    assert_eq!(menus[1].body["scope"]["chat_id"], 900);
    assert!(
        menus[1].body["commands"]
            .to_string()
            .contains("перечитать папку со статьями"),
        "{menus:#?}"
    );
    let deleted: Vec<(String, Value)> = api
        .served("deleteMyCommands")
        .iter()
        .map(|c| {
            (
                c.body["language_code"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string(),
                c.body["scope"]["chat_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        deleted,
        [
            ("ru".to_string(), Value::Null),
            ("ru".to_string(), Value::from(900)),
            ("fa".to_string(), Value::Null),
            ("fa".to_string(), Value::from(900)),
        ]
    );
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");

    // A language it does not speak is a configuration error, said in one line.
    let dir = folder_with_config("language = \"de\"");
    let out = Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .args(["ask", "grain"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("quotebot.toml")
            && stderr.contains("language must be \"auto\", \"en\", \"ru\" or \"fa\", not \"de\""),
        "{stderr}"
    );
}

/// Waits until the bot's log has `n` lines containing `what`.
async fn logged(bot: &BotProcess, what: &str, n: usize) {
    let deadline = Instant::now() + WAIT;
    while bot.output().matches(what).count() < n {
        assert!(
            Instant::now() < deadline,
            "waited for {n}× {what:?}:\n{}",
            bot.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An alert is written in the language of whoever followed the topic: Persian for one chat,
/// English for another, the same quote in both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_alert_comes_in_the_followers_language() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(
        corpus.join("2024-01-01-kazakh-grain.txt"),
        "date 2024-01-01\n\nGrain exports rose in Kazakhstan.",
    )
    .unwrap();
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn_with(
        dir.path(),
        &api.url(),
        Some(TOKEN),
        Some("info,quotebot::telegram::ops=debug"),
    );
    logged(&bot, "follow alerts checked", 1).await;

    let followed = text(&say(&api, 5, Some("fa"), "/follow grain exports", 1).await);
    assert_eq!(
        followed,
        format!(
            "«<b>{FSI}grain exports{PDI}</b>» را دنبال می‌کنم. وقتی مقالهٔ تازه‌ای به آن پاسخ دهد، نقل‌قول را همین‌جا می‌فرستم. /following موضوع‌هایتان را نشان می‌دهد."
        )
    );
    let followed = text(&say(&api, 6, Some("en-US"), "/follow grain exports", 1).await);
    assert!(
        followed.starts_with("Following “<b>grain exports</b>”"),
        "{followed}"
    );

    std::fs::write(
        corpus.join("2024-03-01-russia-grain.txt"),
        "date 2024-03-01\n\nRussia's grain exports hit a record in March.",
    )
    .unwrap();
    let persian = text(
        &api.wait_for("sendMessage", 2, WAIT, |b| b["chat_id"] == 5)
            .await
            .remove(1)
            .body,
    );
    assert!(
        persian.starts_with(&format!("مطلب تازه در مقاله‌ها: «{FSI}Russia")),
        "{persian}"
    );
    assert!(
        persian.contains("record in March.") && persian.contains(&format!("{PDI}»\n— ")),
        "the quote as it is, in an isolate: {persian}"
    );
    // 1 March 2024 is 11 Esfand 1402.
    assert!(
        persian.contains("، ۱۱ اسفند ۱۴۰۲ (1 March 2024)<i>\n"),
        "{persian}"
    );
    assert!(
        persian.ends_with(&format!(
            "<i>\nچون «{FSI}grain exports{PDI}» را دنبال می‌کنید.</i>"
        )),
        "{persian}"
    );
    let english = text(
        &api.wait_for("sendMessage", 2, WAIT, |b| b["chat_id"] == 6)
            .await
            .remove(1)
            .body,
    );
    assert!(
        english.starts_with("New in the articles: “Russia")
            && english.contains(", 1 March 2024<i>\n")
            && english.ends_with("Because you follow “grain exports”.</i>"),
        "{english}"
    );
    // `/following` numbers in Persian digits, and a Persian keyboard types them back.
    let listed = text(&say(&api, 5, Some("fa"), "/following", 3).await);
    assert!(listed.contains("۱. "), "{listed}");
    let unfollowed = text(&say(&api, 5, Some("fa"), "/unfollow ۱", 4).await);
    assert!(unfollowed.contains("grain exports"), "{unfollowed}");
    let listed = text(&say(&api, 5, Some("fa"), "/following", 5).await);
    assert!(!listed.contains("grain exports"), "{listed}");
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
}

/// `quotebot chat` with each reply's words through standard input.
fn chat(dir: &Path, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .arg("chat")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_terminal_chat_speaks_the_language_asked_for() {
    let dir = common::process::copy_of_repo();
    let input = format!("{QUESTION}\n{NOT_IN_THE_ARTICLES}\n");
    let ru = chat(dir.path(), &["--lang", "ru"], &input);
    let ru_out = String::from_utf8_lossy(&ru.stdout);
    assert!(ru.status.success(), "{ru_out}");
    assert!(
        ru_out.contains("grain hub in the region, he added.»\n— Iran and Russia vow to expand cooperation, 30 сентября 2024")
            && ru_out.contains("Извините, в статьях об этом ничего нет."),
        "{ru_out}"
    );
    let fa = chat(dir.path(), &["--lang", "fa"], "/about\n");
    let fa_out = String::from_utf8_lossy(&fa.stdout);
    assert!(
        fa_out.starts_with("۱ مقاله (") && fa_out.contains("۹ مهر ۱۴۰۳ (30 September 2024)"),
        "{fa_out}"
    );
    // English without the flag, as before.
    let en = chat(dir.path(), &[], &input);
    let en_out = String::from_utf8_lossy(&en.stdout);
    assert!(
        en_out.contains("30 September 2024") && en_out.contains("Sorry, I found nothing"),
        "{en_out}"
    );
    let de = chat(dir.path(), &["--lang", "de"], "");
    assert_eq!(de.status.code(), Some(2), "clap refuses it");
    assert!(String::from_utf8_lossy(&de.stderr).contains("possible values: en, ru, fa"));
}
