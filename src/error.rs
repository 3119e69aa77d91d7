//! The library's error type: one variant per way a corpus file, the corpus folder or the
//! configuration can fail. The binary wraps these in `anyhow` with context; the corpus loader
//! turns the per-file ones into [`crate::corpus::Problem`]s so that one bad file never stops
//! the others from loading.

use std::io;
use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read (missing, permissions, a disk error).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder that failed.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// The corpus folder does not exist or is not a folder.
    #[error("{}: corpus folder not found", path.display())]
    CorpusNotFound {
        /// The folder that was asked for.
        path: PathBuf,
    },

    /// A corpus file is not valid UTF-8; `line` is where the first bad byte is.
    #[error("{}:{line}: not valid UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
    },

    /// A corpus file has a header but no article text (or nothing at all).
    #[error("{}: no article text", path.display())]
    NoText {
        /// The file.
        path: PathBuf,
    },

    /// A `date` header whose value looks like a date but is not a valid `YYYY-MM-DD` one.
    #[error("{}:{line}: malformed date {value:?} (expected YYYY-MM-DD, e.g. 2024-09-30)", path.display())]
    BadDate {
        /// The file.
        path: PathBuf,
        /// 1-based line of the `date` header.
        line: usize,
        /// The value as written.
        value: String,
    },

    /// A saved web page (`.html`, `.htm`) in which no article could be read.
    #[error("{}: {message}", path.display())]
    NotArticle {
        /// The file.
        path: PathBuf,
        /// Why (no article text, binary data, nested too deeply…).
        message: String,
    },

    /// A corpus file is larger than the loader accepts.
    #[error("{}: file too large ({size} bytes; the limit is {limit})", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// Reading a corpus file hit a bug in quotebot (a panic, contained): the file is skipped
    /// and everything else goes on.
    #[error("{}: could not be read because of a bug in quotebot ({message}); please report it with the file", path.display())]
    Bug {
        /// The file.
        path: PathBuf,
        /// What the panic said.
        message: String,
    },

    /// Telegram refused the bot token: it is mistyped or was revoked.
    #[error("Telegram refused the bot token (TELOXIDE_TOKEN): check it with @BotFather")]
    TelegramAuth,

    /// A Telegram Bot API request failed for good (the message never carries the token).
    #[error("Telegram: {message}")]
    Telegram {
        /// What failed.
        message: String,
    },

    /// The operators' database cannot be opened, is not a database, or cannot be written.
    #[error("{}: {message}", path.display())]
    Storage {
        /// The database file.
        path: PathBuf,
        /// What SQLite or the file system said.
        message: String,
    },

    /// The configuration file is not valid TOML or has an unknown key or a wrong type.
    #[error("{}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
}

impl Error {
    /// The file the error is about.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::CorpusNotFound { path }
            | Error::NotUtf8 { path, .. }
            | Error::NoText { path }
            | Error::NotArticle { path, .. }
            | Error::BadDate { path, .. }
            | Error::TooLarge { path, .. }
            | Error::Bug { path, .. }
            | Error::Config { path, .. }
            | Error::Storage { path, .. } => path,
            Error::TelegramAuth | Error::Telegram { .. } => std::path::Path::new(""),
        }
    }

    /// The 1-based line the error points at, when there is one.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::NotUtf8 { line, .. } | Error::BadDate { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// What a caught panic said (its payload, when it is text).
#[must_use]
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// `Result` with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
