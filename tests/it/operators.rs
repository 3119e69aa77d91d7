//! What the bot records for the people who run it, through the built binary against the fake
//! Bot API (`tests/common`): 👍/👎 and a changed vote, `/unanswered` after questions that
//! found nothing, the admins' counts in `/about`, `quotebot report --json`, follow alerts
//! (one per new quote, none after a restart, none after unfollowing, none for articles that
//! were there before following, only group admins may follow), a thousand votes at once, and
//! a database that cannot be used (corrupt, or in a read-only folder) stopping the bot with
//! one line and status 1. `ask` and `chat` create no database. Alerts score a topic on the
//! whole corpus and alert every new article; the database holds no asker's id; a vote on an
//! answer no longer known is refused. Waits are generous timeouts;
//! nothing here asserts that anything is fast.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::process::BotProcess;
use common::{FakeApi, Fault, button_press, message, sent_message};

const TOKEN: &str = "777000:OPS-secret-token-MNBVCX";
const WAIT: Duration = Duration::from_secs(60);
const ADMIN: i64 = 777;

/// A folder with `files` under `corpus/` and a config naming [`ADMIN`].
fn bot_folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    common::process::bot_folder(files, Some(&format!("[telegram]\nadmins = [{ADMIN}]\n")))
}

fn quotebot(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("quotebot runs")
}

