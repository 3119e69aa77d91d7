//! The analyzer: text → index terms, in named steps that both the index and the question go
//! through, so that a word in a question meets the same word in an article.
//!
//! 1. [`tokenize`]: words with their byte offsets (so quotes stay exact and matched words can
//!    be highlighted). Hyphenated words give their parts *and* the joined form
//!    (`Rasht-Astara` → `rasht`, `astara`, `rashtastara`); numbers keep their inner `.` and `,`
//!    (`1.2`, `1,000`); dotted acronyms are one word (`U.S.` → `us`); each CJK ideograph is a
//!    word of its own.
//! 2. [`normalize`]: NFKC, lowercase, Latin accents dropped, Arabic and Persian letter
//!    variants unified (ي/ی, ك/ک, hamza forms), diacritics, tatweel and ZWNJ removed, Persian and
//!    Arabic digits as ASCII, `ё` as `е`.
//! 3. [`is_stop_word`]: English, Russian, Persian and Arabic function words are not indexed.
//! 4. [`stem`]: Snowball English for Latin script, Snowball Russian for Cyrillic, a light
//!    suffix stripper for Persian and Arabic; the script decides, so mixed corpora work
//!    without a language setting.
//!
//! The tokenizer and normalizer are hand-written rather than taken from a segmentation crate
//! because they must do the joins above and run on every byte of a million-sentence corpus
//! (an ASCII fast path does most of the work).

use std::borrow::Cow;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::search::stopwords;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A word, a number, or one part of a hyphenated word.
    Word,
    /// A hyphenated word as a whole (`Rasht-Astara`), after its parts.
    Joined,
    /// A dotted acronym (`U.S.`, `a.m.`); never a stop word.
    Acronym,
}

/// A word of the text: `text[start..end]` is its surface form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// What it is.
    pub kind: TokenKind,
}

#[inline]
fn decode(text: &str, i: usize) -> (char, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (b as char, 1);
    }
    let c = text[i..].chars().next().unwrap_or('\u{fffd}');
    (c, c.len_utf8())
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() || is_combining_mark(c) || matches!(c, '\u{200c}' | '\u{200d}' | '\u{ad}')
}

#[inline]
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x2ebef)
}

#[inline]
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// Calls `f` with every token of `text`, in order of their start (a joined form comes after
/// its parts).
pub fn tokenize(text: &str, mut f: impl FnMut(Token)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b < 0x80 && !b.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let (c, len) = decode(text, i);
        if !c.is_alphanumeric() {
            i += len;
            continue;
        }
        if is_cjk(c) {
            f(Token {
                start: i,
                end: i + len,
                kind: TokenKind::Word,
            });
            i += len;
            continue;
        }
        let compound_start = i;
        let mut parts = 0;
        loop {
            let seg_start = i;
            let (end, kind) = scan_segment(text, i);
            f(Token {
                start: seg_start,
                end,
                kind,
            });
            parts += 1;
            i = end;
            // A hyphen between two words joins them.
            if kind == TokenKind::Word && i < n {
                let (h, hlen) = decode(text, i);
                if is_hyphen(h) && i + hlen < n {
                    let (next, _) = decode(text, i + hlen);
                    if next.is_alphanumeric() && !is_cjk(next) {
                        i += hlen;
                        continue;
                    }
                }
            }
            break;
        }
        if parts > 1 {
            f(Token {
                start: compound_start,
                end: i,
                kind: TokenKind::Joined,
            });
        }
    }
}

/// Scans one word starting at `i` (a letter or digit); returns its end and kind.
fn scan_segment(text: &str, start: usize) -> (usize, TokenKind) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = start;
    let mut prev_digit = false;
    let mut chars = 0;
    while i < n {
        // The common case, a run of ASCII letters and digits, without decoding.
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if run > 0 {
            i += run;
            chars += run;
            prev_digit = bytes[i - 1].is_ascii_digit();
            continue;
        }
        let (c, len) = decode(text, i);
        if is_word_char(c) && !is_cjk(c) {
            prev_digit = c.is_ascii_digit();
            chars += 1;
            i += len;
            continue;
        }
        // `1.2`, `1,000`: a point or comma between digits stays inside the number.
        if (c == '.' || c == ',') && prev_digit && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 1;
            continue;
        }
        break;
    }
    // `U.S.`, `a.m.`: single letters joined by full stops.
    if chars == 1 && text[start..i].chars().all(char::is_alphabetic) {
        let mut j = i;
        let mut letters = 1;
        while j + 1 < n && bytes[j] == b'.' {
            let (c, len) = decode(text, j + 1);
            let after = j + 1 + len;
            let single = c.is_alphabetic()
                && !is_cjk(c)
                && (after >= n || !is_word_char(decode(text, after).0));
            if !single {
                break;
            }
            letters += 1;
            j = after;
        }
        if letters > 1 {
            return (j, TokenKind::Acronym);
        }
    }
    (i, TokenKind::Word)
}

