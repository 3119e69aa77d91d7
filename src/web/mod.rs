//! Articles from the web: a link fetched ([`fetch`]), a saved page or a fetched one read
//! ([`extract`], [`dates`], [`charset`]), and news feeds followed ([`feeds`]). Whatever comes in
//! becomes an ordinary text article of the corpus folder — `<date>-<title>.txt` (or
//! `undated-<title>.txt`) with a header block (`title`, `date`, `source`, `lang`) — so the
//! corpus stays plain text that a person can read and fix, and is loaded like any other.

pub mod charset;
pub mod dates;
pub mod extract;
pub mod feeds;
pub mod fetch;

use std::path::{Path, PathBuf};

use crate::corpus::{self, Article};
use crate::date::Date;
use crate::live::{AddOptions, Added, Refusal};

pub use fetch::{FetchError, Fetcher, Want};

/// A page to be added: its text (already decoded), where it came from, and whether it is
/// plain text rather than HTML.
#[derive(Clone, Debug)]
pub struct Page {
    /// The page's text.
    pub text: String,
    /// Its address, when it was fetched.
    pub url: Option<String>,
    /// Plain text rather than HTML.
    pub plain: bool,
}

impl Page {
    /// A fetched page.
    #[must_use]
    pub fn fetched(f: &fetch::Fetched) -> Page {
        Page {
            text: f.text(),
            url: Some(f.url.clone()),
            plain: f.is_plain_text(),
        }
    }

    /// A saved page's bytes (the charset from its BOM or `<meta>`).
    #[must_use]
    pub fn saved(bytes: &[u8]) -> Page {
        Page {
            text: charset::decode(bytes, None),
            url: None,
            plain: false,
        }
    }
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

/// Reads a page into an article's parts (title, text, date, language). Contains panics of the
/// HTML reader: a page that trips a bug is refused, not a crash.
pub fn read_page(page: &Page, today: Date) -> Result<extract::Extracted, Refusal> {
    let run = || {
        if page.plain {
            extract::plain(&page.text, page.url.as_deref(), today)
                .ok_or_else(|| extract::NotArticle::NoText.to_string())
        } else {
            extract::html(&page.text, page.url.as_deref(), today).map_err(|e| e.to_string())
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(e)) => Ok(e),
        Ok(Err(message)) => Err(Refusal::Web(message)),
        Err(panic) => Err(Refusal::Web(format!(
            "the page could not be read because of a bug in quotebot ({})",
            crate::error::panic_message(&*panic)
        ))),
    }
}

/// A saved page in the corpus folder (`.html`, `.htm`) read as an article: its text, title,
/// date and language extracted as for a link (the title from the file name when the page has
/// none, the date from a leading date in the file name when the page has none).
pub fn saved_page_article(
    path: &Path,
    bytes: &[u8],
) -> crate::Result<(Article, Vec<corpus::Problem>)> {
    let not_article = |message: String| crate::Error::NotArticle {
        path: path.to_path_buf(),
        message,
    };
    if looks_binary(bytes) {
        return Err(not_article("binary data, not a web page".into()));
    }
    let page = Page::saved(bytes);
    let extracted = read_page(&page, Date::today()).map_err(|r| not_article(r.to_string()))?;
    let sentences = corpus::split::sentences(&extracted.text);
    if sentences.is_empty() {
        return Err(crate::Error::NoText {
            path: path.to_path_buf(),
        });
    }
    let (name_title, name_date) = corpus::title_from_path(path);
    let date = extracted.date.map(|(d, _)| d).or(name_date);
    let mut warnings = Vec::new();
    if date.is_none() {
        warnings.push(corpus::Problem::Warning {
            path: path.to_path_buf(),
            line: None,
            message:
                "no date found in the page: answers from this article will say the date is unknown"
                    .into(),
        });
    }
    let title = if extracted.title.is_empty() {
        name_title
    } else {
        extracted.title
    };
    Ok((
        Article {
            title,
            date,
            source: extracted.canonical,
            lang: extracted.lang,
            path: path.to_path_buf(),
            text: extracted.text,
            sentences,
        },
        warnings,
    ))
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
    let extracted = read_page(page, Date::today())?;
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

    let name = file_name(date, &title);
    let (checked, _) = Article::parse(&dir.join(&name), content.as_bytes())
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
    let words: Vec<&str> = checked.text.split_whitespace().collect();
    let mut replaced = None;
    for a in existing {
        let same_source = source.is_some() && a.source == source;
        let same_text = a.text.split_whitespace().eq(words.iter().copied());
        if !(same_source || same_text) {
            continue;
        }
        // Adding again with the date an undated copy lacked replaces that copy.
        if a.date.is_none() && date.is_some() && options.date.is_some() {
            replaced = Some(a.path.clone());
            continue;
        }
        let why = if same_text {
            crate::live::relative(&a.path, dir)
        } else {
            format!("{} (the same source)", crate::live::relative(&a.path, dir))
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
            saved_as: crate::live::relative(&path, dir),
            renamed_from: None,
        },
        source,
        replaced: replaced.map(|p| crate::live::relative(&p, dir)),
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

/// Whether `s` is a link quotebot would fetch (one `http(s)://` word).
#[must_use]
pub fn is_link(s: &str) -> bool {
    let s = s.trim();
    !s.contains(char::is_whitespace)
        && (s.starts_with("http://") || s.starts_with("https://"))
        && fetch::parse_url(s).is_ok()
}

/// Whether bytes are binary data rather than a page: a NUL in the first 8 KiB (and no UTF-16
/// byte-order mark, where NULs are normal).
#[must_use]
pub fn looks_binary(bytes: &[u8]) -> bool {
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    !utf16 && bytes[..bytes.len().min(8192)].contains(&0)
}

/// `<date>-<title>.txt`, or `undated-<title>.txt`.
fn file_name(date: Option<Date>, title: &str) -> String {
    let slug: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(80).collect();
    let slug = if slug.is_empty() { "article" } else { &slug };
    match date {
        Some(d) => format!("{d}-{slug}.txt"),
        None => format!("undated-{slug}.txt"),
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
            file_name(d, "Grain deal: signed!"),
            "2024-09-30-Grain-deal-signed.txt"
        );
        assert_eq!(file_name(None, "Новости дня"), "undated-Новости-дня.txt");
        assert_eq!(file_name(None, "!!!"), "undated-article.txt");
    }

    #[test]
    fn links() {
        assert!(is_link(" https://example.org/a?b=c "));
        assert!(!is_link("see https://example.org/a"));
        assert!(!is_link("ftp://example.org"));
        assert!(!is_link("what about the grain deal?"));
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
