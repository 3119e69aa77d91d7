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
//!
//! The rooms: this file (the library and its reloads), `watch.rs` (the folder watched, changes
//! gathered into bursts), `uploads.rs` (documents sent by admins), `feeds.rs` (the configured
//! feeds followed while the bot runs), `stored.rs` (the index file that spares a start-up
//! the analysis of every article).

use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use crate::config::SearchConfig;
use crate::corpus::{self, Article, Problem, ReloadReport};
use crate::engine::Engine;
use crate::error::Result;
use crate::intake::relative;
pub use crate::intake::{AddOptions, Added, Refusal, add_file};
use crate::search::Index;

/// What a file was when it was last read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// The folder's article files, each with its stamp (none for one gone meanwhile).
fn scan(dir: &Path) -> Result<Vec<(PathBuf, Option<Stamp>)>> {
    corpus::list_files_with(dir, |path, entry| {
        // The entry's metadata is the link's own: a linked file is stamped as its target.
        let meta = if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            std::fs::metadata(path)
        } else {
            entry.metadata()
        };
        meta.ok().map(|meta| Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    })
}

/// What the living corpus knows of the folder's files.
///
/// Files are keyed by their paths' bytes: a `PathBuf` key hashes and compares its path
/// component by component, which at 400,000 files was most of the catching up at a start.
#[derive(Default)]
struct State {
    /// The files the index holds, as they were read.
    files: FxHashMap<OsString, Stamp>,
    /// Files that could not be used, as they were when tried (not tried again until changed).
    bad: FxHashMap<OsString, Stamp>,
    /// What was wrong with each file when it was last read (for the index file, which tells
    /// them again at the next start).
    problems: FxHashMap<OsString, Vec<String>>,
    last_reload: Option<SystemTime>,
    reloads: u64,
}

/// An index and the state it was made from, [`stored::encode`]d, to be written together.
struct Snapshot {
    index: Arc<Index>,
    files: Option<Vec<u8>>,
}

/// The index file's writer: the snapshot waiting to be written, and whether a thread is
/// writing.
#[derive(Default)]
struct Writer {
    pending: Mutex<Option<Snapshot>>,
    running: std::sync::atomic::AtomicBool,
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
    /// Writes the index file after reloads, in the background.
    writer: Arc<Writer>,
    /// How links are fetched (`[web]`); private addresses refused until configured.
    fetcher: std::sync::OnceLock<crate::web::Fetcher>,
}

impl Library {
    /// Loads the corpus folder `dir`: from its index file ([`INDEX_FILE`]) when there is a
    /// usable one, brought up to date with what changed in the folder since; otherwise from
    /// the articles, writing the index file for the next start. Returns the problems of the
    /// folder's files (those found when the index file was written, for the files unchanged
    /// since).
    pub fn open(dir: &Path, config: SearchConfig) -> Result<(Library, Vec<String>)> {
        Library::open_with_progress(dir, config, &|_| {})
    }