/// Writes the normalized form of a surface word into `out` (cleared first).
pub fn normalize(surface: &str, out: &mut String) {
    out.clear();
    normalize_append(surface, out);
}

/// Appends the normalized form of a surface word to `out`.
#[inline]
pub fn normalize_append(surface: &str, out: &mut String) {
    let start = out.len();
    let bytes = surface.as_bytes();
    if bytes.iter().all(u8::is_ascii_alphanumeric) {
        // Most words: letters and digits only, lowercased in one go.
        out.push_str(surface);
        out[start..].make_ascii_lowercase();
        return;
    }
    if surface.is_ascii() {
        for &b in bytes {
            match b {
                b'A'..=b'Z' => out.push((b + 32) as char),
                b'a'..=b'z' | b'0'..=b'9' => out.push(b as char),
                // The `.` of `1.2` stays; a `.` of `U.S.` and the `,` of `1,000` go.
                b'.' if out.len() > start && out.as_bytes()[out.len() - 1].is_ascii_digit() => {
                    out.push('.');
                }
                _ => {}
            }
        }
        return;
    }
    for c in surface.nfkc() {
        for lc in c.to_lowercase() {
            map_char(lc, out);
        }
    }
}

/// The longest a word may be, in bytes, as written and once normalized. A longer token — a
/// run of a script written without spaces, a line of `ﷺ` (NFKC makes each one 15 letters) — is
/// no word anyone asks for, and one such token of a megabyte cost the vocabulary's FST seconds
/// and hundreds of megabytes to build (and its normalization a third of a second).
pub const MAX_WORD_BYTES: usize = 256;

/// Whether a token, as written, may be a word: not longer than [`MAX_WORD_BYTES`] (checked
/// before normalizing it, which would cost its length).
#[must_use]
#[inline]
pub fn may_be_word(surface: &str) -> bool {
    surface.len() <= MAX_WORD_BYTES
}

/// Whether a normalized token is a word: not empty (see [`words`]) and not longer than
/// [`MAX_WORD_BYTES`].
#[must_use]
#[inline]
pub fn is_word(normalized: &str) -> bool {
    !normalized.is_empty() && normalized.len() <= MAX_WORD_BYTES
}

/// Calls `f` with every word of `text` — a token and its normalized form — in the order of
/// [`tokenize`]. A token that normalizes to nothing (a tatweel standing alone, a lone Arabic
/// vowel sign or small letter: characters that count as letters but are dropped by
/// [`normalize`]) is not a word, so no caller ever sees an empty one; nor is one longer than
/// [`MAX_WORD_BYTES`].
pub fn words(text: &str, mut f: impl FnMut(Token, &str)) {
    let mut buf = String::new();
    tokenize(text, |tok| {
        let surface = &text[tok.start..tok.end];
        if !may_be_word(surface) {
            return;
        }
        normalize(surface, &mut buf);
        if is_word(&buf) {
            f(tok, &buf);
        }
    });
}

/// A normalized copy of `surface`.
#[must_use]
pub fn normalized(surface: &str) -> String {
    let mut s = String::with_capacity(surface.len());
    normalize(surface, &mut s);
    s
}

fn map_char(c: char, out: &mut String) {
    match c {
        'a'..='z' | '0'..='9' => out.push(c),
        '.' if out.as_bytes().last().is_some_and(u8::is_ascii_digit) => out.push('.'),
        '\u{200c}' | '\u{200d}' | '\u{ad}' | '\u{640}' => {}
        c if c.is_ascii() => {}
        'ي' | 'ى' | 'ئ' => out.push('ی'),
        'ك' => out.push('ک'),
        'ة' | 'ۀ' => out.push('ه'),
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ؤ' => out.push('و'),
        '٠'..='٩' => out.push((b'0' + (c as u32 - 0x660) as u8) as char),
        '۰'..='۹' => out.push((b'0' + (c as u32 - 0x6f0) as u8) as char),
        'ё' => out.push('е'),
        'ß' => out.push_str("ss"),
        '\u{64b}'..='\u{65f}' | '\u{670}' | '\u{6d6}'..='\u{6ed}' => {}
        '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}' => {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.push(d);
                }
            });
        }
        c if is_combining_mark(c) && out.chars().last().is_some_and(|p| p.is_ascii()) => {}
        c => out.push(c),
    }
}

