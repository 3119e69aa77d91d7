//! The bot's side of [`crate::storage`]: what it records as it answers, 👍/👎 under single
//! answers, `/follow`, `/following`, `/unfollow`, the admins' `/unanswered` and counts, and the
//! alerts sent when a new or changed article answers a followed topic. Every database call
//! goes to the storage thread; a failure is logged and the user gets a short note, never
//! silence and never a panic. What is said comes from [`crate::answer::operators`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ParseMode};
use teloxide::utils::command::BotCommands;

use super::callback::Button;
use super::retry;
use super::shared::{HandlerError, Shared, Tg, reply};
use crate::answer::Answer;
use crate::answer::operators as say;
use crate::answer::rich::Format;
use crate::i18n::Lang;
use crate::live::Library;
use crate::search::Index;
use crate::storage::{self, Storage, db};

type HandlerResult = Result<(), HandlerError>;

/// How many questions `/unanswered` lists, and over how many days.
pub const UNANSWERED_SHOWN: usize = 20;
/// The days `/unanswered` looks back.
pub const UNANSWERED_DAYS: u32 = 30;

/// Following topics (described to users by the catalogues: `command_follow`, …).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum FollowCommand {
    /// get new quotes on a topic, e.g. /follow grain exports
    Follow(String),
    /// the topics this chat follows
    Following,
    /// stop following topic N of /following
    Unfollow(String),
}

/// The admins' commands on the records (described to users by the catalogues).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum RecordsCommand {
    /// the most asked questions I could not answer, last 30 days (admins)
    Unanswered,
}

/// The kind of chat, as recorded (never which chat, nor who).
#[must_use]
pub fn chat_kind(chat: &teloxide::types::Chat) -> db::ChatKind {
    if chat.is_private() {
        "private"
    } else if chat.is_supergroup() {
        "supergroup"
    } else if chat.is_group() {
        "group"
    } else {
        "channel"
    }
}

/// Records an answer given in a chat (`answers` empty: not found). Returns at once.
pub fn record_answer(shared: &Shared, msg: &Message, question: &str, answers: &[Answer]) {
    if let Some(storage) = &shared.storage {
        record(storage, chat_kind(&msg.chat), question, answers);
    }
}

/// Queues the record of `question`, answered with `answers` (empty: not found) in a chat of
/// `kind`; what the bot does after each answer, and all it costs the answer: a channel send.
pub fn record(storage: &Storage, kind: db::ChatKind, question: &str, answers: &[Answer]) {
    let now = storage::now();
    match answers.first() {
        Some(a) => {
            let sent = db::Sent {
                generation: a.generation,
                sentence: a.sentence,
                quote: a.quote.clone(),
                title: a.title.clone(),
                question: Some(question.to_string()),
            };
            storage.record("an answer", move |c| {
                db::record_answered(c, now, kind, &sent)
            });
        }
        None => {
            let question = question.to_string();
            storage.record("a question not found", move |c| {
                db::record_not_found(c, now, kind, &question)
            });
        }
    }
}

/// `keyboard` with 👍 and 👎 for `answer` as a row of their own (only under single answers,
/// and only when votes are kept).
#[must_use]
pub fn with_votes(
    shared: &Shared,
    mut keyboard: InlineKeyboardMarkup,
    answer: &Answer,
) -> InlineKeyboardMarkup {
    if shared.storage.is_none() {
        return keyboard;
    }
    let button = |up: bool, label: &str| {
        Button::Vote {
            generation: answer.generation,
            sentence: answer.sentence,
            up,
        }
        .encode()
        .map(|data| InlineKeyboardButton::callback(label, data))
    };
    let row: Vec<InlineKeyboardButton> =
        [button(true, say::VOTE_UP), button(false, say::VOTE_DOWN)]
            .into_iter()
            .flatten()
            .collect();
    if !row.is_empty() {
        keyboard.inline_keyboard.push(row);
    }
    keyboard
}

/// A press of 👍 or 👎: kept (one vote per person per answer, a second replacing the
/// first), acknowledged with a toast.
pub async fn on_vote(
    bot: &Tg,
    q: &CallbackQuery,
    shared: &Shared,
    lang: Lang,
    generation: u64,
    sentence: u32,
    up: bool,
) -> HandlerResult {
    let toast = match &shared.storage {
        None => say::no_storage(lang).render(Format::Plain),
        Some(storage) => {
            let voter = storage.voter(q.from.id.0);
            let kind = q.regular_message().map_or("inline", |m| chat_kind(&m.chat));
            // An answer that was not recorded (sent inline) keeps its quote from the index,
            // while that index is the one it came from.
            let index = shared.library.engine().index();
            let fallback = (index.generation() == generation
                && (sentence as usize) < index.sentence_count())
            .then(|| {
                let (article, _) = index.locate(sentence);
                (
                    crate::answer::quote_text(index.sentence_text(sentence)),
                    article.title.clone(),
                )
            });
            drop(index);
            let now = storage::now();
            let result = storage
                .call(move |c| db::vote(c, now, kind, generation, sentence, &voter, up, fallback))
                .await;
            match result {
                Ok(db::Voted::Unknown) => say::vote_unknown(lang).to_string(),
                Ok(voted) => say::voted(lang, up, voted == db::Voted::Changed).to_string(),
                Err(e) => {
                    log::error!("{}: a vote was not saved: {e}", storage.path().display());
                    say::vote_not_saved(lang).to_string()
                }
            }
        }
    };
    retry::send(bot.answer_callback_query(q.id.clone()).text(toast)).await?;
    Ok(())
}

