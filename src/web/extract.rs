//! A web page to an article: its main text (menus, banners, "related stories" and comments
//! left out, by `dom_smoothie`, a port of Mozilla's Readability), its title, its publication
//! date ([`super::dates`]) and its language. The text comes out as paragraphs separated by
//! blank lines, which the corpus reads as sentence boundaries.

use dom_query::Document;

use super::dates::{self, DateSource};
use crate::date::Date;

/// Pages with more elements than this are refused rather than parsed (a page of a million
/// elements is no article, and would take seconds).
const MAX_ELEMENTS: usize = 200_000;

/// Words in a class or id that mark boilerplate Readability does not know by name (it drops
/// menus, footers, comments and "related" blocks itself): cookie and consent banners,
/// newsletter and paywall prompts.
const BOILERPLATE: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "newsletter",
    "paywall",
    "subscribe",
    "subscription",
];

/// Such blocks are short; a long one is kept whatever its name.
const BOILERPLATE_MAX_CHARS: usize = 1500;

/// Removes cookie banners and the like: elements with a class or id word (split at `-` and
/// `_`) in [`BOILERPLATE`] and little text. `<html>`, `<body>`, `<main>` and `<article>`
/// are never removed (a site's `<html>` may carry a class like `newsletter-module-on`).
fn drop_boilerplate(doc: &Document) {
    let candidates = doc.select("[class], [id]");
    for el in candidates.iter() {
        if el.is("html, body, main, article") {
            continue;
        }
        let names = format!(
            "{} {}",
            el.attr("class").unwrap_or_default(),
            el.attr("id").unwrap_or_default()
        );
        let marked = names
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .any(|w| BOILERPLATE.iter().any(|b| w.eq_ignore_ascii_case(b)));
        if marked && el.text().chars().count() < BOILERPLATE_MAX_CHARS {
            el.remove();
        }
    }
}

/// What was read from a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Extracted {
    /// The article's title; empty when the page has none.
    pub title: String,
    /// The main text: paragraphs separated by blank lines.
    pub text: String,
    /// The publication date, and where it was found.
    pub date: Option<(Date, DateSource)>,
    /// The language, lowercased (`en`, `ru`, `fa`…).
    pub lang: Option<String>,
    /// The page's own address (`<link rel="canonical">`, `og:url`), for a saved page's source.
    pub canonical: Option<String>,
}

/// Why a page gave no article.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotArticle {
    /// Nothing that reads as an article's text.
    #[error("no article text found on the page")]
    NoText,
    /// Too many elements to parse.
    #[error("the page is too complex to read ({0} elements)")]
    TooComplex(usize),
    /// Elements nested deeper than any article's (the HTML tree and the readers of it recurse,
    /// and would overflow the stack).
    #[error("the page is nested too deeply to read (more than {MAX_DEPTH} levels)")]
    TooDeep,
}

/// Pages nesting elements deeper than this are refused before they are parsed (real pages
/// stay well under a hundred; the extraction's time grows with depth × text).
pub const MAX_DEPTH: usize = 256;

/// Elements that never contain others, or that the parser closes when the next one starts:
/// they add no depth.
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "!doctype",
];

/// A quick look at a page's tags before it is parsed: refuses one nested too deeply or with
/// too many elements. Comments and the text of scripts and styles are skipped.
pub fn check_structure(page: &str) -> Result<(), NotArticle> {
    let b = page.as_bytes();
    let (mut i, mut elements) = (0usize, 0usize);
    // The open elements, as the parser will see them: an end tag closes its element and those
    // opened inside it, and one that matches nothing open is ignored (`<div></x>` nests).
    let mut open: Vec<String> = Vec::new();
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = memchr::memmem::find(&b[i..], b"-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'!' || **c == b'-')
            .count();
        if len == 0 || !(b[start].is_ascii_alphabetic() || b[start] == b'!') {
            continue;
        }
        let name = page[start..start + len].to_ascii_lowercase();
        let end = memchr::memchr(b'>', &b[start..]).map_or(b.len(), |e| start + e);
        i = end.min(b.len());
        if closing {
            if let Some(at) = open.iter().rposition(|n| *n == name) {
                open.truncate(at);
            }
            continue;
        }
        elements += 1;
        if name == "script" || name == "style" {
            // To its closing tag, whatever its case.
            loop {
                match memchr::memmem::find(&b[i..], b"</") {
                    Some(e) => {
                        i += e + 2;
                        if b.len() >= i + len && b[i..i + len].eq_ignore_ascii_case(name.as_bytes())
                        {
                            break;
                        }
                    }
                    None => {
                        i = b.len();
                        break;
                    }
                }
            }
            continue;
        }
        // `/>` closes an element only in SVG and MathML; in HTML `<div/>` opens a div.
        let self_closing = end > 0
            && b.get(end - 1) == Some(&b'/')
            && open.iter().any(|n| n == "svg" || n == "math");
        if !self_closing && !FLAT.contains(&name.as_str()) {
            open.push(name);
            if open.len() > MAX_DEPTH {
                return Err(NotArticle::TooDeep);
            }
        }
    }
    if elements > MAX_ELEMENTS {
        return Err(NotArticle::TooComplex(elements));
    }
    Ok(())
}

