//! Webhook mode through the built binary: `quotebot telegram --webhook-url … --listen …`
//! against the fake Bot API, which records `setWebhook` and posts updates to the bot's
//! listener as Telegram does. Updates with the secret are answered (messages, buttons, inline
//! queries); without it, or with another, they get 401 and are never answered; a burst of 200
//! is answered once each; `/healthz` tells the live corpus; SIGTERM ends the bot with status 0;
//! a bad secret in the config, an http:// address or a taken port stop it at once; a failing
//! `setWebhook` is retried. The update-to-reply time beside polling mode's is printed
//! (`cargo test --release --test it -- --nocapture webhook::update_to_reply`), never asserted.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use common::process::BotProcess;
use common::{FakeApi, Fault, message};

const TOKEN: &str = "987654:HOOK-secret-token-ZYXWVUT";
const WAIT: Duration = Duration::from_secs(60);
const HOOK_URL: &str = "https://bot.example.com/quotebot/hook";

/// A folder with `files` under `corpus/` and `config` as `config/quotebot.toml`.
fn bot_folder(files: &[(&str, &str)], config: &str) -> tempfile::TempDir {
    common::process::bot_folder(files, Some(config))
}

/// A copy of the repository's corpus and config.
fn repo_folder() -> tempfile::TempDir {
    common::process::copy_of_repo()
}

/// The bot in `dir` in webhook mode, listening on 127.0.0.1:`port`.
fn spawn_hooked(dir: &Path, api: &FakeApi, port: u16) -> BotProcess {
    let listen = format!("127.0.0.1:{port}");
    BotProcess::spawn_args(
        dir,
        &api.url(),
        Some(TOKEN),
        None,
        &["--webhook-url", HOOK_URL, "--listen", &listen],
    )
}

/// `GET path` on the bot's listener: status and body.
async fn get(port: u16, path: &str) -> (u16, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .expect("the listener answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The replies sent to `chat`.
fn sent_to(api: &FakeApi, chat: i64) -> Vec<common::Call> {
    api.served("sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"] == chat)
        .collect()
}

/// SIGTERM; the bot must stop with status 0. Returns its output.
async fn stop(bot: BotProcess) -> String {
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("stopped"), "{output}");
    output
}

