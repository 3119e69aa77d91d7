//! Adding to the corpus folder: a text file (`quotebot add`), a page (a link, a saved page, a
//! feed's item), each written as an ordinary article file — whole or not at all — and refused
//! when the corpus already has it. The living corpus ([`crate::live`]) adds through here and
//! reloads; the command line adds through here to a folder no bot may be watching.

pub mod feeds;

use std::path::{Path, PathBuf};

use crate::corpus::{self, Article};
use crate::date::Date;
use crate::web::fetch::{self, Fetcher, Want};
use crate::web::{Page, looks_binary, read_page};

/// Why a document was not added.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// More than [`crate::live::MAX_UPLOAD_BYTES`].
    #[error("the file is larger than 1 MiB")]
    TooLarge,
    /// Not a `.txt` or `.md` file.
    #[error("only .txt, .md and .html files can be articles")]
    NotText,
    /// Not UTF-8, no text, a malformed date…
    #[error("{0}")]
    Invalid(String),
    /// No date in a header nor at the start of the file name.
    #[error(
        "the article has no date: start it with `date YYYY-MM-DD` or give the file name a leading date"
    )]
    NoDate,
    /// The same text as an article already there.
    #[error("it is the same text as {0}")]
    Duplicate(String),
    /// Writing the file failed.
    #[error("it could not be saved: {0}")]
    Io(String),
    /// A web page or link that could not be fetched or read (the message says why).
    #[error("{0}")]
    Web(String),
}

/// A document that was added.
#[derive(Clone, Debug, PartialEq)]
pub struct Added {
    /// Its title.
    pub title: String,
    /// Its date.
    pub date: Option<crate::date::Date>,
    /// How many sentences it was read as.
    pub sentences: usize,
    /// Where it was saved, relative to the corpus folder.
    pub saved_as: String,
    /// The name it came with, when that was taken or unsafe and it was saved under another.
    pub renamed_from: Option<String>,
}

/// What `quotebot add` is told about a file beyond its text.
#[derive(Clone, Debug, Default)]
pub struct AddOptions {
    /// The date (`--date`); else the file's own header, a leading date in its name, or today.
    pub date: Option<crate::date::Date>,
    /// The title (`--title`); else the file's own header, or its name.
    pub title: Option<String>,
    /// The source (`--source`); else the file's own header.
    pub source: Option<String>,
}

/// Turns an outside text file into an article of the corpus folder `dir`: a header written
/// (title, date, source), the text kept, checked as any article is, and refused when the
/// corpus already has the same text. Saved as `dir/<date>-<title>.txt` (or `.md`), numbered
/// when taken.
pub fn add_file(
    dir: &Path,
    file: &Path,
    options: &AddOptions,
) -> std::result::Result<Added, Refusal> {
    let bytes = std::fs::read(file).map_err(|e| Refusal::Io(format!("{}: {e}", file.display())))?;
    if bytes.len() as u64 > corpus::MAX_FILE_BYTES {
        return Err(Refusal::TooLarge);
    }
    let markdown = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"));
    // Read as an article first: for a header it may already have, and to check it. Its
    // title is the header's, else the file name's.
    let as_is = Article::parse(file, &bytes)
        .map_err(|e| Refusal::Invalid(e.to_string()))?
        .0;
    let title = options.title.clone().unwrap_or_else(|| as_is.title.clone());
    let date = options
        .date
        .or(as_is.date)
        .unwrap_or_else(crate::date::Date::today);
    let source = options.source.clone().or_else(|| as_is.source.clone());
    let body = if markdown {
        // Markdown is kept as written (the article is read from it on every load): only a
        // header it had is replaced.
        let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
        let text = text.trim_start_matches('\u{feff}');
        let head =
            corpus::header::parse(file, text).map_err(|e| Refusal::Invalid(e.to_string()))?;
        text[head.body_start..].to_string()
    } else {
        as_is.text.as_str().to_owned()
    };
    let mut article = format!("title: {title}\ndate: {date}\n");
    if let Some(s) = &source {
        article.push_str(&format!("source: {s}\n"));
    }
    article.push('\n');
    article.push_str(body.trim_end());
    article.push('\n');

    let name = file_name(Some(date), &title, if markdown { "md" } else { "txt" });
    let (checked, _) = Article::parse(&dir.join(&name), article.as_bytes())
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
    let existing = corpus::load(dir).map_err(|e| Refusal::Io(e.to_string()))?;
    if let Some(same) = existing
        .articles
        .iter()
        .find(|a| a.has_text(checked.text.as_str()))
    {
        return Err(Refusal::Duplicate(relative(&same.path, dir)));
    }
    let path =
        write_new_atomic(dir, &name, article.as_bytes()).map_err(|e| Refusal::Io(e.to_string()))?;
    Ok(Added {
        title: checked.title,
        date: checked.date,
        sentences: checked.sentences.len(),
        saved_as: relative(&path, dir),
        renamed_from: None,
    })
}

