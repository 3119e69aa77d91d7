//! An article's text: in memory, or left in the index file until it is first needed.
//!
//! At 10M sentences the texts are 1.35 GB, most of what a start would otherwise copy into
//! memory, while a question reads the texts of a few dozen articles. An index read from its
//! file (see `search::index::stored`) therefore gives each article a [`Text`] that knows where
//! its bytes are; they are read, checked against their CRC-32, and kept the first time the
//! article's sentences are needed.

use std::fmt;
use std::hash::Hasher;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Bytes that can be read at any offset, from several threads at once: the index file, or
/// bytes in memory in tests.
pub trait Source: Send + Sync {
    /// Fills `buf` from `offset` on; an error of kind `UnexpectedEof` if the bytes end first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl Source for std::fs::File {
    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(self, buf, offset)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

impl Source for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let from = usize::try_from(offset).unwrap_or(usize::MAX);
        let bytes = from
            .checked_add(buf.len())
            .and_then(|end| self.get(from..end))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

impl Source for Vec<u8> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_exact_at(buf, offset)
    }
}

/// Where stored texts are read from: the index file as it was opened. quotebot replaces the
/// file by renaming a new one over it, so what this handle reads does not change.
pub struct TextFile {
    source: Box<dyn Source>,
    /// Named in messages.
    path: PathBuf,
    /// The opened file's device and inode, where known: [`TextFile::discard`] removes the
    /// file at `path` only while it is still this one.
    identity: Option<(u64, u64)>,
    /// Whether something in it turned out damaged ([`TextFile::discard`]).
    discarded: AtomicBool,
}

impl TextFile {
    /// Texts in `source`, which messages call `path`.
    #[must_use]
    pub fn new(source: Box<dyn Source>, path: PathBuf) -> Arc<TextFile> {
        TextFile::made(source, path, None)
    }

    /// Texts in the opened file `file`, found at `path`.
    #[must_use]
    pub fn open(file: std::fs::File, path: PathBuf) -> Arc<TextFile> {
        let identity = file.metadata().ok().and_then(|m| identity(&m));
        TextFile::made(Box::new(file), path, identity)
    }

    fn made(source: Box<dyn Source>, path: PathBuf, identity: Option<(u64, u64)>) -> Arc<TextFile> {
        Arc::new(TextFile {
            source,
            path,
            identity,
            discarded: AtomicBool::new(false),
        })
    }

    /// What the texts are read from.
    #[must_use]
    pub fn source(&self) -> &dyn Source {
        &*self.source
    }

    /// Gives up on the file once something in it turned out damaged behind a checksum that
    /// matched (`what`: a text, a term's postings), which a start would only read again: it
    /// is removed while it is still the file at its path (not once a newer one was renamed
    /// over it), so that the next start builds the index from the articles, and an index
    /// still holding anything from it is not written (see [`TextFile::is_discarded`]).
    /// Logged once.
    pub fn discard(&self, what: &str) {
        if self.discarded.swap(true, Ordering::Relaxed) {
            return;
        }
        let path = self.path.display();
        let still_there = self.identity.is_some()
            && std::fs::metadata(&self.path).is_ok_and(|m| identity(&m) == self.identity);
        if !still_there {
            log::warn!("{path}: {what} in it is damaged");
            return;
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => log::warn!(
                "{path}: {what} in it is damaged; removed, so that the next start builds the \
                 index from the articles"
            ),
            Err(e) => log::warn!(
                "{path}: {what} in it is damaged, and removing it failed ({e}); delete it to \
                 have the index built from the articles"
            ),
        }
    }

    /// Whether [`TextFile::discard`] gave up on it.
    #[must_use]
    pub fn is_discarded(&self) -> bool {
        self.discarded.load(Ordering::Relaxed)
    }
}

/// A file's device and inode, where the system tells them (unix): what names the file
/// itself, whatever path it is found at.
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// A hash of a text's words, its white space normalised: the same news in two files, however
/// it was wrapped, hashes the same.
#[must_use]
pub fn words_fingerprint(text: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for word in text.split_whitespace() {
        h.write(word.as_bytes());
        h.write_u8(b' ');
    }
    h.finish()
}

/// An article's text.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned {
        text: String,
        crc: u32,
        words: u64,
    },
    Stored {
        file: Arc<TextFile>,
        offset: u64,
        len: usize,
        crc: u32,
        words: u64,
        /// The text once read, or why it will never read right.
        read: OnceLock<Result<String, &'static str>>,
    },
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        let crc = crc32fast::hash(text.as_bytes());
        let words = words_fingerprint(&text);
        Text(Repr::Owned { text, crc, words })
    }
}