/// The writing system of a normalized word, as far as stemming cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Latin letters (English stemming).
    Latin,
    /// Cyrillic (Russian stemming).
    Cyrillic,
    /// Arabic script (Persian and Arabic).
    Arabic,
    /// Digits only, or a script without a stemmer.
    Other,
}

/// The script of the first letter of `word`.
#[must_use]
pub fn script(word: &str) -> Script {
    for c in word.chars() {
        if c.is_ascii_digit() {
            continue;
        }
        return match c as u32 {
            0x41..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => Script::Latin,
            0x400..=0x52f => Script::Cyrillic,
            0x600..=0x6ff | 0x750..=0x77f | 0xfb50..=0xfdff | 0xfe70..=0xfeff => Script::Arabic,
            _ => Script::Other,
        };
    }
    Script::Other
}

fn stemmer(algorithm: Algorithm) -> &'static Stemmer {
    static ENGLISH: OnceLock<Stemmer> = OnceLock::new();
    static RUSSIAN: OnceLock<Stemmer> = OnceLock::new();
    match algorithm {
        Algorithm::Russian => RUSSIAN.get_or_init(|| Stemmer::create(Algorithm::Russian)),
        _ => ENGLISH.get_or_init(|| Stemmer::create(Algorithm::English)),
    }
}

/// The stem of a normalized word.
#[must_use]
pub fn stem(word: &str) -> Cow<'_, str> {
    match script(word) {
        Script::Latin => stemmer(Algorithm::English).stem(word),
        Script::Cyrillic => stemmer(Algorithm::Russian).stem(word),
        Script::Arabic => Cow::Borrowed(persian_stem(word)),
        Script::Other => Cow::Borrowed(word),
    }
}

/// Strips the commonest Persian and Arabic inflections (plural `ها`/`های`/`ان`/`ات`, the
/// ezafe `ی`, the article `ال`) when enough of the word remains.
fn persian_stem(word: &str) -> &str {
    let chars = word.chars().count();
    let mut w = word;
    if chars > 4
        && let Some(rest) = w.strip_prefix("ال")
    {
        w = rest;
    }
    // Short suffixes are also word endings (ایران, تهران): they need a longer remainder.
    for (suffix, keep) in [
        ("هایی", 3),
        ("های", 3),
        ("ها", 3),
        ("ترین", 3),
        ("تر", 4),
        ("ان", 4),
        ("ات", 4),
        ("ی", 4),
    ] {
        if let Some(rest) = w.strip_suffix(suffix)
            && rest.chars().count() >= keep
        {
            return rest;
        }
    }
    w
}

fn stop_set() -> &'static FxHashSet<String> {
    static SET: OnceLock<FxHashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        stopwords::ENGLISH
            .iter()
            .chain(stopwords::RUSSIAN)
            .chain(stopwords::PERSIAN)
            .chain(stopwords::ARABIC)
            .map(|w| normalized(w))
            .collect()
    })
}

/// Whether a normalized word is a function word that is not indexed. Single Latin letters are
/// (`s` of `Iran's`, `t` of `don't`).
#[must_use]
pub fn is_stop_word(word: &str) -> bool {
    let b = word.as_bytes();
    if b.len() == 1 && b[0].is_ascii_lowercase() {
        return true;
    }
    stop_set().contains(word)
}

/// Whether a normalized question word only frames the question (`say`, `tell`, `mention`).
#[must_use]
pub fn is_question_framing(word: &str) -> bool {
    stopwords::QUESTION_FRAMING.contains(&word)
}

/// Words that ask for a degree after "how" (`how many`, `how long`…).
pub const DEGREE_WORDS: &[&str] = &[
    "many", "much", "long", "far", "old", "big", "fast", "tall", "high", "large", "often", "deep",
    "wide", "heavy", "soon", "late", "early", "small",
];