/// Whether the sender of `msg` may change what its chat follows: anyone in a private chat, in
/// a group only its admins (Telegram's `getChatMember`), or the group itself posting
/// anonymously.
async fn may_change_follows(bot: &Tg, msg: &Message) -> Result<bool, teloxide::RequestError> {
    if msg.chat.is_private()
        || msg
            .sender_chat
            .as_ref()
            .is_some_and(|c| c.id == msg.chat.id)
    {
        return Ok(true);
    }
    let Some(user) = msg.from.as_ref() else {
        return Ok(false);
    };
    let member = retry::send(bot.get_chat_member(msg.chat.id, user.id)).await?;
    Ok(member.is_privileged())
}

/// `/follow`, `/following`, `/unfollow`.
pub async fn on_follow_command(
    bot: Tg,
    msg: Message,
    cmd: FollowCommand,
    shared: Arc<Shared>,
) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    let Some(storage) = shared.storage.clone() else {
        reply(&bot, &msg, &say::no_storage(lang), None).await?;
        return Ok(());
    };
    let chat = msg.chat.id.0;
    let changes = !matches!(cmd, FollowCommand::Following);
    if changes {
        let refusal = match may_change_follows(&bot, &msg).await {
            Ok(true) => None,
            Ok(false) => Some(say::follow_admins_only(lang)),
            Err(e) => {
                log::warn!(
                    "could not ask Telegram whether a user is an admin of chat {chat}: {}",
                    super::describe(&e)
                );
                Some(say::admin_check_failed(lang))
            }
        };
        if let Some(text) = refusal {
            reply(&bot, &msg, &text, None).await?;
            return Ok(());
        }
    }
    let text = match cmd {
        FollowCommand::Follow(topic) => {
            let topic = db::normalize_topic(&topic);
            if topic.is_empty() {
                say::follow_what(lang)
            } else {
                let now = storage::now_ms();
                let t = topic.clone();
                // The alerts go out in the language of whoever followed the topic.
                let code = lang.code();
                match storage
                    .call(move |c| db::follow_in(c, now, chat, &t, code))
                    .await
                {
                    Ok(outcome) => {
                        log::info!("chat {chat} follows a topic ({outcome:?})");
                        say::followed(lang, &topic, &outcome)
                    }
                    Err(e) => failed(&storage, lang, "following a topic", &e),
                }
            }
        }
        FollowCommand::Following => match storage.call(move |c| db::following(c, chat)).await {
            Ok(topics) => say::following(lang, &topics),
            Err(e) => failed(&storage, lang, "listing the topics followed", &e),
        },
        // Persian and Arabic keyboards type their own digits (as `/following` numbers them).
        FollowCommand::Unfollow(n) => match crate::i18n::ascii_digits(n.trim()).parse::<usize>() {
            Err(_) => say::unfollowed(lang, None),
            Ok(n) => match storage.call(move |c| db::unfollow(c, chat, n)).await {
                Ok(topic) => say::unfollowed(lang, topic.as_deref()),
                Err(e) => failed(&storage, lang, "unfollowing a topic", &e),
            },
        },
    };
    reply(&bot, &msg, &text, None).await?;
    Ok(())
}

fn failed(
    storage: &Storage,
    lang: Lang,
    what: &str,
    e: &storage::StorageError,
) -> crate::answer::rich::Rich {
    log::error!("{}: {what} failed: {e}", storage.path().display());
    say::storage_failed(lang)
}

/// `/unanswered`, for admins.
pub async fn on_records_command(
    bot: Tg,
    msg: Message,
    cmd: RecordsCommand,
    shared: Arc<Shared>,
) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    if !shared.is_admin(msg.from.as_ref()) {
        reply(&bot, &msg, &crate::answer::replies::admins_only(lang), None).await?;
        return Ok(());
    }
    let Some(storage) = shared.storage.clone() else {
        reply(&bot, &msg, &say::no_storage(lang), None).await?;
        return Ok(());
    };
    let text = match cmd {
        RecordsCommand::Unanswered => {
            let now = storage::now();
            match storage
                .call(move |c| db::unanswered(c, now, UNANSWERED_DAYS, UNANSWERED_SHOWN))
                .await
            {
                Ok(list) => say::unanswered(lang, &list, UNANSWERED_DAYS),
                Err(e) => failed(&storage, lang, "reading what was not found", &e),
            }
        }
    };
    reply(&bot, &msg, &text, None).await?;
    Ok(())
}

