//! The bot through its real dispatcher, against a fake Bot API server on 127.0.0.1
//! (`tests/common`): questions in private chats and groups, commands, buttons, inline mode,
//! the allow-list, escaping. Waiting for a reply uses a generous timeout; nothing here asserts
//! that anything is fast.

use crate::common;
use crate::invariants;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use common::{FakeApi, button_press, inline_button_press, inline_query, message, sent_message};
use quotebot::SearchConfig;
use quotebot::config::TelegramConfig;
use quotebot::live::Library;
use quotebot::telegram::HandlerError;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

const WAIT: Duration = Duration::from_secs(30);
const TOKEN: &str = "123456:TEST-secret-token-abcdef";

struct Bot {
    api: FakeApi,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<quotebot::Result<()>>,
}

impl Bot {
    async fn start_with(corpus: &Path, config: TelegramConfig) -> Bot {
        Bot::start_with_handler(corpus, config, quotebot::telegram::schema()).await
    }

    async fn start_with_handler(
        corpus: &Path,
        config: TelegramConfig,
        handler: UpdateHandler<HandlerError>,
    ) -> Bot {
        let (library, problems) = Library::open(corpus, SearchConfig::default()).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        Bot::start_library(Arc::new(library), config, handler).await
    }

    /// The bot over `library` (which the test may reload), with `handler`.
    async fn start_library(
        library: Arc<Library>,
        config: TelegramConfig,
        handler: UpdateHandler<HandlerError>,
    ) -> Bot {
        let _ = env_logger::builder().is_test(true).try_init();
        let api = FakeApi::start().await;
        let bot = quotebot::telegram::bot(TOKEN, Some(api.url().parse().unwrap()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(quotebot::telegram::run_with(
            bot,
            library,
            config,
            handler,
            async move {
                let _ = stopped.await;
            },
        ));
        api.wait_for("setMyCommands", 1, WAIT, |_| true).await;
        Bot {
            api,
            stop: Some(stop),
            task,
        }
    }

    async fn start(config: TelegramConfig) -> Bot {
        Bot::start_with(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            config,
        )
        .await
    }

    /// Sends an update and waits for the `n`-th reply to `chat` (counting from 1).
    async fn reply_in(&self, chat: i64, n: usize, update: Value) -> common::Call {
        self.api.push(update);
        let replies = self
            .api
            .wait_for("sendMessage", n, WAIT, |b| b["chat_id"] == chat)
            .await;
        replies[n - 1].clone()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let result = tokio::time::timeout(WAIT, self.task).await;
        assert!(
            matches!(result, Ok(Ok(Ok(())))),
            "the bot stops cleanly: {result:?}"
        );
    }
}

fn text(call: &common::Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_string()
}

fn buttons(call: &common::Call) -> Vec<(String, String)> {
    call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["text"].as_str().unwrap_or_default().to_string(),
                b["callback_data"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_questions_are_answered_with_the_quote_bold_words_and_buttons() {
    let bot = Bot::start(TelegramConfig::default()).await;
    let reply = bot
        .reply_in(
            10,
            1,
            message(10, 10, 77, "What did Mishustin say about grain?"),
        )
        .await;
    let t = text(&reply);
    assert!(
        t.starts_with(
            "“Once the <b>grain</b> export is concluded, Iran can become a <b>grain</b> hub"
        ),
        "{t}"
    );
    assert!(
        t.ends_with("— Iran and Russia vow to expand cooperation, 30 September 2024"),
        "{t}"
    );
    assert_eq!(reply.body["parse_mode"], "HTML");
    assert_eq!(reply.body["reply_parameters"]["message_id"], 77);
    let b = buttons(&reply);
    assert_eq!(
        b.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["More", "Context"],
        "{b:?}"
    );
    assert!(b.iter().all(|(_, d)| d.len() <= 64), "{b:?}");

    // A question full of typos finds the same sentence.
    let reply = bot
        .reply_in(
            11,
            1,
            message(11, 11, 5, "wat did mishustn say abot grian export"),
        )
        .await;
    assert!(
        text(&reply).contains("<b>grain</b> hub in the region"),
        "{}",
        text(&reply)
    );

    // Nothing in the articles: a friendly "not found" with a hint, no buttons.
    let reply = bot
        .reply_in(12, 1, message(12, 12, 6, "What is the capital of France?"))
        .await;
    assert!(text(&reply).contains("found nothing") && text(&reply).contains("/articles"));
    assert!(buttons(&reply).is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_other_messages() {
    let bot = Bot::start(TelegramConfig::default()).await;
    let start = text(&bot.reply_in(20, 1, message(20, 20, 1, "/start")).await);
    assert!(
        start.starts_with("Hi!") && start.contains("/ask"),
        "{start}"
    );
    let help = text(&bot.reply_in(21, 1, message(21, 21, 1, "/help")).await);
    for c in ["/start", "/help", "/ask", "/articles", "/about"] {
        assert!(help.contains(c), "{help}");
    }
    let articles = text(&bot.reply_in(22, 1, message(22, 22, 1, "/articles")).await);
    assert!(
        articles.contains("30 September 2024 — Iran and Russia vow to expand cooperation"),
        "{articles}"
    );
    let about = text(&bot.reply_in(23, 1, message(23, 23, 1, "/about")).await);
    assert!(
        about.starts_with(
            "I know 1 article with 8 sentences; the newest is from 30 September 2024. The articles were last read on "
        ),
        "{about}"
    );
    let ask = text(
        &bot.reply_in(24, 1, message(24, 24, 1, "/ask Rasht-Astara railway"))
            .await,
    );
    assert!(ask.contains("Rasht-Astara"), "{ask}");
    let empty = text(&bot.reply_in(25, 1, message(25, 25, 1, "/ask")).await);
    assert!(empty.contains("Ask a question after /ask"), "{empty}");
    let unknown = text(&bot.reply_in(26, 1, message(26, 26, 1, "/frobnicate")).await);
    assert!(unknown.contains("I don't know that command"), "{unknown}");
    let sticker = text(&bot.reply_in(27, 1, common::sticker(27, 27, 1)).await);
    assert_eq!(
        sticker,
        "Send me a question in words, and I'll quote the articles."
    );
    // An edited question is answered again.
    let edited = text(
        &bot.reply_in(28, 1, common::edited(28, 28, 9, "sanctions"))
            .await,
    );
    assert!(edited.contains("<b>sanctions</b>"), "{edited}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_only_when_addressed() {
    let bot = Bot::start(TelegramConfig::default()).await;
    let group = -1001;
    // Chatter and commands for other bots: silence.
    bot.api
        .push(message(group, 30, 1, "grain prices are up again"));
    bot.api
        .push(message(group, 30, 2, "/ask@some_other_bot grain"));
    // Addressed: /ask@botname, a mention, a reply to the bot.
    let r = bot
        .reply_in(
            group,
            1,
            message(group, 30, 3, "/ask@quotebot_test_bot grain export"),
        )
        .await;
    assert!(text(&r).contains("<b>grain</b>"), "{}", text(&r));
    let r = bot
        .reply_in(
            group,
            2,
            message(group, 31, 4, "@quotebot_test_bot what about sanctions?"),
        )
        .await;
    assert!(text(&r).contains("<b>sanctions</b>"), "{}", text(&r));
    let bot_message = sent_message(&r, 501, message(group, 31, 4, "x")["message"].clone());
    let r = bot
        .reply_in(
            group,
            3,
            common::reply_message(group, 32, 5, "and the railway?", bot_message),
        )
        .await;
    assert!(text(&r).contains("<b>railway</b>"), "{}", text(&r));
    // Only the three addressed messages were answered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_group = bot
        .api
        .served("sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"] == group)
        .count();
    assert_eq!(to_group, 3);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_and_context_buttons() {
    let bot = Bot::start(TelegramConfig::default()).await;
    let question = message(40, 40, 7, "Iran Russia cooperation");
    let answer = bot.reply_in(40, 1, question.clone()).await;
    let b = buttons(&answer);
    let answer_message = sent_message(&answer, 900, question["message"].clone());

    bot.api
        .push(button_press(40, &b[1].1, answer_message.clone()));
    let context = text(&bot.reply_in(40, 2, Value::Null).await);
    assert!(context.contains("» <b>"), "{context}");
    assert!(context.ends_with("— Iran and Russia vow to expand cooperation, 30 September 2024"));

    bot.api.push(button_press(40, &b[0].1, answer_message));
    let more = bot.reply_in(40, 3, Value::Null).await;
    let more_text = text(&more);
    assert!(
        more_text.starts_with("2. “") && more_text.contains("\n\n3. “"),
        "{more_text}"
    );
    assert!(
        !more_text.contains(&text(&answer)[..40]),
        "More shows other quotes"
    );
    let calls = bot
        .api
        .wait_for("answerCallbackQuery", 2, WAIT, |_| true)
        .await;
    assert_eq!(calls.len(), 2);

    // A button from an older corpus says so.
    bot.api.push(button_press(
        40,
        "c:1:3",
        sent_message(&answer, 901, Value::Null),
    ));
    let alerts = bot
        .api
        .wait_for("answerCallbackQuery", 1, WAIT, |b| b["show_alert"] == true)
        .await;
    assert!(
        alerts[0].body["text"]
            .as_str()
            .unwrap()
            .contains("older version"),
        "{:?}",
        alerts[0].body
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_mode_offers_quotes_and_its_buttons_edit_the_message() {
    let bot = Bot::start(TelegramConfig::default()).await;
    bot.api.push(inline_query(50, "grain export"));
    let calls = bot
        .api
        .wait_for("answerInlineQuery", 1, WAIT, |_| true)
        .await;
    let results = calls[0].body["results"].as_array().unwrap().clone();
    assert!(!results.is_empty() && results.len() <= 5, "{results:?}");
    let first = &results[0];
    assert_eq!(first["type"], "article");
    let content = first["input_message_content"]["message_text"]
        .as_str()
        .unwrap();
    assert!(content.contains("<b>grain</b> hub"), "{content}");
    assert_eq!(first["input_message_content"]["parse_mode"], "HTML");
    let keyboard = first["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap();
    let context_data = keyboard.iter().find(|b| b["text"] == "Context").unwrap()["callback_data"]
        .as_str()
        .unwrap()
        .to_string();

    // A button pressed under the message sent inline: there is no chat message to reply to,
    // so the inline message itself is edited.
    bot.api.push(inline_button_press(50, &context_data));
    let edits = bot.api.wait_for("editMessageText", 1, WAIT, |_| true).await;
    assert_eq!(edits[0].body["inline_message_id"], "im1");
    assert!(
        edits[0].body["text"].as_str().unwrap().contains("» <b>"),
        "{:?}",
        edits[0].body
    );

    // An empty inline query gets no results.
    bot.api.push(inline_query(51, "  "));
    let calls = bot
        .api
        .wait_for("answerInlineQuery", 2, WAIT, |_| true)
        .await;
    assert_eq!(calls[1].body["results"], serde_json::json!([]));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_outside_the_allow_list_get_only_a_refusal() {
    let config = TelegramConfig {
        allowed_chats: vec![60],
        ..TelegramConfig::default()
    };
    let bot = Bot::start(config).await;
    let refused = text(
        &bot.reply_in(61, 1, message(61, 61, 1, "grain export"))
            .await,
    );
    assert_eq!(
        refused,
        "Sorry, I only answer in the chats I was set up for."
    );
    let allowed = text(
        &bot.reply_in(60, 1, message(60, 60, 1, "grain export"))
            .await,
    );
    assert!(allowed.contains("<b>grain</b>"), "{allowed}");
    // A stranger's group chatter stays unanswered even with a refusal.
    bot.api.push(message(-62, 62, 1, "grain is cheap"));
    bot.api.push(inline_query(63, "grain"));
    let inline = bot
        .api
        .wait_for("answerInlineQuery", 1, WAIT, |_| true)
        .await;
    assert_eq!(inline[0].body["results"], serde_json::json!([]));
    let to_group = bot
        .api
        .served("sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"] == -62)
        .count();
    assert_eq!(to_group, 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_with_html_characters_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("2024-10-01-markup.txt"),
        "date 2024-10-01 The index rose 3 < 4 points & traders cheered <b>loudly</b> > before.",
    )
    .unwrap();
    let bot = Bot::start_with(dir.path(), TelegramConfig::default()).await;
    let t = text(
        &bot.reply_in(70, 1, message(70, 70, 1, "traders cheered"))
            .await,
    );
    assert!(
        t.starts_with("“The index rose 3 &lt; 4 points &amp; <b>traders</b> <b>cheered</b> &lt;b&gt;loudly&lt;/b&gt; &gt; before.”"),
        "{t}"
    );
    assert!(!t.contains("<b>loudly"), "{t}");
    bot.stop().await;
}

fn admin_config() -> TelegramConfig {
    TelegramConfig {
        admins: vec![900],
        ..TelegramConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_reload_and_add_documents_and_strangers_cannot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("2024-01-01-tin.txt"),
        "date 2024-01-01 Tin exports doubled last month.",
    )
    .unwrap();
    let bot = Bot::start_with(dir.path(), admin_config()).await;
    // The admin commands are registered for the admin's chat only (here in the default
    // language, registered without a language code).
    let commands = bot
        .api
        .wait_for("setMyCommands", 2, WAIT, |b| {
            b.get("language_code").is_none()
        })
        .await;
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(
        !commands[0].body.to_string().contains("reload"),
        "{:?}",
        commands[0].body
    );
    assert!(commands[1].body["commands"].to_string().contains("reload"));
    assert_eq!(commands[1].body["scope"]["chat_id"], 900);
    let help = text(&bot.reply_in(901, 1, message(901, 901, 1, "/help")).await);
    assert!(!help.contains("/reload"), "{help}");
    let help = text(&bot.reply_in(900, 1, message(900, 900, 1, "/help")).await);
    assert!(help.contains("/reload"), "{help}");

    // A stranger's /reload and document: a polite no, nothing downloaded or written.
    let no = text(&bot.reply_in(901, 2, message(901, 901, 2, "/reload")).await);
    assert_eq!(no, "Sorry, that command is for the bot's admins.");
    bot.api.add_file("f1", b"date 2024-02-02 Stranger news.");
    let no = text(
        &bot.reply_in(901, 3, common::document(901, 901, 3, "f1", "news.txt", 30))
            .await,
    );
    assert!(
        no.contains("only the bot's admins can add articles"),
        "{no}"
    );
    assert!(bot.api.served("getFile").is_empty());
    assert!(!dir.path().join("uploads").exists());

    // The admin's document is checked, saved, and answered from at once.
    bot.api.add_file(
        "f2",
        b"title: Grain deal\ndate: 2024-05-05\n\nGrain flows resumed. Ports reopened.",
    );
    let added = text(
        &bot.reply_in(900, 2, common::document(900, 900, 2, "f2", "grain.txt", 70))
            .await,
    );
    assert!(
        added.contains("Added “<b>Grain deal</b>”, 5 May 2024, read as 2 sentences; saved as uploads/grain.txt."),
        "{added}"
    );
    let answer = text(
        &bot.reply_in(900, 3, message(900, 900, 4, "grain flows"))
            .await,
    );
    assert!(
        answer.contains("<b>Grain</b> <b>flows</b> resumed."),
        "{answer}"
    );

    // A name with a path is made safe; a taken name gets a number, and the reply says so.
    bot.api
        .add_file("f3", b"date 2024-05-06 Copper news from the mine.");
    let added = text(
        &bot.reply_in(
            900,
            4,
            common::document(900, 900, 5, "f3", "../../etc/grain.txt", 40),
        )
        .await,
    );
    assert!(added.contains("saved as uploads/grain-2.txt"), "{added}");
    assert!(
        added.contains("“../../etc/grain.txt” was taken or unsafe"),
        "{added}"
    );
    assert!(dir.path().join("uploads/grain-2.txt").exists());

    // A duplicate is refused with the name of the article it duplicates.
    bot.api.add_file(
        "f4",
        b"date 2024-06-06 Grain   flows resumed.\nPorts reopened.",
    );
    let dup = text(
        &bot.reply_in(900, 5, common::document(900, 900, 6, "f4", "again.txt", 40))
            .await,
    );
    assert!(
        dup.contains("Not added: it is the same text as uploads/grain.txt"),
        "{dup}"
    );

    // /reload reports what changed.
    std::fs::write(
        dir.path().join("2024-07-07-zinc.txt"),
        "date 2024-07-07 Zinc mines reopened.",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("2024-01-01-tin.txt")).unwrap();
    let report = text(&bot.reply_in(900, 6, message(900, 900, 7, "/reload")).await);
    assert!(report.starts_with("Reloaded: "), "{report}");
    assert!(report.contains("I now know 3 articles"), "{report}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_added_while_running_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.txt"),
        "date 2024-01-01 Nickel output rose.",
    )
    .unwrap();
    let bot = Bot::start_with(dir.path(), TelegramConfig::default()).await;
    std::fs::write(
        dir.path().join("2024-03-01-lithium.txt"),
        "date 2024-03-01 Lithium demand surged in Chile.",
    )
    .unwrap();
    // Ask until the watcher has reloaded (a generous limit; nothing asserts speed).
    let start = std::time::Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let t = text(
            &bot.reply_in(80, n, message(80, 80, n as i64, "lithium demand"))
                .await,
        );
        if t.contains("<b>Lithium</b> <b>demand</b> surged in Chile.") {
            break;
        }
        assert!(start.elapsed() < WAIT, "not answered within {WAIT:?}: {t}");
    }
    let about = text(&bot.reply_in(81, 1, message(81, 81, 1, "/about")).await);
    assert!(
        about.contains("I know 2 articles") && about.contains("last read on"),
        "{about}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_articles_are_paged_with_buttons() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..45 {
        std::fs::write(
            dir.path()
                .join(format!("2024-01-{:02}-news-{i}.txt", i % 28 + 1)),
            format!("date 2024-01-{:02} Article {i} about metals.", i % 28 + 1),
        )
        .unwrap();
    }
    let bot = Bot::start_with(dir.path(), TelegramConfig::default()).await;
    let first = bot.reply_in(90, 1, message(90, 90, 1, "/articles")).await;
    let t = text(&first);
    assert!(t.starts_with("<b>45 articles (page 1 of 3):</b>"), "{t}");
    assert_eq!(t.lines().count(), 21, "{t}");
    let b = buttons(&first);
    assert_eq!(
        b.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["Older ›"]
    );
    bot.api.push(button_press(
        90,
        &b[0].1,
        sent_message(&first, 700, Value::Null),
    ));
    let edits = bot.api.wait_for("editMessageText", 1, WAIT, |_| true).await;
    let page2 = edits[0].body["text"].as_str().unwrap();
    assert!(
        page2.starts_with("<b>45 articles (page 2 of 3):</b>"),
        "{page2}"
    );
    assert_eq!(edits[0].body["message_id"], 700);
    let labels: Vec<String> = edits[0].body["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels, ["‹ Newer", "Older ›"]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_outside_the_allow_list_gets_nothing_but_the_refusal() {
    // User 61 is even an admin: the allow-list still comes first.
    let config = TelegramConfig {
        allowed_chats: vec![60],
        admins: vec![61],
        ..TelegramConfig::default()
    };
    let bot = Bot::start(config).await;
    let refusal = "Sorry, I only answer in the chats I was set up for.";
    bot.api.add_file("d1", b"date 2024-02-02 Outsider news.");
    let private = [
        message(61, 61, 1, "What did Mishustin say about grain?"),
        message(61, 61, 2, "/start"),
        message(61, 61, 3, "/articles"),
        message(61, 61, 4, "/reload"),
        common::document(61, 61, 5, "d1", "news.txt", 30),
        common::sticker(61, 61, 6),
    ];
    let group = [
        message(-62, 62, 1, "/ask grain"),
        message(-62, 62, 2, "@quotebot_test_bot grain hub"),
        // Not addressed to the bot: not even a refusal.
        message(-62, 62, 3, "grain is cheap today"),
    ];
    for u in private.iter().chain(&group) {
        bot.api.push(u.clone());
    }
    // A button and an inline query from the outsider.
    let fake_answer = serde_json::json!({
        "message_id": 5, "date": 1_700_000_000,
        "chat": {"id": 61, "type": "private", "first_name": "Tester"},
        "text": "a quote",
    });
    bot.api.push(button_press(61, "c:1:3", fake_answer));
    bot.api.push(inline_query(61, "grain"));

    let to_private = bot
        .api
        .wait_for("sendMessage", 6, WAIT, |b| b["chat_id"] == 61)
        .await;
    let to_group = bot
        .api
        .wait_for("sendMessage", 2, WAIT, |b| b["chat_id"] == -62)
        .await;
    let pressed = bot
        .api
        .wait_for("answerCallbackQuery", 1, WAIT, |_| true)
        .await;
    let inline = bot
        .api
        .wait_for("answerInlineQuery", 1, WAIT, |_| true)
        .await;
    // A moment for anything more to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for reply in to_private.iter().chain(&to_group) {
        assert_eq!(text(reply), refusal);
        assert!(reply.body.get("reply_markup").is_none(), "{:?}", reply.body);
    }
    assert_eq!(bot.api.served("sendMessage").len(), 8, "only the refusals");
    assert_eq!(pressed[0].body["text"], refusal);
    assert_eq!(inline[0].body["results"], serde_json::json!([]));
    for never in ["getFile", "download", "editMessageText"] {
        assert!(bot.api.attempts(never).is_empty(), "{never} was called");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_never_carry_markup_or_links_from_the_question() {
    let bot = Bot::start(TelegramConfig::default()).await;
    let questions = [
        "grain <a href=\"https://evil.example/x\">hub</a>",
        "<b>grain</b> & <i>hub",
        "grain hub https://evil.example/phish",
        "<script>alert(1)</script> grain",
        "grain &lt;b&gt; &amp; <u>export</u>",
        "<nothing matches> zzqx https://evil.example",
    ];
    let mut n = 0;
    for (i, q) in questions.iter().enumerate() {
        let id = i as i64 + 1;
        // In a private chat, in a group by mention and by /ask, and inline.
        for (chat, text) in [
            (80, q.to_string()),
            (-81, format!("@quotebot_test_bot {q}")),
            (-81, format!("/ask {q}")),
        ] {
            n += 1;
            let message_id = id * 10 + n;
            let question = message(chat, 80, message_id, &text);
            bot.api.push(question.clone());
            let reply = bot
                .api
                .wait_for("sendMessage", 1, WAIT, |b| {
                    b["chat_id"] == chat && b["reply_parameters"]["message_id"] == message_id
                })
                .await
                .remove(0);
            // "More" under it, when there is an answer.
            if let Some((_, data)) = buttons(&reply).into_iter().find(|(t, _)| t == "More") {
                let shown = sent_message(&reply, 5000 + n, question["message"].clone());
                bot.api.push(button_press(80, &data, shown));
            }
        }
        bot.api.push(inline_query(80, q));
        bot.api.push(inline_button_press(80, &format!("q:0:1:{q}")));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut texts = Vec::new();
    for c in bot
        .api
        .served("sendMessage")
        .iter()
        .chain(&bot.api.served("editMessageText"))
    {
        texts.push(text(c));
    }
    for c in bot.api.served("answerInlineQuery") {
        for r in c.body["results"].as_array().unwrap() {
            texts.push(
                r["input_message_content"]["message_text"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    assert!(texts.len() > 3 * questions.len(), "{}", texts.len());
    for t in &texts {
        invariants::check_telegram_html(t);
        for bad in ["evil.example", "<a", "<script", "<u>", "&lt;script"] {
            assert!(!t.contains(bad), "{bad} in a reply: {t}");
        }
    }
    bot.stop().await;
}

/// The question on which the test-only handler below panics.
const PANIC_QUESTION: &str = "please panic now";

fn boom() -> Result<(), HandlerError> {
    panic!("a test-only panic")
}

/// The bot's handler tree behind a handler that panics on [`PANIC_QUESTION`] (in a message
/// or an inline query); `run_with` must contain it as it contains the bot's own.
fn panicking_schema() -> UpdateHandler<HandlerError> {
    teloxide::dptree::entry()
        .branch(
            Update::filter_message()
                .filter(|m: Message| m.text() == Some(PANIC_QUESTION))
                .endpoint(|| async { boom() }),
        )
        .branch(
            Update::filter_inline_query()
                .filter(|q: InlineQuery| q.query == PANIC_QUESTION)
                .endpoint(|| async { boom() }),
        )
        .branch(quotebot::telegram::schema())
}

/// A panic while handling one update costs that update an apology, nothing more: teloxide
/// runs one worker per chat (and one for every inline query), and an uncontained panic ended
/// it, so the chat's next update took the whole dispatcher down ("TX is dead").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_while_answering_is_contained_and_the_chat_goes_on() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let bot = Bot::start_with_handler(&corpus, TelegramConfig::default(), panicking_schema()).await;
    let sorry = text(
        &bot.reply_in(50, 1, message(50, 50, 1, PANIC_QUESTION))
            .await,
    );
    assert!(sorry.contains("something went wrong"), "{sorry}");
    // The same chat, again and again: its worker lives.
    let sorry = text(
        &bot.reply_in(50, 2, message(50, 50, 2, PANIC_QUESTION))
            .await,
    );
    assert!(sorry.contains("something went wrong"), "{sorry}");
    let answer = text(
        &bot.reply_in(50, 3, message(50, 50, 3, "Rasht-Astara railway"))
            .await,
    );
    assert!(answer.contains("Rasht-Astara"), "{answer}");
    // Another chat.
    let answer = text(
        &bot.reply_in(51, 1, message(51, 51, 1, "Rasht-Astara railway"))
            .await,
    );
    assert!(answer.contains("Rasht-Astara"), "{answer}");
    // Inline queries share one worker: a panic there must not end it for everyone.
    bot.api.push(inline_query(52, PANIC_QUESTION));
    let first = bot
        .api
        .wait_for("answerInlineQuery", 1, WAIT, |_| true)
        .await;
    assert_eq!(
        first[0].body["results"],
        serde_json::json!([]),
        "{:?}",
        first[0].body
    );
    bot.api.push(inline_query(53, "Rasht-Astara railway"));
    let second = bot
        .api
        .wait_for("answerInlineQuery", 2, WAIT, |_| true)
        .await;
    assert!(
        !second[1].body["results"].as_array().unwrap().is_empty(),
        "{:?}",
        second[1].body
    );
    bot.stop().await;
}

/// After the articles change, the buttons of an older answer say so instead of pairing the
/// new index with the old answer's sentence id or quote count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_of_an_answer_from_before_a_reload_say_it_is_out_of_date() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("2024-01-01-tin.txt"),
        "date 2024-01-01\n\nTin output rose in Bolivia. Tin exports rose too. Tin prices fell. Tin mines hired more.",
    )
    .unwrap();
    let (library, _) = Library::open(tmp.path(), SearchConfig::default()).unwrap();
    let library = Arc::new(library);
    let bot = Bot::start_library(
        Arc::clone(&library),
        TelegramConfig::default(),
        quotebot::telegram::schema(),
    )
    .await;
    let question = message(60, 60, 7, "tin output");
    let answer = bot.reply_in(60, 1, question.clone()).await;
    let b = buttons(&answer);
    assert_eq!(b.len(), 2, "{b:?}");
    let answer_message = sent_message(&answer, 900, question["message"].clone());
    // A new article before them, then a reload: every sentence id moves.
    std::fs::write(
        tmp.path().join("2023-01-01-zinc.txt"),
        "date 2023-01-01\n\nZinc output fell. Zinc prices rose.",
    )
    .unwrap();
    let report = library.reload().unwrap();
    assert_eq!(report.added, 1, "{report}");
    for (pressed, (_, data)) in b.iter().enumerate() {
        bot.api.push(button_press(60, data, answer_message.clone()));
        let alerts = bot
            .api
            .wait_for("answerCallbackQuery", pressed + 1, WAIT, |b| {
                b["show_alert"] == true
            })
            .await;
        let alert = alerts[pressed].body["text"].as_str().unwrap();
        assert!(alert.contains("older version"), "{data}: {alert}");
    }
    // Nothing but the first answer was sent to the chat.
    assert_eq!(bot.api.served("sendMessage").len(), 1);
    bot.stop().await;
}

/// Anyone can send any 64 bytes as a button press: counts and pages far out of range are
/// clamped, not used as a search depth or added to (a page of `u32::MAX` overflowed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_button_data_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..25 {
        std::fs::write(
            dir.path()
                .join(format!("2024-02-{:02}-tin-{i}.txt", i % 28 + 1)),
            format!(
                "date 2024-02-{:02} Tin output rose {i} percent.",
                i % 28 + 1
            ),
        )
        .unwrap();
    }
    let bot = Bot::start_with(dir.path(), TelegramConfig::default()).await;
    let question = message(95, 95, 1, "tin output");
    let answer = bot.reply_in(95, 1, question.clone()).await;
    let more = buttons(&answer)[0].1.clone();
    let generation = more.split(':').nth(1).unwrap();
    let answered = sent_message(&answer, 800, question["message"].clone());
    // "More" after four thousand million quotes: clamped to the last ones there can be.
    bot.api.push(button_press(
        95,
        &format!("m:{generation}:4294967295"),
        answered.clone(),
    ));
    let reply = text(&bot.reply_in(95, 2, Value::Null).await);
    assert!(reply.starts_with("No more quotes"), "{reply}");
    // The last page there could ever be.
    bot.api.push(button_press(95, "p:0:4294967295", answered));
    let edits = bot.api.wait_for("editMessageText", 1, WAIT, |_| true).await;
    let page = edits[0].body["text"].as_str().unwrap();
    assert!(page.contains("(page 2 of 2)"), "{page}");
    let labels: Vec<String> = edits[0].body["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels, ["‹ Newer"]);
    bot.stop().await;
}
