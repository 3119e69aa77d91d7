//! The header of a corpus file: `date YYYY-MM-DD` before the text (the form the first article
//! came in), or a block of `key: value` lines (`title`, `date`, `source`, `lang`) ended by a
//! blank line. Only those four keys are headers, so a first line like `WASHINGTON: …` or
//! `Date palms grow…` is article text.

use std::path::Path;

use crate::date::Date;
use crate::error::{Error, Result};

/// What the header said, and where the article text starts.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Header {
    pub title: Option<String>,
    pub date: Option<Date>,
    pub source: Option<String>,
    pub lang: Option<String>,
    /// Byte offset of the article text in the file.
    pub body_start: usize,
    /// Header values that were not understood (1-based line, message): warnings, not errors.
    pub notes: Vec<(usize, String)>,
}

enum Line<'a> {
    /// A header line; `rest` is article text that follows a `date` on the same line.
    Header {
        key: &'static str,
        value: &'a str,
        rest: Option<&'a str>,
    },
    Blank,
    Text,
}

/// Parses the header of `text` (the whole file, BOM removed, line breaks `\n`).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Header> {
    let mut header = Header::default();
    let mut seen_any = false;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        match classify(line) {
            Line::Blank => {
                offset += line.len();
                if seen_any {
                    header.body_start = offset;
                    return Ok(header);
                }
            }
            Line::Text => {
                header.body_start = offset;
                return Ok(header);
            }
            Line::Header { key, value, rest } => {
                seen_any = true;
                match key {
                    "date" => {
                        if Date::is_date_shaped(value) {
                            match Date::parse_iso(value) {
                                Some(d) => header.date = Some(d),
                                None => {
                                    return Err(Error::BadDate {
                                        path: path.to_path_buf(),
                                        line: line_no,
                                        value: value.to_string(),
                                    });
                                }
                            }
                        } else {
                            header.notes.push((
                                line_no,
                                format!("date {value:?} not understood (expected YYYY-MM-DD)"),
                            ));
                        }
                    }
                    "title" => header.title = non_empty(value),
                    "source" => header.source = non_empty(value),
                    "lang" => header.lang = non_empty(value).map(|v| v.to_lowercase()),
                    _ => unreachable!("classify returns only known keys"),
                }
                if let Some(rest) = rest {
                    // `date 2024-09-30 In a meeting…`: the text starts on the date's line.
                    header.body_start = offset + (rest.as_ptr() as usize - line.as_ptr() as usize);
                    return Ok(header);
                }
                offset += line.len();
            }
        }
    }
    header.body_start = text.len();
    Ok(header)
}

fn non_empty(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn classify(line: &str) -> Line<'_> {
    let t = line.trim();
    if t.is_empty() {
        return Line::Blank;
    }
    let key_len = t.bytes().take_while(u8::is_ascii_alphabetic).count();
    let key = match t[..key_len].to_ascii_lowercase().as_str() {
        "title" => "title",
        "date" => "date",
        "source" => "source",
        "lang" | "language" => "lang",
        _ => return Line::Text,
    };
    let after = &t[key_len..];
    if let Some(v) = after.strip_prefix(':') {
        let v = v.trim();
        if key != "date" {
            return Line::Header {
                key,
                value: v,
                rest: None,
            };
        }
        let (value, rest) = split_first_word(v);
        return Line::Header { key, value, rest };
    }
    // Without a colon only a date-shaped `date` counts: "Date palms grow…" is text.
    if key == "date" && after.starts_with(char::is_whitespace) {
        let (value, rest) = split_first_word(after.trim_start());
        if Date::is_date_shaped(value) {
            return Line::Header { key, value, rest };
        }
    }
    Line::Text
}

/// `"2024-09-30 In a held…"` → (`"2024-09-30"`, `Some("In a held…")`).
fn split_first_word(v: &str) -> (&str, Option<&str>) {
    match v.find(char::is_whitespace) {
        Some(i) => {
            let rest = v[i..].trim_start();
            (&v[..i], (!rest.is_empty()).then_some(rest))
        }
        None => (v, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Header {
        parse(Path::new("t.txt"), text).unwrap()
    }

    #[test]
    fn date_line_with_text_on_the_same_line() {
        let text = " date 2024-09-30 In a held between delegations.\n\nMore.";
        let h = parse_ok(text);
        assert_eq!(h.date, Date::new(2024, 9, 30));
        assert_eq!(
            &text[h.body_start..],
            "In a held between delegations.\n\nMore."
        );
    }

    #[test]
    fn date_line_with_text_on_the_next_line() {
        let text = "date: 2024-09-30\nThe text.";
        let h = parse_ok(text);
        assert_eq!(h.date, Date::new(2024, 9, 30));
        assert_eq!(&text[h.body_start..], "The text.");
    }

    #[test]
    fn header_block() {
        let text =
            "Title: Grain deal\ndate 2024-10-01\nsource: https://example.com/a\nlang: RU\n\nBody.";
        let h = parse_ok(text);
        assert_eq!(h.title.as_deref(), Some("Grain deal"));
        assert_eq!(h.date, Date::new(2024, 10, 1));
        assert_eq!(h.source.as_deref(), Some("https://example.com/a"));
        assert_eq!(h.lang.as_deref(), Some("ru"));
        assert_eq!(&text[h.body_start..], "Body.");
    }

    #[test]
    fn lines_that_only_look_like_headers_are_text() {
        for text in [
            "WASHINGTON: The senate voted.",
            "Date palms grow in Iran.",
            "Titles matter.",
        ] {
            let h = parse_ok(text);
            assert_eq!(h.body_start, 0, "{text:?}");
            assert_eq!(h.date, None);
        }
    }

    #[test]
    fn malformed_date_is_an_error_with_its_line() {
        let err = parse(Path::new("x.txt"), "title: A\ndate: 2024-13-45\n\nText").unwrap_err();
        assert!(
            matches!(&err, Error::BadDate { line: 2, value, .. } if value == "2024-13-45"),
            "{err:?}"
        );
        let err = parse(Path::new("x.txt"), "date 2024-02-30 Text").unwrap_err();
        assert_eq!(err.line(), Some(1), "{err:?}");
    }

    #[test]
    fn a_date_that_is_not_date_shaped_is_a_note() {
        let h = parse_ok("title: A\ndate: yesterday\n\nText.");
        assert_eq!(h.date, None);
        assert_eq!(h.notes.len(), 1, "{:?}", h.notes);
        assert_eq!(h.notes[0].0, 2);
    }

    #[test]
    fn header_only_file_has_an_empty_body() {
        let text = "title: A\ndate: 2024-01-01\n";
        let h = parse_ok(text);
        assert_eq!(&text[h.body_start..], "");
    }
}
