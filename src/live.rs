//! A living corpus: the articles folder watched while the bot runs, reloaded in the
//! background when files are added, changed, removed or renamed, and swapped into the engine
//! at once; documents added by admins; duplicates refused.
//!
//! A reload reads only the files whose size or modification time changed, and rebuilds the
//! index from the previous one ([`Index::rebuild`]): a few changed files in a million
//! sentences take about half a second, where a full build takes two. Questions being answered
//! finish on the index they started with. A broken new file is skipped with a warning naming
//! it; a broken *changed* file keeps its previous version (a file saved halfway through an
//! edit must not make its article vanish); a reload that fails as a whole (the folder gone)
//! keeps the previous index.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::config::SearchConfig;
use crate::corpus::{self, Article, Problem};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::intake::relative;
pub use crate::intake::{AddOptions, Added, Refusal, add_file};
use crate::search::Index;

/// Files larger than this are refused as uploads.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The folder inside the corpus that uploads are saved in.
pub const UPLOADS: &str = "uploads";

/// A watcher waits this long without events before it reloads (a burst of files is one
/// reload)…
pub const QUIET: Duration = Duration::from_millis(300);
/// …but never longer than this after the first event.
pub const MAX_WAIT: Duration = Duration::from_secs(3);

/// What a file was when it was last read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// A hash of a text with its white space normalised: the same news in two files, however it
/// was wrapped, hashes the same.
#[must_use]
pub fn text_fingerprint(text: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for word in text.split_whitespace() {
        h.write(word.as_bytes());
        h.write_u8(b' ');
    }
    h.finish()
}

#[derive(Default)]
struct State {
    /// The files the index holds, as they were read.
    files: HashMap<PathBuf, Stamp>,
    /// Files that could not be used, as they were when tried (not tried again until changed).
    bad: HashMap<PathBuf, Stamp>,
    /// Text fingerprints of the articles, for refusing duplicates; made when first needed.
    texts: HashMap<PathBuf, u64>,
    last_reload: Option<SystemTime>,
    reloads: u64,
}

/// What a reload did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Files read for the first time.
    pub added: usize,
    /// Files read again because they changed.
    pub changed: usize,
    /// Files gone.
    pub removed: usize,
    /// Articles and sentences after it.
    pub articles: usize,
    /// Sentences after it.
    pub sentences: usize,
    /// What was wrong with the files read.
    pub problems: Vec<String>,
    /// How long it took.
    pub elapsed: Duration,
    /// Whether the index was built from scratch rather than from the previous one.
    pub full: bool,
}

impl Report {
    /// Whether nothing changed.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.added + self.changed + self.removed == 0
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.unchanged() {
            write!(f, "nothing changed")?;
        } else {
            write!(
                f,
                "{} added, {} changed, {} removed",
                self.added, self.changed, self.removed
            )?;
        }
        write!(
            f,
            "; {} articles, {} sentences ({:.0} ms{})",
            self.articles,
            self.sentences,
            self.elapsed.as_secs_f64() * 1000.0,
            if self.full { ", full build" } else { "" }
        )?;
        if !self.problems.is_empty() {
            write!(f, "; {} problems", self.problems.len())?;
        }
        Ok(())
    }
}

/// The corpus folder, its engine, and what was read from it.
pub struct Library {
    dir: PathBuf,
    engine: Arc<Engine>,
    state: Mutex<State>,
    /// One reload at a time.
    reloading: Mutex<()>,
    /// One addition at a time (a page, a document): its duplicate check, its file and its
    /// reload, so that two of the same article arriving at once are not both written.
    adding: Mutex<()>,
    /// Told the number of changing reloads after each (for follow alerts).
    changes: tokio::sync::watch::Sender<u64>,
    /// How links are fetched (`[web]`); private addresses refused until configured.
    fetcher: std::sync::OnceLock<crate::web::Fetcher>,
}

