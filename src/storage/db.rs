//! The operators' database, table by table: the schema and its migrations, and one function
//! per thing the bot records or reads. Everything here is synchronous SQL on a
//! [`Connection`]; [`super::Storage`] runs it on its own thread, so answering never waits for
//! it. Times are Unix seconds (UTC); nothing here knows who asked a question, and a voter is
//! only a salted hash.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// The migrations, in order: `PRAGMA user_version` says how many have run. Never edit one
/// that has shipped; add the next.
const MIGRATIONS: &[&str] = &[
    // 1: counts, what was not found, answers and votes, follows and their alerts.
    "
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;
    -- Questions answered and not found, per hour and kind of chat.
    CREATE TABLE counts (
        hour INTEGER NOT NULL,
        kind TEXT NOT NULL,
        chat_kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (hour, kind, chat_kind)
    ) WITHOUT ROWID;
    -- Questions answered \"not found\" or whose answer got a thumbs down, normalized, per day.
    CREATE TABLE unanswered (
        question TEXT NOT NULL,
        day INTEGER NOT NULL,
        chat_kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (question, day, chat_kind, reason)
    ) WITHOUT ROWID;
    CREATE INDEX unanswered_by_day ON unanswered (day);
    -- What was sent under a (corpus version, sentence id), so that a vote finds its quote.
    CREATE TABLE answers (
        generation INTEGER NOT NULL,
        sentence INTEGER NOT NULL,
        quote TEXT NOT NULL,
        title TEXT NOT NULL,
        question TEXT,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (generation, sentence)
    ) WITHOUT ROWID;
    CREATE INDEX answers_by_time ON answers (sent_at);
    CREATE TABLE votes (
        generation INTEGER NOT NULL,
        sentence INTEGER NOT NULL,
        voter BLOB NOT NULL,
        vote INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (generation, sentence, voter)
    ) WITHOUT ROWID;
    CREATE INDEX votes_by_time ON votes (at);
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY,
        chat INTEGER NOT NULL,
        topic TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        UNIQUE (chat, topic)
    );
    -- Quotes already sent for a chat's topic: never twice.
    CREATE TABLE alerts (
        chat INTEGER NOT NULL,
        topic TEXT NOT NULL,
        quote TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (chat, topic, quote)
    ) WITHOUT ROWID;
    -- The articles as last seen, to tell new and changed ones, across restarts, and when
    -- each was first seen, to tell those that were there before a topic was followed.
    CREATE TABLE articles (
        path TEXT PRIMARY KEY,
        fingerprint INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: the language a topic's alerts are written in (that of whoever followed it); follows
    // made before languages are English, as everything was then.
    "
    ALTER TABLE follows ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
    ",
];

/// The schema version this build writes.
#[must_use]
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the schema up to date, one migration per transaction. A database from a newer
/// quotebot is refused rather than guessed at.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version > schema_version() {
        return Err(format!(
            "made by a newer quotebot (schema version {version}; this one knows up to {})",
            schema_version()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
            .and_then(|()| tx.commit())
            .map_err(|e| format!("upgrading the schema to version {}: {e}", i + 1))?;
    }
    Ok(())
}

/// The salt that voters are hashed with: made once (SQLite's own random bytes) and kept.
pub fn salt(conn: &Connection) -> rusqlite::Result<Vec<u8>> {
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('voter_salt', randomblob(32))",
        [],
    )?;
    conn.query_row("SELECT value FROM meta WHERE key = 'voter_salt'", [], |r| {
        r.get(0)
    })
}

/// A question as it is recorded: lower case, white space as single spaces, no question mark
/// or full stop at the end, at most 300 characters.
#[must_use]
pub fn normalize_question(question: &str) -> String {
    let lower = question.to_lowercase();
    let mut out = String::new();
    for word in lower.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let trimmed = out.trim_end_matches(['?', '!', '.', '？', '؟', ' ']);
    trimmed.chars().take(300).collect()
}

