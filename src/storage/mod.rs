//! What the bot remembers for the people who run it, in one SQLite file (`[storage] path`):
//! questions answered and not found, 👍/👎, the topics chats follow and the alerts already
//! sent. Only `quotebot telegram` and `quotebot report` open it.
//!
//! One thread owns the connection ([`Storage`]): the bot hands it work through a channel and
//! goes on answering — a record costs the handler a channel send. Work that arrives together
//! is written in one transaction, each piece in a savepoint of its own, so that one failing
//! write is logged and loses nothing else. A caller waiting for a result gets it only once the
//! transaction is committed (or an error when it was not). The SQL is in [`db`].

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

/// What a job leaves to do once its transaction has ended: hand its result over when it was
/// committed (`Ok`), or say why it was not.
type Deliver = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// A piece of work on the connection: whether it succeeded (a failure is rolled back to its
/// savepoint), and what to deliver after the commit.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Option<Deliver>) + Send>;

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

/// Opens (creating it, and its folder, when missing) the database at `path`, in WAL mode with
/// the schema up to date, and checks that it can be written.
fn connect(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            storage_error(
                path,
                format_args!("cannot create the folder {}: {e}", dir.display()),
            )
        })?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_CREATE;
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

/// Opens the database at `path` for reading only (`quotebot report`): nothing is created,
/// migrated or written, and a schema this build does not know is refused.
fn connect_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(storage_error(
            path,
            "no database yet (`quotebot telegram` creates it on its first run)",
        ));
    }
    let fail = |e: rusqlite::Error| storage_error(path, sqlite_message(&e, path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(fail)?;
    let known = db::schema_version();
    if version != known {
        let why = if version == 0 {
            "not a quotebot database (schema version 0)".to_string()
        } else if version > known {
            format!("made by a newer quotebot (schema version {version}; this one knows {known})")
        } else {
            format!(
                "schema version {version}, older than this quotebot's {known} (`quotebot telegram` upgrades it)"
            )
        };
        return Err(storage_error(path, why));
    }
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
    /// The work was done but its transaction could not be committed: nothing of it was kept.
    #[error("not saved: {0}")]
    NotCommitted(String),
}

/// A job running `work` whose result goes to `deliver` once the transaction has ended.
fn job<T: Send + 'static>(
    work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    deliver: impl FnOnce(std::result::Result<T, StorageError>) + Send + 'static,
) -> Job {
    Box::new(move |conn| {
        let result = work(conn);
        let ok = result.is_ok();
        let then: Deliver = Box::new(move |committed| {
            deliver(match (result, committed) {
                (Err(e), _) => Err(StorageError::from(e)),
                (Ok(v), Ok(())) => Ok(v),
                (Ok(_), Err(e)) => Err(StorageError::NotCommitted(e)),
            });
        });
        (ok, Some(then))
    })
}

