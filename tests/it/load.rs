//! Load, end to end: 1,000 questions from 200 chats (140 private, 60 groups, one of them busy)
//! arrive at once through the fake Bot API; the built `quotebot telegram` answers every one
//! exactly once, within Telegram's limits as the fake server's clock sees them — at most 30
//! messages in any second, one a second to a chat, 20 in any minute to a group — with its
//! memory flat and no warning or error in its log.
//!
//! The limits make it take about a minute (the busy group's 21st question waits for its
//! first to be a minute old). Throughput, latency and memory are printed, never asserted as speed:
//! `cargo test --release --test it -- --nocapture load::`.

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::BotProcess;
use common::{FakeApi, LimitsSeen, limits_seen, message};

const TOKEN: &str = "777000:LOAD-secret-token-ASDFG";
const WAIT: Duration = Duration::from_secs(300);

/// The questions, in turn.
const QUESTIONS: &[&str] = &[
    "What did Mishustin say about grain?",
    "Rasht-Astara railway",
    "When was the railway agreement signed?",
    "What did Aref say about sanctions?",
    "memoranda of understanding",
    "Who met in Tehran?",
    "volcanic eruption in Iceland",
    "transport corridor",
];

/// One question: `(chat, message id, text)`.
struct Asked {
    chat: i64,
    message_id: i64,
    text: String,
}

/// 140 private chats with 4 questions each, 59 groups (basic and super) with 7 or 8, and one
/// busy group with 21 (one more than a minute allows): 1,000 questions. In groups, half
/// mention the bot and half use `/ask`.
fn questions() -> Vec<Asked> {
    let mut chats: Vec<(i64, usize)> = (1..=140).map(|c| (c, 4)).collect();
    for g in 1..=59 {
        let id = if g % 2 == 0 {
            -g
        } else {
            -1_000_000_000_000 - g
        };
        chats.push((id, if g <= 6 { 8 } else { 7 }));
    }
    chats.push((-1_000_000_000_999, 21));
    let mut out = Vec::new();
    let mut n = 0;
    for (chat, count) in chats {
        for k in 0..count {
            let q = QUESTIONS[n % QUESTIONS.len()];
            let text = if chat > 0 {
                q.to_string()
            } else if k % 2 == 0 {
                format!("@{} {q}", common::BOT_USERNAME)
            } else {
                format!("/ask {q}")
            };
            out.push(Asked {
                chat,
                message_id: 100 + k as i64,
                text,
            });
            n += 1;
        }
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_questions_from_two_hundred_chats() {
    let api = FakeApi::start().await;
    let bot = {
        let dir = common::process::copy_of_repo();
        BotProcess::spawn(dir.path(), &api.url(), Some(TOKEN)).keeping(dir)
    };
    api.wait_for("setMyCommands", 1, WAIT, |_| true).await;
    let asked = questions();
    assert_eq!(asked.len(), 1000);
    assert_eq!(
        asked
            .iter()
            .map(|a| a.chat)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        200
    );

    // Memory, four times a second, until the last reply.
    let bot = Arc::new(bot);
    let rss = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (bot, rss, done) = (Arc::clone(&bot), Arc::clone(&rss), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                if let Some(kib) = bot.rss_kib() {
                    rss.lock().unwrap().push(kib);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    let start = Instant::now();
    for a in &asked {
        api.push(message(
            a.chat,
            a.chat.abs() % 1000 + 1,
            a.message_id,
            &a.text,
        ));
    }
    let replies = api
        .wait_for("sendMessage", asked.len(), WAIT, |_| true)
        .await;
    let elapsed = start.elapsed();
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();
    // A moment for any duplicate to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Every question answered exactly once.
    let sends = api.attempts("sendMessage");
    assert_eq!(sends.len(), asked.len(), "more sends than questions");
    let text_of: HashMap<(i64, i64), &str> = asked
        .iter()
        .map(|a| ((a.chat, a.message_id), a.text.as_str()))
        .collect();
    let mut per_question: HashMap<(i64, i64), usize> = HashMap::new();
    for c in &sends {
        let key = (
            c.body["chat_id"].as_i64().unwrap(),
            c.body["reply_parameters"]["message_id"].as_i64().unwrap(),
        );
        *per_question.entry(key).or_default() += 1;
        // A quote, except for the one question the seed article cannot answer.
        let question = text_of[&key];
        let quoted = c.body["text"].as_str().unwrap().contains("\n— ");
        assert_eq!(
            quoted,
            !question.contains("Iceland"),
            "{question}: {}",
            c.body
        );
    }
    for a in &asked {
        assert_eq!(
            per_question.get(&(a.chat, a.message_id)),
            Some(&1),
            "chat {} message {}",
            a.chat,
            a.message_id
        );
    }

    // Telegram's limits, by the server's clock.
    let LimitsSeen {
        busiest_second,
        closest_in_a_chat: closest,
        busiest_group_minute: busiest_minute,
    } = limits_seen(&sends, |c| c.at);
    assert!(
        busiest_second <= 30,
        "{busiest_second} messages within a second"
    );
    assert!(
        closest >= Duration::from_secs(1),
        "two messages to a chat {closest:?} apart"
    );
    assert!(
        busiest_minute <= 20,
        "{busiest_minute} messages to a group within a minute"
    );
    // The busy group's 21 did need the minute rule.
    assert_eq!(busiest_minute, 20);

    // Latency: from the questions arriving to each reply.
    let mut latency: Vec<f64> = replies
        .iter()
        .map(|c| (c.at - start).as_secs_f64())
        .collect();
    latency.sort_by(f64::total_cmp);
    let first_minute = sends
        .iter()
        .filter(|c| c.at - start < Duration::from_secs(30))
        .count();

    // Memory: flat — the second half of the run no higher than the first half's peak by more
    // than 10%.
    let rss = rss.lock().unwrap().clone();
    assert!(rss.len() >= 8, "too few memory samples: {rss:?}");
    let half = rss.len() / 2;
    let first_peak = *rss[..half].iter().max().unwrap();
    let second_peak = *rss[half..].iter().max().unwrap();
    eprintln!(
        "load: {} questions from 200 chats answered once each in {:.1} s; {} replies in the first 30 s ({:.1}/s); \
         latency p50 {:.1} s, p90 {:.1} s, max {:.1} s; busiest second {busiest_second}, closest two to a chat {:.3} s, \
         busiest group minute {busiest_minute}; memory {} MiB at start, first-half peak {} MiB, second-half peak {} MiB",
        asked.len(),
        elapsed.as_secs_f64(),
        first_minute,
        first_minute as f64 / 30.0,
        percentile(&latency, 0.5),
        percentile(&latency, 0.9),
        latency[latency.len() - 1],
        closest.as_secs_f64(),
        rss[0] / 1024,
        first_peak / 1024,
        second_peak / 1024,
    );
    assert!(
        second_peak as f64 <= first_peak as f64 * 1.1,
        "memory grew: {rss:?}"
    );

    // A clean log.
    let bot = Arc::into_inner(bot).expect("the sampler is done");
    bot.signal("TERM");
    let (status, output) = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{output}");
    let bad: Vec<&str> = output
        .lines()
        .filter(|l| {
            l.split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with("error:") || rest.starts_with("warning:"))
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(!output.contains("LOAD-secret"), "the token leaked");
}
