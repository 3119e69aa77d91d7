//! The corpus: a folder of articles (`.txt` and `.md`, any depth) read into [`Article`]s with
//! their sentences. This is the first step of the flow in the crate docs; the search index is
//! built from what it returns.
//!
//! A file that cannot be used is skipped and reported as a [`Problem`] naming the file (and
//! line, where there is one); the rest of the corpus still loads.

pub(crate) mod header;
pub mod html;
pub mod markdown;
pub mod split;
pub mod text;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::date::Date;
use crate::error::{Error, Result};

/// Files larger than this are skipped: a news article is a few kilobytes, and a stray
/// multi-gigabyte file in the folder must not take the whole bot down.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A byte range of an article's text; `u32` because sentences are many and files are small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// As a range for slicing.
    #[must_use]
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One news article.
#[derive(Clone, Debug)]
pub struct Article {
    /// From the `title` header, else from the file name.
    pub title: String,
    /// From the `date` header, else from a date at the start of the file name.
    pub date: Option<Date>,
    /// The `source` header (usually a URL).
    pub source: Option<String>,
    /// The `lang` header, lowercased (`en`, `ru`, `fa`…), if any.
    pub lang: Option<String>,
    /// The file, as the corpus folder joined with its path inside it.
    pub path: PathBuf,
    /// The article text: everything after the header, line breaks as `\n`, Markdown markup
    /// dropped. Sentences index into it.
    pub text: text::Text,
    /// The sentences, in order.
    pub sentences: Vec<Span>,
}

impl Article {
    /// Reads an article from the bytes of a file. `path` names it in messages and gives the
    /// title when there is no `title` header; a `.md` extension means Markdown.
    ///
    /// Returns the article and the warnings about it (a missing date, a header value that was
    /// not understood).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<(Article, Vec<Problem>)> {
        Article::parse_owned(path, bytes.to_vec())
    }

    /// [`Article::parse`] that keeps the file's buffer as the article text where it can, so
    /// that loading a large corpus does not copy every article once more.
    pub fn parse_owned(path: &Path, bytes: Vec<u8>) -> Result<(Article, Vec<Problem>)> {
        if is_html_file(path) {
            return html::article(path, &bytes);
        }
        let mut text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            Error::NotUtf8 {
                path: path.to_path_buf(),
                line: 1 + e.as_bytes()[..valid]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
            }
        })?;
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        if text.contains('\r') {
            text = text.replace("\r\n", "\n").replace('\r', "\n");
        }
        let head = header::parse(path, &text)?;
        let markdown = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"));
        let body = if markdown {
            markdown::to_text(&text[head.body_start..])
        } else {
            text.truncate(text.trim_end().len());
            text.drain(..head.body_start.min(text.len()));
            text
        };
        let sentences = split::sentences(&body);
        if sentences.is_empty() {
            return Err(Error::NoText {
                path: path.to_path_buf(),
            });
        }
        let mut warnings: Vec<Problem> = head
            .notes
            .into_iter()
            .map(|(line, message)| Problem::Warning {
                path: path.to_path_buf(),
                line: Some(line),
                message,
            })
            .collect();
        let (name_title, name_date) = title_from_path(path);
        let date = head.date.or(name_date);
        if date.is_none() {
            warnings.push(Problem::Warning {
                path: path.to_path_buf(),
                line: None,
                message: "no date: answers from this article will say the date is unknown".into(),
            });
        }
        let article = Article {
            title: head.title.unwrap_or(name_title),
            date,
            source: head.source,
            lang: head.lang,
            path: path.to_path_buf(),
            text: body.into(),
            sentences,
        };
        Ok((article, warnings))
    }

    /// Whether its text is `text`, white space aside: the rule by which an addition (a file,
    /// a page, a document sent to the bot) is refused as a duplicate.
    #[must_use]
    pub fn has_text(&self, text: &str) -> bool {
        // The fingerprint first: a stored text is only read when it is likely the same.
        self.text.words() == text::words_fingerprint(text)
            && self
                .text
                .with(|own| own.split_whitespace().eq(text.split_whitespace()))
    }

    /// The text of sentence `i` (empty if its text can't be read, see [`text::Text::as_str`]).
    #[must_use]
    pub fn sentence(&self, i: usize) -> &str {
        self.text
            .as_str()
            .get(self.sentences[i].range())
            .unwrap_or_default()
    }
}

