//! Telegram's rate limits, kept as Telegram's server sees them: at most 30 messages a second
//! overall, one a second to a chat, and 20 a minute to a group.
//!
//! A limiter that counts when it lets a request go (as teloxide's `Throttle` does) can still
//! be over a limit at the server, because requests take different times to get there. This
//! one counts from times it knows bound the server's: a request reaches the server after it
//! was started and before its answer came back. So:
//!
//! - **A chat**: its sends are made one at a time, and each starts at least a second after
//!   the answer to the one before came back; so two arrive more than a second apart.
//! - **A group**: a send starts at least a minute after the answer to the send 20 before it
//!   came back; so no minute holds 21.
//! - **Overall**: a send holds one of 30 permits from its start until a second after its
//!   answer came back. Of the messages that arrive within one second, the last one to start
//!   started before that second ended, and each of the others still held its permit then (it
//!   gives it back a second after its answer, which came after it arrived); so at most 30.
//!
//! Failed attempts count as sends: they may have reached the server.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustc_hash::FxHashMap;
use teloxide::types::ChatId;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Messages a second, all chats together.
    pub per_second: u32,
    /// The least time between two messages to one chat.
    pub chat_gap: Duration,
    /// Messages a minute to one group.
    pub group_per_minute: u32,
}

impl Default for Limits {
    /// Telegram's: <https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this>.
    fn default() -> Limits {
        Limits {
            per_second: 30,
            chat_gap: Duration::from_secs(1),
            group_per_minute: 20,
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// When the answers to a chat's last sends came back, oldest first.
#[derive(Debug, Default)]
struct ChatLog {
    answered: VecDeque<Instant>,
}

/// Keeps sends within [`Limits`]; shared by every handler.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    overall: Arc<Semaphore>,
    chats: Mutex<Chats>,
}

#[derive(Debug, Default)]
struct Chats {
    logs: FxHashMap<ChatId, Arc<tokio::sync::Mutex<ChatLog>>>,
    /// Forget idle chats when there are this many (it doubles as the active ones grow).
    prune_at: usize,
}

/// Chats kept before idle ones are forgotten.
const MIN_PRUNE_AT: usize = 1024;

impl Limiter {
    /// A limiter for `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            overall: Arc::new(Semaphore::new(limits.per_second.max(1) as usize)),
            chats: Mutex::new(Chats {
                logs: FxHashMap::default(),
                prune_at: MIN_PRUNE_AT,
            }),
        }
    }

    /// Runs `send` (one request to Telegram) when the limits allow it: to `chat`, or to no
    /// chat in particular (an inline message), which counts only towards the overall limit.
    pub async fn send<F: Future>(&self, chat: Option<ChatId>, send: F) -> F::Output {
        let log = chat.map(|c| self.log_of(c));
        let mut log = match &log {
            Some(l) => Some(l.lock().await),
            None => None,
        };
        if let (Some(c), Some(log)) = (chat, log.as_deref())
            && let Some(at) = self.ready_at(c, log)
        {
            tokio::time::sleep_until(at).await;
        }
        let permit = Arc::clone(&self.overall)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let output = send.await;
        let answered = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep_until(answered + SECOND).await;
            drop(permit);
        });
        if let Some(log) = log.as_deref_mut() {
            log.answered.push_back(answered);
            let keep = self.limits.group_per_minute.max(1) as usize;
            while log.answered.len() > keep {
                log.answered.pop_front();
            }
        }
        output
    }

    /// When a send to `chat` may start, if not now.
    fn ready_at(&self, chat: ChatId, log: &ChatLog) -> Option<Instant> {
        let mut at = log.answered.back().map(|&t| t + self.limits.chat_gap);
        let per_minute = self.limits.group_per_minute as usize;
        if is_group(chat) && per_minute > 0 && log.answered.len() >= per_minute {
            let minute = log.answered[log.answered.len() - per_minute] + MINUTE;
            at = at.max(Some(minute));
        }
        at.filter(|&t| t > Instant::now())
    }

    /// The log of `chat`, forgetting chats idle for a minute when there are many.
    fn log_of(&self, chat: ChatId) -> Arc<tokio::sync::Mutex<ChatLog>> {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        if !chats.logs.contains_key(&chat) && chats.logs.len() >= chats.prune_at {
            let idle_since = Instant::now().checked_sub(MINUTE);
            chats.logs.retain(|_, log| match log.try_lock() {
                Ok(log) => log
                    .answered
                    .back()
                    .is_some_and(|&t| idle_since.is_none_or(|idle| t > idle)),
                // In use.
                Err(_) => true,
            });
            chats.prune_at = (chats.logs.len() * 2).max(MIN_PRUNE_AT);
        }
        Arc::clone(chats.logs.entry(chat).or_default())
    }

    /// How many chats it remembers (for tests).
    #[must_use]
    pub fn chats_remembered(&self) -> usize {
        self.chats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .logs
            .len()
    }
}

