//! The bot's own words in English, Russian and Persian: which language a reader gets
//! ([`Lang::from_code`], [`Language`] from `[telegram] language`), the message catalogues
//! (`locales/*.toml`, built into the binary and parsed once), counted nouns, numbers and dates
//! as each language writes them ([`jalali`] for the Persian calendar), and Unicode isolates that
//! keep English quotes readable inside right-to-left text.
//!
//! This is the bottom of the text flow: [`crate::answer`] builds every reply from these pieces;
//! handlers only choose the language. Quotes and titles are never translated.

pub mod jalali;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::date::Date;

/// A language the bot speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, for everyone the others are not for.
    #[default]
    En,
    /// Russian.
    Ru,
    /// Persian (Farsi).
    Fa,
}

impl Lang {
    /// Every language, English (the reference) first.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Fa];

    /// The language for a Telegram `language_code` (an IETF tag such as `ru`, `fa-IR`):
    /// Russian for `ru…`, Persian for `fa…`, English for anything else or none.
    #[must_use]
    pub fn from_code(code: Option<&str>) -> Lang {
        let primary = code
            .unwrap_or_default()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Lang::Ru,
            "fa" => Lang::Fa,
            _ => Lang::En,
        }
    }

    /// Exactly `en`, `ru` or `fa`.
    #[must_use]
    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The two-letter code (`en`, `ru`, `fa`), as Telegram's `language_code` has it.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Fa => "fa",
        }
    }

    /// Whether the language is written right to left.
    #[must_use]
    pub fn is_rtl(self) -> bool {
        self == Lang::Fa
    }
}

/// `[telegram] language`: each reader's own language, or one for everyone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    /// From each user's Telegram `language_code` (`"auto"`).
    #[default]
    Auto,
    /// This language for everyone (`"en"`, `"ru"`, `"fa"`).
    Fixed(Lang),
}

impl Language {
    /// The language for a user whose Telegram `language_code` is `code`.
    #[must_use]
    pub fn for_user(self, code: Option<&str>) -> Lang {
        match self {
            Language::Auto => Lang::from_code(code),
            Language::Fixed(l) => l,
        }
    }

    /// `"auto"`, `"en"`, `"ru"`, `"fa"`; anything else is an error saying what is allowed.
    pub fn parse(s: &str) -> Result<Language, String> {
        if s == "auto" {
            return Ok(Language::Auto);
        }
        Lang::parse(s).map(Language::Fixed).ok_or_else(|| {
            format!("language must be \"auto\", \"en\", \"ru\" or \"fa\", not {s:?}")
        })
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
        let s = String::deserialize(d)?;
        Language::parse(&s).map_err(serde::de::Error::custom)
    }
}

type Catalogue = BTreeMap<String, String>;

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("../../locales/en.toml"),
        Lang::Ru => include_str!("../../locales/ru.toml"),
        Lang::Fa => include_str!("../../locales/fa.toml"),
    }
}

/// The three catalogues, parsed on first use. They are part of the binary and the tests parse
/// them, so a broken one cannot ship: a panic here is a bug.
fn catalogues() -> &'static [Catalogue; 3] {
    static ALL: OnceLock<[Catalogue; 3]> = OnceLock::new();
    ALL.get_or_init(|| {
        Lang::ALL.map(|l| {
            toml::from_str(source(l))
                .unwrap_or_else(|e| panic!("locales/{}.toml is not valid: {e}", l.code()))
        })
    })
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    &catalogues()[lang as usize]
}

/// The entry `key` in `lang`. A key missing from a translation falls back to English, and one
/// missing from English is the key itself (both are bugs the tests catch, logged here so that
/// a reader never gets nothing).
#[must_use]
pub fn text(lang: Lang, key: &str) -> &'static str {
    if let Some(t) = catalogue(lang).get(key) {
        return t;
    }
    // The unit tests reach every message they render: a key missing there fails them. (The
    // catalogues' completeness is checked separately, for the keys the code names.)
    #[cfg(test)]
    panic!("no {key:?} in the {} catalogue", lang.code());
    #[cfg(not(test))]
    {
        log::error!("no {key:?} in the {} catalogue", lang.code());
        match catalogue(Lang::En).get(key) {
            Some(t) => t,
            None => "(a message is missing from this build)",
        }
    }
}

