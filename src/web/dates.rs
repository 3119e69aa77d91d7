//! An article's publication date, looked for where publishers put it, most trusted first:
//! JSON-LD `datePublished`, `<meta>` tags (`article:published_time`, `datePublished`,
//! Dublin Core, Parse.ly…), `itemprop="datePublished"`, `<time datetime>`, the URL
//! (`/2024/09/30/`), and last the visible dateline (`30 September 2024`, `30 сентября 2024`,
//! `۹ مهر ۱۴۰۳`). A date alone is taken, never a year alone, so a page's copyright year never
//! becomes its date; a date after today is refused, and a date in the page's chrome that is
//! today (a header clock) is not taken for the article's.

use dom_query::{Document, Selection};

use crate::date::Date;

/// Where a date was found, for logs and the evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateSource {
    /// JSON-LD `datePublished` / `dateCreated`.
    JsonLd,
    /// A `<meta>` tag.
    Meta,
    /// An element with `itemprop="datePublished"`.
    ItemProp,
    /// A `<time datetime>` element.
    Time,
    /// The page's address.
    Url,
    /// The visible text: a dateline.
    Text,
    /// A feed item's date (the page had none).
    Feed,
}

/// The earliest date accepted: older dates are mostly misread numbers.
const EARLIEST_YEAR: i32 = 1990;

/// `<meta>` names and properties that hold the publication date, most trusted first.
const META_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "date_published",
    "published_time",
    "article.published",
    "article_date_original",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "citation_publication_date",
    "citation_date",
    "cxenseparse:recs:publishtime",
    "original-publish-date",
    "release_date",
    "date",
];

/// The date found in a page's structure (everything but the visible text), if any.
#[must_use]
pub fn from_document(doc: &Document, url: Option<&str>, today: Date) -> Option<(Date, DateSource)> {
    let ok = |d: Date| plausible(d, today);
    if let Some(d) = json_ld(doc).filter(|&d| ok(d)) {
        return Some((d, DateSource::JsonLd));
    }
    if let Some(d) = meta(doc).filter(|&d| ok(d)) {
        return Some((d, DateSource::Meta));
    }
    for el in doc
        .select("[itemprop=datePublished], [itemprop=dateCreated]")
        .iter()
    {
        let value = el
            .attr("content")
            .or_else(|| el.attr("datetime"))
            .map(|v| v.to_string())
            .unwrap_or_else(|| el.text().to_string());
        if let Some(d) = parse_loose(&value).filter(|&d| ok(d)) {
            return Some((d, DateSource::ItemProp));
        }
    }
    if let Some(d) = time_element(doc, today) {
        return Some((d, DateSource::Time));
    }
    if let Some(d) = url.and_then(in_url).filter(|&d| ok(d)) {
        return Some((d, DateSource::Url));
    }
    // A dateline in the page's by-line or date elements (outside the article text, which
    // is looked at after extraction); a date there that is today may be a header clock.
    let bylines = doc.select(
        "[class*=date], [class*=byline], [class*=dateline], [class*=posted], [class*=publish], \
         [class*=timestamp], [id*=date], [class*=meta]",
    );
    for el in bylines.iter().take(40) {
        let text = el.text();
        if text.len() > 400 {
            continue;
        }
        if let Some(d) = in_text(&text).filter(|&d| ok(d) && d != today) {
            return Some((d, DateSource::Text));
        }
    }
    None
}

/// Whether `d` can be an article's date: not before `EARLIEST_YEAR`, not after today (a day
/// of slack for time zones).
#[must_use]
pub fn plausible(d: Date, today: Date) -> bool {
    d.year() >= EARLIEST_YEAR && d.days_since_epoch() <= today.days_since_epoch() + 1
}

fn json_ld(doc: &Document) -> Option<Date> {
    let scripts: Vec<(String, Option<serde_json::Value>)> = doc
        .select("script[type*=ld\\+json]")
        .iter()
        .map(|script| {
            // Some sites wrap it in CDATA or a comment.
            let text = script.text();
            let text = text
                .trim()
                .trim_start_matches("<![CDATA[")
                .trim_start_matches("<!--")
                .trim_end_matches("]]>")
                .trim_end_matches("-->")
                .trim()
                .to_string();
            let value = serde_json::from_str(&text).ok();
            (text, value)
        })
        .collect();
    // The article's own date in any block before a video's upload date in another.
    for key in ["datePublished", "dateCreated", "uploadDate"] {
        for (text, value) in &scripts {
            let found = match value {
                Some(value) => find_key(value, key, 0),
                // Invalid JSON (trailing commas, raw line breaks): the key's string as written.
                None => raw_key(text, key),
            };
            if let Some(d) = found.and_then(|s| parse_loose(&s)) {
                return Some(d);
            }
        }
    }
    None
}