fn report(dir: &Path) -> Value {
    let out = quotebot(dir, &["report", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

/// The texts sent to `chat` so far.
fn sent_to(api: &FakeApi, chat: i64) -> Vec<String> {
    api.served("sendMessage")
        .iter()
        .filter(|c| c.body["chat_id"] == chat)
        .map(|c| c.body["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Sends `text` in `chat` from `user` and returns the reply (the `n`-th message to `chat`).
async fn say(api: &FakeApi, chat: i64, user: i64, text: &str, n: usize) -> common::Call {
    api.push(message(chat, user, 1, text));
    api.wait_for("sendMessage", n, WAIT, |b| b["chat_id"] == chat)
        .await
        .remove(n - 1)
}

fn text(call: &common::Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_string()
}

/// The rows of buttons under a message, as (label, data).
fn rows(call: &common::Call) -> Vec<Vec<(String, String)>> {
    call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    (
                        b["text"].as_str().unwrap_or_default().to_string(),
                        b["callback_data"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Presses `data` as `user` under `answer` and returns the toast.
async fn press(api: &FakeApi, user: i64, data: &str, answer: &Value) -> String {
    let before = api.served("answerCallbackQuery").len();
    api.push(button_press(user, data, answer.clone()));
    let toasts = api
        .wait_for("answerCallbackQuery", before + 1, WAIT, |_| true)
        .await;
    toasts[before].body["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn stop(bot: BotProcess) -> String {
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(!output.contains(TOKEN), "{output}");
    output
}

const TIN: (&str, &str) = (
    "2024-01-01-tin.txt",
    "date 2024-01-01\n\nTin output rose in Bolivia. Tin prices fell in London.",
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_a_changed_vote_unanswered_about_and_the_report() {
    let tmp = bot_folder(&[TIN]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;

    let question = message(1, 1, 7, "Tin output?");
    api.push(question.clone());
    let answer = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == 1)
        .await
        .remove(0);
    assert!(text(&answer).contains("Bolivia"), "{}", text(&answer));
    let rows = rows(&answer);
    let labels: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(|(l, _)| l.as_str()).collect())
        .collect();
    assert_eq!(labels, [vec!["More", "Context"], vec!["👍", "👎"]]);
    let (up, down) = (rows[1][0].1.clone(), rows[1][1].1.clone());
    assert!(up.len() <= 64 && down.len() <= 64, "{up} {down}");
    let answered = sent_message(&answer, 900, question["message"].clone());

    assert_eq!(
        press(&api, 1, &up, &answered).await,
        "Thanks! Glad it helped."
    );
    assert_eq!(
        press(&api, 1, &up, &answered).await,
        "Thanks! Glad it helped."
    );
    assert_eq!(press(&api, 1, &down, &answered).await, "Changed to 👎.");
    assert!(press(&api, 2, &down, &answered).await.starts_with("Thanks"));
    // Strange data is no vote, and no crash.
    assert!(
        press(&api, 3, "v:1:1:sideways", &answered)
            .await
            .contains("older version")
    );

    // "More" lists several quotes: no votes under it.
    api.push(button_press(1, &rows[0][0].1, answered.clone()));
    let more = api
        .wait_for("sendMessage", 2, WAIT, |b| b["chat_id"] == 1)
        .await
        .remove(1);
    assert!(
        self::rows(&more)
            .iter()
            .flatten()
            .all(|(l, _)| l != "👍" && l != "👎"),
        "{:?}",
        more.body
    );

    // Not found, from several chats.
    for (chat, q) in [
        (10, "What is the capital of France?"),
        (11, "what is the capital of   france"),
        (-100_200, "/ask What is the capital of France"),
        (12, "Who won the chess final?"),
    ] {
        let reply = say(&api, chat, chat.abs(), q, 1).await;
        assert!(text(&reply).contains("found nothing"), "{}", text(&reply));
    }

    // /unanswered: admins only.
    let refused = say(&api, 13, 13, "/unanswered", 1).await;
    assert!(text(&refused).contains("for the bot's admins"));
    let list = text(&say(&api, ADMIN, ADMIN, "/unanswered", 1).await);
    assert!(
        list.contains("1. what is the capital of france — 3×")
            && list.contains("2. tin output — 2×")
            && list.contains("3. who won the chess final — 1×"),
        "{list}"
    );
    let about = text(&say(&api, ADMIN, ADMIN, "/about", 2).await);
    assert!(
        about.contains("in the last 24 hours 1 answered and 4 not found")
            && about.contains("0 👍, 2 👎"),
        "{about}"
    );
    let about = text(&say(&api, 14, 14, "/about", 1).await);
    assert!(!about.contains("For admins"), "{about}");
    let output = stop(bot).await;
    assert!(
        !output.contains("capital"),
        "questions stay out of the log: {output}"
    );
    // After a restart the votes are still there: the same vote again changes nothing.
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    let toasts = api.served("answerCallbackQuery").len();
    api.push(button_press(2, &down, answered.clone()));
    let toast = api
        .wait_for("answerCallbackQuery", toasts + 1, WAIT, |_| true)
        .await;
    assert!(
        toast[toasts].body["text"]
            .as_str()
            .unwrap()
            .starts_with("Thanks"),
        "{:?}",
        toast[toasts].body
    );
    stop(bot).await;

    // After the bot stopped, from the command line.
    let r = report(tmp.path());
    assert_eq!(r["days"], 30);
    assert_eq!(r["answered"], 1);
    assert_eq!(r["not_found"], 4);
    assert_eq!(r["votes"], json!({"up": 0, "down": 2}));
    // The keys in the order of the contract.
    let raw = String::from_utf8(quotebot(tmp.path(), &["report", "--json"]).stdout).unwrap();
    let at: Vec<usize> = [
        "{\"days\":",
        ",\"answered\":",
        ",\"not_found\":",
        ",\"votes\":{\"up\":",
        ",\"unanswered\":[{\"question\":",
        ",\"disliked\":[{\"quote\":",
    ]
    .iter()
    .map(|k| raw.find(k).unwrap_or_else(|| panic!("{k} in {raw}")))
    .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{raw}");
    // Exactly these keys, no more.
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&r),
        [
            "answered",
            "days",
            "disliked",
            "not_found",
            "unanswered",
            "votes"
        ]
    );
    assert_eq!(keys(&r["votes"]), ["down", "up"]);
    assert_eq!(
        keys(&r["unanswered"][0]),
        ["count", "first_seen", "last_seen", "question"]
    );
    assert_eq!(keys(&r["disliked"][0]), ["count", "quote", "title"]);
    let first = &r["unanswered"][0];
    assert_eq!(first["question"], "what is the capital of france");
    assert_eq!(first["count"], 3);
    for t in [&first["first_seen"], &first["last_seen"]] {
        let t = t.as_str().unwrap();
        assert!(t.len() == 20 && t.ends_with('Z'), "{t}");
    }
    assert_eq!(
        r["disliked"],
        json!([{"quote": "Tin output rose in Bolivia.", "title": "Tin", "count": 2}])
    );
    let week = report_days(tmp.path(), "1");
    assert_eq!(week["days"], 1);
    assert_eq!(week["not_found"], 4);
    let out = quotebot(tmp.path(), &["report", "--days", "0"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    // In words, for people.
    let out = quotebot(tmp.path(), &["report"]);
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.starts_with("Last 30 days: 1 answered, 4 not found; 0 👍, 2 👎.")
            && words.contains("    3×  what is the capital of france  (first ")
            && words.contains("    2×  “Tin output rose in Bolivia.” — Tin"),
        "{words}"
    );
}

fn report_days(dir: &Path, days: &str) -> Value {
    let out = quotebot(dir, &["report", "--days", days, "--json"]);
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
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

fn spawn_logging(dir: &Path, api: &FakeApi) -> BotProcess {
    BotProcess::spawn_with(
        dir,
        &api.url(),
        Some(TOKEN),
        Some("info,quotebot::telegram::ops=debug"),
    )
}

const CHECKED: &str = "follow alerts checked";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_alerts_come_once_survive_a_restart_and_stop_after_unfollow() {
    const GROUP: i64 = -1_000_000_000_077;
    let tmp = bot_folder(&[(
        "2024-01-01-kazakh-grain.txt",
        "date 2024-01-01\n\nGrain exports rose in Kazakhstan.",
    )]);
    let corpus = tmp.path().join("corpus");
    let api = FakeApi::start().await;
    api.set_chat_admin(GROUP, 900);
    let bot = spawn_logging(tmp.path(), &api);
    logged(&bot, CHECKED, 1).await;

    let reply = text(&say(&api, 5, 5, "/follow grain exports", 1).await);
    assert!(
        reply.contains("Following “<b>grain exports</b>”"),
        "{reply}"
    );
    // In a group, only its admins.
    let refused = text(&say(&api, GROUP, 901, "/follow grain exports", 1).await);
    assert!(refused.contains("only its admins"), "{refused}");
    // Telegram cannot say: a short note, not silence.
    api.fault(
        "getChatMember",
        Fault::Status(400, "Bad Request: member not found"),
    );
    let failed = text(&say(&api, GROUP, 900, "/follow grain exports", 2).await);
    assert!(failed.contains("could not check"), "{failed}");
    let ok = text(
        &say(
            &api,
            GROUP,
            900,
            "/follow@quotebot_test_bot grain exports",
            3,
        )
        .await,
    );
    assert!(ok.contains("Following"), "{ok}");
    assert_eq!(api.served("getChatMember").len(), 2);
    let list = text(&say(&api, 5, 5, "/following", 2).await);
    assert!(list.contains("1. grain exports"), "{list}");

    // An article on something else: a check, no alert (the Kazakh one was there before).
    std::fs::write(
        corpus.join("2024-02-01-zinc.txt"),
        "date 2024-02-01\n\nZinc prices fell in Peru.",
    )
    .unwrap();
    logged(&bot, CHECKED, 2).await;
    // An article on the topic: one alert to each chat that follows it.
    std::fs::write(
        corpus.join("2024-03-01-russia-grain.txt"),
        "date 2024-03-01\n\nRussia's grain exports hit a record in March.",
    )
    .unwrap();
    let alerts = api
        .wait_for("sendMessage", 3, WAIT, |b| b["chat_id"] == 5)
        .await;
    let alert = text(&alerts[2]);
    assert!(
        alert.contains("Russia's <b>grain</b>")
            || alert.contains("Russia's grain exports hit a record"),
        "{alert}"
    );
    assert!(alert.contains("1 March 2024"), "{alert}");
    assert!(
        alert.contains("Because you follow “grain exports”"),
        "{alert}"
    );
    api.wait_for("sendMessage", 4, WAIT, |b| b["chat_id"] == GROUP)
        .await;
    stop(bot).await;
    assert!(
        sent_to(&api, 5).iter().all(|t| !t.contains("Kazakhstan")),
        "no alert for an article that was there before following"
    );

    // A restart: nothing again.
    let bot = spawn_logging(tmp.path(), &api);
    logged(&bot, CHECKED, 1).await;
    // An edit that leaves the topic's best sentence as it was: nothing either.
    std::fs::write(
        corpus.join("2024-03-01-russia-grain.txt"),
        "date 2024-03-01\n\nRussia's grain exports hit a record in March.\n\nRain fell.",
    )
    .unwrap();
    logged(&bot, CHECKED, 2).await;
    // An article that was there before the topic was followed, changed so that its best
    // sentence for the topic is a new one: still not news to the chat.
    std::fs::write(
        corpus.join("2024-01-01-kazakh-grain.txt"),
        "date 2024-01-01\n\nGrain exports from Kazakhstan fell by half.",
    )
    .unwrap();
    logged(&bot, CHECKED, 3).await;
    assert_eq!(sent_to(&api, 5).len(), 3, "{:?}", sent_to(&api, 5));
    // A second article: a second alert.
    std::fs::write(
        corpus.join("2024-04-01-india-grain.txt"),
        "date 2024-04-01\n\nIndia banned grain exports in April.",
    )
    .unwrap();
    let alerts = api
        .wait_for("sendMessage", 4, WAIT, |b| b["chat_id"] == 5)
        .await;
    assert!(
        text(&alerts[3]).contains("India banned"),
        "{}",
        text(&alerts[3])
    );
    // That article changed, its best sentence for the topic a new one: alerted again.
    std::fs::write(
        corpus.join("2024-04-01-india-grain.txt"),
        "date 2024-04-01\n\nIndia lifted its ban on grain exports.",
    )
    .unwrap();
    let alerts = api
        .wait_for("sendMessage", 5, WAIT, |b| b["chat_id"] == 5)
        .await;
    assert!(
        text(&alerts[4]).contains("India lifted"),
        "{}",
        text(&alerts[4])
    );

    // Unfollow: silence.
    let done = text(&say(&api, 5, 5, "/unfollow 1", 6).await);
    assert!(done.contains("Stopped following"), "{done}");
    let list = text(&say(&api, 5, 5, "/following", 7).await);
    assert!(list.contains("follows no topics"), "{list}");
    let checks = bot.output().matches(CHECKED).count();
    std::fs::write(
        corpus.join("2024-05-01-egypt-grain.txt"),
        "date 2024-05-01\n\nEgypt's grain exports doubled.",
    )
    .unwrap();
    logged(&bot, CHECKED, checks + 1).await;
    // The group still follows it.
    let group = api
        .wait_for("sendMessage", 7, WAIT, |b| b["chat_id"] == GROUP)
        .await;
    assert!(text(&group[6]).contains("Egypt"), "{}", text(&group[6]));
    let to_chat = sent_to(&api, 5);
    assert_eq!(to_chat.len(), 7, "{to_chat:?}");
    assert!(
        to_chat.iter().all(|t| !t.contains("Kazakhstan")),
        "{to_chat:?}"
    );
    assert!(to_chat.iter().all(|t| !t.contains("Egypt")), "{to_chat:?}");
    let alerts_total = api
        .served("sendMessage")
        .iter()
        .filter(|c| text(c).contains("Because you follow"))
        .count();
    assert_eq!(alerts_total, 7, "3 to the chat, 4 to the group");
    // Without a topic or a number: how to use them.
    let how = text(&say(&api, 8, 8, "/follow", 1).await);
    assert!(how.contains("Give a topic after /follow"), "{how}");
    let how = text(&say(&api, 8, 8, "/unfollow first", 2).await);
    assert!(how.contains("Give the number of a topic"), "{how}");
    let how = text(&say(&api, 8, 8, "/unfollow 3", 3).await);
    assert!(how.contains("Give the number of a topic"), "{how}");
    stop(bot).await;
}

/// A topic is scored against the whole corpus, as a question is: "russia football" shares only
/// a common word with a new article about Russia's grain and gets no alert (asked of that
/// article alone it would score 0.5, the threshold). Two articles that arrive together each
/// get their alert, even when the best of them was alerted before. And the database knows
/// articles by their path inside the corpus folder: a restart with the folder spelled
/// `./corpus` finds nothing new in articles that were there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_score_as_answers_do_and_every_new_article_gets_one() {
    let tmp = bot_folder(&[
        (
            "2024-01-01-russia-oil.txt",
            "date 2024-01-01\n\nRussia sold more oil to India.",
        ),
        (
            "2024-01-02-russia-gas.txt",
            "date 2024-01-02\n\nRussia cut gas flows to Europe.",
        ),
        (
            "2024-01-03-russia-wheat.txt",
            "date 2024-01-03\n\nRussia harvested record wheat.",
        ),
        (
            "2024-01-04-football.txt",
            "date 2024-01-04\n\nThe football final drew a record crowd in Madrid.",
        ),
        (
            "2024-01-05-kazakh-grain.txt",
            "date 2024-01-05\n\nGrain exports rose in Kazakhstan.",
        ),
    ]);
    let corpus = tmp.path().join("corpus");
    let api = FakeApi::start().await;
    let bot = spawn_logging(tmp.path(), &api);
    logged(&bot, CHECKED, 1).await;
    // "russia football" first: a check goes through follows in the order they were made, so
    // by the time the grain alert arrives, the football topic has been matched.
    let reply = text(&say(&api, 5, 5, "/follow russia football", 1).await);
    assert!(reply.contains("Following"), "{reply}");
    let reply = text(&say(&api, 5, 5, "/follow grain exports", 2).await);
    assert!(reply.contains("Following"), "{reply}");
    std::fs::write(
        corpus.join("2024-05-01-russia-grain.txt"),
        "date 2024-05-01\n\nRussia's grain exports soared.",
    )
    .unwrap();
    let sent = api
        .wait_for("sendMessage", 3, WAIT, |b| b["chat_id"] == 5)
        .await;
    assert!(text(&sent[2]).contains("soared"), "{}", text(&sent[2]));
    stop(bot).await;

    // While the bot is stopped: the Russian article changes (its best sentence for the topic
    // stays the one already sent, and it outranks the new one) and an Indian one arrives.
    std::fs::write(
        corpus.join("2024-05-01-russia-grain.txt"),
        "date 2024-05-01\n\nRussia's grain exports soared. Prices were stable.",
    )
    .unwrap();
    std::fs::write(
        corpus.join("2024-04-01-india-grain.txt"),
        "date 2024-04-01\n\nIndia's grain exports fell in April after weeks of heavy storms across the northern states.",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("config/quotebot.toml"),
        format!("[telegram]\nadmins = [{ADMIN}]\n[corpus]\ndir = \"./corpus\"\n"),
    )
    .unwrap();
    let bot = spawn_logging(tmp.path(), &api);
    logged(&bot, CHECKED, 1).await;
    stop(bot).await;
    let to_chat = sent_to(&api, 5);
    assert_eq!(to_chat.len(), 4, "{to_chat:?}");
    assert!(to_chat[3].contains("India"), "{to_chat:?}");
    assert!(
        to_chat
            .iter()
            .all(|t| !t.contains("Because you follow “russia football”")),
        "a common word is no alert: {to_chat:?}"
    );
    assert!(
        to_chat.iter().all(|t| !t.contains("Kazakhstan")),
        "there before the follow, under another spelling of the folder: {to_chat:?}"
    );
}

/// The database file holds no user id or chat id of anyone who asked or voted: a question
/// in a group and in a private chat, and a vote, leave only the questions and a salted hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_holds_no_id_of_who_asked_or_voted() {
    const USER: i64 = 5_444_555_666;
    const GROUP: i64 = -1_004_111_222_333;
    let tmp = bot_folder(&[TIN]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let question = message(GROUP, USER, 3, "/ask tin output");
    api.push(question.clone());
    let answer = api
        .wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == GROUP)
        .await
        .remove(0);
    assert!(text(&answer).contains("Bolivia"), "{}", text(&answer));
    let down = rows(&answer)[1][1].1.clone();
    let answered = sent_message(&answer, 900, question["message"].clone());
    assert!(
        press(&api, USER, &down, &answered)
            .await
            .starts_with("Thanks")
    );
    let reply = say(&api, USER, USER, "who won the chess final", 1).await;
    assert!(text(&reply).contains("found nothing"), "{}", text(&reply));
    stop(bot).await;

    let mut bytes = Vec::new();
    for f in std::fs::read_dir(tmp.path().join("data")).unwrap() {
        bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(holds(b"who won the chess final"), "the records are in it");
    assert!(holds(b"tin output"), "the records are in it");
    for id in [USER, GROUP] {
        assert!(!holds(id.to_string().as_bytes()), "{id} as text");
        assert!(
            !holds(id.unsigned_abs().to_string().as_bytes()),
            "{id} as text"
        );
        // SQLite keeps integers big-endian in 1 to 8 bytes: the low five bytes are in every
        // form that could hold these; and little-endian, as the hash's input is.
        assert!(!holds(&id.to_be_bytes()[3..]), "{id} as an integer");
        assert!(!holds(&id.to_le_bytes()[..5]), "{id} little-endian");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_votes_from_a_hundred_chats_are_all_counted() {
    let tmp = bot_folder(&[TIN]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let answer = say(&api, 1, 1, "tin prices", 1).await;
    let rows = rows(&answer);
    let (up, down) = (rows[1][0].1.clone(), rows[1][1].1.clone());
    for chat in 1..=100i64 {
        let under = json!({
            "message_id": 5, "date": 1_700_000_000,
            "chat": {"id": -chat, "type": "group", "title": "Group"},
            "from": {"id": common::BOT_ID, "is_bot": true, "first_name": "Quotebot"},
            "text": "an answer",
        });
        for j in 0..10 {
            let user = chat * 100 + j;
            let data = if j % 2 == 0 { &up } else { &down };
            api.push(button_press(user, data, under.clone()));
        }
    }
    let toasts = api
        .wait_for("answerCallbackQuery", 1000, WAIT * 2, |_| true)
        .await;
    assert!(
        toasts
            .iter()
            .all(|t| t.body["text"].as_str().unwrap_or("").starts_with("Thanks")),
        "every vote acknowledged as new"
    );
    stop(bot).await;
    let r = report(tmp.path());
    assert_eq!(r["votes"], json!({"up": 500, "down": 500}));
    assert_eq!(r["disliked"][0]["count"], 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_database_stops_the_bot_with_one_line_and_status_1() {
    let tmp = bot_folder(&[TIN]);
    std::fs::create_dir_all(tmp.path().join("data")).unwrap();
    std::fs::write(
        tmp.path().join("data/quotebot.sqlite"),
        "this is not a database, it is a text file that someone put here\n".repeat(200),
    )
    .unwrap();
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(1), "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(
        output.starts_with(
            "error: opening the database: data/quotebot.sqlite: file is not a database"
        ),
        "{output}"
    );
    assert!(api.calls().is_empty(), "nothing was sent");
    // The report says the same.
    let out = quotebot(tmp.path(), &["report"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("data/quotebot.sqlite: file is not a database")
    );
}

/// Runs `quotebot telegram` in `dir` as a user without write access to a folder that is not
/// its own: as `nobody` when the tests run as root (root may write anywhere). The binary is
/// linked (or copied) into `dir`, so that `nobody` can run it wherever the build is.
fn run_unprivileged(dir: &Path, api: &FakeApi) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = if root {
        let bin = dir.join("quotebot-bin");
        if !bin.exists() && std::fs::hard_link(env!("CARGO_BIN_EXE_quotebot"), &bin).is_err() {
            std::fs::copy(env!("CARGO_BIN_EXE_quotebot"), &bin).unwrap();
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_quotebot"))
    };
    cmd.arg("telegram")
        .current_dir(dir)
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", api.url())
        .env_remove("RUST_LOG")
        .output()
        .expect("quotebot runs")
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_folder_stops_the_bot_with_one_line_and_status_1() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = bot_folder(&[TIN]);
    let dir = tmp.path();
    std::fs::write(
        dir.join("config/quotebot.toml"),
        "[storage]\npath = \"ro/quotebot.sqlite\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.join("ro")).unwrap();
    // Whoever runs it can read everything else, whatever the umask.
    for d in [dir, &dir.join("corpus"), &dir.join("config")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for f in [
        dir.join("config/quotebot.toml"),
        dir.join("corpus").join(TIN.0),
    ] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let api = FakeApi::start().await;

    let out = run_unprivileged(dir, &api);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: opening the database: ro/quotebot.sqlite: unable to open database file"
        ),
        "{stderr}"
    );
    assert!(!dir.join("ro/quotebot.sqlite").exists());

    // A database that is there, in a folder that became read-only: the same.
    std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let storage = quotebot::storage::Storage::open(&quotebot::config::StorageConfig {
        path: dir.join("ro/quotebot.sqlite"),
        keep_days: 90,
    })
    .unwrap();
    storage.close();
    drop(storage);
    for f in std::fs::read_dir(dir.join("ro")).unwrap() {
        std::fs::set_permissions(f.unwrap().path(), std::fs::Permissions::from_mode(0o444))
            .unwrap();
    }
    std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = run_unprivileged(dir, &api);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: opening the database: ro/quotebot.sqlite: "),
        "{stderr}"
    );
    assert!(stderr.contains("must be writable"), "{stderr}");
    assert!(api.calls().is_empty(), "nothing was sent");
}

#[test]
fn ask_and_chat_create_no_database() {
    let dir = common::process::copy_of_repo();
    let out = quotebot(dir.path(), &["ask", "grain exports"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("grain"));
    let mut chat = Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .arg("chat")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = chat.stdin.take().unwrap();
        writeln!(stdin, "Rasht-Astara railway").unwrap();
    }
    let out = chat.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rasht-Astara"));
    assert!(
        !dir.path().join("data").exists(),
        "ask and chat must not create the database"
    );
    // Nor does the report: it reads a database that is there.
    let out = quotebot(dir.path(), &["report", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no database yet"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("data").exists());
}

/// A write that fails while the bot runs (here a trigger that refuses every count, as a full
/// disk would) is logged, and the bot goes on answering; once writes succeed again, they are
/// recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_is_logged_and_the_bot_keeps_answering() {
    let tmp = bot_folder(&[TIN]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    assert!(text(&say(&api, 1, 1, "tin output", 1).await).contains("Bolivia"));

    let db = rusqlite::Connection::open(tmp.path().join("data/quotebot.sqlite")).unwrap();
    db.busy_timeout(WAIT).unwrap();
    // The first answer's record is written (it is queued after the reply is sent).
    let deadline = Instant::now() + WAIT;
    while db
        .query_row("SELECT coalesce(sum(n), 0) FROM counts", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
        < 1
    {
        assert!(
            Instant::now() < deadline,
            "the first answer was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON counts BEGIN SELECT RAISE(FAIL, 'disk on fire'); END;",
    )
    .unwrap();
    let reply = say(&api, 2, 2, "tin prices", 1).await;
    assert!(text(&reply).contains("London"), "{}", text(&reply));
    let not_found = say(&api, 3, 3, "who won the chess final", 1).await;
    assert!(text(&not_found).contains("found nothing"));
    logged(&bot, "recording a question not found failed", 1).await;
    assert!(
        bot.output()
            .contains("recording an answer failed: disk on fire"),
        "{}",
        bot.output()
    );
    // Votes go on being kept (they write no count).
    let rows = rows(&reply);
    let answered = sent_message(&reply, 901, json!(null));
    assert!(
        press(&api, 2, &rows[1][0].1, &answered)
            .await
            .starts_with("Thanks")
    );

    db.execute_batch("DROP TRIGGER refuse").unwrap();
    assert!(text(&say(&api, 4, 4, "tin output", 1).await).contains("Bolivia"));
    stop(bot).await;
    let r = report(tmp.path());
    assert_eq!(r["answered"], 2, "the first and the last: {r}");
    assert_eq!(r["not_found"], 0, "{r}");
    assert_eq!(r["votes"]["up"], 1, "{r}");
}

/// Inline queries fire on every keystroke: they are not recorded. Their answers carry 👍/👎;
/// a vote on one keeps its quote (there is no question to keep).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_answers_carry_votes_and_inline_queries_are_not_recorded() {
    let tmp = bot_folder(&[TIN]);
    let api = FakeApi::start().await;
    let bot = BotProcess::spawn(tmp.path(), &api.url(), Some(TOKEN));
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    for (i, q) in ["ti", "tin", "tin pri", "tin prices", "zzzq nothing"]
        .iter()
        .enumerate()
    {
        api.push(common::inline_query(50, q));
        api.wait_for("answerInlineQuery", i + 1, WAIT, |_| true)
            .await;
    }
    let calls = api.served("answerInlineQuery");
    let results = calls[3].body["results"].as_array().unwrap();
    let first = &results[0];
    assert!(
        first["title"].as_str().unwrap().contains("London"),
        "{first}"
    );
    let buttons: Vec<(String, String)> = first["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().clone())
        .map(|b| {
            (
                b["text"].as_str().unwrap().to_string(),
                b["callback_data"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let down = &buttons.iter().find(|(l, _)| l == "👎").expect("👎").1;
    api.push(common::inline_button_press(50, down));
    let toast = api.wait_for("answerCallbackQuery", 1, WAIT, |_| true).await;
    assert!(
        toast[0].body["text"]
            .as_str()
            .unwrap()
            .starts_with("Thanks"),
        "{:?}",
        toast[0].body
    );
    // A vote on an answer that is neither stored nor in the index: refused, not counted.
    api.push(common::inline_button_press(50, "v:abcdef12345:0:d"));
    let toast = api.wait_for("answerCallbackQuery", 2, WAIT, |_| true).await;
    assert!(
        toast[1].body["text"]
            .as_str()
            .unwrap()
            .contains("no longer known"),
        "{:?}",
        toast[1].body
    );
    stop(bot).await;
    let r = report(tmp.path());
    assert_eq!(r["votes"], json!({"up": 0, "down": 1}), "{r}");
    assert_eq!(
        (r["answered"].clone(), r["not_found"].clone()),
        (json!(0), json!(0)),
        "{r}"
    );
    assert_eq!(r["unanswered"], json!([]), "{r}");
    assert_eq!(
        r["disliked"],
        json!([{"quote": "Tin prices fell in London.", "title": "Tin", "count": 1}])
    );
}