impl Library {
    /// Loads the corpus folder `dir`.
    pub fn open(dir: &Path, config: SearchConfig) -> Result<(Library, Vec<Problem>)> {
        let start = SystemTime::now();
        let corpus = corpus::load(dir)?;
        let mut state = State::default();
        for a in &corpus.articles {
            if let Some(s) = stamp(&a.path) {
                state.files.insert(a.path.clone(), s);
            }
        }
        for p in &corpus.problems {
            if p.is_error()
                && let Some(s) = stamp(p.path())
            {
                state.bad.insert(p.path().to_path_buf(), s);
            }
        }
        state.last_reload = Some(start);
        let engine = Arc::new(Engine::new(Index::build(corpus.articles), config));
        Ok((
            Library {
                dir: dir.to_path_buf(),
                engine,
                state: Mutex::new(state),
                reloading: Mutex::new(()),
                adding: Mutex::new(()),
                changes: tokio::sync::watch::Sender::new(0),
                fetcher: std::sync::OnceLock::new(),
            },
            corpus.problems,
        ))
    }

    /// What was read from the folder. A panic while it was held (a bug) poisons the lock;
    /// the state is file stamps, at worst read again, so it is taken back rather than making
    /// every later reload panic too.
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The engine answering from the corpus.
    #[must_use]
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The corpus folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// When the corpus was last read.
    #[must_use]
    pub fn last_reload(&self) -> Option<SystemTime> {
        self.state().last_reload
    }

    /// How many reloads changed something since the start.
    #[must_use]
    pub fn reloads(&self) -> u64 {
        self.state().reloads
    }