/// A title made from a file name, and the date it starts with, if any:
/// `2024-09-30-Iran-and-Russia_agree.txt` → ("Iran and Russia agree", 2024-09-30).
#[must_use]
pub fn title_from_path(path: &Path) -> (String, Option<Date>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (date, rest) = match stem.get(..10).and_then(Date::parse_iso) {
        Some(d) => (Some(d), &stem[10..]),
        None => (None, stem.as_str()),
    };
    let words: Vec<&str> = rest
        .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut title = words.join(" ");
    if title.is_empty() {
        title = stem.clone();
    }
    if let Some(first) = title.chars().next() {
        let upper: String = first.to_uppercase().collect();
        title.replace_range(..first.len_utf8(), &upper);
    }
    (title, date)
}

/// Something wrong with one corpus file.
#[derive(Debug)]
pub enum Problem {
    /// The file could not be used and was skipped.
    Skipped(Error),
    /// The file loaded, but something in it deserves a look.
    Warning {
        /// The file.
        path: PathBuf,
        /// 1-based line, where there is one.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

impl Problem {
    /// Whether the file was skipped.
    #[must_use]
    pub fn is_error(&self) -> bool {
        matches!(self, Problem::Skipped(_))
    }

    /// The file it is about.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Problem::Skipped(e) => e.path(),
            Problem::Warning { path, .. } => path,
        }
    }
}

impl fmt::Display for Problem {
    /// `path:line: message`; a skipped file says so at the end. The severity is for the
    /// caller to show (see [`Problem::is_error`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Skipped(e) => write!(f, "{e} (file skipped)"),
            Problem::Warning {
                path,
                line: Some(line),
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Problem::Warning {
                path,
                line: None,
                message,
            } => write!(f, "{}: {message}", path.display()),
        }
    }
}

/// The articles of a corpus folder and what was wrong with its files.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Articles in path order.
    pub articles: Vec<Article>,
    /// Skipped files and warnings, in path order.
    pub problems: Vec<Problem>,
}

/// Whether a file name is an article file (`.txt`, `.md`, or a saved web page `.html` /
/// `.htm`, any case; not hidden).
#[must_use]
pub fn is_article_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    !hidden
        && path.extension().is_some_and(|e| {
            ["txt", "md", "html", "htm"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        })
}

/// A path as bytes, for storing it (on Unix any file name; elsewhere only UTF-8 ones).
#[must_use]
pub fn path_bytes(path: &Path) -> Option<&[u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.to_str().map(str::as_bytes)
    }
}

/// `dir.join(relative)` in one allocation: a start from the index file makes 400,000 of them
/// twice at ten million sentences.
#[must_use]
pub fn joined(dir: &Path, relative: &Path) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + relative.as_os_str().len());
    path.push(dir);
    path.push(relative);
    path
}

/// The path [`path_bytes`] gave.
#[must_use]
pub fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// Whether a file is a saved web page (`.html`, `.htm`), read by [`crate::web`]'s extraction.
#[must_use]
pub fn is_html_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Lists the article files under `dir`, at any depth, in path order. Hidden files and folders
/// are left out, and symbolic links to folders are not followed (they could loop).
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(list_files_with(dir, |_, _| ())?
        .into_iter()
        .map(|(path, ())| path)
        .collect())
}

/// [`list_files`], each file with what `of` makes of it and its folder entry (through which
/// its metadata is cheaper to ask for than through its path).
pub fn list_files_with<T>(
    dir: &Path,
    mut of: impl FnMut(&Path, &std::fs::DirEntry) -> T,
) -> Result<Vec<(PathBuf, T)>> {
    let meta = std::fs::metadata(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::CorpusNotFound {
            path: dir.to_path_buf(),
        },
        _ => Error::Io {
            path: dir.to_path_buf(),
            source: e,
        },
    })?;
    if !meta.is_dir() {
        return Err(Error::CorpusNotFound {
            path: dir.to_path_buf(),
        });
    }
    // Each folder's entries sorted by name, a folder walked where it falls among them: the
    // files come out in path order without comparing whole paths (which, component by
    // component, took a third of listing 400,000 files).
    let sorted = |d: &Path| -> Result<std::vec::IntoIter<std::fs::DirEntry>> {
        let io = |source| Error::Io {
            path: d.to_path_buf(),
            source,
        };
        let mut entries = std::fs::read_dir(d)
            .map_err(io)?
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(io)?;
        entries.sort_by_cached_key(std::fs::DirEntry::file_name);
        Ok(entries.into_iter())
    };
    let mut files = Vec::new();
    let mut stack = vec![sorted(dir)?];
    while let Some(entries) = stack.last_mut() {
        let Some(entry) = entries.next() else {
            stack.pop();
            continue;
        };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if kind.is_dir() && !hidden {
            stack.push(sorted(&path)?);
        } else if (kind.is_file() || kind.is_symlink()) && is_article_file(&path) {
            let t = of(&path, &entry);
            files.push((path, t));
        }
    }
    Ok(files)
}

