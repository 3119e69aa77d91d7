//! The index file in the corpus folder ([`INDEX_FILE`]): written after a build or a reload,
//! read at the next start instead of analysing every article again.
//!
//! Beside the index it keeps what the library knew of each file when the index was made (its
//! size and modification time, whether it was used or skipped, and its problems), so that a
//! start compares the folder with it and reads only what changed since, as a reload does. A
//! file that cannot be used as an index (truncated, damaged, from another version) is
//! rebuilt, with a log line saying why. A folder that cannot be written (read-only) keeps the
//! index in memory, as before there was a file.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Stamp, State};
use crate::corpus;
use crate::search::Index;
use crate::search::index::Damage;

/// The index file's name in the corpus folder. Hidden: the corpus loader and the folder
/// watcher pass hidden files by, so writing it never starts a reload.
pub const INDEX_FILE: &str = ".quotebot-index";

const TMP_SUFFIX: &str = ".tmp";

/// Removes temporary index files left by a process that stopped while writing one (killed,
/// or the machine stopped): hidden, they would otherwise stay unseen, and one can be as large
/// as the text. One still changing (written now by another process) is left alone.
pub(super) fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{INDEX_FILE}.");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(600));
        if name.starts_with(&prefix) && name.ends_with(TMP_SUFFIX) && stale {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => log::info!("removed {name}, left by an interrupted write"),
                Err(e) => log::debug!("{name}: {e}"),
            }
        }
    }
}

/// What the file holds for one corpus file.
struct Entry {
    stamp: Stamp,
    used: bool,
    problems: Vec<String>,
}

/// The state's files as bytes, for [`save`]: per file its path (relative to `dir`), stamp,
/// whether it was used, and its problems. `None` when a path is not in `dir`.
pub(super) fn encode(state: &State, dir: &Path) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let files = state.files.iter().map(|(p, s)| (p, s, true));
    let bad = state.bad.iter().map(|(p, s)| (p, s, false));
    let all: Vec<_> = files.chain(bad).collect();
    put_u64(&mut out, all.len() as u64);
    for (path, stamp, used) in all {
        let relative = corpus::path_bytes(Path::new(path).strip_prefix(dir).ok()?)?;
        put_blob(&mut out, relative);
        put_u64(&mut out, stamp.len);
        match stamp
            .modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        {
            None => out.push(0),
            Some(d) => {
                out.push(1);
                put_u64(&mut out, d.as_secs());
                out.extend_from_slice(&d.subsec_nanos().to_le_bytes());
            }
        }
        out.push(u8::from(used));
        let problems = state.problems.get(path).map_or(&[][..], Vec::as_slice);
        put_u64(&mut out, problems.len() as u64);
        for p in problems {
            put_blob(&mut out, p.as_bytes());
        }
    }
    Some(out)
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Reads what [`encode`] wrote; `None` if it does not read.
fn decode(mut bytes: &[u8], dir: &Path) -> Option<Vec<(PathBuf, Entry)>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = bytes.split_at_checked(n)?;
        *bytes = rest;
        Some(head)
    }
    fn u64_of(bytes: &mut &[u8]) -> Option<u64> {
        Some(u64::from_le_bytes(take(bytes, 8)?.try_into().ok()?))
    }
    fn blob<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
        let n = usize::try_from(u64_of(bytes)?).ok()?;
        take(bytes, n)
    }
    fn text<'a>(bytes: &mut &'a [u8]) -> Option<&'a str> {
        std::str::from_utf8(blob(bytes)?).ok()
    }
    let n = u64_of(&mut bytes)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let path = corpus::joined(dir, &corpus::path_from_bytes(blob(&mut bytes)?.to_vec())?);
        let len = u64_of(&mut bytes)?;
        let modified = match take(&mut bytes, 1)?[0] {
            0 => None,
            1 => {
                let secs = u64_of(&mut bytes)?;
                let nanos = u32::from_le_bytes(take(&mut bytes, 4)?.try_into().ok()?);
                let since = Duration::new(secs, nanos.min(999_999_999));
                Some(SystemTime::UNIX_EPOCH.checked_add(since)?)
            }
            _ => return None,
        };
        let used = take(&mut bytes, 1)?[0] == 1;
        let count = u64_of(&mut bytes)?;
        let mut problems = Vec::new();
        for _ in 0..count {
            problems.push(text(&mut bytes)?.to_string());
        }
        out.push((
            path,
            Entry {
                stamp: Stamp { len, modified },
                used,
                problems,
            },
        ));
    }
    bytes.is_empty().then_some(out)
}