/// Why a stored text could not be read.
enum Unreadable {
    /// Reading failed (perhaps only for now: a network file system, a disk error).
    Io(io::Error),
    /// The bytes are not those written: they will not come right.
    Changed(&'static str),
}

impl Text {
    /// The `len` bytes at `offset` in `file`, whose CRC-32 is `crc` and whose
    /// [`words_fingerprint`] is `words`.
    #[must_use]
    pub fn stored(file: &Arc<TextFile>, offset: u64, len: usize, crc: u32, words: u64) -> Text {
        Text(Repr::Stored {
            file: Arc::clone(file),
            offset,
            len,
            crc,
            words,
            read: OnceLock::new(),
        })
    }

    /// Its length in bytes (read or not).
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Owned { text, .. } => text.len(),
            Repr::Stored { len, .. } => *len,
        }
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The CRC-32 of its bytes.
    #[must_use]
    pub fn crc(&self) -> u32 {
        match &self.0 {
            Repr::Owned { crc, .. } | Repr::Stored { crc, .. } => *crc,
        }
    }

    /// Its [`words_fingerprint`], known without reading it.
    #[must_use]
    pub fn words(&self) -> u64 {
        match &self.0 {
            Repr::Owned { words, .. } | Repr::Stored { words, .. } => *words,
        }
    }