/// What `/about` adds for admins: questions answered and not found in the last 24 hours and
/// 7 days, and the votes; nothing when there are no records or they cannot be read.
pub async fn about_counts(shared: &Shared, lang: Lang) -> Option<crate::answer::rich::Rich> {
    let storage = shared.storage.as_ref()?;
    let now = storage::now();
    let result = storage
        .call(move |c| {
            Ok((
                db::counts(c, now, 86_400)?,
                db::counts(c, now, 7 * 86_400)?,
                db::votes(c, now, i64::MAX / 2)?,
            ))
        })
        .await;
    match result {
        Ok((day, week, votes)) => Some(say::about_counts(lang, day, week, votes)),
        Err(e) => {
            log::error!(
                "{}: reading the counts failed: {e}",
                storage.path().display()
            );
            None
        }
    }
}

/// An article's path inside the corpus folder (`/`-separated), which is how the database knows
/// it: the same article is the same row whatever the folder is called on the command line.
fn article_key(dir: &Path, path: &Path) -> String {
    let inside = path.strip_prefix(dir).unwrap_or(path);
    inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The articles' fingerprints, kept while an article stays the same `Arc`, so that only new
/// and changed ones are hashed again.
#[derive(Default)]
struct Fingerprints(HashMap<PathBuf, (usize, u64)>);

impl Fingerprints {
    /// Each article of `index` as (its path inside `dir`, its fingerprint).
    fn of(&mut self, index: &Index, dir: &Path) -> Vec<(String, u64)> {
        let mut now = HashMap::with_capacity(index.articles().len());
        let list = index
            .articles()
            .iter()
            .map(|a| {
                let ptr = Arc::as_ptr(a) as usize;
                let f = match self.0.get(&a.path) {
                    Some(&(p, f)) if p == ptr => f,
                    _ => a.text.words(),
                };
                now.insert(a.path.clone(), (ptr, f));
                (article_key(dir, &a.path), f)
            })
            .collect();
        self.0 = now;
        list
    }
}

/// Sends follow alerts until the library is dropped: at start, for articles that arrived
/// while the bot was not running, then after every reload that changed something.
pub async fn follow_alerts(
    tg: Tg,
    library: Arc<Library>,
    storage: Arc<Storage>,
    language: crate::i18n::Language,
) {
    let mut changes = library.subscribe();
    let mut fingerprints = Fingerprints::default();
    loop {
        changes.mark_unchanged();
        fingerprints = check_alerts(&tg, &library, &storage, language, fingerprints).await;
        log::debug!("follow alerts checked");
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// How many answers a topic is asked for, from the whole corpus as the bot answers from it:
/// those from new and changed articles among them are the candidates for an alert.
const ALERT_DEPTH: usize = 50;

/// Finds the new and changed articles and, for each follow, each of them that answers the
/// topic — its best sentence for the topic, asked of the whole corpus exactly as a question
/// would be, scoring at least `min_score`, in an article first seen after the topic was
/// followed — sends the chat that quote, once (an article whose best quote was sent before
/// sends nothing, and keeps no other article from being alerted).
async fn check_alerts(
    tg: &Tg,
    library: &Arc<Library>,
    storage: &Arc<Storage>,
    language: crate::i18n::Language,
    mut fingerprints: Fingerprints,
) -> Fingerprints {
    let index = library.engine().index();
    let dir = library.dir().to_path_buf();
    let lib = Arc::clone(library);
    let hashed = tokio::task::spawn_blocking(move || {
        let list = fingerprints.of(&index, &dir);
        (fingerprints, list)
    })
    .await;
    let (fingerprints, list) = match hashed {
        Ok(v) => v,
        Err(e) => {
            log::error!("follow alerts: reading the articles failed: {e}");
            return Fingerprints::default();
        }
    };
    let now = storage::now();
    let now_ms = storage::now_ms();
    let fresh = storage
        .call(move |c| {
            let fresh = db::sync_articles(c, now_ms, &list)?;
            let follows = if fresh.is_empty() {
                Vec::new()
            } else {
                db::all_follows(c)?
            };
            Ok((fresh, follows))
        })
        .await;
    let (fresh, follows) = match fresh {
        Ok(v) => v,
        Err(e) => {
            log::error!("{}: follow alerts: {e}", storage.path().display());
            return fingerprints;
        }
    };
    if fresh.is_empty() || follows.is_empty() {
        return fingerprints;
    }
    let first_seen: HashMap<String, i64> = fresh.into_iter().collect();
    let topics: Vec<String> = follows
        .iter()
        .map(|f| f.topic.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Each topic asked of the whole corpus, through the one search path, so that it scores
    // as a question would; then only the new and changed articles' answers are kept, each
    // article's best first.
    let dir = library.dir().to_path_buf();
    let keys: HashSet<String> = first_seen.keys().cloned().collect();
    let found = tokio::task::spawn_blocking(move || {
        let engine = lib.engine();
        let min_score = engine.config().min_score;
        topics
            .into_iter()
            .map(|t| {
                let mut seen = HashSet::new();
                let best: Vec<(String, Answer)> = engine
                    .ask_with(&t, ALERT_DEPTH, min_score)
                    .into_iter()
                    .filter_map(|a| {
                        let key = article_key(&dir, Path::new(&a.path));
                        (keys.contains(&key) && seen.insert(key.clone())).then_some((key, a))
                    })
                    .collect();
                (t, best)
            })
            .collect::<HashMap<String, Vec<(String, Answer)>>>()
    })
    .await;
    let found = match found {
        Ok(f) => f,
        Err(e) => {
            log::error!("follow alerts: matching the topics failed: {e}");
            return fingerprints;
        }
    };
    for db::Follow {
        chat,
        topic,
        created_ms,
        lang,
    } in follows
    {
        // A language set in the configuration is everyone's; else the follower's, written by
        // this bot as a two-letter code (anything else is English).
        let lang = match language {
            crate::i18n::Language::Fixed(l) => l,
            crate::i18n::Language::Auto => Lang::parse(&lang).unwrap_or_default(),
        };
        // Articles that were there when the topic was followed are not news to the chat, even
        // when they change later.
        let news = found
            .get(&topic)
            .into_iter()
            .flatten()
            .filter(|(key, _)| first_seen.get(key).is_some_and(|&first| first > created_ms));
        for (_, best) in news {
            let (t, quote) = (topic.clone(), best.quote.clone());
            let claimed = storage
                .call(move |c| db::claim_alert(c, now, chat, &t, &quote))
                .await;
            match claimed {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    log::error!("{}: follow alerts: {e}", storage.path().display());
                    continue;
                }
            }
            let text = say::alert(lang, &topic, &best.quote, &best.title, best.date);
            let request = tg
                .send_message(ChatId(chat), text.render(Format::Html))
                .parse_mode(ParseMode::Html);
            match retry::send_message(&tg.limiter, Some(ChatId(chat)), request).await {
                Ok(_) => log::info!("sent a follow alert to chat {chat}"),
                Err(e) => log::warn!(
                    "could not send a follow alert to chat {chat}: {}",
                    super::describe(&e)
                ),
            }
        }
    }
    fingerprints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Article;

    fn article(path: &str, text: &str) -> Article {
        Article::parse(Path::new(path), text.as_bytes()).unwrap().0
    }

    /// Fingerprints follow the text: the same for an unchanged article (kept, not hashed
    /// again, while it is the same `Arc`), another for a changed one.
    #[test]
    fn fingerprints_change_with_the_text_only() {
        let mut f = Fingerprints::default();
        let a = article("c/a.txt", "date 2024-01-01 Tin output rose.");
        let b = article("c/b.txt", "date 2024-01-02 Zinc output fell.");
        let index = Index::build(vec![a.clone(), b]);
        let dir = Path::new("c");
        let first = f.of(&index, dir);
        assert_eq!(first.len(), 2);
        assert_eq!(
            f.of(&index, dir),
            first,
            "the same index, the same fingerprints"
        );
        let changed = article("c/b.txt", "date 2024-01-02 Zinc output rose.");
        let index = Index::build(vec![a, changed]);
        let second = f.of(&index, dir);
        let by_path = |v: &[(String, u64)], p: &str| v.iter().find(|(q, _)| q == p).unwrap().1;
        assert_eq!(by_path(&first, "a.txt"), by_path(&second, "a.txt"));
        assert_ne!(by_path(&first, "b.txt"), by_path(&second, "b.txt"));
    }

    /// The database knows an article by its path inside the corpus folder, however the
    /// folder is spelled.
    #[test]
    fn articles_are_known_by_their_path_inside_the_corpus() {
        for (dir, path) in [
            ("corpus", "corpus/a.txt"),
            ("./corpus", "./corpus/a.txt"),
            ("/srv/q/corpus", "/srv/q/corpus/a.txt"),
        ] {
            assert_eq!(article_key(Path::new(dir), Path::new(path)), "a.txt");
        }
        assert_eq!(
            article_key(Path::new("corpus"), Path::new("corpus/feeds/b.txt")),
            "feeds/b.txt"
        );
    }
}