/// The stop words, normalized (for the fuzzy check that treats `abot` as `about`).
pub fn stop_words() -> impl Iterator<Item = &'static str> {
    stop_set().iter().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, TokenKind)> {
        let mut out = Vec::new();
        tokenize(text, |t| {
            out.push((normalized(&text[t.start..t.end]), t.kind))
        });
        out
    }

    fn plain(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|(w, _)| w).collect()
    }

    #[test]
    fn hyphenated_words_give_parts_and_the_whole() {
        assert_eq!(
            tokens("the Rasht-Astara railway"),
            [
                ("the".into(), TokenKind::Word),
                ("rasht".into(), TokenKind::Word),
                ("astara".into(), TokenKind::Word),
                ("rashtastara".into(), TokenKind::Joined),
                ("railway".into(), TokenKind::Word),
            ]
        );
        assert_eq!(plain("well- known -x"), ["well", "known", "x"]);
    }

    #[test]
    fn numbers_keep_their_points() {
        assert_eq!(
            plain("$1.2 billion, 3.5% and 1,000 at 10.30."),
            ["1.2", "billion", "3.5", "and", "1000", "at", "10.30"]
        );
    }

    #[test]
    fn acronyms_and_apostrophes() {
        assert_eq!(
            tokens("the U.S. and Iran's")
                .into_iter()
                .map(|(w, k)| format!("{w}:{k:?}"))
                .collect::<Vec<_>>(),
            ["the:Word", "us:Acronym", "and:Word", "iran:Word", "s:Word"]
        );
        assert_eq!(plain("J. R. R. Tolkien"), ["j", "r", "r", "tolkien"]);
    }

    #[test]
    fn offsets_are_exact() {
        let text = "«Привет», — сказал Мишустин.";
        let mut spans = Vec::new();
        tokenize(text, |t| spans.push(&text[t.start..t.end]));
        assert_eq!(spans, ["Привет", "сказал", "Мишустин"]);
    }

    #[test]
    fn normalization_folds_case_accents_and_letter_variants() {
        assert_eq!(normalized("Café"), "cafe");
        assert_eq!(normalized("ÉCOLE"), "ecole");
        assert_eq!(normalized("Straße"), "strasse");
        assert_eq!(normalized("Ёлка"), "елка");
        assert_eq!(normalized("ﬁnance"), "finance");
        // Arabic yeh and kaf → Persian forms; ZWNJ and diacritics go; Persian digits → ASCII.
        assert_eq!(normalized("كتابي"), "کتابی");
        assert_eq!(normalized("می\u{200c}خواهم"), "میخواهم");
        assert_eq!(normalized("مُحَمَّد"), "محمد");
        assert_eq!(normalized("۱۴۰۳"), "1403");
        assert_eq!(normalized("٢٠٢٤"), "2024");
    }

    #[test]
    fn tokens_that_normalize_to_nothing_are_not_words() {
        // A tatweel standing alone (U+0640), Arabic small waw and yeh (U+06E5, U+06E6) and a
        // lone fatha are letters to the tokenizer but vanish in normalization.
        for text in [
            "Grain \u{640} exports",
            "Grain \u{6e5} exports",
            "Grain \u{6e6}\u{640} exports",
            "Grain \u{64e} exports",
        ] {
            let mut seen = Vec::new();
            super::words(text, |_, w| seen.push(w.to_string()));
            assert_eq!(seen, ["grain", "exports"], "{text:?}");
        }
    }

    #[test]
    fn tokens_too_long_are_not_words() {
        // 300 bytes as written; and 30 bytes that normalize to 300 (each ﷺ is 15 letters).
        let long = "a".repeat(300);
        let ligatures = "\u{fdfa}".repeat(10);
        let max = "b".repeat(MAX_WORD_BYTES);
        let text = format!("grain {long} {ligatures} {max} exports");
        let mut seen = Vec::new();
        super::words(&text, |_, w| seen.push(w.to_string()));
        assert_eq!(seen, ["grain", max.as_str(), "exports"]);
    }

    #[test]
    fn cjk_ideographs_are_words_of_their_own() {
        assert_eq!(plain("北京市 news"), ["北", "京", "市", "news"]);
    }

    #[test]
    fn stems_by_script() {
        assert_eq!(stem("exports"), "export");
        assert_eq!(stem("concluded"), "conclud");
        assert_eq!(stem("экспорта"), stem("экспорт"));
        assert_eq!(stem("کتابها"), "کتاب");
        assert_eq!(stem("2024"), "2024");
    }

    #[test]
    fn stop_words_in_each_language() {
        for w in [
            "the", "what", "did", "about", "s", "и", "что", "در", "از", "في",
        ] {
            assert!(is_stop_word(&normalized(w)), "{w}");
        }
        for w in ["grain", "iran", "зерно", "گندم"] {
            assert!(!is_stop_word(&normalized(w)), "{w}");
        }
    }
}
