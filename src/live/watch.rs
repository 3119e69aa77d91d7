//! Watching the corpus folder: changes gathered into bursts, each one reload.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use super::Library;
use crate::corpus;
use crate::error::{Error, Result};
use std::panic::AssertUnwindSafe;

/// A watcher waits this long without events before it reloads (a burst of files is one
/// reload)…
pub const QUIET: Duration = Duration::from_millis(300);
/// …but never longer than this after the first event.
pub const MAX_WAIT: Duration = Duration::from_secs(3);

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
