//! What the bot remembers for the people who run it, in one SQLite file (`[storage] path`):
//! questions answered and not found, 👍/👎, the topics chats follow and the alerts already
//! sent. Only `quotebot telegram` and `quotebot report` open it.
//!
//! One thread owns the connection ([`Storage`]): the bot hands it work through a channel and
//! goes on answering — a record costs the handler a channel send. Work that arrives together
//! is written in one transaction, each piece in a savepoint of its own, so that one failing
//! write is logged and loses nothing else. The SQL is in [`db`].

pub mod db;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};

use crate::config::StorageConfig;
use crate::error::{Error, Result};

/// Writes in one transaction at most.
const BATCH: usize = 256;

/// While busy, the writer looks for new jobs this often…
const GATHER: Duration = Duration::from_millis(5);
/// …until none came for this long; then it sleeps until one does.
const BUSY: Duration = Duration::from_secs(2);

/// How often old rows are pruned while the bot runs (and once at start).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

type Job = Box<dyn FnOnce(&Connection) -> bool + Send>;

/// Now, in Unix milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Now, in Unix seconds.
#[must_use]
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn storage_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Storage {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Opens (creating it, and its folder, when `create`) the database at `path`, in WAL mode with
/// the schema up to date, and checks that it can be written.
fn connect(path: &Path, create: bool) -> Result<Connection> {
    if create && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            storage_error(
                path,
                format_args!("cannot create the folder {}: {e}", dir.display()),
            )
        })?;
    }
    if !create && !path.exists() {
        return Err(storage_error(
            path,
            "no database yet (`quotebot telegram` creates it on its first run)",
        ));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let fail = |e: rusqlite::Error| storage_error(path, sqlite_message(&e, path));
    let mut conn = Connection::open_with_flags(path, flags).map_err(fail)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
    // Reading the schema is the first read of the file: a file that is not a database fails
    // here, as does a folder that does not let SQLite make its journal.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("{}: journal mode is {mode}, not WAL", path.display());
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(fail)?;
    db::migrate(&mut conn).map_err(|e| storage_error(path, e))?;
    // A write, so that a database that cannot be written fails now rather than at the first
    // vote.
    db::salt(&conn).map_err(fail)?;
    Ok(conn)
}

/// SQLite's message (without the path, which the error names already), with what to do
/// about the usual ones.
fn sqlite_message(e: &rusqlite::Error, path: &Path) -> String {
    let text = e.to_string();
    let text = text
        .strip_suffix(&format!(": {}", path.display()))
        .unwrap_or(&text)
        .to_string();
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            format!("{text} (move the file away and the bot starts a new one)")
        }
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
            format!("{text} (the file and its folder must be writable)")
        }
        _ => text,
    }
}

/// The database, written from a thread of its own.
pub struct Storage {
    path: PathBuf,
    salt: Vec<u8>,
    jobs: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("path", &self.path).finish()
    }
}

/// A database call that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite said no.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The storage was closed (the bot is stopping).
    #[error("the database is closed")]
    Closed,
}

impl Storage {
    /// Opens the database of `config` (created with its folder when missing), prunes what
    /// is older than `keep_days`, and starts its writer. A file that is not a database or
    /// cannot be written is an error naming it.
    pub fn open(config: &StorageConfig) -> Result<Storage> {
        let conn = connect(&config.path, true)?;
        let salt = db::salt(&conn).map_err(|e| storage_error(&config.path, e))?;
        let (tx, rx) = mpsc::channel();
        let path = config.path.clone();
        let keep_days = config.keep_days;
        let thread = std::thread::Builder::new()
            .name("storage".into())
            .spawn(move || writer(conn, rx, &path, keep_days))
            .map_err(|e| storage_error(&config.path, e))?;
        Ok(Storage {
            path: config.path.clone(),
            salt,
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `user` as a voter: a salted hash (HMAC-SHA-256, 16 bytes), never the id.
    #[must_use]
    pub fn voter(&self, user: u64) -> Vec<u8> {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.salt);
        let tag = ring::hmac::sign(&key, &user.to_le_bytes());
        tag.as_ref()[..16].to_vec()
    }

    fn send(&self, job: Job) -> bool {
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok())
    }

    /// Queues a write and returns at once; a failure is logged (`what` says what was being
    /// written), and the bot goes on.
    pub fn record(
        &self,
        what: &'static str,
        write: impl FnOnce(&Connection) -> rusqlite::Result<()> + Send + 'static,
    ) {
        let path = self.path.clone();
        let sent = self.send(Box::new(move |conn| match write(conn) {
            Ok(()) => true,
            Err(e) => {
                log::error!("{}: recording {what} failed: {e}", path.display());
                false
            }
        }));
        if !sent {
            log::warn!("{}: closed, {what} not recorded", self.path.display());
        }
    }

    /// Runs `work` on the database thread and waits (asynchronously) for its result.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> std::result::Result<T, StorageError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.send(Box::new(move |conn| {
            let result = work(conn);
            let ok = result.is_ok();
            let _ = tx.send(result);
            ok
        }));
        if !sent {
            return Err(StorageError::Closed);
        }
        match rx.await {
            Ok(r) => r.map_err(StorageError::from),
            Err(_) => Err(StorageError::Closed),
        }
    }

    /// [`Storage::call`] for threads outside the async runtime.
    pub fn call_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> std::result::Result<T, StorageError> {
        let (tx, rx) = mpsc::channel();
        let sent = self.send(Box::new(move |conn| {
            let result = work(conn);
            let ok = result.is_ok();
            let _ = tx.send(result);
            ok
        }));
        if !sent {
            return Err(StorageError::Closed);
        }
        rx.recv()
            .map_err(|_| StorageError::Closed)?
            .map_err(StorageError::from)
    }

    /// Writes what is queued and stops the writer; later records are dropped with a warning.
    pub fn close(&self) {
        drop(
            self.jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = thread
            && t.join().is_err()
        {
            log::error!("{}: the database writer panicked", self.path.display());
        }
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.close();
    }
}

