//! Following news feeds (`[[feeds]]`: RSS 2.0, Atom, JSON Feed, read by `feed-rs`): each round
//! fetches a feed, and every item not seen before has its page fetched and added to the corpus
//! (the item's date standing in when the page has none). What was seen is kept in one hidden
//! file in the corpus folder, `.quotebot-feeds.json`, written atomically after every feed, so
//! that an item is never added twice, across restarts; the loader and the watcher ignore hidden
//! files. A feed that fails or is malformed is recorded and tried again next round; it never
//! stops the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::WebAdded;
use super::{AddOptions, Refusal};
use crate::config::FeedConfig;
use crate::date::Date;
use crate::web::Page;
use crate::web::fetch::{FetchError, Fetcher, Want};

/// The state file, in the corpus folder.
pub const STATE_FILE: &str = ".quotebot-feeds.json";

/// Locked while a feed is polled, so that the bot and `quotebot feeds --poll` (from cron) take
/// turns and each sees what the other has seen (hidden too: the loader and watcher skip it).
pub const LOCK_FILE: &str = ".quotebot-feeds.lock";

/// At most this many new items of one feed are fetched in a round (a feed of a thousand old
/// items, seen for the first time, is taken in over several rounds).
pub const MAX_ITEMS_PER_ROUND: usize = 50;

/// What is known of one feed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FeedState {
    /// When it was last fetched (seconds since 1970), successfully or not.
    pub last_fetch: Option<u64>,
    /// When it was last fetched and read successfully.
    pub last_ok: Option<u64>,
    /// Items in it then.
    pub items: usize,
    /// Articles added from it, in all.
    pub added: usize,
    /// Why the last fetch failed, if it did.
    pub error: Option<String>,
}

/// Everything the feeds module keeps.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct State {
    /// By feed address.
    pub feeds: BTreeMap<String, FeedState>,
    /// Items seen (their link, or the feed's address and the item's id), with when.
    pub seen: BTreeMap<String, u64>,
}

impl State {
    /// Reads the state of the corpus folder `dir` (empty when there is none yet; a damaged
    /// file is set aside as `.quotebot-feeds.json.bad` and started afresh, with a warning).
    #[must_use]
    pub fn load(dir: &Path) -> State {
        let path = dir.join(STATE_FILE);
        let Ok(bytes) = std::fs::read(&path) else {
            return State::default();
        };
        match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => {
                log::warn!(
                    "{}: damaged ({e}); set aside as {STATE_FILE}.bad, feeds start afresh",
                    path.display()
                );
                let _ = std::fs::rename(&path, dir.join(format!("{STATE_FILE}.bad")));
                State::default()
            }
        }
    }

    /// Writes it, atomically.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        super::replace_atomic(&dir.join(STATE_FILE), &json)
    }
}

/// Where new articles go: the CLI writes files and keeps its own list of articles, the bot
/// adds to its living corpus.
pub trait Sink {
    /// Adds a page, as [`super::add_page`] does.
    fn add(
        &mut self,
        page: &Page,
        options: &AddOptions,
        fallback_date: Option<Date>,
    ) -> Result<WebAdded, Refusal>;
}

/// A corpus folder read once, for the command line.
pub struct FolderSink {
    dir: PathBuf,
    articles: Vec<crate::corpus::Article>,
}

impl FolderSink {
    /// Reads the corpus in `dir`.
    pub fn open(dir: &Path) -> crate::Result<FolderSink> {
        Ok(FolderSink {
            dir: dir.to_path_buf(),
            articles: crate::corpus::load(dir)?.articles,
        })
    }
}

impl Sink for FolderSink {
    fn add(
        &mut self,
        page: &Page,
        options: &AddOptions,
        fallback_date: Option<Date>,
    ) -> Result<WebAdded, Refusal> {
        let added = super::add_page(&self.dir, page, options, fallback_date, &self.articles)?;
        if let Ok((a, _)) = crate::corpus::load_file(&self.dir.join(&added.added.saved_as)) {
            self.articles.push(a);
        }
        Ok(added)
    }
}

