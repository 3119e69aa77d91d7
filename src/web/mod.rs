//! The web: a link fetched ([`fetch`]), a saved page or a fetched one read into an article's
//! parts ([`extract`], [`dates`], [`charset`]). It knows nothing of the corpus folder: adding
//! what it reads is [`crate::intake`]'s (an ordinary text article — `<date>-<title>.txt` or
//! `undated-<title>.txt` with a header block — so the corpus stays plain text that a person
//! can read and fix), and a saved page in the folder is read by [`crate::corpus::html`].

pub mod charset;
pub mod dates;
pub mod extract;
pub mod fetch;

use crate::date::Date;

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

/// Reads a page into an article's parts (title, text, date, language). Contains panics of the
/// HTML reader: a page that trips a bug is refused, not a crash.
pub fn read_page(page: &Page, today: Date) -> Result<extract::Extracted, String> {
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
        Ok(Err(message)) => Err(message),
        Err(panic) => Err(format!(
            "the page could not be read because of a bug in quotebot ({})",
            crate::error::panic_message(&*panic)
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert!(is_link(" https://example.org/a?b=c "));
        assert!(!is_link("see https://example.org/a"));
        assert!(!is_link("ftp://example.org"));
        assert!(!is_link("what about the grain deal?"));
    }
}
