//! Text with a little style (bold, italic), written as plain text for the terminal or as
//! Telegram HTML, and cut to Telegram's length limit the way Telegram counts: visible
//! characters after entity parsing, in UTF-16 code units.

/// Telegram's limit on a message's visible text.
pub const TELEGRAM_LIMIT: usize = 4096;

/// How a reply is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Plain text, for the terminal.
    Plain,
    /// Telegram HTML (parse mode `HTML`).
    Html,
}

/// The style of a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// As it is.
    Normal,
    /// Bold (matched words, the quote in its context).
    Bold,
    /// Italic (hints).
    Italic,
}

/// Styled text: pieces one after another.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rich {
    parts: Vec<(String, Style)>,
}

/// `<`, `>` and `&` as HTML entities: what Telegram's HTML parse mode needs in text.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Length in UTF-16 code units, as Telegram counts.
#[must_use]
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

impl Rich {
    /// Empty text.
    #[must_use]
    pub fn new() -> Rich {
        Rich::default()
    }

    /// Plain text, unstyled.
    #[must_use]
    pub fn plain(text: impl Into<String>) -> Rich {
        let mut r = Rich::new();
        r.text(text);
        r
    }

    /// Appends text in a style.
    pub fn push(&mut self, text: impl Into<String>, style: Style) -> &mut Rich {
        let text = text.into();
        if !text.is_empty() {
            self.parts.push((text, style));
        }
        self
    }

    /// Appends plain text.
    pub fn text(&mut self, text: impl Into<String>) -> &mut Rich {
        self.push(text, Style::Normal)
    }

    /// Appends bold text.
    pub fn bold(&mut self, text: impl Into<String>) -> &mut Rich {
        self.push(text, Style::Bold)
    }

    /// Appends italic text.
    pub fn italic(&mut self, text: impl Into<String>) -> &mut Rich {
        self.push(text, Style::Italic)
    }

    /// Appends another text.
    pub fn append(&mut self, other: Rich) -> &mut Rich {
        self.parts.extend(other.parts);
        self
    }

    /// The visible text's length in UTF-16 code units.
    #[must_use]
    pub fn visible_len(&self) -> usize {
        self.parts.iter().map(|(t, _)| utf16_len(t)).sum()
    }

    /// Cuts the text so that its visible length is at most `limit`, ending it with `…` when
    /// anything was cut.
    pub fn truncate(&mut self, limit: usize) {
        if self.visible_len() <= limit {
            return;
        }
        let budget = limit.saturating_sub(1);
        let mut used = 0;
        let mut kept = Vec::new();
        for (text, style) in std::mem::take(&mut self.parts) {
            let len = utf16_len(&text);
            if used + len <= budget {
                used += len;
                kept.push((text, style));
                continue;
            }
            let mut cut = String::new();
            for c in text.chars() {
                if used + c.len_utf16() > budget {
                    break;
                }
                used += c.len_utf16();
                cut.push(c);
            }
            if !cut.is_empty() {
                kept.push((cut, style));
            }
            break;
        }
        kept.push(("…".to_string(), Style::Normal));
        self.parts = kept;
    }

    /// The text in a format.
    #[must_use]
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Plain => self.parts.iter().map(|(t, _)| t.as_str()).collect(),
            Format::Html => {
                let mut out = String::new();
                for (text, style) in &self.parts {
                    let text = escape_html(text);
                    match style {
                        Style::Normal => out.push_str(&text),
                        Style::Bold => {
                            out.push_str("<b>");
                            out.push_str(&text);
                            out.push_str("</b>");
                        }
                        Style::Italic => {
                            out.push_str("<i>");
                            out.push_str(&text);
                            out.push_str("</i>");
                        }
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_plain_and_escaped_html() {
        let mut r = Rich::new();
        r.text("a < b & ").bold("c > d").text(" ").italic("e");
        assert_eq!(r.render(Format::Plain), "a < b & c > d e");
        assert_eq!(
            r.render(Format::Html),
            "a &lt; b &amp; <b>c &gt; d</b> <i>e</i>"
        );
        assert_eq!(r.visible_len(), 15);
    }

    #[test]
    fn truncation_counts_utf16_and_keeps_tags_balanced() {
        let mut r = Rich::new();
        r.text("ab").bold("😀😀😀").text("tail");
        // 2 + 6 (three astral characters) + 4 = 12 units.
        assert_eq!(r.visible_len(), 12);
        r.truncate(7);
        assert_eq!(r.render(Format::Html), "ab<b>😀😀</b>…");
        assert!(r.visible_len() <= 7, "{}", r.visible_len());
        let mut short = Rich::new();
        short.text("short");
        short.truncate(100);
        assert_eq!(short.render(Format::Plain), "short");
    }
}