/// Where a question was asked: `private`, `group`, `supergroup` or `channel`.
pub type ChatKind = &'static str;

/// One answered question: what was sent, under which corpus version and sentence.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The corpus version.
    pub generation: u64,
    /// The sentence id in it.
    pub sentence: u32,
    /// The quote as sent.
    pub quote: String,
    /// Its article's title.
    pub title: String,
    /// The question (none for inline answers).
    pub question: Option<String>,
}

fn count(conn: &Connection, now: i64, kind: &str, chat_kind: ChatKind) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO counts (hour, kind, chat_kind, n) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (hour, kind, chat_kind) DO UPDATE SET n = n + 1",
        params![now / 3600, kind, chat_kind],
    )?;
    Ok(())
}

fn note_unanswered(
    conn: &Connection,
    now: i64,
    question: &str,
    chat_kind: ChatKind,
    reason: &str,
) -> rusqlite::Result<()> {
    let question = normalize_question(question);
    if question.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO unanswered (question, day, chat_kind, reason, count, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)
         ON CONFLICT (question, day, chat_kind, reason)
         DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
        params![question, now / 86_400, chat_kind, reason, now],
    )?;
    Ok(())
}

/// Records an answer sent in a chat: counted, and its quote kept under its corpus version and
/// sentence for the votes to come.
pub fn record_answered(
    conn: &Connection,
    now: i64,
    chat_kind: ChatKind,
    sent: &Sent,
) -> rusqlite::Result<()> {
    count(conn, now, "answered", chat_kind)?;
    keep_answer(conn, now, sent)
}

fn keep_answer(conn: &Connection, now: i64, sent: &Sent) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO answers (generation, sentence, quote, title, question, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (generation, sentence) DO UPDATE SET
             question = coalesce(excluded.question, question), sent_at = excluded.sent_at",
        params![
            sent.generation as i64,
            sent.sentence,
            sent.quote,
            sent.title,
            sent.question,
            now
        ],
    )?;
    Ok(())
}

/// Records a question in a chat that nothing answered.
pub fn record_not_found(
    conn: &Connection,
    now: i64,
    chat_kind: ChatKind,
    question: &str,
) -> rusqlite::Result<()> {
    count(conn, now, "not_found", chat_kind)?;
    note_unanswered(conn, now, question, chat_kind, "not_found")
}

/// What a press of 👍 or 👎 did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voted {
    /// The first vote of this person on this answer.
    New,
    /// The same vote again: nothing changed.
    Same,
    /// The other vote: it replaces the first.
    Changed,
    /// The answer is neither kept nor in the index any more: no vote was counted.
    Unknown,
}

/// A 👍 (`up`) or 👎 by `voter` (a salted hash) on the answer (`generation`, `sentence`).
/// `fallback` is the quote and title to keep when the answer was never recorded (inline
/// answers are not: they are offered on every keystroke); with neither, the vote is refused
/// ([`Voted::Unknown`]). A 👎 also records the answer's question as not answered well, once per
/// person: a 👎 turned into a 👍 takes it back.
#[allow(clippy::too_many_arguments)]
pub fn vote(
    conn: &Connection,
    now: i64,
    chat_kind: ChatKind,
    generation: u64,
    sentence: u32,
    voter: &[u8],
    up: bool,
    fallback: Option<(String, String)>,
) -> rusqlite::Result<Voted> {
    let value: i64 = if up { 1 } else { -1 };
    let before: Option<i64> = conn
        .query_row(
            "SELECT vote FROM votes WHERE generation = ?1 AND sentence = ?2 AND voter = ?3",
            params![generation as i64, sentence, voter],
            |r| r.get(0),
        )
        .optional()?;
    if before == Some(value) {
        return Ok(Voted::Same);
    }
    let question: Option<Option<String>> = conn
        .query_row(
            "SELECT question FROM answers WHERE generation = ?1 AND sentence = ?2",
            params![generation as i64, sentence],
            |r| r.get(0),
        )
        .optional()?;
    match (&question, fallback) {
        (Some(_), _) => {}
        (None, Some((quote, title))) => {
            let sent = Sent {
                generation,
                sentence,
                quote,
                title,
                question: None,
            };
            keep_answer(conn, now, &sent)?;
        }
        // Neither kept nor in the index any more: nothing to count the vote against.
        (None, None) => return Ok(Voted::Unknown),
    }
    conn.execute(
        "INSERT INTO votes (generation, sentence, voter, vote, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (generation, sentence, voter) DO UPDATE SET vote = excluded.vote, at = excluded.at",
        params![generation as i64, sentence, voter, value, now],
    )?;
    // The question counts as disliked once per person and answer: when a 👎 is cast where
    // there was none, and no longer when that 👎 becomes a 👍.
    if let Some(Some(q)) = question {
        if up {
            if before.is_some() {
                forget_disliked(conn, &q)?;
            }
        } else {
            note_unanswered(conn, now, &q, chat_kind, "disliked")?;
        }
    }
    Ok(if before.is_some() {
        Voted::Changed
    } else {
        Voted::New
    })
}