    /// The text, read from its file and kept the first time it is needed. A text that can't
    /// be read is logged and taken as empty, so that its sentences are never quoted: for good
    /// when its bytes are not those written (the file was changed in place behind quotebot's
    /// back), for this time only when reading failed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned { text, .. } => text,
            Repr::Stored { read, .. } => {
                let kept = match read.get() {
                    Some(kept) => kept,
                    None => match self.read() {
                        Ok(text) => read.get_or_init(|| Ok(text)),
                        Err(Unreadable::Changed(why)) => read.get_or_init(|| Err(why)),
                        Err(Unreadable::Io(_)) => return "",
                    },
                };
                kept.as_deref().unwrap_or_default()
            }
        }
    }

    /// Runs `f` on the text without keeping it in memory when it is not already there (for
    /// work that reads every article once, such as a full build); an unreadable text is
    /// logged and taken as empty, as by [`Text::as_str`].
    pub fn with<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err((f, _)) => f(""),
        }
    }

    /// [`Text::with`], but an unreadable text is an error, given back with `f`.
    fn try_with<R, F: FnOnce(&str) -> R>(&self, f: F) -> Result<R, (F, Unreadable)> {
        match &self.0 {
            Repr::Owned { text, .. } => Ok(f(text)),
            Repr::Stored { read, .. } => match read.get() {
                Some(Ok(text)) => Ok(f(text)),
                Some(Err(why)) => Err((f, Unreadable::Changed(why))),
                None => match self.read() {
                    Ok(text) => Ok(f(&text)),
                    Err(e) => Err((f, e)),
                },
            },
        }
    }

    /// Runs `f` on the text (not kept), or fails when it can't be read: what writing the
    /// index file needs, which must not put an empty text in a text's place.
    ///
    /// # Errors
    ///
    /// The text can't be read, or `f` failed.
    pub fn write_with(&self, f: impl FnOnce(&str) -> io::Result<()>) -> io::Result<()> {
        match self.try_with(f) {
            Ok(written) => written,
            Err((_, Unreadable::Io(e))) => Err(e),
            Err((_, Unreadable::Changed(why))) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("an article's text in the index file {why}"),
            )),
        }
    }

    /// The file it is stored in, if it is.
    #[must_use]
    pub fn file(&self) -> Option<&Arc<TextFile>> {
        match &self.0 {
            Repr::Owned { .. } => None,
            Repr::Stored { file, .. } => Some(file),
        }
    }

    /// Whether it is in memory (always, unless it is stored and not yet needed).
    #[must_use]
    pub fn is_in_memory(&self) -> bool {
        match &self.0 {
            Repr::Owned { .. } => true,
            Repr::Stored { read, .. } => matches!(read.get(), Some(Ok(_))),
        }
    }

    /// Reads a stored text (logging why not).
    fn read(&self) -> Result<String, Unreadable> {
        let Repr::Stored {
            file,
            offset,
            len,
            crc,
            ..
        } = &self.0
        else {
            unreachable!("only a stored text is read");
        };
        let mut bytes = vec![0u8; *len];
        let read = match file.source.read_exact_at(&mut bytes, *offset) {
            Err(e) => Err(Unreadable::Io(e)),
            Ok(()) if crc32fast::hash(&bytes) != *crc => {
                Err(Unreadable::Changed("changed since it was read"))
            }
            Ok(()) => String::from_utf8(bytes).map_err(|_| Unreadable::Changed("is not UTF-8")),
        };
        match &read {
            Ok(_) => {}
            Err(Unreadable::Io(e)) => log::error!(
                "{}: an article's text at byte {offset} can't be read ({e}); it is left out \
                 of this answer",
                file.path.display()
            ),
            Err(Unreadable::Changed(why)) => {
                log::error!(
                    "{}: an article's text at byte {offset} {why}; it is left out of answers",
                    file.path.display()
                );
                file.discard("an article's text");
            }
        }
        read
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.len() == other.len() && self.with(|a| other.with(|b| a == b))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|text| fmt::Debug::fmt(text, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> Arc<TextFile> {
        TextFile::new(Box::new(bytes.to_vec()), PathBuf::from("index"))
    }

    #[test]
    fn a_stored_text_is_read_when_needed() {
        let f = file(b"xxGrain exports rose.yy");
        let text = Text::stored(
            &f,
            2,
            19,
            crc32fast::hash(b"Grain exports rose."),
            words_fingerprint("Grain  exports\nrose."),
        );
        let owned = Text::from("Grain exports rose.".to_string());
        assert_eq!(text.len(), 19);
        assert_eq!(text.with(str::to_owned), "Grain exports rose.");
        assert!(!text.is_in_memory(), "with reads without keeping");
        assert_eq!(text.as_str(), "Grain exports rose.");
        assert!(text.is_in_memory());
        assert_eq!(text, owned);
        assert_eq!(text.crc(), owned.crc());
        assert_eq!(text.words(), owned.words());
    }

    /// A text found damaged gives up on its file: removed while it is still the one at its
    /// path, left alone once another was renamed over it; flagged either way.
    #[test]
    fn a_damaged_text_removes_its_file_while_it_is_still_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".quotebot-index");
        let open = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            TextFile::open(std::fs::File::open(&path).unwrap(), path.clone())
        };
        let wrong = crc32fast::hash(b"Grain exports rose.");
        let f = open(b"Grain exports fell.");
        let good = Text::stored(&f, 0, 5, crc32fast::hash(b"Grain"), 0);
        assert_eq!(good.as_str(), "Grain");
        assert!(!f.is_discarded() && path.exists(), "a good text leaves it");
        assert_eq!(Text::stored(&f, 0, 19, wrong, 0).as_str(), "");
        assert!(f.is_discarded());
        assert!(!path.exists(), "removed");

        let f = open(b"Grain exports fell.");
        let newer = dir.path().join("newer");
        std::fs::write(&newer, b"another index").unwrap();
        std::fs::rename(&newer, &path).unwrap();
        assert_eq!(Text::stored(&f, 0, 19, wrong, 0).as_str(), "");
        assert!(f.is_discarded());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"another index",
            "not the newer one"
        );
    }

    #[test]
    fn a_changed_or_missing_text_is_empty() {
        let f = file(b"Grain exports fell.");
        let changed = Text::stored(&f, 0, 19, crc32fast::hash(b"Grain exports rose."), 0);
        assert_eq!(changed.as_str(), "");
        assert!(!changed.is_in_memory());
        assert!(
            changed.write_with(|_| Ok(())).is_err(),
            "never written as an empty text"
        );
        assert_eq!(changed.as_str(), "");
        let beyond = Text::stored(&f, 10, 19, 0, 0);
        assert_eq!(beyond.with(str::len), 0);
        assert_eq!(beyond.as_str(), "");
        assert!(
            !beyond.is_in_memory(),
            "a failed read is tried again next time"
        );
        assert!(beyond.write_with(|_| Ok(())).is_err());
        let bad = file(&[0xff, 0xfe]);
        let not_utf8 = Text::stored(&bad, 0, 2, crc32fast::hash(&[0xff, 0xfe]), 0);
        assert_eq!(not_utf8.as_str(), "");
    }

    #[test]
    fn fingerprints_ignore_white_space() {
        assert_eq!(words_fingerprint("a  b\n\nc "), words_fingerprint(" a b c"));
        assert_ne!(words_fingerprint("a b c"), words_fingerprint("a b d"));
    }
}