/// The string after `"key":` in text that is not valid JSON.
fn raw_key(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("\"{key}\""))?;
    let rest = text[at + key.len() + 2..].trim_start().strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// The first string under `key` in a JSON value, depth first (objects nest in `@graph`,
/// `mainEntity`, arrays).
fn find_key(value: &serde_json::Value, key: &str, depth: usize) -> Option<String> {
    use serde_json::Value;
    if depth > 16 {
        return None;
    }
    match value {
        Value::Object(map) => {
            if let Some(v) = map.get(key) {
                match v {
                    Value::String(s) => return Some(s.clone()),
                    Value::Array(a) => {
                        if let Some(Value::String(s)) = a.first() {
                            return Some(s.clone());
                        }
                    }
                    _ => {}
                }
            }
            map.values().find_map(|v| find_key(v, key, depth + 1))
        }
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key, depth + 1)),
        _ => None,
    }
}

fn meta(doc: &Document) -> Option<Date> {
    let metas = doc.select("meta");
    let mut best: Option<(usize, Date)> = None;
    for m in metas.iter() {
        let key = m
            .attr("property")
            .or_else(|| m.attr("name"))
            .or_else(|| m.attr("itemprop"))
            .or_else(|| m.attr("http-equiv"));
        let Some(key) = key else { continue };
        let key = key.trim().to_ascii_lowercase();
        let Some(rank) = META_KEYS.iter().position(|k| *k == key) else {
            // Parse.ly's JSON in one tag.
            if key == "parsely-page"
                && let Some(c) = m.attr("content")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&c)
                && let Some(d) = v
                    .get("pub_date")
                    .and_then(|p| p.as_str())
                    .and_then(parse_loose)
                && best.is_none_or(|(r, _)| r > 5)
            {
                best = Some((5, d));
            }
            continue;
        };
        let Some(content) = m.attr("content") else {
            continue;
        };
        if let Some(d) = parse_loose(&content)
            && best.is_none_or(|(r, _)| rank < r)
        {
            best = Some((rank, d));
        }
    }
    best.map(|(_, d)| d)
}

fn time_element(doc: &Document, today: Date) -> Option<Date> {
    let preferred = doc.select(
        "time[pubdate], time[itemprop*=datePublished], time[class*=publish], time[class*=created]",
    );
    let first_in = |sel: &Selection, chrome_clock: bool| {
        sel.iter().find_map(|t| {
            let v = t.attr("datetime")?;
            parse_loose(&v).filter(|&d| plausible(d, today) && !(chrome_clock && d == today))
        })
    };
    if let Some(d) = first_in(&preferred, false) {
        return Some(d);
    }
    let in_article = doc.select("article time[datetime], main time[datetime]");
    if let Some(d) = first_in(&in_article, false) {
        return Some(d);
    }
    first_in(&doc.select("time[datetime]"), true)
}

/// A date in a page's address: `/2024/09/30/`, `/2024-09-30`, `/20240930/`.
#[must_use]
pub fn in_url(url: &str) -> Option<Date> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let path = path.find('/').map_or("", |i| &path[i..]);
    let parts: Vec<&str> = path.split(['/', '-', '_', '.']).collect();
    for w in parts.windows(3) {
        if w[0].len() == 4
            && (1..=2).contains(&w[1].len())
            && (1..=2).contains(&w[2].len())
            && let (Ok(y), Ok(m), Ok(d)) = (w[0].parse(), w[1].parse(), w[2].parse())
            && let Some(date) = Date::new(y, m, d)
        {
            return Some(date);
        }
    }
    for p in &parts {
        if p.len() == 8
            && p.bytes().all(|b| b.is_ascii_digit())
            && let Some(d) = Date::new(
                p[..4].parse().ok()?,
                p[4..6].parse().ok()?,
                p[6..].parse().ok()?,
            )
            && d.year() >= EARLIEST_YEAR
        {
            return Some(d);
        }
    }
    None
}