    /// Changes as they happen: the receiver sees the count of reloads that changed something,
    /// after each (articles added, changed or removed and the new index in place).
    #[must_use]
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Reads what changed in the folder and swaps the new index in. Fails only when the
    /// folder cannot be listed; the previous index then stays.
    pub fn reload(&self) -> Result<Report> {
        // A panic while reloading (a bug) must not stop every later reload: the lock is taken back
        // from a poisoned mutex, and the state it guards is file stamps, at worst read again.
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        let files = corpus::list_files(&self.dir)?;
        let mut report = Report::default();
        let (to_read, removed): (Vec<(PathBuf, Stamp)>, Vec<PathBuf>) = {
            let state = self.state();
            let present: HashSet<&PathBuf> = files.iter().collect();
            let mut to_read = Vec::new();
            for path in &files {
                let Some(now) = stamp(path) else { continue };
                let known = state.files.get(path).copied();
                let bad = state.bad.get(path).copied();
                if known != Some(now) && bad != Some(now) {
                    to_read.push((path.clone(), now));
                }
            }
            let removed = state
                .files
                .keys()
                .filter(|p| !present.contains(p))
                .cloned()
                .collect();
            (to_read, removed)
        };
        report.removed = removed.len();
        let paths: Vec<PathBuf> = to_read.iter().map(|(p, _)| p.clone()).collect();
        let read = corpus::parallel_map(&paths, |p| corpus::load_file(p));
        let mut added_articles = Vec::new();
        let mut gone: HashSet<PathBuf> = removed.iter().cloned().collect();
        {
            let mut state = self.state();
            for ((path, now), result) in to_read.into_iter().zip(read) {
                let was_known = state.files.contains_key(&path);
                match result {
                    Ok((article, warnings)) => {
                        report
                            .problems
                            .extend(warnings.iter().map(ToString::to_string));
                        if was_known {
                            report.changed += 1;
                            gone.insert(path.clone());
                        } else {
                            report.added += 1;
                        }
                        state.bad.remove(&path);
                        state.files.insert(path.clone(), now);
                        // Its fingerprint is made again when next needed.
                        state.texts.remove(&path);
                        added_articles.push(article);
                    }
                    Err(e) => {
                        let problem = Problem::Skipped(e);
                        let note = if was_known {
                            " — the previous version is kept"
                        } else {
                            ""
                        };
                        report.problems.push(format!("{problem}{note}"));
                        state.bad.insert(path, now);
                    }
                }
            }
            for p in &removed {
                state.files.remove(p);
                state.texts.remove(p);
                state.bad.remove(p);
            }
        }
        for p in &report.problems {
            log::warn!("{p}");
        }
        let old = self.engine.index();
        if report.added + report.changed + report.removed > 0 {
            let added_bytes: usize = added_articles.iter().map(|a| a.text.len()).sum();
            let old_bytes: usize = old.articles().iter().map(|a| a.text.len()).sum();
            // Renumbering every posting costs about a third of a full build: past a third
            // of new text, building from scratch is as quick and leaves no unused words.
            report.full = old.articles().is_empty() || added_bytes * 3 > old_bytes;
            let index = if report.full {
                let mut all: Vec<Arc<Article>> = old
                    .articles()
                    .iter()
                    .filter(|a| !gone.contains(&a.path))
                    .cloned()
                    .collect();
                all.extend(added_articles.into_iter().map(Arc::new));
                Index::build_shared(all)
            } else {
                old.rebuild(&gone, added_articles)
            };
            drop(old);
            self.engine.replace(index);
            let reloads = {
                let mut state = self.state();
                state.reloads += 1;
                state.reloads
            };
            self.changes.send_replace(reloads);
        }
        self.state().last_reload = Some(SystemTime::now());
        let index = self.engine.index();
        report.articles = index.articles().len();
        report.sentences = index.sentence_count();
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// The article whose text is `text` (white space aside), if any.
    #[must_use]
    pub fn duplicate_of(&self, text: &str) -> Option<PathBuf> {
        let h = text_fingerprint(text);
        let index = self.engine.index();
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut state = self.state();
        index
            .articles()
            .iter()
            .find(|a| {
                let f = *state
                    .texts
                    .entry(a.path.clone())
                    .or_insert_with(|| text_fingerprint(&a.text));
                f == h && a.text.split_whitespace().eq(words.iter().copied())
            })
            .map(|a| a.path.clone())
    }

    /// Sets how links are fetched (`[web]`); the first call wins.
    pub fn set_web(&self, config: &crate::config::WebConfig) -> std::result::Result<(), Refusal> {
        let fetcher = crate::web::Fetcher::new(config).map_err(|e| Refusal::Web(e.to_string()))?;
        let _ = self.fetcher.set(fetcher);
        Ok(())
    }

    /// The fetcher for links: the configured one, else one with the defaults.
    pub fn fetcher(&self) -> std::result::Result<&crate::web::Fetcher, Refusal> {
        if let Some(f) = self.fetcher.get() {
            return Ok(f);
        }
        self.set_web(&crate::config::WebConfig::default())?;
        self.fetcher
            .get()
            .ok_or_else(|| Refusal::Web("no fetcher".into()))
    }

    /// Adds a web page (a link's, a feed item's, a saved page sent by an admin) to the corpus
    /// folder as [`crate::intake::add_page`] does, refusing what the index already has (the same
    /// source or text), and reloads. Blocking.
    pub fn add_page(
        &self,
        page: &crate::web::Page,
        options: &AddOptions,
        fallback_date: Option<crate::date::Date>,
    ) -> std::result::Result<crate::intake::WebAdded, Refusal> {
        let _adding = self.adding.lock().unwrap_or_else(PoisonError::into_inner);
        let index = self.engine.index();
        let existing = index.articles().iter().map(|a| &**a);
        let added = crate::intake::add_page(&self.dir, page, options, fallback_date, existing)?;
        drop(index);
        if let Err(e) = self.reload() {
            log::warn!("reloading after adding a page failed: {e}");
        }
        Ok(added)
    }

    /// Checks a document sent by an admin, saves it under `uploads/` with a safe, free name,
    /// and reloads.
    pub fn add_document(
        &self,
        file_name: &str,
        bytes: &[u8],
    ) -> std::result::Result<Added, Refusal> {
        let _adding = self.adding.lock().unwrap_or_else(PoisonError::into_inner);
        let safe = check_upload(file_name, bytes.len())?;
        let uploads = self.dir.join(UPLOADS);
        let (article, _) = Article::parse(&uploads.join(&safe), bytes)
            .map_err(|e| Refusal::Invalid(without_dir(&e.to_string(), &uploads)))?;
        if article.date.is_none() {
            return Err(Refusal::NoDate);
        }
        if let Some(p) = self.duplicate_of(&article.text) {
            return Err(Refusal::Duplicate(relative(&p, &self.dir)));
        }
        std::fs::create_dir_all(&uploads).map_err(|e| Refusal::Io(e.to_string()))?;
        let path = crate::intake::write_new_atomic(&uploads, &safe, bytes)
            .map_err(|e| Refusal::Io(e.to_string()))?;
        let saved_as = relative(&path, &self.dir);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let renamed_from = (file != file_name).then(|| file_name.to_string());
        if let Err(e) = self.reload() {
            log::warn!("reloading after an upload failed: {e}");
        }
        Ok(Added {
            title: article.title,
            date: article.date,
            sentences: article.sentences.len(),
            saved_as,
            renamed_from,
        })
    }
}

fn without_dir(message: &str, dir: &Path) -> String {
    message.replace(&format!("{}/", dir.display()), "")
}

/// What can be told of an upload from its name and size alone, before it is fetched: the
/// safe name it would be saved under, or why it is refused.
pub fn check_upload(file_name: &str, size: usize) -> std::result::Result<String, Refusal> {
    let safe = safe_file_name(file_name).ok_or(Refusal::NotText)?;
    if size > MAX_UPLOAD_BYTES {
        return Err(Refusal::TooLarge);
    }
    Ok(safe)
}

/// A file name that is safe to save in the uploads folder: the last component of whatever was
/// given (so `../../etc/x.txt` is `x.txt`), letters, digits, `-`, `_` and `.` only, no leading
/// dot, an article extension kept. `None` when it is not a `.txt` or `.md` file.
#[must_use]
pub fn safe_file_name(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or(given);
    let (stem, ext) = last.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    if ext != "txt" && ext != "md" {
        return None;
    }
    let mut clean = String::new();
    for c in stem.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
            clean.push(c);
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean = clean.trim_matches(|c| c == '-' || c == '.');
    let clean: String = clean.chars().take(100).collect();
    let stem = if clean.is_empty() {
        "upload"
    } else {
        clean.as_str()
    };
    Some(format!("{stem}.{ext}"))
}

/// Watches the corpus folder and reloads after changes, a burst of them at a time. Dropping
/// it stops watching.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
}