/// The next job, or `None` once every sender is gone. While jobs keep coming (one within
/// [`BUSY`] of the last), the writer looks for them every [`GATHER`] instead of sleeping on the
/// channel: a record then costs its sender a push, never the system call that wakes a
/// sleeping thread (which measurably slowed answers paced at 500 a second).
fn next_job(jobs: &Receiver<Job>, last_job: Instant) -> Option<Job> {
    loop {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if last_job.elapsed() < BUSY => {
                std::thread::sleep(GATHER);
            }
            Err(mpsc::TryRecvError::Empty) => return jobs.recv().ok(),
        }
    }
}

/// The writer: jobs as they come, those that arrive together in one transaction, each in a
/// savepoint; old rows pruned every hour.
fn writer(conn: Connection, jobs: Receiver<Job>, path: &Path, keep_days: u32) {
    let mut last_prune: Option<Instant> = None;
    let mut last_job = Instant::now();
    while let Some(first) = next_job(&jobs, last_job) {
        last_job = Instant::now();
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            match db::prune(&conn, now(), keep_days) {
                Ok(0) => {}
                Ok(n) => log::info!(
                    "{}: deleted {n} rows older than {keep_days} days",
                    path.display()
                ),
                Err(e) => log::error!("{}: deleting old rows failed: {e}", path.display()),
            }
        }
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN") {
            log::error!("{}: cannot start a transaction: {e}", path.display());
            // Each job alone, without one.
            for job in batch {
                job(&conn);
            }
            continue;
        }
        for job in batch {
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                log::error!("{}: a write failed: {e}", path.display());
                job(&conn);
                continue;
            }
            // A job that failed leaves nothing behind; one that panicked (a bug) is logged,
            // and the writer goes on with the rest.
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&conn)))
                .unwrap_or_else(|panic| {
                    log::error!(
                        "{}: a write panicked: {}",
                        path.display(),
                        crate::error::panic_message(&*panic)
                    );
                    false
                });
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = conn.execute_batch(end) {
                log::error!("{}: a write failed: {e}", path.display());
            }
        }
        if let Err(e) = conn.execute_batch("COMMIT") {
            log::error!("{}: writing to the database failed: {e}", path.display());
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

/// The report for `quotebot report`: reads an existing database (never creates one).
pub fn report(config: &StorageConfig, days: u32) -> Result<db::Report> {
    let conn = connect(&config.path, false)?;
    db::report(&conn, now(), days).map_err(|e| storage_error(&config.path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> StorageConfig {
        StorageConfig {
            path: dir.join("data/q.sqlite"),
            keep_days: 90,
        }
    }

    #[test]
    fn opens_creates_the_folder_and_keeps_writes_across_a_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let storage = Storage::open(&config).unwrap();
        let voter = storage.voter(42);
        assert_eq!(voter.len(), 16);
        assert_ne!(voter, storage.voter(43));
        storage.record("a question", |c| {
            db::record_not_found(c, now(), "private", "capital of France?")
        });
        storage.close();
        let again = Storage::open(&config).unwrap();
        assert_eq!(again.voter(42), voter, "the salt is kept");
        let r = report(&config, 30).unwrap();
        assert_eq!(r.not_found, 1);
        assert_eq!(r.unanswered[0].question, "capital of france");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        std::fs::create_dir_all(config.path.parent().unwrap()).unwrap();
        std::fs::write(&config.path, vec![0x5a; 8192]).unwrap();
        let err = Storage::open(&config).unwrap_err().to_string();
        assert!(err.starts_with(&config.path.display().to_string()), "{err}");
        assert!(err.contains("not a database"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn the_report_never_creates_a_database() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let err = report(&config, 30).unwrap_err().to_string();
        assert!(err.contains("no database yet"), "{err}");
        assert!(!tmp.path().join("data").exists());
    }

    #[test]
    fn a_write_that_panics_loses_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = Storage::open(&config(tmp.path())).unwrap();
        storage.record("a question", |c| {
            db::record_not_found(c, now(), "group", "q1")
        });
        storage.record("a bug", |c| {
            db::record_not_found(c, now(), "group", "q2")?;
            panic!("a bug in a write")
        });
        storage.record("a question", |c| {
            db::record_not_found(c, now(), "group", "q3")
        });
        let list = storage
            .call_blocking(|c| db::unanswered(c, now(), 1, 10))
            .unwrap();
        let questions: Vec<&str> = list.iter().map(|u| u.question.as_str()).collect();
        assert_eq!(questions.len(), 2, "{questions:?}");
        assert!(
            questions.contains(&"q1") && questions.contains(&"q3"),
            "{questions:?}"
        );
    }

    #[test]
    fn a_failing_write_is_logged_and_the_next_ones_go_on() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = Storage::open(&config(tmp.path())).unwrap();
        storage.record("nonsense", |c| {
            c.execute("INSERT INTO nowhere VALUES (1)", []).map(drop)
        });
        storage.record("a question", |c| {
            db::record_not_found(c, now(), "group", "q1")
        });
        let (answered, not_found) = storage
            .call_blocking(|c| db::counts(c, now(), 3600))
            .unwrap();
        assert_eq!((answered, not_found), (0, 1));
        storage.close();
        assert!(matches!(
            storage.call_blocking(|_| Ok(())),
            Err(StorageError::Closed)
        ));
    }
}