    /// [`Library::open`], telling `progress` how far reading the articles has got.
    pub fn open_with_progress(
        dir: &Path,
        config: SearchConfig,
        progress: &(dyn Fn(corpus::Progress) + Sync),
    ) -> Result<(Library, Vec<String>)> {
        let start = SystemTime::now();
        let began = Instant::now();
        // The folder is scanned while the index file is read.
        let (stored, scanned) = if dir.join(INDEX_FILE).exists() {
            std::thread::scope(|s| {
                let scanning = s.spawn(|| scan(dir));
                let stored = stored::load(dir);
                (
                    stored,
                    Some(scanning.join().expect("scanning does not panic")),
                )
            })
        } else {
            (None, None)
        };
        stored::remove_leftovers(dir);
        if let (Some((index, state)), Some(scanned)) = (stored, scanned) {
            let library = Library::new(dir, Engine::new(index, config), state);
            // Brings it up to date with the folder, as a reload after a change does.
            let (report, snapshot) = library.reload_scanned(scanned?, began)?;
            let problems = {
                let mut state = library.state();
                state.reloads = 0;
                state.last_reload = Some(start);
                let mut problems: Vec<(&Path, &String)> = state
                    .problems
                    .iter()
                    .flat_map(|(path, ps)| ps.iter().map(move |p| (Path::new(path), p)))
                    .collect();
                problems.sort();
                problems.into_iter().map(|(_, p)| p.clone()).collect()
            };
            if let Some(Snapshot { index, files }) = snapshot {
                log::info!("{} was behind the folder: {report}", INDEX_FILE);
                stored::save(dir, &index, files);
            }
            return Ok((library, problems));
        }
        // Stamped before they are read: a file changed while the corpus loads then differs
        // from its stamp, and the next reload (or start) reads it again. One gone between the
        // listing and its stamp gets a stamp no file has, so that it is read again (or
        // dropped) too.
        let scanned = scan(dir)?;
        let never = Stamp {
            len: u64::MAX,
            modified: None,
        };
        let files: Vec<PathBuf> = scanned.iter().map(|(p, _)| p.clone()).collect();
        let stamps: FxHashMap<PathBuf, Stamp> = scanned
            .into_iter()
            .map(|(p, s)| (p, s.unwrap_or(never)))
            .collect();
        let corpus = corpus::load_files(&files, progress);
        progress(corpus::Progress::Indexing);
        let mut state = State::default();
        let stamp_of = |p: &Path| stamps.get(p).copied().unwrap_or(never);
        for a in &corpus.articles {
            state
                .files
                .insert(a.path.clone().into_os_string(), stamp_of(&a.path));
        }
        for p in &corpus.problems {
            if p.is_error() {
                state
                    .bad
                    .insert(p.path().as_os_str().to_owned(), stamp_of(p.path()));
            }
            state
                .problems
                .entry(p.path().as_os_str().to_owned())
                .or_default()
                .push(p.to_string());
        }
        state.last_reload = Some(start);
        let engine = Engine::new(Index::build(corpus.articles), config);
        let library = Library::new(dir, engine, state);
        let Snapshot { index, files } = library.snapshot();
        stored::save(dir, &index, files);
        Ok((
            library,
            corpus.problems.iter().map(ToString::to_string).collect(),
        ))
    }

    fn new(dir: &Path, engine: Engine, state: State) -> Library {
        Library {
            dir: dir.to_path_buf(),
            engine: Arc::new(engine),
            state: Mutex::new(state),
            reloading: Mutex::new(()),
            adding: Mutex::new(()),
            changes: tokio::sync::watch::Sender::new(0),
            fetcher: std::sync::OnceLock::new(),
            writer: Arc::default(),
        }
    }

