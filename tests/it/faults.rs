//! Faults, end to end: the built `quotebot telegram` against a fake Bot API on 127.0.0.1 that
//! misbehaves on cue, while questions keep arriving.
//!
//! - `getUpdates` answering 500, a proxy's HTML 502, a JSON 502, malformed JSON, a dropped
//!   connection, no answer at all (the client's 17 s timeout): polling goes on, after a pause
//!   that grows while failures follow one another, and every question is answered exactly
//!   once — none lost, none twice.
//! - `sendMessage` failing with 429 (`retry_after`), 500, 503, a proxy's 502, a 5xx in any
//!   wording, or a connection reset before the server took the message: each reply still
//!   arrives, once. When the server took the message and then the connection or its answer
//!   failed, the bot cannot know: it sends again, and the test counts duplicates and losses
//!   (the policy: a duplicate, never a loss).
//! - The server answering after 0–2 s: Telegram's limits hold by its clock, both when each
//!   request arrived and when it was answered.
//! - `getMe` failing at start-up (a reset, malformed JSON, no answer): logged and retried
//!   until it answers (connection refused is in `telegram_e2e.rs`); a refused token (401):
//!   an error at once.
//! - With every log line on (`RUST_LOG=trace`) and requests failing, the token is in none.
//!
//! teloxide waits 10 s after any 5xx before it reports it, and its HTTP client gives up after
//! 17 s; these tests take about a minute, running side by side.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::process::BotProcess;
use common::{Call, FakeApi, Fault, limits_seen, message};

const TOKEN: &str = "555111:FAULTS-secret-token-QWERTY";
const WAIT: Duration = Duration::from_secs(120);

fn spawn_bot(api: &FakeApi) -> BotProcess {
    {
        let dir = common::process::copy_of_repo();
        BotProcess::spawn(dir.path(), &api.url(), Some(TOKEN)).keeping(dir)
    }
}

/// Pushes a question from a new private chat (ids from 1) every 150 ms until `faults` calls
/// of getUpdates failed on cue and a second more has passed; then checks that every one of
/// them was answered exactly once, and returns how many it pushed.
async fn ask_through_faults(api: &FakeApi, faults: usize) -> i64 {
    let stop = Arc::new(AtomicBool::new(false));
    let asking = {
        let (api, stop) = (api.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut chat = 1;
            while !stop.load(Ordering::SeqCst) {
                api.push(message(chat, chat, 7, "Rasht-Astara railway"));
                chat += 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            chat - 1
        })
    };
    wait_faulted(api, "getUpdates", faults).await;
    // A few more questions after the last fault.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let asked = asking.await.unwrap();
    answered_once_each(api, 1, asked).await;
    asked
}