/// A piece of a template: literal text, or the placeholder of `args[i]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text as written.
    Text(&'a str),
    /// The argument at this index.
    Arg(usize),
}

/// `template` cut at its `{name}` placeholders, each `name` looked up in `names`. A brace not
/// around a known name is text.
#[must_use]
pub fn pieces<'a>(template: &'a str, names: &[&str]) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut at = 0;
    while let Some(open) = template[at..].find('{').map(|i| at + i) {
        let Some(close) = template[open..].find('}').map(|i| open + i) else {
            break;
        };
        match names.iter().position(|n| *n == &template[open + 1..close]) {
            Some(i) => {
                if open > text_start {
                    out.push(Piece::Text(&template[text_start..open]));
                }
                out.push(Piece::Arg(i));
                text_start = close + 1;
                at = close + 1;
            }
            None => at = open + 1,
        }
    }
    if text_start < template.len() {
        out.push(Piece::Text(&template[text_start..]));
    }
    out
}

/// The placeholders of a template (`{name}`), in order.
#[must_use]
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        out.push(&rest[open + 1..open + len]);
        rest = &rest[open + len + 1..];
    }
    out
}

/// The entry `key` in `lang` with its placeholders filled from `args` (name, value).
#[must_use]
pub fn fill(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let names: Vec<&str> = args.iter().map(|(n, _)| *n).collect();
    let template = text(lang, key);
    debug_assert!(
        placeholders(template).iter().all(|p| names.contains(p)),
        "{key} in {} needs {:?}, given {names:?}",
        lang.code(),
        placeholders(template)
    );
    pieces(template, &names)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Arg(i) => args[i].1,
        })
        .collect()
}

/// A number as `lang` writes it: Persian digits in Persian.
#[must_use]
pub fn number(lang: Lang, n: impl std::fmt::Display) -> String {
    let s = n.to_string();
    match lang {
        Lang::Fa => s
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x06F0 + d).unwrap_or(c),
                None => c,
            })
            .collect(),
        Lang::En | Lang::Ru => s,
    }
}

/// Which form of a counted noun `n` takes in `lang`: `one`, `few` or `many` (the catalogues
/// have all three for every noun; English and Persian use two and one of them).
#[must_use]
pub fn plural_form(lang: Lang, n: usize) -> &'static str {
    match lang {
        Lang::En if n == 1 => "one",
        Lang::En => "many",
        Lang::Ru => match (n % 10, n % 100) {
            (1, r) if r != 11 => "one",
            (2..=4, r) if !(12..=14).contains(&r) => "few",
            _ => "many",
        },
        Lang::Fa => "one",
    }
}

/// `n` of a counted `noun` (`article`, `sentence`, `problem`, `day`, `topic`): "2 articles",
/// "2 статьи", "۲ مقاله".
#[must_use]
pub fn count(lang: Lang, n: usize, noun: &str) -> String {
    let key = format!("{noun}_{}", plural_form(lang, n));
    fill(lang, &key, &[("n", &number(lang, n))])
}

/// Russian months in the genitive, as a date says them ("30 сентября").
const RU_MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// A date as a reader of `lang` reads it: "30 September 2024", "30 сентября 2024", and in
/// Persian the Solar Hijri date in Persian digits with the Gregorian beside it,
/// "۹ مهر ۱۴۰۳ (30 September 2024)" (articles and their sources count in Gregorian dates).
#[must_use]
pub fn date(lang: Lang, d: Date) -> String {
    match lang {
        Lang::En => d.human(),
        Lang::Ru => format!(
            "{} {} {}",
            d.day(),
            RU_MONTHS[d.month() as usize - 1],
            d.year()
        ),
        Lang::Fa => {
            let j = jalali::Jalali::from_gregorian(d);
            format!(
                "{} {} {} ({})",
                number(lang, j.day),
                jalali::MONTHS[j.month as usize - 1],
                number(lang, j.year),
                d.human()
            )
        }
    }
}