/// Groups and supergroups have negative ids (users positive).
fn is_group(chat: ChatId) -> bool {
    chat.0 < 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends that take `took` each, started together; returns when each one "arrived" (its
    /// middle) in the paused clock's time.
    async fn arrivals(limiter: Arc<Limiter>, chats: &[i64], took: Duration) -> Vec<(i64, Instant)> {
        let mut tasks = Vec::new();
        for &c in chats {
            let limiter = Arc::clone(&limiter);
            tasks.push(tokio::spawn(async move {
                limiter
                    .send(Some(ChatId(c)), async {
                        tokio::time::sleep(took / 2).await;
                        let arrived = Instant::now();
                        tokio::time::sleep(took / 2).await;
                        (c, arrived)
                    })
                    .await
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out.sort_by_key(|&(_, t)| t);
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_chat_gets_one_message_a_second() {
        let limiter = Arc::new(Limiter::new(Limits::default()));
        let got = arrivals(limiter, &[7; 5], Duration::from_millis(40)).await;
        for w in got.windows(2) {
            assert!(w[1].1 - w[0].1 > SECOND, "{:?}", w[1].1 - w[0].1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_gets_twenty_a_minute_and_a_user_more() {
        let limiter = Arc::new(Limiter::new(Limits::default()));
        let group = arrivals(Arc::clone(&limiter), &[-5; 25], Duration::from_millis(10)).await;
        for w in group.windows(21) {
            assert!(w[20].1 - w[0].1 > MINUTE);
        }
        // The 21st waited for the first to be a minute old.
        assert!(group[20].1 - group[0].1 < MINUTE + SECOND);
        let user = arrivals(limiter, &[5; 25], Duration::from_millis(10)).await;
        assert!(user[24].1 - user[0].1 < Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn thirty_a_second_overall() {
        let limiter = Arc::new(Limiter::new(Limits::default()));
        let chats: Vec<i64> = (1..=100).collect();
        let got = arrivals(limiter, &chats, Duration::from_millis(30)).await;
        for (i, &(_, t)) in got.iter().enumerate() {
            let in_second = got[i..]
                .iter()
                .take_while(|&&(_, u)| u - t < SECOND)
                .count();
            assert!(in_second <= 30, "{in_second} within a second");
        }
        // And not much slower than that.
        assert!(got[99].1 - got[0].1 < Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_chats_are_forgotten() {
        let limiter = Limiter::new(Limits::default());
        for c in 0..MIN_PRUNE_AT as i64 {
            limiter.send(Some(ChatId(c)), async {}).await;
        }
        assert_eq!(limiter.chats_remembered(), MIN_PRUNE_AT);
        tokio::time::sleep(MINUTE * 2).await;
        limiter.send(Some(ChatId(-1)), async {}).await;
        assert_eq!(limiter.chats_remembered(), 1);
    }
}