/// The index in `dir`'s index file with the state it was made from, or `None` (logged, with
/// the reason, unless there is no file) when there is none to use.
pub(super) fn load(dir: &Path) -> Option<(Index, State)> {
    let path = dir.join(INDEX_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            log::warn!("{}: {e}; building the index again", path.display());
            return None;
        }
    };
    let start = std::time::Instant::now();
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let texts = crate::corpus::text::TextFile::open(file, path.clone());
    let read = Index::read_from(dir, &texts, len).and_then(|(index, extra)| {
        decode(&extra, dir)
            .map(|entries| (index, entries))
            .ok_or(Damage::Inconsistent("file stamps"))
    });
    let (index, entries) = match read {
        Ok(read) => read,
        Err(e) => {
            log::warn!("{}: {e}; building the index again", path.display());
            return None;
        }
    };
    let mut state = State::default();
    for (path, e) in entries {
        if !e.problems.is_empty() {
            state
                .problems
                .insert(path.clone().into_os_string(), e.problems);
        }
        if e.used {
            state.files.insert(path.into_os_string(), e.stamp);
        } else {
            state.bad.insert(path.into_os_string(), e.stamp);
        }
    }
    // Every article of the index must be one of the files it records, and the other way
    // round (paths are distinct: the reader checked the order), or a file could be neither
    // read again nor removed.
    if state.files.len() != index.articles().len()
        || index
            .articles()
            .iter()
            .any(|a| !state.files.contains_key(a.path.as_os_str()))
    {
        log::warn!(
            "{}: its articles and its file list differ; building the index again",
            path.display()
        );
        return None;
    }
    log::debug!(
        "{}: read {} articles, {} sentences in {:?}",
        path.display(),
        index.articles().len(),
        index.sentence_count(),
        start.elapsed()
    );
    Some((index, state))
}

/// Writes `index` and the state [`encode`]d in `files` to `dir`'s index file: a temporary
/// hidden file first, renamed over the old one when complete, so that a reader never sees
/// half a file (and a crash at any point leaves either file whole, or one its checksum
/// refuses). Failing to write (a read-only folder, a full disk) is logged and leaves the
/// index in memory only.
pub(super) fn save(dir: &Path, index: &Arc<Index>, files: Option<Vec<u8>>) {
    let path = dir.join(INDEX_FILE);
    let Some(extra) = files else {
        log::info!(
            "{}: not written (a file outside the folder); the index stays in memory",
            path.display()
        );
        return;
    };
    if index.holds_discarded() {
        log::info!(
            "{}: not written (the index read from it was damaged); the next start builds it from the articles",
            path.display()
        );
        return;
    }
    let start = std::time::Instant::now();
    let written = (|| {
        // A random name: two processes (or two containers, both pid 1) never share one. It is
        // removed if anything fails.
        let prefix = format!("{INDEX_FILE}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(TMP_SUFFIX);
        // Readable as a file made the usual way (the umask applies): another user's
        // `quotebot ask` over the same folder can read what the bot wrote.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir)?;
        let mut w = BufWriter::with_capacity(1 << 20, tmp);
        index.write_to(dir, &extra, &mut w)?;
        let tmp = w
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        tmp.persist(&path).map(drop).map_err(|e| e.error)
    })();
    match written {
        Ok(()) => log::debug!("{}: written in {:?}", path.display(), start.elapsed()),
        Err(e) => {
            log::info!(
                "{}: not written ({e}); the index stays in memory and is built again at the next start",
                path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index read from a file that turned out damaged (behind a matching checksum) removes
    /// the file and is not written again: the next start builds from the articles.
    #[test]
    fn an_index_from_a_damaged_file_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        std::fs::write(dir.join("2024-01-02-Grain.txt"), "Wheat exports rose.").unwrap();
        let files = |index: &Index| {
            let mut state = State::default();
            for a in index.articles() {
                let stamp = std::fs::metadata(&a.path).unwrap();
                let stamp = Stamp {
                    len: stamp.len(),
                    modified: stamp.modified().ok(),
                };
                state.files.insert(a.path.clone().into_os_string(), stamp);
            }
            encode(&state, dir)
        };
        let built = Arc::new(Index::build(crate::corpus::load(dir).unwrap().articles));
        save(dir, &built, files(&built));
        let path = dir.join(INDEX_FILE);
        assert!(path.exists());

        let (index, _) = load(dir).expect("the file reads");
        assert!(!index.holds_discarded());
        index.articles()[0]
            .text
            .file()
            .expect("the text stays in the file")
            .discard("a test");
        assert!(index.holds_discarded());
        assert!(!path.exists(), "removed");
        let index = Arc::new(index);
        save(dir, &index, files(&index));
        assert!(!path.exists(), "not written again");
        save(dir, &built, files(&built));
        assert!(path.exists(), "an index built anew is written");
    }
}