/// Waits until `n` calls of `method` failed on cue.
async fn wait_faulted(api: &FakeApi, method: &str, n: usize) {
    let deadline = Instant::now() + WAIT;
    while api.attempts(method).iter().filter(|c| !c.served).count() < n {
        assert!(
            Instant::now() < deadline,
            "{method} was not called {n} times"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks that chats `first..first + n` each got exactly one reply, to their question.
async fn answered_once_each(api: &FakeApi, first: i64, n: i64) {
    api.wait_for("sendMessage", n as usize, WAIT, |b| {
        b["chat_id"].as_i64().is_some_and(|c| c >= first)
    })
    .await;
    // A moment for any duplicate to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut replies: HashMap<i64, Vec<Call>> = HashMap::new();
    for c in api.served("sendMessage") {
        let chat = c.body["chat_id"].as_i64().unwrap();
        if chat >= first {
            replies.entry(chat).or_default().push(c);
        }
    }
    for chat in first..first + n {
        let got = replies.get(&chat).map_or(0, Vec::len);
        assert_eq!(got, 1, "chat {chat} got {got} replies");
        let reply = &replies[&chat][0].body;
        assert_eq!(reply["reply_parameters"]["message_id"], 7, "{reply}");
        assert!(
            reply["text"].as_str().unwrap().contains("Rasht-Astara"),
            "{reply}"
        );
    }
    assert_eq!(replies.len() as i64, n, "replies to chats that never asked");
}

/// Whether any log line is at error level (`<timestamp> error: …`).
fn has_error_lines(output: &str) -> bool {
    output.lines().any(|l| {
        l.split_once(' ')
            .is_some_and(|(_, rest)| rest.starts_with("error:"))
    })
}

/// Stops the bot with SIGTERM; checks it exits 0, never logged the token, and had `warnings`
/// but no error lines. Returns its output.
async fn stop_cleanly(bot: BotProcess, warnings: &str) -> String {
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(
        !output.contains(TOKEN) && !output.contains("FAULTS-secret"),
        "the token leaked:\n{output}"
    );
    assert!(output.contains(warnings), "{output}");
    assert!(!has_error_lines(&output), "error lines:\n{output}");
    assert!(!output.contains("panicked"), "{output}");
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_survives_server_errors_without_loss_or_duplicates() {
    let api = FakeApi::start().await;
    let faults = [
        Fault::Status(500, "Internal Server Error"),
        Fault::Pass,
        Fault::ProxyError,
        Fault::Pass,
        Fault::Status(502, "Bad Gateway"),
    ];
    for f in faults {
        api.fault("getUpdates", f);
    }
    let bot = spawn_bot(&api);
    let asked = ask_through_faults(&api, 3).await;
    eprintln!(
        "faults: getUpdates 500, 502 (HTML), 502 (JSON): {asked} questions, each answered once"
    );
    let output = stop_cleanly(bot, "getting updates failed").await;
    assert!(output.contains("Internal Server Error"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_survives_bad_json_resets_and_timeouts_and_backs_off() {
    let api = FakeApi::start().await;
    let faults = [
        Fault::MalformedJson,
        Fault::Pass,
        Fault::Drop,
        Fault::Pass,
        Fault::Hang,
        Fault::Pass,
        // Three in a row: the pauses between them grow.
        Fault::Drop,
        Fault::Drop,
        Fault::Drop,
    ];
    for f in faults {
        api.fault("getUpdates", f);
    }
    let bot = spawn_bot(&api);
    let asked = ask_through_faults(&api, 6).await;

    // The pauses after the three failures in a row: each longer than the one before, the
    // first at least the first backoff (0.5 s).
    let polls = api.attempts("getUpdates");
    let last_three = polls.iter().rposition(|c| !c.served).expect("failed polls");
    let at = |i: usize| polls[i].at;
    let gaps = [
        at(last_three - 1) - at(last_three - 2),
        at(last_three) - at(last_three - 1),
        at(last_three + 1) - at(last_three),
    ];
    eprintln!(
        "faults: getUpdates malformed JSON, reset, no answer, 3 resets in a row: {asked} questions, each answered once; pauses after the 3 resets {gaps:?}"
    );
    assert!(gaps[0] >= Duration::from_millis(500), "{gaps:?}");
    assert!(gaps[1] > gaps[0] && gaps[2] > gaps[1], "{gaps:?}");
    stop_cleanly(bot, "getting updates failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_survive_send_failures_and_start_up_survives_get_me_failures() {
    let api = FakeApi::start().await;
    for f in [Fault::Drop, Fault::MalformedJson, Fault::Hang] {
        api.fault("getMe", f);
    }
    let send_faults = [
        Fault::RetryAfter(1),
        Fault::Status(500, "Internal Server Error"),
        Fault::ProxyError,
        Fault::Drop,
        Fault::Status(503, "Service Unavailable"),
    ];
    for f in send_faults.iter().cloned() {
        api.fault("sendMessage", f);
    }
    let bot = spawn_bot(&api);
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    // Five questions at once, from five chats: the first attempts meet the five faults.
    for chat in 1..=5 {
        api.push(message(chat, chat, 7, "Rasht-Astara railway"));
    }
    answered_once_each(&api, 1, 5).await;
    let attempts = api.attempts("sendMessage").len();
    assert_eq!(
        attempts,
        5 + send_faults.len(),
        "every fault cost one attempt"
    );
    eprintln!(
        "faults: sendMessage 429, 500, 502 (HTML), reset, 503: 5 replies, each delivered once in {attempts} attempts"
    );
    let output = stop_cleanly(bot, "cannot reach the Telegram Bot API").await;
    assert!(output.contains("a request to Telegram failed"), "{output}");
    // The start-up retries said why.
    assert!(output.to_lowercase().contains("timed out"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_in_no_log_line_even_at_trace_level_with_failing_requests() {
    let api = FakeApi::start().await;
    api.fault("getMe", Fault::Drop);
    api.fault("getUpdates", Fault::Drop);
    api.fault("getUpdates", Fault::MalformedJson);
    api.fault("sendMessage", Fault::Drop);
    let bot = {
        let dir = common::process::copy_of_repo();
        BotProcess::spawn_with(dir.path(), &api.url(), Some(TOKEN), Some("trace")).keeping(dir)
    };
    api.push(message(1, 1, 7, "Rasht-Astara railway"));
    answered_once_each(&api, 1, 1).await;
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0));
    // The HTTP client's own lines are there, and its errors.
    assert!(output.contains("starting new connection"), "{output}");
    assert!(
        output.contains("connection closed before message completed"),
        "{output}"
    );
    let secret = TOKEN.split_once(':').unwrap().1;
    for (i, line) in output.lines().enumerate() {
        assert!(!line.contains(secret), "line {i} has the token: {line}");
    }
    eprintln!(
        "faults: trace log of {} lines, none with the token",
        output.lines().count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_telegram_refuses_is_an_error_at_once() {
    let api = FakeApi::start().await;
    api.fault("getMe", Fault::Status(401, "Unauthorized"));
    let bot = spawn_bot(&api);
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(1), "{output}");
    let last = output.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "error: Telegram refused the bot token (TELOXIDE_TOKEN): check it with @BotFather"
    );
    assert!(!output.contains("FAULTS-secret"), "{output}");
    assert_eq!(api.attempts("getMe").len(), 1, "not retried");
}

/// A 5xx whose description is none of the usual phrases is still a server error: the reply is
/// sent again, and arrives once. (Deciding by wording once lost such replies.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_in_any_wording_is_retried_and_the_reply_arrives_once() {
    let api = FakeApi::start().await;
    let send_faults = [
        Fault::Status(502, "Upstream hiccup"),
        Fault::Status(500, "oops: try later"),
        Fault::Status(503, ""),
    ];
    for f in send_faults.iter().cloned() {
        api.fault("sendMessage", f);
    }
    let bot = spawn_bot(&api);
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    for chat in 1..=3 {
        api.push(message(chat, chat, 7, "Rasht-Astara railway"));
    }
    answered_once_each(&api, 1, 3).await;
    let attempts = api.attempts("sendMessage").len();
    assert_eq!(attempts, 3 + send_faults.len(), "one retry per fault");
    eprintln!(
        "faults: sendMessage 502 \"Upstream hiccup\", 500 \"oops: try later\", 503 \"\": 3 replies, each delivered once in {attempts} attempts"
    );
    stop_cleanly(bot, "a request to Telegram failed").await;
}

/// When the server may have taken a message but the bot cannot know (the connection closes
/// after the server acted, or its answer is not JSON), the bot sends it again: a possible
/// duplicate rather than a possible loss. The fake really delivers the first copy, and the
/// test counts both sides instead of assuming either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_server_may_have_taken_is_sent_again_a_duplicate_never_a_loss() {
    let api = FakeApi::start().await;
    let send_faults = [
        Fault::AcceptThenDrop,
        Fault::AcceptThenMalformed,
        Fault::Drop,
        Fault::AcceptThenDrop,
        Fault::Pass,
        Fault::AcceptThenMalformed,
    ];
    let taken = send_faults
        .iter()
        .filter(|f| matches!(f, Fault::AcceptThenDrop | Fault::AcceptThenMalformed))
        .count();
    let bot = spawn_bot(&api);
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    // One question at a time, each meeting one fault on its first attempt; the next comes
    // once the chat got a reply and then no attempt was made for three seconds (a retry comes
    // after half a second).
    let chats = send_faults.len() as i64;
    for (chat, fault) in (1..=chats).zip(send_faults.iter().cloned()) {
        api.fault("sendMessage", fault);
        api.push(message(chat, chat, 7, "Rasht-Astara railway"));
        api.wait_for("sendMessage", 1, WAIT, |b| b["chat_id"] == chat)
            .await;
        let deadline = Instant::now() + WAIT;
        let mut seen = api.attempts("sendMessage").len();
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let now = api.attempts("sendMessage").len();
            if now == seen {
                break;
            }
            assert!(Instant::now() < deadline, "chat {chat} never settled");
            seen = now;
        }
    }
    let delivered: Vec<usize> = (1..=chats)
        .map(|chat| {
            api.served("sendMessage")
                .iter()
                .filter(|c| c.body["chat_id"] == chat)
                .count()
        })
        .collect();
    let losses = delivered.iter().filter(|&&n| n == 0).count();
    let duplicates: usize = delivered.iter().map(|&n| n.saturating_sub(1)).sum();
    eprintln!(
        "faults: {} questions, {taken} replies taken by the server before the answer failed, 1 reset before it: \
         delivered per question {delivered:?} — {losses} lost, {duplicates} duplicated",
        delivered.len()
    );
    assert_eq!(losses, 0, "{delivered:?}");
    assert_eq!(
        duplicates, taken,
        "one duplicate for each message the server had taken: {delivered:?}"
    );
    stop_cleanly(bot, "a request to Telegram failed").await;
}

/// Telegram's limits hold by the server's clock when it answers slowly (0–2 s, varying):
/// the limiter counts a message until a second after its answer, so neither the time each
/// request arrived nor the time it was answered shows more than Telegram allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_by_the_servers_clock_when_answers_are_slow() {
    let api = FakeApi::start().await;
    // 4 questions in one private chat, 21 in one group (the 21st needs the minute rule), and
    // 45 private chats with one each (the global 30 a second).
    let mut questions = Vec::new();
    for m in 0..4 {
        questions.push(message(1, 1, 10 + m, "Rasht-Astara railway"));
    }
    for m in 0..21 {
        questions.push(message(-77, 500 + m, 100 + m, "/ask Rasht-Astara railway"));
    }
    for chat in 2..47 {
        questions.push(message(chat, chat, 7, "Rasht-Astara railway"));
    }
    // Delays from a fixed pseudo-random sequence, 0 to 2 s.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..questions.len() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        api.fault(
            "sendMessage",
            Fault::Delay(Duration::from_millis((seed >> 33) % 2001)),
        );
    }
    let bot = spawn_bot(&api);
    api.wait_for("getMe", 1, WAIT, |_| true).await;
    let n = questions.len();
    for q in questions {
        api.push(q);
    }
    let sends = api.wait_for("sendMessage", n, WAIT, |_| true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.attempts("sendMessage").len(), n, "each sent once");
    for (clock, seen) in [
        ("arrival", limits_seen(&sends, |c| c.arrived)),
        ("answer", limits_seen(&sends, |c| c.at)),
    ] {
        eprintln!("faults: slow answers (0–2 s), by {clock} time: {seen:?}");
        assert!(seen.busiest_second <= 30, "by {clock}: {seen:?}");
        assert!(
            seen.closest_in_a_chat >= Duration::from_secs(1),
            "by {clock}: {seen:?}"
        );
        assert!(seen.busiest_group_minute <= 20, "by {clock}: {seen:?}");
    }
    stop_cleanly(bot, "").await;
}