/// Takes back one 👎 on `question`: the latest day's count of it goes down by one (and the
/// row goes when it reaches nothing).
fn forget_disliked(conn: &Connection, question: &str) -> rusqlite::Result<()> {
    let question = normalize_question(question);
    let row: Option<(i64, String, i64)> = conn
        .query_row(
            "SELECT day, chat_kind, count FROM unanswered
             WHERE question = ?1 AND reason = 'disliked' ORDER BY day DESC, count DESC LIMIT 1",
            params![question],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((day, chat_kind, n)) = row else {
        return Ok(());
    };
    if n > 1 {
        conn.execute(
            "UPDATE unanswered SET count = count - 1
             WHERE question = ?1 AND day = ?2 AND chat_kind = ?3 AND reason = 'disliked'",
            params![question, day, chat_kind],
        )?;
    } else {
        conn.execute(
            "DELETE FROM unanswered
             WHERE question = ?1 AND day = ?2 AND chat_kind = ?3 AND reason = 'disliked'",
            params![question, day, chat_kind],
        )?;
    }
    Ok(())
}

/// A question that was not answered (or whose answer got a 👎), over some days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unanswered {
    /// The question, normalized.
    pub question: String,
    /// How often it was asked.
    pub count: u64,
    /// When first, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub first_seen: String,
    /// When last.
    pub last_seen: String,
}

/// A quote that got 👎.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disliked {
    /// The quote as sent.
    pub quote: String,
    /// Its article's title.
    pub title: String,
    /// How many 👎 it has.
    pub count: u64,
}

/// Votes counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Votes {
    /// 👍
    pub up: u64,
    /// 👎
    pub down: u64,
}

/// `quotebot report`: one JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The days it covers, up to now.
    pub days: u32,
    /// Questions answered in chats.
    pub answered: u64,
    /// Questions in chats that nothing answered.
    pub not_found: u64,
    /// Votes cast in those days.
    pub votes: Votes,
    /// The most asked of what was not found or disliked, most first.
    pub unanswered: Vec<Unanswered>,
    /// The quotes with the most 👎, most first.
    pub disliked: Vec<Disliked>,
}