/// [`stop`] for a bot with nothing in hand: it must stop because its listener ended, not
/// because the grace time ran out.
async fn stop_idle(bot: BotProcess) -> String {
    let output = stop(bot).await;
    assert!(!output.contains("without waiting longer"), "{output}");
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_with_the_secret_are_answered_and_others_refused() {
    let api = FakeApi::start().await;
    let port = common::free_port();
    let dir = repo_folder();
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    let (url, secret) = api.webhook_set().unwrap();
    assert_eq!(url, HOOK_URL);
    // No secret in the config: one made at start, of the kind Telegram takes.
    let secret = secret.expect("setWebhook carries a secret");
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{secret}"
    );

    // Refused: no secret, another secret, one Telegram could not have sent, and the right one
    // with a character more.
    let wrong = format!("{secret}x");
    for (chat, given) in [
        (2, None),
        (3, Some("not-the-secret")),
        (4, Some("bad secret!")),
        (5, Some(wrong.as_str())),
    ] {
        let (_, status, _) = api
            .post_update(port, message(chat, chat, 1, "Rasht-Astara railway"), given)
            .await;
        assert_eq!(status, 401, "chat {chat}: {given:?}");
    }

    // Answered: a question, its buttons, an inline query.
    let question = message(1, 1, 10, "What did Mishustin say about grain?");
    api.deliver(port, question.clone()).await;
    let answer = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 1)
        .await
        .remove(0);
    let text = answer.body["text"].as_str().unwrap();
    assert!(
        text.contains("<b>grain</b> hub in the region, he added."),
        "{text}"
    );
    assert!(text.contains("30 September 2024"), "{text}");
    let context = answer.body["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["text"].as_str().unwrap_or("").contains("Context"))
        .unwrap_or_else(|| panic!("a Context button: {:#}", answer.body))["callback_data"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = common::sent_message(&answer, 900, question["message"].clone());
    api.deliver(port, common::button_press(1, &context, shown))
        .await;
    api.wait_for("answerCallbackQuery", 1, WAIT, |_| true).await;
    // The context comes as a reply in the chat.
    let replies = api
        .wait_for("sendMessage", 2, WAIT, |b| b["chat_id"] == 1)
        .await;
    assert!(
        replies[1].body["text"]
            .as_str()
            .unwrap()
            .contains("hub in the region"),
        "{:#}",
        replies[1].body
    );
    api.deliver(port, common::inline_query(1, "Rasht-Astara railway"))
        .await;
    let inline = api.wait_for("answerInlineQuery", 1, WAIT, |_| true).await;
    assert!(
        inline[0].body["results"].to_string().contains("Rasht"),
        "{:#}",
        inline[0].body
    );

    let output = stop_idle(bot).await;
    // The refused updates were never handled, even by a bot finishing what it had in hand.
    for chat in 2..=5 {
        assert!(sent_to(&api, chat).is_empty(), "chat {chat} was answered");
    }
    // Refusals are logged at most once a minute (anyone who finds the address can send
    // them), with a count.
    assert!(
        output.contains("refused a webhook request without the secret (1 refused since the start)"),
        "{output}"
    );
    assert_eq!(
        output.matches("refused a webhook request").count(),
        1,
        "{output}"
    );
    assert!(!output.contains(&secret), "the secret is logged:\n{output}");
    assert!(
        !output.contains("HOOK-secret"),
        "the token leaked:\n{output}"
    );
    // Webhook mode never polls, and leaves the webhook set for the next start.
    assert!(api.attempts("getUpdates").is_empty());
    assert!(api.attempts("deleteWebhook").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200_updates_is_answered_once_each() {
    let api = FakeApi::start().await;
    let port = common::free_port();
    let dir = bot_folder(
        &[(
            "2024-09-30-grain.txt",
            "date: 2024-09-30\n\nGrain exports rose sharply.\n",
        )],
        "[telegram]\nwebhook_secret = \"a_configured-Secret_0\"\n",
    );
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    assert_eq!(
        api.webhook_set().unwrap().1.as_deref(),
        Some("a_configured-Secret_0"),
        "the configured secret is the one set"
    );
    // 200 chats at once over 20 connections (Telegram uses up to 40).
    let mut senders = Vec::new();
    for part in 0..20i64 {
        let api = api.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..10 {
                let chat = 1000 + part * 10 + i;
                api.deliver(port, message(chat, chat, 1, "grain exports"))
                    .await;
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    api.wait_for("sendMessage", 200, WAIT, |_| true).await;
    let output = stop_idle(bot).await;
    let sends = api.served("sendMessage");
    for chat in 1000..1200 {
        let n = sends.iter().filter(|c| c.body["chat_id"] == chat).count();
        assert_eq!(n, 1, "chat {chat} answered {n} times:\n{output}");
    }
    assert_eq!(sends.len(), 200);
}

/// `secs` since the epoch in the form `/healthz` gives.
fn iso(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    quotebot::storage::db::iso_time(secs as i64)
}

async fn health(port: u16) -> Value {
    let (status, body) = get(port, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_tells_the_live_corpus() {
    let started = iso(SystemTime::now());
    let api = FakeApi::start().await;
    let port = common::free_port();
    let dir = bot_folder(
        &[
            (
                "2024-09-30-grain.txt",
                "date: 2024-09-30\n\nGrain exports rose sharply. Wheat led them.\n",
            ),
            (
                "2024-10-01-rail.txt",
                "date: 2024-10-01\n\nThe railway opened. Trains ran at once. Tickets sold out.\n",
            ),
        ],
        "",
    );
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    let first = health(port).await;
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "articles",
            "corpus_version",
            "last_reload",
            "sentences",
            "status"
        ],
        "{first:#}"
    );
    assert_eq!(first["status"], "ok", "{first:#}");
    assert_eq!(first["articles"], 2, "{first:#}");
    assert_eq!(first["sentences"], 5, "{first:#}");
    let version = first["corpus_version"].as_str().unwrap().to_string();
    assert!(
        !version.is_empty()
            && version.len() <= 16
            && version.bytes().all(|b| b.is_ascii_hexdigit()),
        "{first:#}"
    );
    let read = first["last_reload"].as_str().unwrap().to_string();
    assert!(
        read.len() == 20 && read.ends_with('Z') && read.as_bytes()[10] == b'T',
        "RFC 3339: {first:#}"
    );
    assert!(
        started <= read && read <= iso(SystemTime::now()),
        "{started} {first:#}"
    );

    // A new article: the numbers follow the live corpus.
    std::fs::write(
        dir.path().join("corpus/2024-10-02-tin.txt"),
        "date: 2024-10-02\n\nTin prices fell.\n",
    )
    .unwrap();
    let deadline = Instant::now() + WAIT;
    let second = loop {
        let h = health(port).await;
        if h["articles"] == 3 {
            break h;
        }
        assert!(Instant::now() < deadline, "not reloaded: {h:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(second["sentences"], 6, "{second:#}");
    assert_ne!(second["corpus_version"], first["corpus_version"]);
    assert!(
        second["last_reload"].as_str().unwrap() >= read.as_str(),
        "{second:#}"
    );

    // Only the webhook's path takes updates, and only with the secret (checked first).
    assert_eq!(get(port, "/quotebot/hook").await.0, 401);
    assert_eq!(get(port, "/elsewhere").await.0, 404);
    stop(bot).await;
}

/// SIGTERM while updates keep being posted: the bot stops with status 0 (the listener's stop
/// goes through the same path as polling's), rather than waiting for the posts to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_of_posts_stops_the_bot() {
    let api = FakeApi::start().await;
    let port = common::free_port();
    let dir = bot_folder(
        &[(
            "2024-09-30-grain.txt",
            "date: 2024-09-30\n\nGrain exports rose sharply.\n",
        )],
        "",
    );
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    let secret = api.webhook_set().unwrap().1;
    let poster = {
        let api = api.clone();
        tokio::spawn(async move {
            for i in 0..100_000i64 {
                // Refused (503) or unanswered once the bot stops: that is the point.
                let update = message(1000 + i % 50, 7, i, "grain exports");
                // (Once the bot is gone, the post panics: that ends this task.)
                let sent = tokio::time::timeout(
                    Duration::from_secs(5),
                    api.post_update(port, update, secret.as_deref()),
                );
                if sent.await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    api.wait_for("sendMessage", 20, WAIT, |_| true).await;
    let output = stop(bot).await;
    poster.abort();
    // It stopped through the listener, not by giving up after the grace time.
    assert!(output.contains("stopping"), "{output}");
    assert!(!output.contains("without waiting longer"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_set_webhook_is_retried() {
    let api = FakeApi::start().await;
    api.fault("setWebhook", Fault::Status(502, "Bad Gateway"));
    api.fault("setWebhook", Fault::Drop);
    let port = common::free_port();
    let dir = repo_folder();
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    assert_eq!(api.attempts("setWebhook").len(), 3, "502, dropped, set");
    api.deliver(port, message(1, 1, 1, "Rasht-Astara railway"))
        .await;
    let replies = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 1)
        .await;
    assert!(
        replies[0].body["text"]
            .as_str()
            .unwrap()
            .contains("Rasht-Astara"),
        "{:#}",
        replies[0].body
    );
    let output = stop(bot).await;
    assert_eq!(
        output.matches("cannot set the webhook").count(),
        2,
        "{output}"
    );
    assert!(output.contains("trying again in"), "{output}");
}

/// An address Telegram refuses (a 400) will be refused again: the bot says so and stops,
/// rather than retrying forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_webhook_address_stops_the_bot() {
    let api = FakeApi::start().await;
    api.fault(
        "setWebhook",
        Fault::Status(400, "Bad Request: bad webhook: Failed to resolve host"),
    );
    let port = common::free_port();
    let dir = repo_folder();
    let bot = spawn_hooked(dir.path(), &api, port);
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        output.contains("Telegram refused the webhook")
            && output.contains("Failed to resolve host"),
        "{output}"
    );
    assert_eq!(api.attempts("setWebhook").len(), 1);
}

/// Runs `quotebot telegram ARGS` in `dir` against `api` and waits for it to exit.
async fn exits(dir: &Path, api: &FakeApi, args: &[&str]) -> (Option<i32>, String) {
    let bot = BotProcess::spawn_args(dir, &api.url(), Some(TOKEN), None, args);
    let (status, output) = bot.wait_exit(WAIT).await;
    (status.code(), output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhook_settings_stop_the_bot_with_one_line() {
    let api = FakeApi::start().await;
    let corpus = [(
        "2024-09-30-grain.txt",
        "date: 2024-09-30\n\nGrain exports rose sharply.\n",
    )];
    let port = common::free_port().to_string();
    let listen = format!("127.0.0.1:{port}");

    // A secret teloxide would panic on: a configuration error (status 1), naming the key and
    // not repeating the secret.
    let dir = bot_folder(
        &corpus,
        &format!("[telegram]\nwebhook_url = \"{HOOK_URL}\"\nwebhook_secret = \"my secret!\"\n"),
    );
    let (code, output) = exits(dir.path(), &api, &["--listen", &listen]).await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(
        output.starts_with("error: reading the configuration: config/quotebot.toml: [telegram] webhook_secret must be 1 to 256 characters"),
        "{output}"
    );
    assert!(!output.contains("my secret!"), "{output}");

    // Telegram posts only over HTTPS: a usage error (status 2).
    let dir = bot_folder(&corpus, "");
    let (code, output) = exits(
        dir.path(),
        &api,
        &["--webhook-url", "http://bot.example.com/hook"],
    )
    .await;
    assert_eq!(code, Some(2), "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(output.contains("--webhook-url"), "{output}");

    // --listen alone would be ignored by a polling bot: refused.
    let (code, output) = exits(dir.path(), &api, &["--listen", &listen]).await;
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("--listen is for webhook mode"), "{output}");

    // An address already taken: status 1, before anything is asked of Telegram.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let (code, output) = exits(
        dir.path(),
        &api,
        &["--webhook-url", HOOK_URL, "--listen", &taken_addr],
    )
    .await;
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(
        output.starts_with(&format!("error: listening on {taken_addr}")),
        "{output}"
    );
    drop(taken);
    assert!(api.calls().is_empty(), "{:#?}", api.calls());
}

/// The median of `times` in milliseconds.
fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

/// When the reply to `chat` arrived at the fake server.
async fn reply_arrived(api: &FakeApi, chat: i64) -> Instant {
    api.wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == chat)
        .await[0]
        .arrived
}

/// Update-to-reply time on loopback, webhook mode beside polling mode: from the fake server
/// handing the update over (the POST sent; the `getUpdates` answer) to the `sendMessage`
/// arriving, one update at a time in its own chat, paced under Telegram's 30 messages a second
/// so that the rate limiter does not count. Printed, not asserted: machines are noisy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_to_reply_time_webhook_beside_polling() {
    const UPDATES: i64 = 200;
    const PACE: Duration = Duration::from_millis(40);
    let corpus = [(
        "2024-09-30-grain.txt",
        "date: 2024-09-30\n\nGrain exports rose sharply.\n",
    )];

    let api = FakeApi::start().await;
    let port = common::free_port();
    let dir = bot_folder(&corpus, "");
    let bot = spawn_hooked(dir.path(), &api, port);
    api.wait_for("setWebhook", 1, WAIT, |_| true).await;
    let mut webhook = Vec::new();
    for chat in 1..=UPDATES {
        let (_, sent) = api
            .deliver(port, message(chat, chat, 1, "grain exports"))
            .await;
        webhook.push(reply_arrived(&api, chat).await - sent);
        tokio::time::sleep(PACE.saturating_sub(sent.elapsed())).await;
    }
    stop(bot).await;

    let api = FakeApi::start().await;
    let dir = bot_folder(&corpus, "");
    let bot = BotProcess::spawn(dir.path(), &api.url(), Some(TOKEN));
    api.wait_for("getUpdates", 1, WAIT, |_| true).await;
    let mut polling = Vec::new();
    for chat in 1..=UPDATES {
        let started = Instant::now();
        let id = api.push(message(chat, chat, 1, "grain exports"));
        let arrived = reply_arrived(&api, chat).await;
        let handed = api.handed_over(id).expect("handed over");
        polling.push(arrived - handed);
        tokio::time::sleep(PACE.saturating_sub(started.elapsed())).await;
    }
    stop(bot).await;

    assert_eq!(webhook.len(), UPDATES as usize);
    assert_eq!(polling.len(), UPDATES as usize);
    eprintln!(
        "update to reply on loopback, median of {UPDATES}: webhook {:.2} ms, polling {:.2} ms",
        median_ms(webhook),
        median_ms(polling)
    );
}