impl Storage {
    /// Opens the database of `config` (created with its folder when missing), prunes what
    /// is older than `keep_days`, and starts its writer. A file that is not a database or
    /// cannot be written is an error naming it.
    pub fn open(config: &StorageConfig) -> Result<Storage> {
        let conn = connect(&config.path)?;
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
            Ok(()) => (true, None),
            Err(e) => {
                log::error!("{}: recording {what} failed: {e}", path.display());
                (false, None)
            }
        }));
        if !sent {
            log::warn!("{}: closed, {what} not recorded", self.path.display());
        }
    }

    /// Queues `work` on the database thread now, and returns what waits (asynchronously) for
    /// its result: delivered once its transaction is committed, or an error when it was not.
    pub fn call<T, F>(
        &self,
        work: F,
    ) -> impl Future<Output = std::result::Result<T, StorageError>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.send(job(work, move |r| {
            let _ = tx.send(r);
        }));
        async move {
            if !sent {
                return Err(StorageError::Closed);
            }
            rx.await.unwrap_or(Err(StorageError::Closed))
        }
    }

    /// [`Storage::call`] for threads outside the async runtime.
    pub fn call_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> std::result::Result<T, StorageError> {
        let (tx, rx) = mpsc::channel();
        let sent = self.send(job(work, move |r| {
            let _ = tx.send(r);
        }));
        if !sent {
            return Err(StorageError::Closed);
        }
        rx.recv().unwrap_or(Err(StorageError::Closed))
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

/// What the writer does next.
enum Next {
    /// A job to run.
    Job(Job),
    /// Time to delete old rows.
    Prune,
    /// Every sender is gone.
    Closed,
}

/// The next job, or [`Next::Prune`] once `prune_at` has come, or [`Next::Closed`]. While jobs
/// keep coming (one within [`BUSY`] of the last), the writer looks for them every [`GATHER`]
/// instead of sleeping on the channel: a record then costs its sender a push, never the
/// system call that wakes a sleeping thread (which measurably slowed answers paced at 500 a
/// second).
fn next_job(jobs: &Receiver<Job>, last_job: Instant, prune_at: Instant) -> Next {
    loop {
        let now = Instant::now();
        if now >= prune_at {
            return Next::Prune;
        }
        match jobs.try_recv() {
            Ok(job) => return Next::Job(job),
            Err(mpsc::TryRecvError::Disconnected) => return Next::Closed,
            Err(mpsc::TryRecvError::Empty) if last_job.elapsed() < BUSY => {
                std::thread::sleep(GATHER);
            }
            Err(mpsc::TryRecvError::Empty) => {
                return match jobs.recv_timeout(prune_at - now) {
                    Ok(job) => Next::Job(job),
                    Err(mpsc::RecvTimeoutError::Timeout) => Next::Prune,
                    Err(mpsc::RecvTimeoutError::Disconnected) => Next::Closed,
                };
            }
        }
    }
}

fn prune(conn: &Connection, path: &Path, keep_days: u32) {
    match db::prune(conn, now(), keep_days) {
        Ok(0) => {}
        Ok(n) => log::info!(
            "{}: deleted {n} rows older than {keep_days} days",
            path.display()
        ),
        Err(e) => log::error!("{}: deleting old rows failed: {e}", path.display()),
    }
}

/// The writer: old rows pruned at start and every hour (whether or not anything is written);
/// jobs as they come, those that arrive together in one transaction, each in a savepoint,
/// their results delivered once it is committed.
fn writer(conn: Connection, jobs: Receiver<Job>, path: &Path, keep_days: u32) {
    prune(&conn, path, keep_days);
    let mut prune_at = Instant::now() + PRUNE_EVERY;
    let mut last_job = Instant::now();
    loop {
        let first = match next_job(&jobs, last_job, prune_at) {
            Next::Job(job) => job,
            Next::Prune => {
                prune(&conn, path, keep_days);
                prune_at = Instant::now() + PRUNE_EVERY;
                continue;
            }
            Next::Closed => return,
        };
        last_job = Instant::now();
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN") {
            log::error!("{}: cannot start a transaction: {e}", path.display());
            // Each job alone, without one: what it wrote is kept as it goes.
            for job in batch {
                if let (_, Some(deliver)) = job(&conn) {
                    deliver(Ok(()));
                }
            }
            continue;
        }
        let mut deliveries = Vec::with_capacity(batch.len());
        for job in batch {
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                log::error!("{}: a write failed: {e}", path.display());
                deliveries.extend(job(&conn).1);
                continue;
            }
            // A job that failed leaves nothing behind; one that panicked (a bug) is logged,
            // and the writer goes on with the rest.
            let (ok, deliver) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&conn)))
                    .unwrap_or_else(|panic| {
                        log::error!(
                            "{}: a write panicked: {}",
                            path.display(),
                            crate::error::panic_message(&*panic)
                        );
                        (false, None)
                    });
            deliveries.extend(deliver);
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = conn.execute_batch(end) {
                log::error!("{}: a write failed: {e}", path.display());
            }
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            log::error!("{}: writing to the database failed: {e}", path.display());
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        });
        for deliver in deliveries {
            deliver(committed.clone());
        }
    }
}