/// Whether a changed path can matter to the corpus: an article file, or a folder (a folder
/// renamed or removed takes its articles with it). Hidden files (editors' swap files) do not.
fn relevant(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    !hidden && (corpus::is_article_file(path) || path.extension().is_none())
}

/// Starts watching `library`'s folder; each burst of changes ends in one [`Library::reload`]
/// on a thread of its own, logged.
pub fn watch(library: Arc<Library>) -> Result<Watch> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let (tx, rx) = channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && !matches!(e.kind, EventKind::Access(_))
            && e.paths.iter().any(|p| relevant(p))
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| watch_error(library.dir(), e))?;
    watcher
        .watch(library.dir(), RecursiveMode::Recursive)
        .map_err(|e| watch_error(library.dir(), e))?;
    let dir = library.dir().to_path_buf();
    std::thread::Builder::new()
        .name("corpus-watch".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                let first = Instant::now();
                loop {
                    match rx.recv_timeout(QUIET) {
                        Ok(()) if first.elapsed() < MAX_WAIT => {}
                        Ok(()) | Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                // A panic (a bug) is logged and the watching goes on.
                match std::panic::catch_unwind(AssertUnwindSafe(|| library.reload())) {
                    Ok(Ok(r)) if r.unchanged() => log::debug!("corpus: {r}"),
                    Ok(Ok(r)) => log::info!("corpus reloaded: {r}"),
                    Ok(Err(e)) => {
                        log::error!("corpus reload failed, the previous articles stay: {e}");
                    }
                    Err(panic) => log::error!(
                        "corpus reload failed because of a bug ({}), the previous articles stay",
                        crate::error::panic_message(&*panic)
                    ),
                }
            }
        })
        .map_err(|e| Error::Io {
            path: dir,
            source: e,
        })?;
    Ok(Watch { _watcher: watcher })
}

