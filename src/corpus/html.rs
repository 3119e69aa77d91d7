//! Saved web pages (`.html`, `.htm`) in the corpus folder, read as articles with the web
//! extraction ([`crate::web`]).

use std::path::Path;

use crate::corpus::{self, Article};
use crate::date::Date;
use crate::web::{Page, looks_binary, read_page};

/// A saved page in the corpus folder (`.html`, `.htm`) read as an article: its text, title,
/// date and language extracted as for a link (the title from the file name when the page has
/// none, the date from a leading date in the file name when the page has none).
pub fn article(path: &Path, bytes: &[u8]) -> crate::Result<(Article, Vec<corpus::Problem>)> {
    let not_article = |message: String| crate::Error::NotArticle {
        path: path.to_path_buf(),
        message,
    };
    if looks_binary(bytes) {
        return Err(not_article("binary data, not a web page".into()));
    }
    let page = Page::saved(bytes);
    let extracted = read_page(&page, Date::today()).map_err(not_article)?;
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
            text: extracted.text.into(),
            sentences,
        },
        warnings,
    ))
}