/// `path` as written inside `dir` (the whole path when it is not inside).
pub fn relative(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// A web article that was added.
#[derive(Clone, Debug)]
pub struct WebAdded {
    /// What was added, as for any document.
    pub added: Added,
    /// Its `source` header.
    pub source: Option<String>,
    /// An earlier undated copy that this one, dated, replaced.
    pub replaced: Option<String>,
}

impl WebAdded {
    /// Whether it was added without a date.
    #[must_use]
    pub fn undated(&self) -> bool {
        self.added.date.is_none()
    }
}

/// Adds a page to the corpus folder `dir` as a text article. `options` override what was
/// found; `fallback_date` (a feed item's) is used when the page has no date of its own;
/// `existing` are the corpus's articles, for refusing duplicates (the same source, or the
/// same text). Nothing is written when it is refused; the file appears whole or not at all.
pub fn add_page<'a>(
    dir: &Path,
    page: &Page,
    options: &AddOptions,
    fallback_date: Option<Date>,
    existing: impl IntoIterator<Item = &'a Article>,
) -> Result<WebAdded, Refusal> {
    let extracted = read_page(page, Date::today()).map_err(Refusal::Web)?;
    let title = options
        .title
        .clone()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .or_else(|| (!extracted.title.is_empty()).then(|| extracted.title.clone()))
        .unwrap_or_else(|| "Untitled article".to_string());
    let date = options
        .date
        .or(extracted.date.map(|(d, _)| d))
        .or(fallback_date);
    let source = options
        .source
        .clone()
        .or_else(|| page.url.clone())
        .or_else(|| extracted.canonical.clone())
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty());
    let mut content = format!("title: {title}\n");
    if let Some(d) = date {
        content.push_str(&format!("date: {d}\n"));
    }
    if let Some(s) = &source {
        content.push_str(&format!("source: {s}\n"));
    }
    if let Some(l) = &extracted.lang {
        content.push_str(&format!("lang: {l}\n"));
    }
    content.push('\n');
    content.push_str(extracted.text.trim_end());
    content.push('\n');

    let name = file_name(date, &title, "txt");
    let (checked, _) = Article::parse(&dir.join(&name), content.as_bytes())
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
    let mut replaced = None;
    for a in existing {
        let same_source = source.is_some() && a.source == source;
        let same_text = a.has_text(checked.text.as_str());
        if !(same_source || same_text) {
            continue;
        }
        // Adding again with the date an undated copy lacked replaces that copy.
        if a.date.is_none() && date.is_some() && options.date.is_some() {
            replaced = Some(a.path.clone());
            continue;
        }
        let why = if same_text {
            relative(&a.path, dir)
        } else {
            format!("{} (the same source)", relative(&a.path, dir))
        };
        return Err(Refusal::Duplicate(why));
    }
    let path =
        write_new_atomic(dir, &name, content.as_bytes()).map_err(|e| Refusal::Io(e.to_string()))?;
    if let Some(old) = &replaced
        && let Err(e) = std::fs::remove_file(old)
    {
        log::warn!("{}: could not remove the undated copy: {e}", old.display());
    }
    Ok(WebAdded {
        added: Added {
            title: checked.title,
            date: checked.date,
            sentences: checked.sentences.len(),
            saved_as: relative(&path, dir),
            renamed_from: None,
        },
        source,
        replaced: replaced.map(|p| relative(&p, dir)),
    })
}