/// `secs` as `2024-09-30T12:00:00Z`.
#[must_use]
pub fn iso_time(secs: i64) -> String {
    let day = crate::date::Date::from_days_since_epoch(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// Questions answered and not found in the `days` up to `now`.
pub fn counts(conn: &Connection, now: i64, secs: i64) -> rusqlite::Result<(u64, u64)> {
    let since_hour = (now - secs) / 3600;
    let mut stmt =
        conn.prepare_cached("SELECT kind, sum(n) FROM counts WHERE hour > ?1 GROUP BY kind")?;
    let mut answered = 0;
    let mut not_found = 0;
    let rows = stmt.query_map(params![since_hour], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (kind, n) = row?;
        match kind.as_str() {
            "answered" => answered = n as u64,
            "not_found" => not_found = n as u64,
            _ => {}
        }
    }
    Ok((answered, not_found))
}

/// Votes cast in the `secs` up to `now`.
pub fn votes(conn: &Connection, now: i64, secs: i64) -> rusqlite::Result<Votes> {
    conn.query_row(
        "SELECT coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0) FROM votes WHERE at >= ?1",
        params![now - secs],
        |r| {
            Ok(Votes {
                up: r.get::<_, i64>(0)? as u64,
                down: r.get::<_, i64>(1)? as u64,
            })
        },
    )
}

/// The `limit` most asked questions not found (or disliked) in the `days` up to `now`.
pub fn unanswered(
    conn: &Connection,
    now: i64,
    days: u32,
    limit: usize,
) -> rusqlite::Result<Vec<Unanswered>> {
    let since = now - i64::from(days) * 86_400;
    let mut stmt = conn.prepare_cached(
        "SELECT question, sum(count) AS c, min(first_seen), max(last_seen) FROM unanswered
         WHERE last_seen >= ?1 GROUP BY question ORDER BY c DESC, max(last_seen) DESC, question
         LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![since, limit as i64], |r| {
        Ok(Unanswered {
            question: r.get(0)?,
            count: r.get::<_, i64>(1)? as u64,
            first_seen: iso_time(r.get(2)?),
            last_seen: iso_time(r.get(3)?),
        })
    })?;
    rows.collect()
}

/// The `limit` quotes with the most 👎 in the `days` up to `now`.
pub fn disliked(
    conn: &Connection,
    now: i64,
    days: u32,
    limit: usize,
) -> rusqlite::Result<Vec<Disliked>> {
    let since = now - i64::from(days) * 86_400;
    let mut stmt = conn.prepare_cached(
        "SELECT a.quote, a.title, count(*) AS c FROM votes v
         JOIN answers a ON a.generation = v.generation AND a.sentence = v.sentence
         WHERE v.vote < 0 AND v.at >= ?1
         GROUP BY a.quote, a.title ORDER BY c DESC, a.quote LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![since, limit as i64], |r| {
        Ok(Disliked {
            quote: r.get(0)?,
            title: r.get(1)?,
            count: r.get::<_, i64>(2)? as u64,
        })
    })?;
    rows.collect()
}

/// How many questions and quotes a report lists at most.
pub const REPORT_LIMIT: usize = 100;

/// The report for the `days` up to `now`.
pub fn report(conn: &Connection, now: i64, days: u32) -> rusqlite::Result<Report> {
    let secs = i64::from(days) * 86_400;
    let (answered, not_found) = counts(conn, now, secs)?;
    Ok(Report {
        days,
        answered,
        not_found,
        votes: votes(conn, now, secs)?,
        unanswered: unanswered(conn, now, days, REPORT_LIMIT)?,
        disliked: disliked(conn, now, days, REPORT_LIMIT)?,
    })
}

/// The most topics a chat may follow.
pub const MAX_FOLLOWS: usize = 10;

/// What `/follow` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Followed {
    /// Followed; the chat now follows this many topics.
    Added(usize),
    /// The chat already followed it.
    Already,
    /// The chat follows [`MAX_FOLLOWS`] topics already.
    Full,
}

/// A topic as it is followed: the words as given, white space as single spaces, at most 100
/// characters.
#[must_use]
pub fn normalize_topic(topic: &str) -> String {
    let topic = crate::i18n::without_bidi_controls(topic);
    let words: Vec<&str> = topic.split_whitespace().collect();
    words.join(" ").chars().take(100).collect()
}

/// `chat` follows `topic` from `now_ms` (Unix milliseconds) on, its alerts in English.
pub fn follow(
    conn: &Connection,
    now_ms: i64,
    chat: i64,
    topic: &str,
) -> rusqlite::Result<Followed> {
    follow_in(conn, now_ms, chat, topic, "en")
}

/// `chat` follows `topic` from `now_ms` (Unix milliseconds) on, its alerts in language `lang`
/// (a code such as `ru`). Following a topic again changes its language to `lang`: the chat's
/// latest word on it.
pub fn follow_in(
    conn: &Connection,
    now_ms: i64,
    chat: i64,
    topic: &str,
    lang: &str,
) -> rusqlite::Result<Followed> {
    let topics = following(conn, chat)?;
    if let Some(same) = topics
        .iter()
        .find(|t| t.to_lowercase() == topic.to_lowercase())
    {
        conn.execute(
            "UPDATE follows SET lang = ?3 WHERE chat = ?1 AND topic = ?2",
            params![chat, same, lang],
        )?;
        return Ok(Followed::Already);
    }
    if topics.len() >= MAX_FOLLOWS {
        return Ok(Followed::Full);
    }
    conn.execute(
        "INSERT INTO follows (chat, topic, created_ms, lang) VALUES (?1, ?2, ?3, ?4)",
        params![chat, topic, now_ms, lang],
    )?;
    Ok(Followed::Added(topics.len() + 1))
}

/// The topics `chat` follows, oldest first.
pub fn following(conn: &Connection, chat: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT topic FROM follows WHERE chat = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![chat], |r| r.get(0))?;
    rows.collect()
}