/// [`date`], or "date unknown" in `lang`.
#[must_use]
pub fn date_or_unknown(lang: Lang, d: Option<Date>) -> String {
    d.map_or_else(|| text(lang, "date_unknown").to_string(), |d| date(lang, d))
}

/// First strong isolate: the text up to [`PDI`] takes its direction from its own first strong
/// letter and does not reorder what is around it.
pub const FSI: char = '\u{2068}';
/// Pop directional isolate: ends an [`FSI`].
pub const PDI: char = '\u{2069}';

/// Right-to-left mark: at the start of a line that begins with a Latin word (a `/command` in
/// Persian help), it makes the line right-to-left, as the rest of the reply is; without it
/// Telegram lays the line out left-to-right from its first letter.
pub const RLM: char = '\u{200f}';

/// `s` as an isolate in a right-to-left language (an English quote or title inside Persian
/// text keeps its own order, and the Persian around it keeps its); as it is otherwise.
#[must_use]
pub fn isolate(lang: Lang, s: &str) -> Cow<'_, str> {
    if lang.is_rtl() {
        // Direction controls inside would close the isolate early or turn the rest around.
        Cow::Owned(format!("{FSI}{}{PDI}", without_bidi_controls(s)))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` without the bidirectional embedding, override and isolate controls (U+202A–202E,
/// U+2066–2069).
#[must_use]
pub fn without_bidi_controls(s: &str) -> Cow<'_, str> {
    let control = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if s.contains(control) {
        Cow::Owned(s.chars().filter(|&c| !control(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` with Persian (U+06F0–06F9) and Arabic-Indic (U+0660–0669) digits as ASCII ones.
#[must_use]
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{6f0}'..='\u{6f9}' => char::from(b'0' + (c as u32 - 0x6f0) as u8),
            '\u{660}'..='\u{669}' => char::from(b'0' + (c as u32 - 0x660) as u8),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_digits_read_as_ascii() {
        assert_eq!(ascii_digits("۱۲"), "12");
        assert_eq!(ascii_digits("٣ and 4"), "3 and 4");
        assert_eq!(ascii_digits("۱").parse::<usize>(), Ok(1));
    }

    /// A user's text cannot close the bot's isolate early or turn the rest of the line around.
    #[test]
    fn isolates_drop_the_direction_controls_inside() {
        let hostile = "grain\u{2069}\u{202e}exports\u{202a}";
        assert_eq!(
            isolate(Lang::Fa, hostile),
            format!("{FSI}grainexports{PDI}")
        );
        assert_eq!(without_bidi_controls("plain"), "plain");
        // English replies have no isolates and leave the text alone.
        assert_eq!(isolate(Lang::En, hostile), hostile);
    }

    /// Every key in every language, and nothing more.
    #[test]
    fn every_key_is_in_every_language() {
        let en: Vec<&String> = catalogue(Lang::En).keys().collect();
        assert!(en.len() > 50, "{en:?}");
        for lang in [Lang::Ru, Lang::Fa] {
            let keys: Vec<&String> = catalogue(lang).keys().collect();
            let missing: Vec<_> = en.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !en.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, not in English {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn placeholders_are_the_same_in_every_language() {
        for (key, en) in catalogue(Lang::En) {
            let mut want = placeholders(en);
            want.sort_unstable();
            for lang in [Lang::Ru, Lang::Fa] {
                let mut got = placeholders(text(lang, key));
                got.sort_unstable();
                assert_eq!(got, want, "{key} in {}: {:?}", lang.code(), text(lang, key));
            }
        }
    }

    /// What may stay in Latin letters in a translation: commands, links, the header syntax
    /// and other names.
    fn without_names(s: &str) -> String {
        let mut out = String::new();
        for word in s.split_whitespace() {
            let bare = word
                .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '.')
                .trim_end_matches(|c: char| !c.is_alphanumeric());
            let name = bare.starts_with('/')
                || bare.starts_with("https:")
                || bare.starts_with('.')
                || ["N", "UTC", "YYYY-MM-DD", "date", "quotebot"].contains(&bare);
            if !name {
                out.push_str(word);
                out.push(' ');
            }
        }
        out
    }

    fn is_cyrillic(c: char) -> bool {
        ('\u{0400}'..='\u{04FF}').contains(&c)
    }

    fn is_arabic(c: char) -> bool {
        ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{FB50}'..='\u{FEFF}').contains(&c)
    }

    /// Every Russian entry is in Cyrillic and every Persian one in Arabic script (letters other
    /// than names), and none is its English entry left as it was.
    #[test]
    fn translations_are_in_their_script_and_not_english() {
        for (lang, script) in [
            (Lang::Ru, is_cyrillic as fn(char) -> bool),
            (Lang::Fa, is_arabic),
        ] {
            for (key, t) in catalogue(lang) {
                assert_ne!(
                    t,
                    text(Lang::En, key),
                    "{key} in {} is English",
                    lang.code()
                );
                let names: Vec<&str> = placeholders(t);
                let mut bare = t.clone();
                for n in names {
                    bare = bare.replace(&format!("{{{n}}}"), "");
                }
                let letters: Vec<char> = without_names(&bare)
                    .chars()
                    .filter(|c| c.is_alphabetic())
                    .collect();
                assert!(
                    !letters.is_empty() && letters.iter().all(|&c| script(c)),
                    "{key} in {}: {t:?} (letters {:?})",
                    lang.code(),
                    letters.iter().filter(|&&c| !script(c)).collect::<String>()
                );
            }
        }
        for m in RU_MONTHS {
            assert!(m.chars().all(is_cyrillic), "{m}");
        }
        for m in jalali::MONTHS {
            assert!(m.chars().all(is_arabic), "{m}");
        }
    }

    #[test]
    fn the_language_comes_from_the_code() {
        for (code, lang) in [
            (Some("ru"), Lang::Ru),
            (Some("ru-RU"), Lang::Ru),
            (Some("RU"), Lang::Ru),
            (Some("fa"), Lang::Fa),
            (Some("fa-IR"), Lang::Fa),
            (Some("en"), Lang::En),
            (Some("en-GB"), Lang::En),
            (Some("de"), Lang::En),
            (Some("rus"), Lang::En),
            (Some(""), Lang::En),
            (None, Lang::En),
        ] {
            assert_eq!(Lang::from_code(code), lang, "{code:?}");
        }
        assert_eq!(Language::Auto.for_user(Some("fa")), Lang::Fa);
        assert_eq!(Language::Fixed(Lang::Ru).for_user(Some("fa")), Lang::Ru);
        assert_eq!(Language::Fixed(Lang::En).for_user(None), Lang::En);
        assert_eq!(Language::parse("fa"), Ok(Language::Fixed(Lang::Fa)));
        assert_eq!(Language::parse("auto"), Ok(Language::Auto));
        let err = Language::parse("de").unwrap_err();
        assert!(err.contains("\"auto\", \"en\", \"ru\" or \"fa\""), "{err}");
    }

    #[test]
    fn dates_in_each_language() {
        let d = Date::new(2024, 9, 30).unwrap();
        assert_eq!(date(Lang::En, d), "30 September 2024");
        assert_eq!(date(Lang::Ru, d), "30 сентября 2024");
        assert_eq!(date(Lang::Fa, d), "۹ مهر ۱۴۰۳ (30 September 2024)");
        let nowruz = Date::new(2025, 3, 21).unwrap();
        assert_eq!(date(Lang::Fa, nowruz), "۱ فروردین ۱۴۰۴ (21 March 2025)");
        let last = Date::new(2025, 3, 20).unwrap();
        assert_eq!(date(Lang::Fa, last), "۳۰ اسفند ۱۴۰۳ (20 March 2025)");
        assert_eq!(
            date(Lang::Ru, Date::new(2024, 1, 1).unwrap()),
            "1 января 2024"
        );
        assert_eq!(date_or_unknown(Lang::En, None), "date unknown");
        assert_eq!(date_or_unknown(Lang::Ru, None), "дата неизвестна");
    }

    #[test]
    fn counted_nouns() {
        let ru: Vec<String> = [1, 2, 5, 11, 12, 21, 22, 25, 101, 111, 112]
            .iter()
            .map(|&n| count(Lang::Ru, n, "article"))
            .collect();
        assert_eq!(
            ru,
            [
                "1 статья",
                "2 статьи",
                "5 статей",
                "11 статей",
                "12 статей",
                "21 статья",
                "22 статьи",
                "25 статей",
                "101 статья",
                "111 статей",
                "112 статей"
            ]
        );
        assert_eq!(count(Lang::En, 1, "sentence"), "1 sentence");
        assert_eq!(count(Lang::En, 0, "sentence"), "0 sentences");
        assert_eq!(count(Lang::En, 21, "day"), "21 days");
        assert_eq!(count(Lang::Fa, 30, "day"), "۳۰ روز");
        assert_eq!(number(Lang::Fa, 1403), "۱۴۰۳");
        assert_eq!(number(Lang::Ru, 1403), "1403");
    }

    #[test]
    fn templates_fill_named_placeholders_only() {
        assert_eq!(
            pieces("a {x} b {y}{x} {z", &["x", "y"]),
            [
                Piece::Text("a "),
                Piece::Arg(0),
                Piece::Text(" b "),
                Piece::Arg(1),
                Piece::Arg(0),
                Piece::Text(" {z"),
            ]
        );
        assert_eq!(pieces("{x}", &["x"]), [Piece::Arg(0)]);
        assert_eq!(
            pieces("{{x}}", &["x"]),
            [Piece::Text("{"), Piece::Arg(0), Piece::Text("}")]
        );
        assert_eq!(placeholders("a {x} b {y}"), ["x", "y"]);
        assert_eq!(
            fill(Lang::En, "not_added", &[("why", "it is {odd}")]),
            "Not added: it is {odd}."
        );
    }

    #[test]
    fn isolates_only_in_persian() {
        assert_eq!(isolate(Lang::Fa, "Iran"), "\u{2068}Iran\u{2069}");
        assert_eq!(isolate(Lang::Ru, "Iran"), "Iran");
        assert_eq!(isolate(Lang::En, "Iran"), "Iran");
    }

    /// Every key the code names (`text(lang, "key")`, `fill(lang, "key", …)`, `put(…, lang,
    /// "key", …)`) is in the catalogue: a misspelt key would otherwise only show when its
    /// message is sent.
    #[test]
    fn every_key_the_code_uses_is_in_the_catalogue() {
        let sources = [
            include_str!("../answer/replies.rs"),
            include_str!("../answer/operators.rs"),
            include_str!("../chat.rs"),
            include_str!("../telegram/handlers.rs"),
            include_str!("mod.rs"),
        ];
        let mut used = Vec::new();
        for source in sources {
            // The code, not its tests (nor this test's own examples).
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (at, _) in source.match_indices("lang,") {
                let rest = source[at + 5..].trim_start();
                let Some(literal) = rest.strip_prefix('"') else {
                    continue;
                };
                let key = &literal[..literal.find('"').unwrap_or(0)];
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    used.push(key);
                }
            }
        }
        assert!(used.len() > 60, "the scan finds the keys: {used:?}");
        for key in used {
            assert!(
                catalogue(Lang::En).contains_key(key),
                "{key:?} is not in en.toml"
            );
        }
        for noun in ["article", "sentence", "problem", "day", "topic"] {
            for form in ["one", "few", "many"] {
                assert!(catalogue(Lang::En).contains_key(&format!("{noun}_{form}")));
            }
        }
    }
}