/// A date written in a metadata value: ISO 8601 (`2024-09-30T08:00:00+03:00`,
/// `2024-09-30 08:00`, `20240930`), RFC 2822 (`Mon, 30 Sep 2024 08:00:00 GMT`), or words.
/// The day is the one written (the publisher's own time zone).
#[must_use]
pub fn parse_loose(s: &str) -> Option<Date> {
    let s = s.trim();
    let digits: String = s.chars().take(10).map(ascii_digit).collect();
    let b = digits.as_bytes();
    // (ASCII, so that the slices below fall on character boundaries: `2024-09-3é`.)
    if b.len() >= 10
        && b[..10].is_ascii()
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'-' | b'/' | b'.')
        && b[7] == b[4]
        && let (Ok(y), Ok(m), Ok(d)) = (
            digits[..4].parse(),
            digits[5..7].parse(),
            digits[8..10].parse(),
        )
    {
        return Date::new(y, m, d);
    }
    if b.len() >= 8
        && b[..8].iter().all(u8::is_ascii_digit)
        && b.get(8).is_none_or(|c| !c.is_ascii_digit())
    {
        return Date::new(
            digits[..4].parse().ok()?,
            digits[4..6].parse().ok()?,
            digits[6..8].parse().ok()?,
        );
    }
    in_text(s)
}

/// Persian and Arabic-Indic digits as ASCII ones.
fn ascii_digit(c: char) -> char {
    match c {
        '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
        '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
        _ => c,
    }
}