    /// The index and the state it was made from, for the index file. Taken while reloads
    /// are held off (by the reload itself, or before the library is shared), so that the two
    /// agree.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            index: self.engine.index(),
            files: stored::encode(&self.state(), &self.dir),
        }
    }

    /// Writes the index file on a thread of its own (a reload need not wait for it). One
    /// thread writes, one file at a time; a snapshot waiting for it is replaced by a newer one,
    /// so a burst of reloads holds at most one old index besides the one being written.
    fn save_in_background(&self, snapshot: Snapshot) {
        use std::sync::atomic::Ordering;
        let writer = &self.writer;
        *writer
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
        if writer.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let writer = Arc::clone(writer);
        let dir = self.dir.clone();
        let spawned = std::thread::Builder::new()
            .name("index-file".into())
            .spawn(move || {
                loop {
                    let next = writer
                        .pending
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take();
                    if let Some(Snapshot { index, files }) = next {
                        // A bug while writing must not stop every later write.
                        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            stored::save(&dir, &index, files);
                        }));
                        if let Err(panic) = saved {
                            log::error!(
                                "{INDEX_FILE}: not written because of a bug ({})",
                                crate::error::panic_message(&*panic)
                            );
                        }
                        continue;
                    }
                    writer.running.store(false, Ordering::Release);
                    // One may have been left between the look and the store: this thread
                    // writes it, unless a new thread was started for it.
                    let waiting = writer
                        .pending
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .is_some();
                    if !waiting || writer.running.swap(true, Ordering::AcqRel) {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            self.writer.running.store(false, Ordering::Release);
            log::info!("{INDEX_FILE}: not written ({e})");
        }
    }

    /// Waits, at most `limit`, until the index file written after the last reload is
    /// complete (a process that ends while writing leaves a temporary file instead). Returns
    /// whether it is.
    pub fn finish_writing(&self, limit: std::time::Duration) -> bool {
        let start = Instant::now();
        let busy = || {
            self.writer
                .running
                .load(std::sync::atomic::Ordering::Acquire)
                || self
                    .writer
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_some()
        };
        while busy() {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        true
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

    /// Reads what changed in the folder and swaps the new index in, then writes the index
    /// file (in the background). Fails only when the folder cannot be listed; the previous
    /// index then stays.
    pub fn reload(&self) -> Result<ReloadReport> {
        // A panic while reloading (a bug) must not stop every later reload: the lock is taken back
        // from a poisoned mutex, and the state it guards is file stamps, at worst read again.
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        let (report, snapshot) = self.reload_scanned(scan(&self.dir)?, start)?;
        if let Some(snapshot) = snapshot {
            self.save_in_background(snapshot);
        }
        Ok(report)
    }

    /// [`Library::reload`] with the folder already scanned, reloads held off by the caller;
    /// when something changed, also the [`Snapshot`] to write.
    fn reload_scanned(
        &self,
        files: Vec<(PathBuf, Option<Stamp>)>,
        start: Instant,
    ) -> Result<(ReloadReport, Option<Snapshot>)> {
        let mut report = ReloadReport::default();
        let forgotten;
        let (to_read, removed): (Vec<(PathBuf, Stamp)>, Vec<PathBuf>) = {
            let mut state = self.state();
            let mut to_read = Vec::new();
            // How many of the index's files are still there: when all are, none was removed,
            // and the set of the folder's paths (400,000 at 10M sentences) is not needed for
            // the files; only for the few broken ones and those with problems.
            let mut still_there = 0;
            for (path, now) in &files {
                let known = state.files.get(path.as_os_str()).copied();
                still_there += usize::from(known.is_some());
                let Some(now) = *now else { continue };
                let bad = state.bad.get(path.as_os_str()).copied();
                if known != Some(now) && bad != Some(now) {
                    to_read.push((path.clone(), now));
                }
            }
            let none_gone = still_there == state.files.len();
            let present: FxHashSet<&OsStr> =
                if none_gone && state.bad.is_empty() && state.problems.is_empty() {
                    FxHashSet::default()
                } else {
                    files.iter().map(|(p, _)| p.as_os_str()).collect()
                };
            let removed = if none_gone {
                Vec::new()
            } else {
                state
                    .files
                    .keys()
                    .filter(|p| !present.contains(p.as_os_str()))
                    .map(PathBuf::from)
                    .collect()
            };
            // A broken file deleted is forgotten, its problems with it.
            let bad = state.bad.len();
            state.bad.retain(|p, _| present.contains(p.as_os_str()));
            state
                .problems
                .retain(|p, _| present.contains(p.as_os_str()));
            forgotten = bad - state.bad.len();
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
                let was_known = state.files.contains_key(path.as_os_str());
                match result {
                    Ok((article, warnings)) => {
                        let warnings: Vec<String> =
                            warnings.iter().map(ToString::to_string).collect();
                        report.problems.extend(warnings.iter().cloned());
                        if warnings.is_empty() {
                            state.problems.remove(path.as_os_str());
                        } else {
                            state
                                .problems
                                .insert(path.clone().into_os_string(), warnings);
                        }
                        if was_known {
                            report.changed += 1;
                            gone.insert(path.clone());
                        } else {
                            report.added += 1;
                        }
                        state.bad.remove(path.as_os_str());
                        state.files.insert(path.clone().into_os_string(), now);
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
                        state
                            .problems
                            .insert(path.clone().into_os_string(), vec![problem.to_string()]);
                        state.bad.insert(path.into_os_string(), now);
                    }
                }
            }
            for p in &removed {
                let p = p.as_os_str();
                state.files.remove(p);
                state.bad.remove(p);
                state.problems.remove(p);
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
            // Rebuilding keeps the words of removed articles (with no sentences); once they are
            // a tenth of the vocabulary, a full build drops them.
            report.full = old.articles().is_empty()
                || added_bytes * 3 > old_bytes
                || old.unused_terms() * 10 > old.term_count();
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
        // Also when only broken files came or went: the file then remembers them as they are.
        let snapshot = (!report.unchanged() || !report.problems.is_empty() || forgotten > 0)
            .then(|| self.snapshot());
        Ok((report, snapshot))
    }

    /// The article whose text is `text` (white space aside), if any.
    #[must_use]
    pub fn duplicate_of(&self, text: &str) -> Option<PathBuf> {
        let index = self.engine.index();
        // `has_text` compares the articles' fingerprints first, reading a text only when it
        // matches.
        index
            .articles()
            .iter()
            .find(|a| a.has_text(text))
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
}

mod feeds;
mod stored;
mod uploads;
mod watch;

pub use feeds::follow_feeds;
pub use stored::INDEX_FILE;
pub use uploads::{MAX_UPLOAD_BYTES, UPLOADS, check_upload, safe_file_name};
pub use watch::{MAX_WAIT, QUIET, Watch, watch};

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
}