/// Reads one corpus file.
pub fn load_file(path: &Path) -> Result<(Article, Vec<Problem>)> {
    use std::io::Read;
    let io = |e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    // One open and one fstat per file: a corpus has tens of thousands of them.
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.read_to_end(&mut bytes).map_err(io)?;
    // A bug that panics on one file's text must not stop the rest of the corpus from
    // loading, nor a reload (which would otherwise die holding its lock).
    std::panic::catch_unwind(|| Article::parse_owned(path, bytes)).unwrap_or_else(|panic| {
        Err(Error::Bug {
            path: path.to_path_buf(),
            message: crate::error::panic_message(&*panic).to_string(),
        })
    })
}

/// Loads every article under `dir`, reading files on all cores. Fails only when the folder
/// itself cannot be read; bad files become [`Problem`]s.
pub fn load(dir: &Path) -> Result<Corpus> {
    load_with_progress(dir, &|_| {})
}

/// How far loading has got, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// `done` of `total` files read.
    Reading {
        /// Files read so far.
        done: usize,
        /// Files in all.
        total: usize,
    },
    /// All files are read; the index is being built.
    Indexing,
}

/// [`load`], telling `progress` after each file (from any of the loading threads).
pub fn load_with_progress(dir: &Path, progress: &(dyn Fn(Progress) + Sync)) -> Result<Corpus> {
    let start = std::time::Instant::now();
    let files = list_files(dir)?;
    log::debug!("listed {} files in {:?}", files.len(), start.elapsed());
    Ok(load_files(&files, progress))
}

/// Reads the files [`list_files`] gave, on all cores, telling `progress` after each.
pub fn load_files(files: &[PathBuf], progress: &(dyn Fn(Progress) + Sync)) -> Corpus {
    let start = std::time::Instant::now();
    let done = AtomicUsize::new(0);
    let total = files.len();
    let results = parallel_map(files, |p| {
        let result = load_file(p);
        progress(Progress::Reading {
            done: done.fetch_add(1, Ordering::Relaxed) + 1,
            total,
        });
        result
    });
    log::debug!(
        "read and split {} files in {:?}",
        files.len(),
        start.elapsed()
    );
    let mut corpus = Corpus::default();
    for result in results {
        match result {
            Ok((article, warnings)) => {
                corpus.articles.push(article);
                corpus.problems.extend(warnings);
            }
            Err(e) => corpus.problems.push(Problem::Skipped(e)),
        }
    }
    corpus
}

/// Maps `f` over `items` on all cores, keeping the order. The calling thread works too: it
/// saves a thread, and what it allocates and later frees can be reused by the allocations
/// that follow on it (memory freed on another thread's heap often cannot).
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = worker_threads().min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut local = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= items.len() {
                break local;
            }
            local.push((i, f(&items[i])));
        }
    };
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut done = vec![work()];
        done.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("corpus worker panicked")),
        );
        done
    });
    let mut slots: Vec<Option<R>> = Vec::with_capacity(items.len());
    slots.resize_with(items.len(), || None);
    for (i, r) in done.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .map(|r| r.expect("every item mapped"))
        .collect()
}

/// How many threads loading uses: the machine's cores, at most 8.
pub(crate) fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// What a reload of the corpus folder did (the living corpus reloads; the bot and the log
/// tell it).
#[derive(Clone, Debug, Default)]
pub struct ReloadReport {
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
    pub elapsed: std::time::Duration,
    /// Whether the index was built from scratch rather than from the previous one.
    pub full: bool,
}

impl ReloadReport {
    /// Whether nothing changed.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.added + self.changed + self.removed == 0
    }
}