/// A token of running text: a number or a word.
#[derive(Debug, PartialEq)]
enum Token {
    Number(u32, usize),
    Word(String),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        if word.chars().all(|c| c.is_ascii_digit()) {
            if word.len() <= 4 {
                out.push(Token::Number(word.parse().unwrap_or(0), word.len()));
            } else {
                out.push(Token::Word(String::new()));
            }
        } else {
            out.push(Token::Word(word.to_lowercase()));
        }
        word.clear();
    };
    for c in text.chars().map(ascii_digit) {
        // ZWNJ joins Persian words.
        if c.is_alphanumeric() || c == '\u{200c}' {
            let switch = word
                .chars()
                .last()
                .is_some_and(|l| l.is_ascii_digit() != c.is_ascii_digit());
            if switch {
                flush(&mut word, &mut out);
            }
            word.push(c);
        } else {
            flush(&mut word, &mut out);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Which calendar a month name belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Calendar {
    Gregorian,
    /// The Solar Hijri calendar of Iran.
    Persian,
}

fn month(word: &str) -> Option<(u32, Calendar)> {
    const GREGORIAN: [&[&str]; 12] = [
        &[
            "january",
            "jan",
            "января",
            "январь",
            "janvier",
            "enero",
            "janeiro",
            "januar",
            "ledna",
            "leden",
            "ژانویه",
            "يناير",
        ],
        &[
            "february",
            "feb",
            "февраля",
            "февраль",
            "février",
            "fevrier",
            "febrero",
            "fevereiro",
            "februar",
            "února",
            "únor",
            "فوریه",
            "فبراير",
        ],
        &[
            "march",
            "mar",
            "марта",
            "март",
            "mars",
            "marzo",
            "março",
            "marco",
            "märz",
            "března",
            "březen",
            "مارس",
        ],
        &[
            "april",
            "apr",
            "апреля",
            "апрель",
            "avril",
            "abril",
            "dubna",
            "duben",
            "آوریل",
            "أبريل",
        ],
        &[
            "may", "мая", "май", "mai", "mayo", "maio", "května", "květen", "مه", "مايو",
        ],
        &[
            "june",
            "jun",
            "июня",
            "июнь",
            "juin",
            "junio",
            "junho",
            "juni",
            "června",
            "červen",
            "ژوئن",
            "يونيو",
        ],
        &[
            "july",
            "jul",
            "июля",
            "июль",
            "juillet",
            "julio",
            "julho",
            "juli",
            "července",
            "červenec",
            "ژوئیه",
            "يوليو",
        ],
        &[
            "august",
            "aug",
            "августа",
            "август",
            "août",
            "aout",
            "agosto",
            "srpna",
            "srpen",
            "اوت",
            "أغسطس",
        ],
        &[
            "september",
            "sep",
            "sept",
            "сентября",
            "сентябрь",
            "septembre",
            "septiembre",
            "setembro",
            "září",
            "سپتامبر",
            "سبتمبر",
        ],
        &[
            "october",
            "oct",
            "октября",
            "октябрь",
            "octobre",
            "octubre",
            "outubro",
            "oktober",
            "října",
            "říjen",
            "اکتبر",
            "أكتوبر",
        ],
        &[
            "november",
            "nov",
            "ноября",
            "ноябрь",
            "novembre",
            "noviembre",
            "novembro",
            "listopadu",
            "listopad",
            "نوامبر",
            "نوفمبر",
        ],
        &[
            "december",
            "dec",
            "декабря",
            "декабрь",
            "décembre",
            "decembre",
            "diciembre",
            "dezembro",
            "dezember",
            "prosince",
            "prosinec",
            "دسامبر",
            "ديسمبر",
        ],
    ];
    let w = word.trim_end_matches('.');
    if let Some(i) = GREGORIAN.iter().position(|names| names.contains(&w)) {
        return Some((i as u32 + 1, Calendar::Gregorian));
    }
    let w = w.replace('ي', "ی").replace('ك', "ک");
    crate::i18n::jalali::MONTHS
        .iter()
        .position(|n| *n == w)
        .map(|i| (i as u32 + 1, Calendar::Persian))
}

/// The first full date (day, month and year) in running text: `30 September 2024`,
/// `September 30, 2024`, `Sept. 30, 2024`, `30 сентября 2024 г.`, `۹ مهر ۱۴۰۳`,
/// `30.09.2024`, `2024-09-30`. A year alone, or a month and year, is no date.
#[must_use]
pub fn in_text(text: &str) -> Option<Date> {
    let toks = tokens(text);
    for i in 0..toks.len() {
        if let Some(d) = date_at(&toks, i) {
            return Some(d);
        }
    }
    None
}

fn date_at(t: &[Token], i: usize) -> Option<Date> {
    let num = |j: usize| match t.get(j) {
        Some(Token::Number(n, len)) => Some((*n, *len)),
        _ => None,
    };
    let mon = |j: usize| match t.get(j) {
        Some(Token::Word(w)) => month(w),
        _ => None,
    };
    // Skip a "de" / "of" between day and month ("30 de setembro de 2024").
    let filler = |j: usize| matches!(t.get(j), Some(Token::Word(w)) if ["de", "of", "del", "г"].contains(&w.as_str()));
    let make = |y: u32, m: u32, d: u32, cal: Calendar| -> Option<Date> {
        match cal {
            Calendar::Gregorian => Date::new(y as i32, m, d),
            Calendar::Persian => {
                let (gy, gm, gd) = jalali_to_gregorian(y as i32, m, d)?;
                Date::new(gy, gm, gd)
            }
        }
    };
    // day month year
    if let Some((d, dl)) = num(i)
        && dl <= 2
    {
        let mut j = i + 1;
        if filler(j) {
            j += 1;
        }
        if let Some((m, cal)) = mon(j) {
            let mut k = j + 1;
            if filler(k) {
                k += 1;
            }
            if let Some((y, 4)) = num(k) {
                return make(y, m, d, cal);
            }
        }
        // 30.09.2024, 30/09/2024 (the separators are gone: three numbers in a row)
        if let (Some((m, ml)), Some((y, 4))) = (num(i + 1), num(i + 2))
            && ml <= 2
        {
            let (d, m) = if m > 12 { (m, d) } else { (d, m) };
            return Date::new(y as i32, m, d);
        }
    }
    // month day, year
    if let Some((m, cal)) = mon(i)
        && let Some((d, dl)) = num(i + 1)
        && dl <= 2
        && let Some((y, 4)) = num(i + 2)
    {
        return make(y, m, d, cal);
    }
    // 2024-09-30
    if let Some((y, 4)) = num(i)
        && let (Some((m, ml)), Some((d, dl))) = (num(i + 1), num(i + 2))
        && ml <= 2
        && dl <= 2
    {
        return Date::new(y as i32, m, d);
    }
    None
}

/// A Solar Hijri (Iranian) date in the Gregorian calendar, by [`crate::i18n::jalali`]'s
/// calendar. A day past its month's end counts on into the next month, as a dateline's
/// arithmetic would.
#[must_use]
pub fn jalali_to_gregorian(jy: i32, jm: u32, jd: u32) -> Option<(i32, u32, u32)> {
    if !(1..=12).contains(&jm) || !(1..=31).contains(&jd) || !(1200..=1600).contains(&jy) {
        return None;
    }
    let first = crate::i18n::jalali::Jalali {
        year: i64::from(jy),
        month: jm,
        day: 1,
    }
    .to_gregorian()?;
    let d = Date::from_days_since_epoch(first.days_since_epoch() + i64::from(jd) - 1);
    Some((d.year(), d.month(), d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Date> {
        Date::parse_iso(s)
    }

    #[test]
    fn metadata_values() {
        assert_eq!(parse_loose("2024-09-30T23:30:00-04:00"), d("2024-09-30"));
        assert_eq!(parse_loose("2017-11-03 03:01:00.000000"), d("2017-11-03"));
        assert_eq!(parse_loose("20240930"), d("2024-09-30"));
        assert_eq!(
            parse_loose("Mon, 30 Sep 2024 08:00:00 GMT"),
            d("2024-09-30")
        );
        assert_eq!(parse_loose("۲۰۲۴-۰۹-۳۰"), d("2024-09-30"));
        // Not a date, and no panic on a character cut in two.
        for odd in ["2024-09-3é", "2024-09-€", "2024-0é-30", "2024-09-30é"] {
            let _ = parse_loose(odd);
        }
        assert_eq!(parse_loose("2024"), None);
        assert_eq!(parse_loose("2024-13-45"), None);
    }

    #[test]
    fn datelines_in_many_languages() {
        assert_eq!(
            in_text("By Jane Roe | September 30, 2024, 8:00 AM"),
            d("2024-09-30")
        );
        assert_eq!(in_text("Sept. 30, 2024"), d("2024-09-30"));
        assert_eq!(in_text("Updated 30 Sep 2024"), d("2024-09-30"));
        assert_eq!(in_text("Москва, 30 сентября 2024 г."), d("2024-09-30"));
        assert_eq!(in_text("30.09.2024 12:00"), d("2024-09-30"));
        assert_eq!(in_text("21 de dezembro de 2018"), d("2018-12-21"));
        assert_eq!(in_text("تهران - ۹ مهر ۱۴۰۳"), d("2024-09-30"));
        assert_eq!(in_text("۳۰ سپتامبر ۲۰۲۴"), d("2024-09-30"));
        assert_eq!(in_text("© 2024 Example News. All rights reserved."), None);
        assert_eq!(in_text("September 2024"), None);
    }

    #[test]
    fn json_ld_in_cdata_or_invalid() {
        let today = d("2026-12-07").unwrap();
        let page = "<script type=\"application/ld+json\"><![CDATA[ [{\"@type\": \"NewsArticle\", \"datePublished\": \"2020-07-10T14:15:42+00:00\",}] ]]></script>";
        assert_eq!(
            from_document(&Document::from(page), None, today),
            Some((d("2020-07-10").unwrap(), DateSource::JsonLd))
        );
    }

    #[test]
    fn an_articles_date_before_a_videos_upload_date() {
        let today = d("2026-12-07").unwrap();
        let page = r#"<script type="application/ld+json">{"@type":"VideoObject","uploadDate":"2024-12-07T01:36:42Z"}</script>
            <script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-12-06T22:00:40Z"}</script>"#;
        assert_eq!(
            from_document(&Document::from(page), None, today),
            Some((d("2024-12-06").unwrap(), DateSource::JsonLd))
        );
    }

    #[test]
    fn the_persian_calendar() {
        assert_eq!(jalali_to_gregorian(1403, 7, 9), Some((2024, 9, 30)));
        assert_eq!(jalali_to_gregorian(1403, 1, 1), Some((2024, 3, 20)));
        assert_eq!(jalali_to_gregorian(1402, 12, 29), Some((2024, 3, 19)));
        assert_eq!(jalali_to_gregorian(1399, 10, 11), Some((2020, 12, 31)));
    }

    #[test]
    fn addresses() {
        assert_eq!(
            in_url("https://x.org/news/2024/09/30/grain"),
            d("2024-09-30")
        );
        assert_eq!(
            in_url("https://x.org/2024-09-30-grain.html"),
            d("2024-09-30")
        );
        assert_eq!(in_url("https://x.org/a/20240930/b"), d("2024-09-30"));
        assert_eq!(in_url("https://2024.x.org/a/b?d=2024/09/30"), None);
        assert_eq!(in_url("https://x.org/story/123456789"), None);
    }

    #[test]
    fn structured_dates_before_the_text_and_no_future_or_clock() {
        let today = d("2026-12-07").unwrap();
        let page = r#"<html><head>
            <script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","datePublished":"2024-09-30T10:00:00Z"}]}</script>
            <meta property="article:published_time" content="2024-09-29">
            </head><body><div class="date">7 December 2026</div></body></html>"#;
        let doc = Document::from(page);
        assert_eq!(
            from_document(&doc, None, today),
            Some((d("2024-09-30").unwrap(), DateSource::JsonLd))
        );
        let clock =
            Document::from(r#"<div class="header-date">7 December 2026</div><p>© 2026</p>"#);
        assert_eq!(from_document(&clock, None, today), None);
        let future =
            Document::from(r#"<meta property="article:published_time" content="2031-01-01">"#);
        assert_eq!(
            from_document(&future, Some("https://x.org/2024/09/30/a"), today),
            Some((d("2024-09-30").unwrap(), DateSource::Url))
        );
    }
}
