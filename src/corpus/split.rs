//! Sentence splitting: article text → byte spans of sentences.
//!
//! News text is full of full stops that end nothing (`U.S.`, `Mr.`, `J. R. R. Tolkien`, `$1.2`,
//! `10.30 a.m.`), and the benchmark text of `../shared/bench` is pre-tokenized (`Africa .`,
//! `` `` word '' ``). The rules, in the order they are applied at each `.`, `!`, `?`, `…`:
//!
//! 1. A blank line always ends a sentence (paragraphs, captions, headings).
//! 2. A terminator only ends a sentence when white space follows it, after any closing quotes
//!    or brackets (`.”`, `.»`, `."`, `. ''`), which stay with the sentence they close.
//! 3. Nothing ends before a word that starts with a lowercase letter (`e.g. this`, `a.m. on`).
//! 4. After a `.`: titles (`Mr.`, `Dr.`, `Gen.`) and single initials (`J.`) never end a
//!    sentence; `No.`/`Vol.`/`p.` do not before a number; acronyms and abbreviations that can
//!    also end one (`U.S.`, `a.m.`, `etc.`, `Inc.`, `Jan.`) end it only before a word that
//!    typically starts a sentence (`The`, `He`, `In`, …).
//!
//! Spans are trimmed of white space and index the text given, so quotes keep the article's own
//! characters.

use crate::corpus::Span;

/// Splits `text` into sentence spans, in order. Sentences without any letter or digit
/// (`* * *`, `…`) are left out.
#[must_use]
pub fn sentences(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for para in paragraphs(text) {
        split_paragraph(text, para, &mut out);
    }
    out
}

/// Byte ranges of the paragraphs of `text`: runs of lines that are not blank.
fn paragraphs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        // Skip blank lines.
        let bytes = text.as_bytes();
        loop {
            if pos >= bytes.len() {
                return None;
            }
            let line_end = memchr_newline(bytes, pos).map_or(bytes.len(), |i| i + 1);
            if text[pos..line_end].trim().is_empty() {
                pos = line_end;
            } else {
                break;
            }
        }
        let start = pos;
        let mut end = pos;
        while pos < bytes.len() {
            let line_end = memchr_newline(bytes, pos).map_or(bytes.len(), |i| i + 1);
            if text[pos..line_end].trim().is_empty() {
                break;
            }
            end = line_end;
            pos = line_end;
        }
        Some((start, end))
    })
}

fn memchr_newline(bytes: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\n', &bytes[from..]).map(|i| i + from)
}

fn is_terminator(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '؟' | '۔' | '。' | '！' | '？' | '‼' | '⁇' | '⁈' | '⁉'
    )
}

/// Closing marks that belong to the sentence they follow.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}' | '」' | '』'
    )
}

/// Opening marks that may come before the first word of a sentence.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '‘'
            | '«'
            | '‹'
            | '('
            | '['
            | '{'
            | '`'
            | '„'
            | '‚'
            | '「'
            | '『'
            | '¿'
            | '¡'
    )
}

fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|t| t.chars().next())
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    while let Some(c) = char_at(s, i) {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn ws_or_end(s: &str, i: usize) -> bool {
    char_at(s, i).is_none_or(char::is_whitespace)
}

fn split_paragraph(text: &str, (pstart, pend): (usize, usize), out: &mut Vec<Span>) {
    let p = &text[pstart..pend];
    let bytes = p.as_bytes();
    let mut sent_start = 0;
    let mut i = 0;
    // In ASCII text the only terminators are `.`, `!` and `?`: jump from one to the next.
    let ascii = p.is_ascii();
    while i < bytes.len() {
        if ascii {
            match memchr::memchr3(b'.', b'!', b'?', &bytes[i..]) {
                Some(k) => i += k,
                None => break,
            }
        }
        let b = bytes[i];
        // ASCII bytes other than the three terminators, and continuation bytes, are skipped
        // without decoding.
        if b < 0x80 && b != b'.' && b != b'!' && b != b'?' || (0x80..0xC0).contains(&b) {
            i += 1;
            continue;
        }
        let Some(c) = char_at(p, i) else {
            i += 1;
            continue;
        };
        if !is_terminator(c) {
            i += c.len_utf8();
            continue;
        }
        let term_start = i;
        let mut j = i;
        while let Some(c) = char_at(p, j).filter(|&c| is_terminator(c)) {
            j += c.len_utf8();
        }
        let run = &p[term_start..j];
        while let Some(c) = char_at(p, j).filter(|&c| is_closer(c)) {
            j += c.len_utf8();
        }
        i = j;
        if !ws_or_end(p, j) {
            continue;
        }
        let mut end = j;
        // Pre-tokenized text puts closing quotes after a space: `go . ''`.
        let k = skip_ws(p, j);
        if let Some(len) = detached_closer(p, k) {
            end = k + len;
        }
        let next = skip_ws(p, end);
        if next >= p.len() {
            break;
        }
        if ends_sentence(p, term_start, run, next) {
            push_trimmed(text, pstart + sent_start, pstart + end, out);
            sent_start = next;
        }
        i = next.max(i);
    }
    push_trimmed(text, pstart + sent_start, pend, out);
}

/// Length of a closing quote standing on its own at `k` (`''`, `"`, `”`, `»`, `-RRB-`).
fn detached_closer(p: &str, k: usize) -> Option<usize> {
    let rest = p.get(k..)?;
    for tok in ["''", "-RRB-", "-RSB-", "-RCB-"] {
        if rest.starts_with(tok) && ws_or_end(p, k + tok.len()) {
            return Some(tok.len());
        }
    }
    let c = rest.chars().next()?;
    (matches!(c, '"' | '”' | '»' | ')' | '’') && ws_or_end(p, k + c.len_utf8()))
        .then(|| c.len_utf8())
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.chars().any(char::is_alphanumeric) {
        let a = start + lead;
        out.push(Span::new(a, a + t.len()));
    }
}

/// Abbreviations that are not followed by the end of a sentence: titles before names and
/// words that are always followed by more.
const NEVER_END: &[&str] = &[
    "mr", "mrs", "ms", "messrs", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm",
    "maj", "brig", "cpl", "pvt", "gov", "sen", "rep", "rev", "hon", "pres", "supt", "st", "mt",
    "ft", "vs", "v", "approx", "ca", "cf", "dept", "univ", "assn", "ave", "blvd", "rd", "hwy",
    "mme", "mlle", "esq", "fr", "msgr",
];

/// Abbreviations that are followed by a number: `No. 5`, `Vol. 2`, `p. 14`.
const BEFORE_NUMBER: &[&str] = &[
    "no", "nos", "vol", "p", "pp", "fig", "art", "sec", "ch", "op",
];

/// Abbreviations that may end a sentence as well as sit inside one.
const MAYBE_END: &[&str] = &[
    "etc", "inc", "corp", "ltd", "co", "jr", "sr", "bros", "llc", "plc", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

/// Words that typically start a sentence; after an ambiguous abbreviation they tip the balance.
const STARTERS: &[&str] = &[
    "a",
    "according",
    "after",
    "also",
    "an",
    "and",
    "as",
    "at",
    "before",
    "but",
    "during",
    "for",
    "he",
    "her",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "it",
    "its",
    "many",
    "meanwhile",
    "most",
    "mr",
    "mrs",
    "ms",
    "dr",
    "no",
    "now",
    "on",
    "one",
    "our",
    "she",
    "since",
    "so",
    "some",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "to",
    "under",
    "we",
    "what",
    "when",
    "where",
    "while",
    "who",
    "why",
    "with",
    "yet",
    "you",
];

fn ends_sentence(p: &str, term_start: usize, run: &str, next: usize) -> bool {
    // The first letter of the next sentence, past any opening quotes.
    let mut k = next;
    while let Some(c) = char_at(p, k).filter(|&c| is_opener(c)) {
        k += c.len_utf8();
    }
    let Some(first) = char_at(p, k) else {
        return true;
    };
    if first.is_lowercase() {
        return false;
    }
    if run != "." {
        return true;
    }
    // A full stop on its own after a space (pre-tokenized text) is never an abbreviation.
    let word = word_before(p, term_start);
    if word.is_empty() {
        return true;
    }
    let lower = word.to_lowercase();
    let single_letter = {
        let mut cs = word.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if c.is_uppercase())
    };
    if single_letter || NEVER_END.contains(&lower.as_str()) {
        return false;
    }
    if BEFORE_NUMBER.contains(&lower.as_str()) {
        return !first.is_ascii_digit();
    }
    if lower.contains('.') || MAYBE_END.contains(&lower.as_str()) {
        if first.is_ascii_digit() {
            return false;
        }
        let next_word: String = p[k..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        return STARTERS.contains(&next_word.as_str());
    }
    true
}

/// The word (letters, digits and inner dots) that ends right before byte `i`.
fn word_before(p: &str, i: usize) -> &str {
    let before = &p[..i];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || c == '.')
        .last()
        .map_or(i, |(j, _)| j);
    before[start..].trim_start_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .into_iter()
            .map(|s| &text[s.range()])
            .collect()
    }

    #[track_caller]
    fn check(text: &str, want: &[&str]) {
        let got = split(text);
        assert_eq!(got, want, "splitting {text:?}");
    }

    #[test]
    fn titles_initials_and_acronyms() {
        check(
            "Mr. Smith met Dr. Jones and Gen. Lee. They talked.",
            &["Mr. Smith met Dr. Jones and Gen. Lee.", "They talked."],
        );
        check(
            "J. R. R. Tolkien wrote it. Then he left.",
            &["J. R. R. Tolkien wrote it.", "Then he left."],
        );
        check(
            "U.S. President Joe Biden spoke. Markets rose.",
            &["U.S. President Joe Biden spoke.", "Markets rose."],
        );
        check(
            "Troops left the U.S. The president said so.",
            &["Troops left the U.S.", "The president said so."],
        );
        check(
            "Apples, pears, etc. are fruit. Fine.",
            &["Apples, pears, etc. are fruit.", "Fine."],
        );
        check(
            "They sell fruit, nuts etc. The shop is new.",
            &["They sell fruit, nuts etc.", "The shop is new."],
        );
    }

    #[test]
    fn numbers_and_times() {
        check(
            "It cost $1.2 billion, up 3.5% in 2024. Prices rose.",
            &["It cost $1.2 billion, up 3.5% in 2024.", "Prices rose."],
        );
        check(
            "He came at 10.30 a.m. on Monday. It rained at 5 p.m. The game was off.",
            &[
                "He came at 10.30 a.m. on Monday.",
                "It rained at 5 p.m.",
                "The game was off.",
            ],
        );
        check(
            "On Jan. 5 the court ruled. It was No. 3 on the list. Done.",
            &[
                "On Jan. 5 the court ruled.",
                "It was No. 3 on the list.",
                "Done.",
            ],
        );
        check(
            "She said no. Then she left.",
            &["She said no.", "Then she left."],
        );
    }

    #[test]
    fn quotation_marks_stay_with_their_sentence() {
        check(
            "He said, “We are ready.” Then he left.",
            &["He said, “We are ready.”", "Then he left."],
        );
        check(
            "“Are you ready?” he asked. She was.",
            &["“Are you ready?” he asked.", "She was."],
        );
        check(
            "He said: \"Go now.\" They went.",
            &["He said: \"Go now.\"", "They went."],
        );
        check(
            "Он сказал: «Мы готовы». Потом ушёл.",
            &["Он сказал: «Мы готовы».", "Потом ушёл."],
        );
        check(
            "Она сказала «Всё.» Он ушёл.",
            &["Она сказала «Всё.»", "Он ушёл."],
        );
    }

    #[test]
    fn ellipses_and_other_terminators() {
        check(
            "Wait... what happened? Nobody knows! Really… Yes.",
            &["Wait... what happened?", "Nobody knows!", "Really…", "Yes."],
        );
        check("آیا او آمد؟ بله آمد.", &["آیا او آمد؟", "بله آمد."]);
    }

    #[test]
    fn blank_lines_are_hard_boundaries() {
        check(
            "A heading without a stop\n\nThe text. More text\nacross lines.\n \nCaption",
            &[
                "A heading without a stop",
                "The text.",
                "More text\nacross lines.",
                "Caption",
            ],
        );
        check("\n\n  \n", &[]);
        check("* * *\n\nText.", &["Text."]);
    }

    #[test]
    fn pre_tokenized_benchmark_text() {
        check(
            "It lies in Africa . The capital is Dakar .",
            &["It lies in Africa .", "The capital is Dakar ."],
        );
        check(
            "He said , `` I will go . '' Then he left .",
            &["He said , `` I will go . ''", "Then he left ."],
        );
        check(
            "The fee -LRB- $ 5 -RRB- is paid . It is small .",
            &["The fee -LRB- $ 5 -RRB- is paid .", "It is small ."],
        );
    }

    #[test]
    fn spans_are_trimmed_and_in_order() {
        let text = "  One.   Two!\n\n\tThree?  ";
        let spans = sentences(text);
        assert_eq!(split(text), ["One.", "Two!", "Three?"]);
        assert!(
            spans.windows(2).all(|w| w[0].end <= w[1].start),
            "{spans:?}"
        );
    }
}