/// The report for `quotebot report`: reads an existing database, read-only (never creates,
/// migrates or writes one).
pub fn report(config: &StorageConfig, days: u32) -> Result<db::Report> {
    let conn = connect_read_only(&config.path)?;
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

    #[cfg(unix)]
    #[test]
    fn the_report_reads_a_read_only_copy_and_writes_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let storage = Storage::open(&config).unwrap();
        storage.record("a question", |c| {
            db::record_not_found(c, now(), "private", "price of tin")
        });
        storage.close();
        drop(storage);
        let copy = StorageConfig {
            path: tmp.path().join("copy.sqlite"),
            keep_days: 90,
        };
        std::fs::copy(&config.path, &copy.path).unwrap();
        // No salt in it: the report must not make one.
        let c = Connection::open(&copy.path).unwrap();
        c.execute("DELETE FROM meta", []).unwrap();
        drop(c);
        std::fs::set_permissions(&copy.path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let before = std::fs::read(&copy.path).unwrap();
        let r = report(&copy, 30).unwrap();
        assert_eq!(r.not_found, 1);
        assert_eq!(
            std::fs::read(&copy.path).unwrap(),
            before,
            "not a byte written"
        );
        let c = Connection::open_with_flags(&copy.path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let salts: i64 = c
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(salts, 0);
    }

    #[test]
    fn the_report_refuses_a_schema_it_does_not_know() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        std::fs::create_dir_all(config.path.parent().unwrap()).unwrap();
        let c = Connection::open(&config.path).unwrap();
        c.execute_batch("CREATE TABLE other (x)").unwrap();
        let err = report(&config, 30).unwrap_err().to_string();
        assert!(err.contains("not a quotebot database"), "{err}");
        c.pragma_update(None, "user_version", db::schema_version() + 1)
            .unwrap();
        let err = report(&config, 30).unwrap_err().to_string();
        assert!(err.contains("newer quotebot"), "{err}");
        // Neither migrated nor given a salt.
        let tables: i64 = c
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    /// A result is delivered once its transaction is committed: when the commit fails, the
    /// caller hears that nothing was saved, never that it was. (Here a later job in the same
    /// transaction ends it, so that the writer's COMMIT fails.)
    #[test]
    fn a_result_waits_for_the_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = Storage::open(&config(tmp.path())).unwrap();
        let (started, wait_started) = mpsc::channel();
        let (go, wait_go) = mpsc::channel::<()>();
        // Keeps the writer busy while the next two are queued, so that they share a batch.
        storage.record("a pause", move |_| {
            started.send(()).unwrap();
            wait_go.recv().unwrap();
            Ok(())
        });
        wait_started.recv().unwrap();
        let follow = storage.call(|c| db::follow(c, 1, 5, "tin"));
        storage.record("the end of the transaction", |c| {
            c.execute_batch("RELEASE job; ROLLBACK")
        });
        go.send(()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let result = rt.block_on(follow);
        assert!(
            matches!(result, Err(StorageError::NotCommitted(_))),
            "{result:?}"
        );
        let topics = storage.call_blocking(|c| db::following(c, 5)).unwrap();
        assert!(topics.is_empty(), "{topics:?}");
        // And a commit that succeeds delivers.
        let followed = storage.call_blocking(|c| db::follow(c, 1, 5, "tin"));
        assert_eq!(followed.unwrap(), db::Followed::Added(1));
    }

    #[test]
    fn old_rows_are_pruned_at_start_without_waiting_for_a_write() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        Storage::open(&config).unwrap().close();
        let c = Connection::open(&config.path).unwrap();
        db::record_not_found(&c, now() - 100 * 86_400, "private", "old question").unwrap();
        let storage = Storage::open(&config).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left: i64 = c
                .query_row("SELECT count(*) FROM unanswered", [], |r| r.get(0))
                .unwrap();
            if left == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "never pruned");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(storage);
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