/// What one feed's round did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    /// The feed's address.
    pub url: String,
    /// Items in the feed.
    pub items: usize,
    /// Articles added.
    pub added: Vec<String>,
    /// Items seen before (or refused for good: duplicates, not articles).
    pub skipped: usize,
    /// Items whose page could not be fetched this time (tried again next round).
    pub retry: usize,
    /// Why the feed itself failed.
    pub error: Option<String>,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(e) => write!(f, "{}: failed: {e}", self.url),
            None => write!(
                f,
                "{}: {} items, {} added, {} already seen or refused, {} to retry",
                self.url,
                self.items,
                self.added.len(),
                self.skipped,
                self.retry
            ),
        }
    }
}

/// Seconds since 1970.
#[must_use]
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-12-07 05:42:06 UTC`.
#[must_use]
pub fn format_time(secs: u64) -> String {
    let day = Date::from_days_since_epoch((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{day} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// One item of a feed, as quotebot uses it.
struct Item {
    key: String,
    link: Option<String>,
    title: Option<String>,
    content: Option<String>,
    date: Option<Date>,
}

/// Parses a feed's bytes; a malformed feed (or a bug in the parser, contained) is an error.
fn parse(bytes: &[u8], feed_url: &str) -> Result<Vec<Item>, String> {
    let parsed = std::panic::catch_unwind(|| feed_rs::parser::parse(bytes))
        .map_err(|_| "the feed could not be read because of a bug in its parser".to_string())?
        .map_err(|e| format!("malformed feed: {e}"))?;
    let base = url::Url::parse(feed_url).ok();
    let today = Date::today();
    let items = parsed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or_else(|| e.links.first())
                .map(|l| l.href.trim().to_string())
                .filter(|l| !l.is_empty())
                .map(|l| match &base {
                    Some(b) => b.join(&l).map_or(l, |u| u.to_string()),
                    None => l,
                });
            let date = e
                .published
                .or(e.updated)
                .and_then(|d| Date::parse_iso(&d.format("%Y-%m-%d").to_string()))
                .filter(|&d| crate::web::dates::plausible(d, today));
            let key = link
                .clone()
                .unwrap_or_else(|| format!("{feed_url}#{}", e.id));
            Item {
                key,
                link,
                title: e.title.map(|t| t.content),
                content: e
                    .content
                    .and_then(|c| c.body)
                    .or(e.summary.map(|s| s.content)),
                date,
            }
        })
        .collect();
    Ok(items)
}

/// Whether a page that failed may succeed later (the network, the server's own trouble),
/// rather than never (a 404, a PDF, too large).
fn transient(e: &FetchError) -> bool {
    match e {
        FetchError::Timeout | FetchError::Network(_) => true,
        FetchError::Status(s) => s.starts_with('5') || s.starts_with("429"),
        _ => false,
    }
}

/// Polls one feed: fetches it, adds its new items through `sink`, records it all in `state`
/// (which the caller saves).
pub async fn poll(
    feed: &FeedConfig,
    fetcher: &Fetcher,
    sink: &mut impl Sink,
    state: &mut State,
) -> Round {
    let mut round = Round {
        url: feed.url.clone(),
        ..Round::default()
    };
    let now = now_secs();
    let items = match fetcher.get(&feed.url, Want::Feed).await {
        Ok(f) => parse(&f.bytes, &f.url),
        Err(e) => Err(e.to_string()),
    };
    let entry = state.feeds.entry(feed.url.clone()).or_default();
    entry.last_fetch = Some(now);
    let items = match items {
        Ok(items) => {
            entry.last_ok = Some(now);
            entry.items = items.len();
            entry.error = None;
            items
        }
        Err(e) => {
            entry.error = Some(e.clone());
            round.error = Some(e);
            return round;
        }
    };
    round.items = items.len();
    // Oldest first (feeds list the newest first), so the files appear in the order published.
    let mut fetched = 0;
    for item in items.iter().rev() {
        if state.seen.contains_key(&item.key) {
            round.skipped += 1;
            continue;
        }
        if fetched >= MAX_ITEMS_PER_ROUND {
            round.retry += 1;
            continue;
        }
        fetched += 1;
        let options = AddOptions {
            title: None,
            date: None,
            source: item.link.clone(),
        };
        let page = match &item.link {
            Some(link) => match fetcher.get(link, Want::Page).await {
                Ok(f) => Some(Page::fetched(&f)),
                Err(e) if transient(&e) => {
                    log::warn!(
                        "feed {}: item {link}: {e}; tried again next round",
                        feed.url
                    );
                    round.retry += 1;
                    continue;
                }
                Err(e) => {
                    log::warn!("feed {}: item {link}: {e}", feed.url);
                    None
                }
            },
            // An item with no link: its own content is the article.
            None => item.content.as_ref().map(|c| Page {
                text: c.clone(),
                url: None,
                plain: false,
            }),
        };
        if let Some(page) = page {
            let options = AddOptions {
                title: if item.link.is_none() {
                    item.title.clone()
                } else {
                    None
                },
                ..options
            };
            match sink.add(&page, &options, item.date) {
                Ok(added) => {
                    log::info!("feed {}: added {}", feed.url, added.added.saved_as);
                    round.added.push(added.added.saved_as);
                }
                Err(refusal) => {
                    log::info!("feed {}: item {} not added: {refusal}", feed.url, item.key);
                    round.skipped += 1;
                }
            }
        } else {
            round.skipped += 1;
        }
        state.seen.insert(item.key.clone(), now);
    }
    let entry = state.feeds.entry(feed.url.clone()).or_default();
    entry.added += round.added.len();
    round
}

/// The feeds' lock in `dir`, held until dropped; `None` (and a warning) when the folder cannot
/// hold it (read-only): polling then goes on unlocked, as it would alone. Blocks while another
/// process polls (callers run rounds on a thread of their own).
fn lock_state(dir: &Path) -> Option<std::fs::File> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path);
    match file.and_then(|f| f.lock().map(|()| f)) {
        Ok(f) => Some(f),
        Err(e) => {
            log::warn!("{}: could not lock ({e}); polling unlocked", path.display());
            None
        }
    }
}

/// One round over `feeds`, the state saved after each (under the feeds' lock, so that two
/// processes polling at once never add an item twice nor lose what the other saw).
pub async fn poll_all(
    dir: &Path,
    feeds: &[FeedConfig],
    fetcher: &Fetcher,
    sink: &mut impl Sink,
) -> Vec<Round> {
    let mut rounds = Vec::new();
    for feed in feeds {
        let _lock = lock_state(dir);
        let mut state = State::load(dir);
        let round = poll(feed, fetcher, sink, &mut state).await;
        if let Err(e) = state.save(dir) {
            log::error!(
                "{}: could not save the feeds' state: {e}",
                dir.join(STATE_FILE).display()
            );
        }
        rounds.push(round);
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><title>A</title><link>/news/a</link><pubDate>Mon, 30 Sep 2024 08:00:00 GMT</pubDate></item>
        <item><title>B</title><guid>b-1</guid><description>&lt;p&gt;Body of B.&lt;/p&gt;</description></item>
        </channel></rss>"#;

    #[test]
    fn polling_rounds_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_state(dir.path()).expect("a writable folder holds the lock");
        let other = std::fs::File::options()
            .write(true)
            .open(dir.path().join(LOCK_FILE))
            .unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(other.try_lock().is_ok());
    }

    #[test]
    fn items_with_links_made_absolute_dates_and_keys() {
        let items = parse(RSS.as_bytes(), "https://x.example/feed.xml").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].link.as_deref(), Some("https://x.example/news/a"));
        assert_eq!(items[0].key, "https://x.example/news/a");
        assert_eq!(items[0].date, Date::parse_iso("2024-09-30"));
        assert_eq!(items[1].link, None);
        assert_eq!(items[1].key, "https://x.example/feed.xml#b-1");
        assert!(items[1].content.as_deref().unwrap().contains("Body of B"));
    }

    #[test]
    fn malformed_feeds_are_errors_not_panics() {
        for junk in [
            &b""[..],
            b"<rss><channel><item>",
            b"\x00\xff\xfe",
            b"{\"version\": 3}",
            b"<html><body>hi</body></html>",
        ] {
            assert!(parse(junk, "https://x.example/f").is_err(), "{junk:?}");
        }
    }

    #[test]
    fn state_round_trips_and_a_damaged_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::default();
        s.seen.insert("https://x.example/a".into(), 5);
        s.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()), s);
        std::fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
        assert_eq!(State::load(dir.path()), State::default());
        assert!(dir.path().join(format!("{STATE_FILE}.bad")).exists());
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_727_654_400 + 3661), "2024-09-30 01:01:01 UTC");
    }
}