/// Reads an HTML page. `url` is where it came from (for dates in the address), `today` bounds
/// the dates accepted.
pub fn html(page: &str, url: Option<&str>, today: Date) -> Result<Extracted, NotArticle> {
    check_structure(page)?;
    let doc = Document::from(page);
    let date = dates::from_document(&doc, url, today);
    let lang = page_lang(&doc);
    let canonical = doc
        .select("link[rel=canonical]")
        .attr("href")
        .or_else(|| doc.select("meta[property='og:url']").attr("content"))
        .map(|u| u.trim().to_string())
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let h1 = one_line(&doc.select("h1").first().text());
    drop_boilerplate(&doc);
    let config = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        max_elements_to_parse: MAX_ELEMENTS,
        ..dom_smoothie::Config::default()
    };
    let base = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let mut reader = dom_smoothie::Readability::with_document(doc, base, Some(config.clone()))
        .or_else(|_| {
            dom_smoothie::Readability::with_document(Document::from(page), None, Some(config))
        })
        .map_err(|_| NotArticle::NoText)?;
    let article = match reader.parse() {
        Ok(a) => a,
        Err(dom_smoothie::ReadabilityError::TooManyElements(n, _)) => {
            return Err(NotArticle::TooComplex(n));
        }
        Err(_) => return Err(NotArticle::NoText),
    };
    let text = paragraphs(&article.text_content);
    if text.trim().is_empty() {
        return Err(NotArticle::NoText);
    }
    let mut title = one_line(&article.title);
    // "Headline | Site" when the page's own headline is the first part of it.
    if title.is_empty() || (!h1.is_empty() && title.len() > h1.len() && title.contains(&h1)) {
        title = h1;
    }
    let date = date.or_else(|| {
        // The dateline at the top of the article's own text.
        let head: String = text.chars().take(1000).collect();
        dates::in_text(&head)
            .filter(|&d| dates::plausible(d, today))
            .map(|d| (d, DateSource::Text))
    });
    let lang = lang
        .or_else(|| article.lang.as_deref().and_then(lang_code))
        .or_else(|| guess_lang(&text));
    Ok(Extracted {
        title,
        text,
        date,
        lang,
        canonical,
    })
}

/// Reads a plain-text page: the first line is its title, the rest its text; a date in its
/// first lines or its address.
#[must_use]
pub fn plain(page: &str, url: Option<&str>, today: Date) -> Option<Extracted> {
    let page = page.trim_start_matches('\u{feff}');
    let mut lines = page.lines().skip_while(|l| l.trim().is_empty());
    let title = one_line(lines.next()?);
    let text = paragraphs(&lines.collect::<Vec<_>>().join("\n"));
    let text = if text.trim().is_empty() {
        title.clone()
    } else {
        text
    };
    let head: String = page.chars().take(600).collect();
    let date = dates::in_text(&head)
        .filter(|&d| dates::plausible(d, today))
        .map(|d| (d, DateSource::Text))
        .or_else(|| {
            url.and_then(dates::in_url)
                .filter(|&d| dates::plausible(d, today))
                .map(|d| (d, DateSource::Url))
        });
    let lang = guess_lang(&text);
    Some(Extracted {
        title,
        text,
        date,
        lang,
        canonical: None,
    })
}

