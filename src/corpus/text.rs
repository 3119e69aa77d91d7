//! An article's text: in memory, or left in the index file until it is first needed.
//!
//! At 10M sentences the texts are 1.35 GB, most of what a start would otherwise copy into
//! memory, while a question reads the texts of a few dozen articles. An index read from its
//! file (see `search::index::stored`) therefore gives each article a [`Text`] that knows where
//! its bytes are; they are read, checked against their CRC-32, and kept the first time the
//! article's sentences are needed.

use std::fmt;
use std::io;
use std::path::PathBuf;
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
}

impl TextFile {
    /// Texts in `source`, which messages call `path`.
    #[must_use]
    pub fn new(source: Box<dyn Source>, path: PathBuf) -> Arc<TextFile> {
        Arc::new(TextFile { source, path })
    }

    /// What the texts are read from.
    #[must_use]
    pub fn source(&self) -> &dyn Source {
        &*self.source
    }
}

/// An article's text.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned {
        text: String,
        crc: u32,
    },
    Stored {
        file: Arc<TextFile>,
        offset: u64,
        len: usize,
        crc: u32,
        read: OnceLock<String>,
    },
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        let crc = crc32fast::hash(text.as_bytes());
        Text(Repr::Owned { text, crc })
    }
}

impl Text {
    /// The `len` bytes at `offset` in `file`, whose CRC-32 is `crc`.
    #[must_use]
    pub fn stored(file: &Arc<TextFile>, offset: u64, len: usize, crc: u32) -> Text {
        Text(Repr::Stored {
            file: Arc::clone(file),
            offset,
            len,
            crc,
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

    /// The text, read from its file and kept the first time it is needed. A text that can no
    /// longer be read as it was written (the file was changed in place behind quotebot's
    /// back) is logged and taken as empty: its sentences are then empty and never quoted.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned { text, .. } => text,
            Repr::Stored { read, .. } => read.get_or_init(|| self.read().unwrap_or_default()),
        }
    }

    /// Runs `f` on the text without keeping it in memory when it is not already there (for
    /// work that reads every article once, such as writing the index file).
    pub fn with<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::Owned { text, .. } => f(text),
            Repr::Stored { read, .. } => match read.get() {
                Some(text) => f(text),
                None => f(&self.read().unwrap_or_default()),
            },
        }
    }

    /// Whether it is in memory (always, unless it is stored and not yet needed).
    #[must_use]
    pub fn is_in_memory(&self) -> bool {
        match &self.0 {
            Repr::Owned { .. } => true,
            Repr::Stored { read, .. } => read.get().is_some(),
        }
    }

    fn read(&self) -> Option<String> {
        let Repr::Stored {
            file,
            offset,
            len,
            crc,
            ..
        } = &self.0
        else {
            return None;
        };
        let mut bytes = vec![0u8; *len];
        let why = match file.source.read_exact_at(&mut bytes, *offset) {
            Err(e) => e.to_string(),
            Ok(()) if crc32fast::hash(&bytes) != *crc => "changed since it was read".to_string(),
            Ok(()) => match String::from_utf8(bytes) {
                Ok(text) => return Some(text),
                Err(_) => "not UTF-8".to_string(),
            },
        };
        log::error!(
            "{}: an article's text at byte {offset} can't be read ({why}); it is left out of \
             answers until quotebot starts again and builds the index anew",
            file.path.display()
        );
        None
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
        let text = Text::stored(&f, 2, 19, crc32fast::hash(b"Grain exports rose."));
        assert_eq!(text.len(), 19);
        assert_eq!(text.with(str::to_owned), "Grain exports rose.");
        assert_eq!(text.as_str(), "Grain exports rose.");
        assert_eq!(text, Text::from("Grain exports rose.".to_string()));
        assert_eq!(
            text.crc(),
            Text::from("Grain exports rose.".to_string()).crc()
        );
    }

    #[test]
    fn a_changed_or_missing_text_is_empty() {
        let f = file(b"Grain exports fell.");
        let changed = Text::stored(&f, 0, 19, crc32fast::hash(b"Grain exports rose."));
        assert_eq!(changed.as_str(), "");
        let beyond = Text::stored(&f, 10, 19, 0);
        assert_eq!(beyond.with(str::len), 0);
        let bad = file(&[0xff, 0xfe]);
        let not_utf8 = Text::stored(&bad, 0, 2, crc32fast::hash(&[0xff, 0xfe]));
        assert_eq!(not_utf8.as_str(), "");
    }
}