/// Reads a saved page (`.html`, `.htm`) and adds it as [`add_page`] does.
pub fn add_html_file(dir: &Path, file: &Path, options: &AddOptions) -> Result<WebAdded, Refusal> {
    let bytes = std::fs::read(file).map_err(|e| Refusal::Io(format!("{}: {e}", file.display())))?;
    if bytes.len() > fetch::MAX_BYTES {
        return Err(Refusal::Web(fetch::FetchError::TooLarge.to_string()));
    }
    if looks_binary(&bytes) {
        return Err(Refusal::Web(format!(
            "{} is binary data, not a web page",
            file.display()
        )));
    }
    let existing = corpus::load(dir).map_err(|e| Refusal::Io(e.to_string()))?;
    add_page(dir, &Page::saved(&bytes), options, None, &existing.articles)
}

/// Fetches `url` and adds the page as [`add_page`] does.
pub async fn add_url(
    dir: &Path,
    url: &str,
    options: &AddOptions,
    fetcher: &Fetcher,
) -> Result<WebAdded, Refusal> {
    let fetched = fetcher
        .get(url, Want::Page)
        .await
        .map_err(|e| Refusal::Web(e.to_string()))?;
    let page = Page::fetched(&fetched);
    let dir = dir.to_path_buf();
    let options = options.clone();
    // Reading the corpus and the page is blocking work.
    tokio::task::spawn_blocking(move || {
        let existing = corpus::load(&dir).map_err(|e| Refusal::Io(e.to_string()))?;
        add_page(&dir, &page, &options, None, &existing.articles)
    })
    .await
    .map_err(|e| Refusal::Web(format!("adding failed because of a bug in quotebot ({e})")))?
}

/// `<date>-<title>.<ext>`, or `undated-<title>.<ext>`.
fn file_name(date: Option<Date>, title: &str, ext: &str) -> String {
    let slug: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(80).collect();
    let slug = if slug.is_empty() { "article" } else { &slug };
    match date {
        Some(d) => format!("{d}-{slug}.{ext}"),
        None => format!("undated-{slug}.{ext}"),
    }
}

/// Writes `bytes` under a free name (`name`, `name-2`…; the path is returned) so that the file
/// appears whole or not at all — for every addition: pages, `quotebot add`, uploads: written to a hidden temporary file first (which the loader and watcher ignore),
/// then linked under its name (which fails, rather than replacing, when the name is taken).
pub fn write_new_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "txt"));
        for n in 1..10_000 {
            let candidate = if n == 1 {
                dir.join(name)
            } else {
                dir.join(format!("{stem}-{n}.{ext}"))
            };
            match std::fs::hard_link(&tmp, &candidate) {
                Ok(()) => return Ok(candidate),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free file name"))
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Writes `bytes` to `path`, replacing it, atomically (a hidden temporary file renamed).
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.trim_start_matches('.');
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let d = Date::parse_iso("2024-09-30");
        assert_eq!(
            file_name(d, "Grain deal: signed!", "txt"),
            "2024-09-30-Grain-deal-signed.txt"
        );
        assert_eq!(
            file_name(None, "Новости дня", "txt"),
            "undated-Новости-дня.txt"
        );
        assert_eq!(file_name(None, "!!!", "txt"), "undated-article.txt");
    }

    #[test]
    fn atomic_writes_never_replace_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_new_atomic(dir.path(), "a.txt", b"1").unwrap();
        let b = write_new_atomic(dir.path(), "a.txt", b"2").unwrap();
        assert_eq!(b.file_name().unwrap(), "a-2.txt");
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        replace_atomic(&dir.path().join(".state.json"), b"{}").unwrap();
        replace_atomic(&dir.path().join(".state.json"), b"{\"a\":1}").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(".state.json")).unwrap(),
            b"{\"a\":1}"
        );
    }
}
