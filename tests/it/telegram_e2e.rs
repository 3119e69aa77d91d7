//! The built `quotebot telegram` binary against a fake Bot API server on 127.0.0.1
//! (`TELOXIDE_API_URL`): a question is answered with the right quote and date even when
//! `sendMessage` first fails with 429 (`retry_after`) and then 502; `getUpdates` failing with a
//! dropped connection is survived; SIGINT ends the process with status 0; the token appears
//! nowhere in its output. A corpus with a lone tatweel is answered; questions are answered
//! while `setMyCommands` keeps failing; the buttons of an answer given before a reload say it
//! is out of date. The time from update to reply on loopback is printed
//! (`cargo test --test it -- --nocapture telegram_e2e::`), never asserted.

use crate::common;

use std::time::{Duration, Instant};

use common::process::BotProcess;
use common::{FakeApi, Fault, message};

const TOKEN: &str = "987654:E2E-secret-token-ZYXWVUT";
const WAIT: Duration = Duration::from_secs(60);

/// The bot in a copy of the repository's corpus and config (its database must not land in
/// the source tree).
fn spawn_bot(api: &FakeApi, token: Option<&str>) -> BotProcess {
    let dir = common::process::copy_of_repo();
    BotProcess::spawn(dir.path(), &api.url(), token).keeping(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_through_faults_and_stops_on_sigint() {
    let api = FakeApi::start().await;
    // The first two attempts to send a reply fail: flood control, then a bad gateway.
    api.fault("sendMessage", Fault::RetryAfter(1));
    api.fault("sendMessage", Fault::Status(502, "Bad Gateway"));
    // And one long poll loses its connection.
    api.fault("getUpdates", Fault::Drop);
    let bot = spawn_bot(&api, Some(TOKEN));

    api.wait_for("setMyCommands", 1, WAIT, |_| true).await;
    api.push(message(1, 1, 10, "What did Mishustin say about grain?"));
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 1)
        .await;
    let text = replies[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("<b>grain</b> hub in the region, he added."),
        "{text}"
    );
    assert!(text.contains("30 September 2024"), "{text}");
    let attempts = api
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.body["chat_id"] == 1)
        .count();
    assert_eq!(attempts, 3, "429, 502, then delivered");

    // Update-to-reply time on loopback: printed, not asserted.
    let mut times = Vec::new();
    let questions = 20;
    for i in 0..questions {
        let chat = 100 + i;
        let start = Instant::now();
        api.push(message(chat, chat, 1, "Rasht-Astara railway"));
        api.wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == chat)
            .await;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let delivered = api
        .served("sendMessage")
        .iter()
        .filter(|c| c.body["chat_id"].as_i64().is_some_and(|c| c >= 100))
        .count();
    eprintln!(
        "e2e: {delivered} replies delivered for {questions} questions; update to reply on loopback: median {:.1} ms, max {:.1} ms",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    assert_eq!(delivered, questions as usize);

    bot.signal("INT");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(!output.contains(TOKEN), "the token leaked:\n{output}");
    assert!(
        !output.contains("E2E-secret-token-ZYXWVUT"),
        "the token leaked:\n{output}"
    );
    assert!(output.contains("answered chat 1 in"), "{output}");
    assert!(
        !output.contains("Mishustin"),
        "questions are logged only at debug level:\n{output}"
    );
    // The dropped poll was logged, and polling went on.
    assert!(output.contains("getting updates failed"), "{output}");
    // The bot used the token it was given.
    assert!(
        api.paths()
            .iter()
            .all(|p| p.starts_with(&format!("/bot{TOKEN}/")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_token_is_a_one_line_error_and_status_2() {
    let api = FakeApi::start().await;
    let bot = spawn_bot(&api, None);
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(2), "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(
        output.starts_with("error: TELOXIDE_TOKEN is not set"),
        "{output}"
    );
    assert!(api.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_at_start_up_is_retried_and_logged() {
    // A port nothing listens on: getMe fails, is logged, and retried until SIGTERM.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = common::process::copy_of_repo();
    let bot = BotProcess::spawn(dir.path(), &format!("http://127.0.0.1:{port}"), Some(TOKEN))
        .keeping(dir);
    tokio::time::sleep(Duration::from_secs(2)).await;
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(
        output.contains("cannot reach the Telegram Bot API"),
        "{output}"
    );
    assert!(output.contains("trying again in"), "{output}");
    // The log says why, down to the cause.
    assert!(
        output.to_lowercase().contains("connection refused"),
        "{output}"
    );
    assert!(
        !output.contains(TOKEN) && !output.contains("E2E-secret"),
        "{output}"
    );
}

/// Sends `question` from fresh chats every 200 ms until a reply contains `want`; returns how
/// long that took from `since`.
async fn answered_after(
    api: &FakeApi,
    next_chat: &mut i64,
    question: &str,
    want: &str,
    since: Instant,
) -> Duration {
    loop {
        assert!(
            since.elapsed() < WAIT,
            "{want:?} was not answered within {WAIT:?}"
        );
        *next_chat += 1;
        let chat = *next_chat;
        api.push(message(chat, chat, 1, question));
        let replies = api
            .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == chat)
            .await;
        if replies[0].body["text"]
            .as_str()
            .unwrap_or("")
            .contains(want)
        {
            return since.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_follows_the_articles_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config/quotebot.toml"),
        "[telegram]\nadmins = [777]\n",
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
    let mut chat = 1000;

    // Files landing while it runs: time until answered, over five files.
    let mut times = Vec::new();
    for i in 0..5 {
        let word = format!("rubidium{i}");
        let start = Instant::now();
        std::fs::write(
            dir.join(format!("corpus/2024-02-0{}-r{i}.txt", i + 1)),
            format!("date 2024-02-0{} Mines found {word} near Perth.", i + 1),
        )
        .unwrap();
        let t = answered_after(&api, &mut chat, &word, &format!("<b>{word}</b>"), start).await;
        times.push(t.as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    eprintln!(
        "e2e: a file landing to it being answered: median {:.0} ms, max {:.0} ms (5 files)",
        times[2], times[4]
    );

    // Changed: the new text is quoted, the old no longer.
    let start = Instant::now();
    std::fs::write(
        dir.join("corpus/2024-01-01-nickel.txt"),
        "date 2024-01-01 Nickel output fell in Norilsk.",
    )
    .unwrap();
    answered_after(&api, &mut chat, "nickel output norilsk", "fell", start).await;
    // Removed: no longer quoted.
    std::fs::remove_file(dir.join("corpus/2024-02-01-r0.txt")).unwrap();
    answered_after(
        &api,
        &mut chat,
        "rubidium0",
        "found nothing",
        Instant::now(),
    )
    .await;
    // A broken file: everything else keeps answering.
    std::fs::write(dir.join("corpus/broken.txt"), b"date 2024-13-45 \xff").unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    answered_after(
        &api,
        &mut chat,
        "rubidium3",
        "<b>rubidium3</b>",
        Instant::now(),
    )
    .await;

    // A burst of 100 files: one or a few reloads.
    std::fs::create_dir_all(dir.join("corpus/burst")).unwrap();
    for i in 0..100 {
        std::fs::write(
            dir.join(format!("corpus/burst/{i:03}.txt")),
            format!("date 2024-03-01 Burst article {i} about caesium{i}."),
        )
        .unwrap();
    }
    answered_after(
        &api,
        &mut chat,
        "caesium99",
        "<b>caesium99</b>",
        Instant::now(),
    )
    .await;

    // An upload by the admin, with a name that tries to leave the folder.
    api.add_file(
        "doc1",
        b"date 2024-04-04 Uploaded news about strontium mining.",
    );
    api.push(common::document(777, 777, 5, "doc1", "../../etc/x.txt", 60));
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 777)
        .await;
    let text = replies[0].body["text"].as_str().unwrap();
    assert!(text.contains("saved as uploads/x.txt"), "{text}");
    assert!(dir.join("corpus/uploads/x.txt").exists());
    answered_after(
        &api,
        &mut chat,
        "strontium mining",
        "<b>strontium</b>",
        Instant::now(),
    )
    .await;
    // And by a stranger: refused, nothing written.
    api.add_file("doc2", b"date 2024-04-05 Stranger news.");
    api.push(common::document(778, 778, 6, "doc2", "s.txt", 30));
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 778)
        .await;
    assert!(
        replies[0].body["text"]
            .as_str()
            .unwrap()
            .contains("only the bot's admins")
    );
    assert!(!dir.join("corpus/uploads/s.txt").exists());

    bot.signal("INT");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    let burst_reloads = output
        .lines()
        .filter(|l| l.contains("corpus reloaded") && l.contains("added"))
        .filter(|l| {
            let added: usize = l
                .split("reloaded: ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            added >= 5
        })
        .count();
    assert!(
        (1..=5).contains(&burst_reloads),
        "the burst took {burst_reloads} reloads:\n{output}"
    );
    assert!(output.contains("broken.txt:1: not valid UTF-8"), "{output}");
    assert!(!output.contains(TOKEN), "{output}");
}

/// A folder with `files` under `corpus/`, for a bot started in it.
fn bot_folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    common::process::bot_folder(files, None)
}

/// Asks `question` in `chat` and returns the reply's text.
async fn ask(api: &FakeApi, chat: i64, question: &str) -> String {
    api.push(message(chat, chat, 1, question));
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == chat)
        .await;
    replies[0].body["text"].as_str().unwrap().to_string()
}

/// A lone tatweel (U+0640), as Persian and Arabic typography use it, once made every question
/// that reached its sentence panic: no reply, and exit status 101 at shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_with_a_lone_tatweel_is_answered() {
    let tmp = bot_folder(&[(
        "2024-09-30-tatweel.txt",
        "date: 2024-09-30\n\nGrain \u{640} exports rose sharply.\n\nاین \u{640} گندم است \u{6e5}.\n",
    )]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let text = ask(&api, 1, "grain exports").await;
    assert!(text.contains("exports</b> rose sharply"), "{text}");
    let text = ask(&api, 2, "\u{640} گندم").await;
    assert!(text.contains("گندم"), "{text}");
    let text = ask(&api, 3, "grain exports").await;
    assert!(text.contains("rose sharply"), "{text}");
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(!output.contains("panicked"), "{output}");
}

/// Registering the commands is not needed for answering: while `setMyCommands` keeps failing
/// (each failure a 5xx, after which teloxide pauses 10 s), questions are answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_answered_while_set_my_commands_keeps_failing() {
    let api = FakeApi::start().await;
    for _ in 0..5 {
        api.fault("setMyCommands", Fault::Status(500, "Internal Server Error"));
    }
    let start = Instant::now();
    let bot = spawn_bot(&api, Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let text = ask(&api, 1, "Rasht-Astara railway").await;
    let first_answer = start.elapsed();
    assert!(text.contains("Rasht-Astara"), "{text}");
    let tries = api.attempts("setMyCommands").len();
    // Before, the first answer came only after all of setMyCommands' tries had failed.
    assert!(
        tries < quotebot::telegram::retry::ATTEMPTS as usize,
        "answered only after {tries} tries of setMyCommands"
    );
    // It goes on trying in the background.
    let deadline = Instant::now() + WAIT;
    while api.attempts("setMyCommands").len() < 2 {
        assert!(Instant::now() < deadline, "setMyCommands was not retried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "e2e: setMyCommands failing: start-up to the first answer {:.0} ms (setMyCommands tried {tries} time(s) by then)",
        first_answer.as_secs_f64() * 1000.0
    );
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("a request to Telegram failed"), "{output}");
}

/// After the articles change under a running bot, the buttons of an answer given before say
/// the answer is out of date, rather than showing a sentence of the new index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_and_more_after_a_reload_say_the_answer_is_out_of_date() {
    let tmp = bot_folder(&[(
        "2024-01-01-tin.txt",
        "date 2024-01-01\n\nTin output rose in Bolivia. Tin exports rose too. Tin prices fell. Tin mines hired.",
    )]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let question = message(60, 60, 7, "tin output");
    api.push(question.clone());
    let answer = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 60)
        .await
        .remove(0);
    let buttons: Vec<String> = answer.body["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["callback_data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(buttons.len(), 2, "More and Context: {buttons:?}");
    // A new article sorted before the old one: every sentence id moves.
    std::fs::write(
        tmp.path().join("corpus/2023-01-01-zinc.txt"),
        "date 2023-01-01\n\nZinc output fell. Zinc prices rose.",
    )
    .unwrap();
    let mut chat = 100;
    answered_after(&api, &mut chat, "zinc prices", "Zinc", Instant::now()).await;
    let answered = common::sent_message(&answer, 900, question["message"].clone());
    for (i, data) in buttons.iter().enumerate() {
        api.push(common::button_press(60, data, answered.clone()));
        let alerts = api
            .wait_for("answerCallbackQuery", i + 1, WAIT, |b| {
                b["show_alert"] == true
            })
            .await;
        let alert = alerts[i].body["text"].as_str().unwrap();
        assert!(alert.contains("older version"), "{data}: {alert}");
    }
    assert_eq!(
        api.served("sendMessage")
            .iter()
            .filter(|c| c.body["chat_id"] == 60)
            .count(),
        1,
        "no quote from the new index under the old answer"
    );
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
}

/// A webhook left set (by an earlier deployment) makes `getUpdates` answer 409: polling must
/// remove it first, trying again until it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_left_set_is_removed_before_polling_even_when_removing_fails_at_first() {
    let api = FakeApi::start().await;
    api.set_webhook("https://example.invalid/hook");
    api.fault("getWebhookInfo", Fault::Drop);
    api.fault("deleteWebhook", Fault::Status(400, "Bad Request: oops"));
    let bot = spawn_bot(&api, Some(TOKEN));
    let text = ask(&api, 1, "Rasht-Astara railway").await;
    assert!(text.contains("Rasht-Astara"), "{text}");
    assert_eq!(api.served("deleteWebhook").len(), 1);
    let conflicts = api
        .attempts("getUpdates")
        .iter()
        .filter(|c| !c.served)
        .count();
    assert_eq!(
        conflicts, 0,
        "getUpdates was called while the webhook was set"
    );
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("cannot remove the webhook"), "{output}");
}

/// SIGTERM while updates keep arriving: the bot stops (finishing the updates in hand) rather
/// than hanging. teloxide's `ShutdownToken` loses its wake-up when the dispatcher is busy with
/// an update at the moment it is called; this stopped the bot only some of the time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_of_updates_stops_the_bot() {
    for round in 0..3 {
        let tmp = bot_folder(&[(
            "2024-09-30-grain.txt",
            "date: 2024-09-30\n\nGrain exports rose sharply.\n",
        )]);
        let api = FakeApi::start().await;
        let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
        api.wait_for("getMe", 1, WAIT, |_| true).await;
        let pusher = {
            let api = api.clone();
            tokio::spawn(async move {
                for i in 0..100_000i64 {
                    api.push(message(1000 + i % 50, 7, i, "grain exports"));
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        api.wait_for("sendMessage", 20, WAIT, |_| true).await;
        bot.signal("TERM");
        let (status, output) = bot.wait_exit(WAIT).await;
        pusher.abort();
        assert_eq!(status.code(), Some(0), "round {round}: {output}");
        assert!(output.contains("stopped"), "round {round}: {output}");
    }
}

/// A backlog in one chat is answered a message a second (Telegram's limit), so a stopping bot
/// could take minutes over it: it stops after its grace time, saying so. (The dispatcher is
/// busy handing this chat's updates over when the signal comes: the moment at which teloxide's
/// own shutdown is lost.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_backlog_in_one_chat_stops_after_the_grace_time() {
    let tmp = bot_folder(&[(
        "2024-09-30-grain.txt",
        "date: 2024-09-30\n\nGrain exports rose sharply.\n",
    )]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    for i in 0..150 {
        api.push(message(5, 7, i, "grain exports"));
    }
    api.wait_for("sendMessage", 2, WAIT, |_| true).await;
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(
        output.contains("without waiting longer: updates still in hand are left"),
        "{output}"
    );
    let answered = api.served("sendMessage").len();
    assert!(answered < 150, "{answered}");
}