impl std::fmt::Display for ReloadReport {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk sorts each folder by name, not whole paths: the files must still come in
    /// `Path` order, where `a/x` comes before `a b`, `a-b/y` and `a.txt` ('/' is no character
    /// of a name).
    #[test]
    fn files_are_listed_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "a/x.txt",
            "a b.txt",
            "a-b/y.txt",
            "a.txt",
            "a/b/z.md",
            "B.txt",
            "b.txt",
            "é.txt",
            // Names alike in their first 16 bytes or more, and names that begin others.
            "2008-01-19-d00001141.txt",
            "2008-01-19-d00001140.txt",
            "2008-01-19-d0000114.txt",
            "0123456789abcdef.txt",
            "0123456789abcdef-.txt",
            "0123456789abcde.txt",
            "0123456789abcdefé.txt",
            "0123456789abcdef/z.txt",
        ];
        for name in names
            .iter()
            .chain(&[".hidden.txt", "c/.h/z.txt", "notes.pdf"])
        {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "date 2024-01-01 Text.").unwrap();
        }
        let mut want: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
        want.sort();
        assert_eq!(list_files(dir.path()).unwrap(), want);
    }

    #[test]
    fn the_same_text_is_the_same_words_in_the_same_order() {
        let (a, _) = Article::parse(Path::new("a.txt"), b"Grain exports rose.\nOil fell.").unwrap();
        assert!(a.has_text("Grain  exports rose.\n\n Oil fell.\n"));
        assert!(!a.has_text("Grain exports rose."));
        assert!(!a.has_text("Grain exports rose. Oil fell. More."));
        assert!(!a.has_text("grain exports rose. Oil fell."));
    }

    #[test]
    fn titles_come_from_file_names() {
        let (t, d) = title_from_path(Path::new("corpus/2024-09-30-Iran-and-Russia_agree.txt"));
        assert_eq!(t, "Iran and Russia agree");
        assert_eq!(d, Date::new(2024, 9, 30));
        let (t, d) = title_from_path(Path::new("a/grain_exports.md"));
        assert_eq!((t.as_str(), d), ("Grain exports", None));
        let (t, _) = title_from_path(Path::new("2024-01-01.txt"));
        assert_eq!(t, "2024-01-01");
        let (t, _) = title_from_path(Path::new("école-news.txt"));
        assert_eq!(t, "École news");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let bytes =
            "\u{feff}title: A\r\ndate: 2024-01-02\r\n\r\nOne line\r\nwraps. Two.\r\n".as_bytes();
        let (a, warnings) = Article::parse(Path::new("a.txt"), bytes).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(a.title, "A");
        assert_eq!(a.sentence(0), "One line\nwraps.");
        assert_eq!(a.sentence(1), "Two.");
    }

    #[test]
    fn not_utf8_names_the_line() {
        let err = Article::parse(Path::new("b.txt"), b"date 2024-01-01\nok\n\xff bad").unwrap_err();
        assert!(matches!(err, Error::NotUtf8 { line: 3, .. }), "{err:?}");
    }

    #[test]
    fn empty_and_header_only_files_have_no_text() {
        for bytes in [
            &b""[..],
            b"  \n\n",
            b"title: T\ndate: 2024-01-01\n\n",
            b"* * *",
        ] {
            let err = Article::parse(Path::new("e.txt"), bytes).unwrap_err();
            assert!(matches!(err, Error::NoText { .. }), "{bytes:?}: {err:?}");
        }
    }

    #[test]
    fn missing_date_is_a_warning_and_the_file_name_date_counts() {
        let (a, w) = Article::parse(Path::new("x/news.txt"), b"Text here.").unwrap();
        assert_eq!(a.date, None);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].to_string().contains("x/news.txt"), "{}", w[0]);
        let (a, w) = Article::parse(Path::new("x/2023-05-06-news.txt"), b"Text here.").unwrap();
        assert_eq!(a.date, Date::new(2023, 5, 6));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn markdown_files_are_cleaned() {
        let (a, _) = Article::parse(
            Path::new("m.md"),
            b"title: M\ndate: 2024-01-01\n\n# Heading\nSome *bold* [link](http://x).",
        )
        .unwrap();
        assert_eq!(a.sentence(0), "Heading");
        assert_eq!(a.sentence(1), "Some bold link.");
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        let out = parallel_map(&items, |x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }
}