/// Stops following the `n`-th topic (from 1) of `/following`; the topic, if there was one.
pub fn unfollow(conn: &Connection, chat: i64, n: usize) -> rusqlite::Result<Option<String>> {
    let topics: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT id, topic FROM follows WHERE chat = ?1 ORDER BY id")?;
        let rows = stmt.query_map(params![chat], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let Some((id, topic)) = n.checked_sub(1).and_then(|i| topics.get(i)).cloned() else {
        return Ok(None);
    };
    conn.execute("DELETE FROM follows WHERE id = ?1", params![id])?;
    Ok(Some(topic))
}

/// A topic a chat follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follow {
    /// The chat.
    pub chat: i64,
    /// The topic.
    pub topic: String,
    /// When it was followed (Unix milliseconds): articles first seen before are not news.
    pub created_ms: i64,
    /// The language of its alerts (`en`, `ru`, `fa`).
    pub lang: String,
}

/// Every follow.
pub fn all_follows(conn: &Connection) -> rusqlite::Result<Vec<Follow>> {
    let mut stmt =
        conn.prepare_cached("SELECT chat, topic, created_ms, lang FROM follows ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Follow {
            chat: r.get(0)?,
            topic: r.get(1)?,
            created_ms: r.get(2)?,
            lang: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Compares the articles now (path, text fingerprint) with those last seen, records them, and
/// returns those that are new or changed since, each with when it was first seen (Unix
/// milliseconds; a changed article keeps its first time). `path` is the article's path inside
/// the corpus folder, so that the folder may be named differently from one run to the next.
/// Articles gone are kept: one that comes back unchanged is not new.
pub fn sync_articles(
    conn: &Connection,
    now_ms: i64,
    articles: &[(String, u64)],
) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut known = std::collections::HashMap::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT path, fingerprint, first_seen_ms FROM articles")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?),
            ))
        })?;
        for row in rows {
            let (p, f) = row?;
            known.insert(p, f);
        }
    }
    let mut fresh = Vec::new();
    let mut upsert = conn.prepare_cached(
        "INSERT INTO articles (path, fingerprint, first_seen_ms, seen_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint, seen_at = excluded.seen_at",
    )?;
    for (path, fingerprint) in articles {
        let f = *fingerprint as i64;
        let first_seen = match known.remove(path) {
            Some((old, _)) if old == f => continue,
            Some((_, first)) => first,
            None => now_ms,
        };
        upsert.execute(params![path, f, first_seen, now_ms / 1000])?;
        fresh.push((path.clone(), first_seen));
    }
    Ok(fresh)
}