/// Text as paragraphs: white space inside a line collapsed, each non-empty line a paragraph
/// of its own, separated by blank lines.
#[must_use]
pub fn paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut first = true;
        let mut any = false;
        for word in line.split_whitespace() {
            if !any && !out.is_empty() {
                out.push_str("\n\n");
            }
            any = true;
            if !first {
                out.push(' ');
            }
            first = false;
            out.push_str(word);
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page's declared language: `<html lang>`, `Content-Language`, `og:locale`.
fn page_lang(doc: &Document) -> Option<String> {
    let html_lang = doc.select("html").attr("lang");
    let meta = || {
        doc.select(
            "meta[http-equiv=content-language], meta[property='og:locale'], meta[name=language]",
        )
        .attr("content")
    };
    html_lang.or_else(meta).and_then(|l| lang_code(&l))
}

/// `en-US`, `ru_RU`, `FA` → `en`, `ru`, `fa`.
fn lang_code(l: &str) -> Option<String> {
    let code = l.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (code.len() >= 2 && code.len() <= 3 && code.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some(code)
}

/// A guess from the script of the text, for pages that declare no language: Cyrillic is
/// Russian, Arabic script with Persian letters is Persian. Latin text is left unguessed.
fn guess_lang(text: &str) -> Option<String> {
    let (mut cyrillic, mut arabic, mut persian, mut letters) = (0usize, 0usize, 0usize, 0usize);
    for c in text.chars().take(5000).filter(|c| c.is_alphabetic()) {
        letters += 1;
        match c {
            '\u{0400}'..='\u{04FF}' => cyrillic += 1,
            'پ' | 'چ' | 'ژ' | 'گ' | 'ک' | 'ی' => {
                arabic += 1;
                persian += 1;
            }
            '\u{0600}'..='\u{06FF}' => arabic += 1,
            _ => {}
        }
    }
    if letters == 0 {
        return None;
    }
    if cyrillic * 2 > letters {
        Some("ru".into())
    } else if arabic * 2 > letters {
        Some(if persian > 0 { "fa" } else { "ar" }.into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en-GB"><head><title>Grain deal signed | Example News</title>
<meta property="article:published_time" content="2024-09-30T08:00:00+03:00"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<div class="cookie">We use cookies. Accept all cookies to continue.</div>
<article><h1>Grain deal signed</h1>
<p>Iran and Russia signed a grain deal in Moscow on Monday, officials from both countries said in a statement.</p>
<p>Once the grain export is concluded, Iran can become a grain hub in the region, the minister added after the talks.</p>
<p>The agreement covers wheat, barley and corn shipped across the Caspian Sea over the next five years.</p>
</article><footer>© 2026 Example News. All rights reserved.</footer></body></html>"#;

    #[test]
    fn the_article_its_title_date_and_language() {
        let today = Date::parse_iso("2026-12-07").unwrap();
        let e = html(PAGE, Some("https://news.example/a"), today).unwrap();
        assert!(e.title.starts_with("Grain deal signed"), "{e:?}");
        assert_eq!(
            e.date,
            Some((Date::parse_iso("2024-09-30").unwrap(), DateSource::Meta))
        );
        assert_eq!(e.lang.as_deref(), Some("en"));
        assert!(e.text.contains("Iran can become a grain hub"), "{e:?}");
        assert!(e.text.contains("\n\n"), "{e:?}");
        assert!(!e.text.contains("cookies"), "{e:?}");
        assert!(!e.text.contains("All rights reserved"), "{e:?}");
    }

    #[test]
    fn nothing_readable_is_no_article() {
        let today = Date::today();
        assert_eq!(html("", None, today), Err(NotArticle::NoText));
        assert_eq!(
            html("<html><body><img src=x></body></html>", None, today),
            Err(NotArticle::NoText)
        );
    }

    #[test]
    fn deep_or_huge_pages_are_refused_before_parsing() {
        let today = Date::today();
        let deep = format!("<html><body>{}text", "<b>".repeat(100_000));
        assert_eq!(html(&deep, None, today), Err(NotArticle::TooDeep));
        let deep = format!("{}<p>x</p>{}", "<div>".repeat(2000), "</div>".repeat(2000));
        assert_eq!(check_structure(&deep), Err(NotArticle::TooDeep));
        // End tags that close nothing, and `/>` on HTML elements, close nothing.
        for trick in ["<div></x>", "<div/>", "<section></div>"] {
            let deep = format!("<html><body>{}text", trick.repeat(2000));
            assert_eq!(check_structure(&deep), Err(NotArticle::TooDeep), "{trick}");
        }
        // In SVG, `/>` does close: a drawing of many paths is flat.
        let drawing = format!(
            "<svg>{}</svg><p>text</p>",
            "<path d=\"M0 0\"/>".repeat(2000)
        );
        assert_eq!(check_structure(&drawing), Ok(()));
        let many = "<span>a</span>".repeat(MAX_ELEMENTS + 1);
        assert!(matches!(
            check_structure(&many),
            Err(NotArticle::TooComplex(_))
        ));
        // Unclosed paragraphs and list items, comments and scripts add no depth.
        let sloppy = format!(
            "<ul>{}</ul><!-- {} --><script>{}</script>",
            "<li><p>item".repeat(5000),
            "<div>".repeat(5000),
            "'<div>'".repeat(5000)
        );
        assert_eq!(check_structure(&sloppy), Ok(()));
        assert_eq!(check_structure(PAGE), Ok(()));
    }

    #[test]
    fn paragraphs_are_separated_by_blank_lines() {
        assert_eq!(paragraphs("  a  b \n\n\n c\nd  "), "a b\n\nc\n\nd");
    }

    #[test]
    fn languages_from_the_page_or_its_script() {
        assert_eq!(guess_lang("Новости дня"), Some("ru".into()));
        assert_eq!(guess_lang("خبرهای روز ایران"), Some("fa".into()));
        assert_eq!(guess_lang("Plain English"), None);
        assert_eq!(lang_code("fa-IR"), Some("fa".into()));
    }
}
