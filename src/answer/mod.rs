//! Answers and how they are written: plain text for people at a terminal, JSON lines for
//! scripts, and (in [`replies`], through [`rich`]) everything the bot and the terminal chat
//! say. The end of the flow in the crate docs; handlers and the CLI never format text
//! themselves.

pub mod operators;
pub mod replies;
pub mod rich;

use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

use crate::date::Date;
use crate::search::SentenceId;

/// What is said when nothing in the articles answers a question.
pub const NOT_FOUND: &str = "Sorry, I found nothing about that in the articles.";

/// What is said for an empty question.
pub const EMPTY_QUESTION: &str = "(empty question)";

/// One answer: a sentence quoted from an article, with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// The sentence exactly as in the article, line breaks as spaces.
    pub quote: String,
    /// The article's title.
    pub title: String,
    /// The article's date, if known.
    pub date: Option<Date>,
    /// The article's file.
    pub path: String,
    /// The article's source, if given.
    pub source: Option<String>,
    /// The score (higher is better; about 1 when the sentence holds every question word).
    #[serde(serialize_with = "three_decimals")]
    pub score: f32,
    /// Byte ranges of `quote` that matched question words.
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
    /// The sentence in the index it came from.
    #[serde(skip)]
    pub sentence: SentenceId,
    /// The index generation it came from.
    #[serde(skip)]
    pub generation: u64,
}

fn three_decimals<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*v) * 1000.0).round() / 1000.0)
}

/// A sentence as a quote: white space that holds a line break becomes one space.
#[must_use]
pub fn quote_text(sentence: &str) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut chars = sentence.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_whitespace() {
            out.push(c);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !d.is_whitespace() {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let run = &sentence[i..end];
        if run.contains('\n') {
            out.push(' ');
        } else {
            out.push_str(run);
        }
    }
    out
}

/// The date as people read it, or "date unknown".
#[must_use]
pub fn human_date(date: Option<Date>) -> String {
    date.map_or_else(|| "date unknown".to_string(), Date::human)
}

/// The sentences around an answer's quote, for "Context": its article and the quote's
/// position in it (the engine finds them, [`replies::context_in`] writes them).
#[derive(Clone, Debug)]
pub struct Context {
    /// The article.
    pub article: std::sync::Arc<crate::corpus::Article>,
    /// The quote's sentence, counted from the article's first.
    pub position: usize,
}

impl Answer {
    /// "Title, 30 September 2024".
    #[must_use]
    pub fn citation(&self) -> String {
        format!("{}, {}", self.title, human_date(self.date))
    }
}

/// Plain text of the answers to one question, for a terminal.
#[must_use]
pub fn plain(answers: &[Answer]) -> String {
    match answers {
        [] => NOT_FOUND.to_string(),
        [one] => format!("“{}”\n— {}", one.quote, one.citation()),
        many => {
            let mut out = String::new();
            for (i, a) in many.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let _ = write!(out, "{}. “{}”\n   — {}", i + 1, a.quote, a.citation());
            }
            out
        }
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    question: &'a str,
    answers: &'a [Answer],
}

/// One JSON object for one question, on one line:
/// `{"question": …, "answers": [{"quote", "title", "date", "path", "source", "score"}, …]}`.
#[must_use]
pub fn json(question: &str, answers: &[Answer]) -> String {
    serde_json::to_string(&JsonLine { question, answers })
        .expect("answers always serialize: strings, numbers and nulls")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(quote: &str, date: Option<Date>) -> Answer {
        Answer {
            quote: quote.into(),
            title: "Grain deal".into(),
            date,
            path: "corpus/a.txt".into(),
            source: None,
            score: 0.61234,
            highlights: vec![],
            sentence: 0,
            generation: 1,
        }
    }

    #[test]
    fn quotes_turn_line_breaks_into_spaces_only() {
        assert_eq!(
            quote_text("One line\nwraps  here\n  and\tthere."),
            "One line wraps  here and\tthere."
        );
    }

    #[test]
    fn plain_text_for_one_and_many() {
        let a = answer("Iran can become a grain hub.", Date::new(2024, 9, 30));
        assert_eq!(
            plain(std::slice::from_ref(&a)),
            "“Iran can become a grain hub.”\n— Grain deal, 30 September 2024"
        );
        let b = answer("Second.", None);
        assert_eq!(
            plain(&[a, b]),
            "1. “Iran can become a grain hub.”\n   — Grain deal, 30 September 2024\n2. “Second.”\n   — Grain deal, date unknown"
        );
        assert_eq!(plain(&[]), NOT_FOUND);
    }

    #[test]
    fn json_has_the_contract_fields_in_order() {
        let a = answer("Say \"hi\".", Date::new(2024, 9, 30));
        assert_eq!(
            json("q?", &[a]),
            r#"{"question":"q?","answers":[{"quote":"Say \"hi\".","title":"Grain deal","date":"2024-09-30","path":"corpus/a.txt","source":null,"score":0.612}]}"#
        );
        assert_eq!(json("", &[]), r#"{"question":"","answers":[]}"#);
    }
}