/// Claims the alert of `quote` for `chat`'s `topic`: `true` the first time, `false` ever
/// after (it was sent, or is being sent).
pub fn claim_alert(
    conn: &Connection,
    now: i64,
    chat: i64,
    topic: &str,
    quote: &str,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO alerts (chat, topic, quote, at) VALUES (?1, ?2, ?3, ?4)",
        params![chat, topic, quote, now],
    )?;
    Ok(n == 1)
}

/// Deletes what is older than `keep_days`: counts, questions, answers and votes. Follows,
/// the alerts already sent and the articles seen are kept (they are what stops a repeat).
pub fn prune(conn: &Connection, now: i64, keep_days: u32) -> rusqlite::Result<usize> {
    let since = now - i64::from(keep_days) * 86_400;
    let mut n = 0;
    n += conn.execute("DELETE FROM counts WHERE hour < ?1", params![since / 3600])?;
    n += conn.execute(
        "DELETE FROM unanswered WHERE last_seen < ?1",
        params![since],
    )?;
    n += conn.execute("DELETE FROM votes WHERE at < ?1", params![since])?;
    n += conn.execute(
        "DELETE FROM answers WHERE sent_at < ?1 AND NOT EXISTS (SELECT 1 FROM votes v
         WHERE v.generation = answers.generation AND v.sentence = answers.sentence)",
        params![since],
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        c
    }

    /// A topic followed again in other letter case (in any script) is the same topic.
    #[test]
    fn topics_differ_not_by_case_in_any_script() {
        let c = db();
        assert_eq!(follow(&c, NOW, 1, "Зерно").unwrap(), Followed::Added(1));
        assert_eq!(follow(&c, NOW, 1, "зерно").unwrap(), Followed::Already);
        assert_eq!(following(&c, 1).unwrap(), ["Зерно"]);
    }

    fn sent(sentence: u32, question: Option<&str>) -> Sent {
        Sent {
            generation: u64::MAX - 1,
            sentence,
            quote: format!("Quote {sentence}."),
            title: "Title".into(),
            question: question.map(str::to_string),
        }
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let mut c = db();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema_version());
        c.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut c).unwrap_err();
        assert!(err.contains("newer quotebot"), "{err}");
    }

    /// A database of schema 1 (before languages) keeps its follows, in English, and gets the
    /// language column; follows made after it keep the follower's language.
    #[test]
    fn version_1_follows_become_english_ones() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO follows (chat, topic, created_ms) VALUES (5, 'grain', 1)",
            [],
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2);
        assert_eq!(schema_version(), 2);
        follow_in(&c, 2, 5, "зерно", "ru").unwrap();
        follow_in(&c, 3, 6, "grain", "fa").unwrap();
        let langs: Vec<(i64, String, String)> = all_follows(&c)
            .unwrap()
            .into_iter()
            .map(|f| (f.chat, f.topic, f.lang))
            .collect();
        assert_eq!(
            langs,
            [
                (5, "grain".into(), "en".into()),
                (5, "зерно".into(), "ru".into()),
                (6, "grain".into(), "fa".into()),
            ]
        );
        // Following again: the latest language wins.
        assert_eq!(
            follow_in(&c, 4, 5, "Grain", "fa").unwrap(),
            Followed::Already
        );
        assert_eq!(all_follows(&c).unwrap()[0].lang, "fa");
    }

    #[test]
    fn questions_are_normalized() {
        assert_eq!(
            normalize_question("  What about   GRAIN exports?? "),
            "what about grain exports"
        );
        assert_eq!(normalize_question("?"), "");
        assert_eq!(normalize_question(&"x".repeat(1000)).len(), 300);
    }

    #[test]
    fn a_vote_counts_once_per_person_and_a_second_replaces_it() {
        let c = db();
        record_answered(&c, NOW, "private", &sent(3, Some("Tin output?"))).unwrap();
        assert_eq!(
            vote(&c, NOW, "private", u64::MAX - 1, 3, b"a", true, None).unwrap(),
            Voted::New
        );
        assert_eq!(
            vote(&c, NOW, "private", u64::MAX - 1, 3, b"a", true, None).unwrap(),
            Voted::Same
        );
        assert_eq!(
            vote(&c, NOW, "private", u64::MAX - 1, 3, b"a", false, None).unwrap(),
            Voted::Changed
        );
        vote(&c, NOW, "group", u64::MAX - 1, 3, b"b", false, None).unwrap();
        assert_eq!(votes(&c, NOW, DAY).unwrap(), Votes { up: 0, down: 2 });
        let d = disliked(&c, NOW, 1, 10).unwrap();
        assert_eq!(
            d,
            [Disliked {
                quote: "Quote 3.".into(),
                title: "Title".into(),
                count: 2
            }]
        );
        // The 👎s know their question.
        let u = unanswered(&c, NOW, 30, 20).unwrap();
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!((u[0].question.as_str(), u[0].count), ("tin output", 2));
    }

    #[test]
    fn a_vote_flipped_back_and_forth_counts_its_question_once() {
        let c = db();
        record_answered(&c, NOW, "private", &sent(3, Some("Tin output?"))).unwrap();
        let g = u64::MAX - 1;
        let tin = |c: &Connection| {
            unanswered(c, NOW, 30, 20)
                .unwrap()
                .iter()
                .map(|u| (u.question.clone(), u.count))
                .collect::<Vec<_>>()
        };
        for _ in 0..3 {
            vote(&c, NOW, "private", g, 3, b"a", false, None).unwrap();
            assert_eq!(tin(&c), [("tin output".to_string(), 1)]);
            vote(&c, NOW, "private", g, 3, b"a", true, None).unwrap();
            assert_eq!(tin(&c), []);
        }
        // A 👍 first, then 👎: counted once; another person's 👎 once more.
        vote(&c, NOW, "private", g, 3, b"b", true, None).unwrap();
        assert_eq!(tin(&c), []);
        vote(&c, NOW, "private", g, 3, b"b", false, None).unwrap();
        vote(&c, NOW, "group", g, 3, b"c", false, None).unwrap();
        vote(&c, NOW, "group", g, 3, b"c", false, None).unwrap();
        assert_eq!(tin(&c), [("tin output".to_string(), 2)]);
        // A question also not found keeps that count when a 👎 is taken back.
        record_not_found(&c, NOW, "private", "tin output").unwrap();
        vote(&c, NOW, "private", g, 3, b"b", true, None).unwrap();
        vote(&c, NOW, "group", g, 3, b"c", true, None).unwrap();
        assert_eq!(tin(&c), [("tin output".to_string(), 1)]);
    }

    #[test]
    fn a_vote_on_an_answer_that_is_not_known_is_refused() {
        let c = db();
        assert_eq!(
            vote(&c, NOW, "private", 7, 1, b"a", false, None).unwrap(),
            Voted::Unknown
        );
        assert_eq!(votes(&c, NOW, DAY).unwrap(), Votes::default());
        assert!(disliked(&c, NOW, 1, 10).unwrap().is_empty());
    }

    #[test]
    fn an_unrecorded_answer_keeps_the_quote_it_was_voted_on() {
        let c = db();
        vote(
            &c,
            NOW,
            "private",
            7,
            1,
            b"a",
            false,
            Some(("Inline quote.".into(), "T".into())),
        )
        .unwrap();
        assert_eq!(disliked(&c, NOW, 1, 10).unwrap()[0].quote, "Inline quote.");
        assert!(unanswered(&c, NOW, 30, 20).unwrap().is_empty());
    }

    #[test]
    fn unanswered_counts_by_question_over_the_days_asked_for() {
        let c = db();
        for (q, at) in [
            ("Capital of France?", NOW - 40 * DAY),
            ("capital of  france", NOW - 2 * DAY),
            ("Capital of France?", NOW),
            ("price of gold", NOW - DAY),
        ] {
            record_not_found(&c, at, "private", q).unwrap();
        }
        let u = unanswered(&c, NOW, 30, 20).unwrap();
        assert_eq!(
            u.iter()
                .map(|u| (u.question.as_str(), u.count))
                .collect::<Vec<_>>(),
            [("capital of france", 2), ("price of gold", 1)],
            "{u:?}"
        );
        assert_eq!(u[0].first_seen, iso_time(NOW - 2 * DAY));
        assert_eq!(u[0].last_seen, iso_time(NOW));
        let r = report(&c, NOW, 90).unwrap();
        assert_eq!((r.answered, r.not_found), (0, 4));
        assert_eq!(r.unanswered[0].count, 3);
        // Pruned after 30 days: the one of 40 days ago goes.
        prune(&c, NOW, 30).unwrap();
        assert_eq!(report(&c, NOW, 90).unwrap().not_found, 3);
    }

    #[test]
    fn follows_are_numbered_limited_and_removed() {
        let c = db();
        assert_eq!(
            follow(&c, NOW, 5, "grain exports").unwrap(),
            Followed::Added(1)
        );
        assert_eq!(
            follow(&c, NOW, 5, "Grain Exports").unwrap(),
            Followed::Already
        );
        for i in 2..=10 {
            assert_eq!(
                follow(&c, NOW, 5, &format!("t{i}")).unwrap(),
                Followed::Added(i)
            );
        }
        assert_eq!(follow(&c, NOW, 5, "one more").unwrap(), Followed::Full);
        assert_eq!(follow(&c, NOW, 6, "one more").unwrap(), Followed::Added(1));
        assert_eq!(unfollow(&c, 5, 2).unwrap().as_deref(), Some("t2"));
        assert_eq!(unfollow(&c, 5, 0).unwrap(), None);
        assert_eq!(unfollow(&c, 5, 10).unwrap(), None);
        assert_eq!(following(&c, 5).unwrap()[..2], ["grain exports", "t3"]);
    }

    #[test]
    fn articles_are_new_once_and_again_when_changed() {
        let c = db();
        let a = vec![("a.txt".to_string(), 1), ("b.txt".to_string(), 2)];
        assert_eq!(
            sync_articles(&c, NOW, &a).unwrap(),
            [("a.txt".to_string(), NOW), ("b.txt".to_string(), NOW)]
        );
        assert!(sync_articles(&c, NOW + 1, &a).unwrap().is_empty());
        // Changed: new again, but first seen when it first was.
        let changed = vec![("a.txt".to_string(), 1), ("b.txt".to_string(), 3)];
        assert_eq!(
            sync_articles(&c, NOW + 2, &changed).unwrap(),
            [("b.txt".to_string(), NOW)]
        );
        // Gone for a while, then back as it was: not new.
        assert!(
            sync_articles(&c, NOW + 3, &changed[..1])
                .unwrap()
                .is_empty()
        );
        assert!(sync_articles(&c, NOW + 4, &changed).unwrap().is_empty());
        // Back changed: new, first seen when it first was.
        sync_articles(&c, NOW + 5, &changed[..1]).unwrap();
        let back = vec![("a.txt".to_string(), 1), ("b.txt".to_string(), 4)];
        assert_eq!(
            sync_articles(&c, NOW + 6, &back).unwrap(),
            [("b.txt".to_string(), NOW)]
        );
        follow(&c, NOW + 7, 1, "tin").unwrap();
        assert_eq!(
            all_follows(&c).unwrap(),
            [Follow {
                chat: 1,
                topic: "tin".into(),
                created_ms: NOW + 7,
                lang: "en".into(),
            }]
        );
        assert!(claim_alert(&c, NOW, 1, "t", "q").unwrap());
        assert!(!claim_alert(&c, NOW, 1, "t", "q").unwrap());
        assert!(claim_alert(&c, NOW, 2, "t", "q").unwrap());
    }

    #[test]
    fn times_are_iso() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_727_654_400 + 3661), "2024-09-30T01:01:01Z");
    }
}