fn watch_error(dir: &Path, e: notify::Error) -> Error {
    Error::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The bot's living corpus.
impl crate::intake::feeds::Sink for &Library {
    fn add(
        &mut self,
        page: &crate::web::Page,
        options: &AddOptions,
        fallback_date: Option<crate::date::Date>,
    ) -> std::result::Result<crate::intake::WebAdded, Refusal> {
        Library::add_page(self, page, options, fallback_date)
    }
}

/// Polls `feeds` for as long as it runs (the bot spawns it): each feed when its `every` has
/// passed since its last fetch (at once, at start, for a feed not fetched for that long).
pub async fn follow_feeds(library: Arc<Library>, feeds: Vec<crate::config::FeedConfig>) {
    if feeds.is_empty() {
        return;
    }
    log::info!("following {} feeds", feeds.len());
    loop {
        let now = crate::intake::feeds::now_secs();
        let state = crate::intake::feeds::State::load(library.dir());
        let due: Vec<crate::config::FeedConfig> = feeds
            .iter()
            .filter(|f| {
                state
                    .feeds
                    .get(&f.url)
                    .and_then(|s| s.last_fetch)
                    .is_none_or(|t| t + f.every.as_secs() <= now)
            })
            .cloned()
            .collect();
        if !due.is_empty() {
            let lib = Arc::clone(&library);
            // Adding (reading the page, reloading) is blocking work: a thread of its own, with
            // a runtime for the fetches.
            let joined = tokio::task::spawn_blocking(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let fetcher = lib.fetcher().map_err(std::io::Error::other)?.clone();
                let mut sink: &Library = &lib;
                Ok::<_, std::io::Error>(runtime.block_on(crate::intake::feeds::poll_all(
                    lib.dir(),
                    &due,
                    &fetcher,
                    &mut sink,
                )))
            })
            .await;
            match joined {
                Ok(Ok(rounds)) => {
                    for r in rounds {
                        if r.error.is_some() {
                            log::warn!("feed {r}; tried again next round");
                        } else if !r.added.is_empty() {
                            log::info!("feed {r}");
                        }
                    }
                }
                Ok(Err(e)) => log::error!("polling the feeds failed: {e}"),
                Err(e) => log::error!("polling the feeds failed because of a bug: {e}"),
            }
        }
        // The next feed due, checked at least every minute.
        let state = crate::intake::feeds::State::load(library.dir());
        let now = crate::intake::feeds::now_secs();
        let wait = feeds
            .iter()
            .map(|f| {
                let last = state
                    .feeds
                    .get(&f.url)
                    .and_then(|s| s.last_fetch)
                    .unwrap_or(0);
                (last + f.every.as_secs()).saturating_sub(now)
            })
            .min()
            .unwrap_or(60)
            .clamp(1, 60);
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/x.txt").as_deref(), Some("x.txt"));
        assert_eq!(safe_file_name("..\\..\\win\\y.MD").as_deref(), Some("y.md"));
        assert_eq!(safe_file_name(".hidden.txt").as_deref(), Some("hidden.txt"));
        assert_eq!(
            safe_file_name("Grain deal (final)!.txt").as_deref(),
            Some("Grain-deal-final.txt")
        );
        assert_eq!(
            safe_file_name("Новости.txt").as_deref(),
            Some("Новости.txt")
        );
        assert_eq!(safe_file_name("...txt").as_deref(), Some("upload.txt"));
        assert_eq!(safe_file_name("photo.jpg"), None);
        assert_eq!(safe_file_name("noextension"), None);
    }

    /// A reload that panicked (a bug) left its lock poisoned, and every later reload and
    /// upload then panicked on it: the folder was never read again.
    #[test]
    fn reloading_goes_on_after_a_reload_panicked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "date 2024-01-01 Tin output rose.").unwrap();
        let (library, _) = Library::open(dir.path(), SearchConfig::default()).unwrap();
        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _held = library.reloading.lock().unwrap();
                let _state = library.state.lock().unwrap();
                panic!("a reload that panicked");
            })
            .join()
        });
        assert!(poisoned.is_err() && library.reloading.is_poisoned());
        std::fs::write(
            dir.path().join("b.txt"),
            "date 2024-01-02 Zinc output fell.",
        )
        .unwrap();
        let report = library.reload().unwrap();
        assert_eq!(report.added, 1, "{report}");
        assert_eq!(library.reloads(), 1);
        let added = library
            .add_document("c.txt", b"date 2024-01-03 Lead output held.")
            .unwrap();
        assert_eq!(added.saved_as, "uploads/c.txt");
    }

    #[test]
    fn taken_names_get_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let a = crate::intake::write_new_atomic(dir.path(), "a.txt", b"1").unwrap();
        let b = crate::intake::write_new_atomic(dir.path(), "a.txt", b"2").unwrap();
        assert_eq!(a.file_name().unwrap(), "a.txt");
        assert_eq!(b.file_name().unwrap(), "a-2.txt");
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
    }

    #[test]
    fn fingerprints_ignore_white_space() {
        assert_eq!(text_fingerprint("a  b\n\nc "), text_fingerprint(" a b c"));
        assert_ne!(text_fingerprint("a b c"), text_fingerprint("a b d"));
    }
}
