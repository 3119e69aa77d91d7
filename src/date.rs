//! Calendar dates of articles: parsing the `YYYY-MM-DD` form of the corpus headers, telling a
//! date-shaped value from text, writing dates for people ("30 September 2024"), and the dates
//! questions name ("yesterday", "last week", "in March").
//!
//! Articles carry a day, never a time or a zone, so [`Date`] is a day; the calendar arithmetic
//! is `jiff`'s. "Today" is the server's day in `[general] timezone` (by default the system's
//! zone): Telegram does not say where a reader is.

use std::fmt;

use serde::{Serialize, Serializer};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A day of the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists (`2024-02-30` does not).
    #[must_use]
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let civil = jiff::civil::Date::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
        )
        .ok()?;
        Some(Date::from_civil(civil))
    }

    fn from_civil(d: jiff::civil::Date) -> Date {
        Date {
            year: i32::from(d.year()),
            month: d.month() as u8,
            day: d.day() as u8,
        }
    }

    fn civil(self) -> jiff::civil::Date {
        // Every `Date` was made from a valid `jiff` date.
        jiff::civil::date(self.year as i16, self.month as i8, self.day as i8)
    }

    /// Parses exactly `YYYY-MM-DD`.
    #[must_use]
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        Date::new(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    }

    /// Whether `s` is written like a date (digits in groups joined by dashes, such as
    /// `2024-13-45`), whether or not it is a valid one. Header values shaped like this are
    /// meant as dates; anything else after `date` is article text ("Date palms grow…").
    #[must_use]
    pub fn is_date_shaped(s: &str) -> bool {
        let mut groups = 0;
        for part in s.split('-') {
            if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
            groups += 1;
        }
        groups >= 2
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    #[must_use]
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, 1 to 31.
    #[must_use]
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// The date for people: `30 September 2024`.
    #[must_use]
    pub fn human(self) -> String {
        format!(
            "{} {} {}",
            self.day,
            MONTHS[usize::from(self.month) - 1],
            self.year
        )
    }

    /// Days since 1970-01-01 (negative before it).
    #[must_use]
    pub fn days_since_epoch(self) -> i64 {
        self.civil()
            .since((jiff::Unit::Day, EPOCH))
            .map_or(0, |span| i64::from(span.get_days()))
    }

    /// The date `days` days after 1970-01-01 (clamped to the years -9999 to 9999).
    #[must_use]
    pub fn from_days_since_epoch(days: i64) -> Date {
        let civil = jiff::Span::new()
            .try_days(days)
            .ok()
            .and_then(|span| EPOCH.checked_add(span).ok())
            .unwrap_or(if days < 0 {
                jiff::civil::Date::MIN
            } else {
                jiff::civil::Date::MAX
            });
        Date::from_civil(civil)
    }

    /// Today on the server's clock, in the time zone of [`set_time_zone`] (by default the
    /// system's): "today" and "yesterday" in questions are this day and the one before.
    #[must_use]
    pub fn today() -> Date {
        Date::at(jiff::Timestamp::now(), time_zone())
    }

    /// The day it is at `instant` in `zone`.
    #[must_use]
    pub fn at(instant: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> Date {
        Date::from_civil(zone.to_datetime(instant).date())
    }
}

const EPOCH: jiff::civil::Date = jiff::civil::date(1970, 1, 1);

static TIME_ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();

/// The time zone [`Date::today`] counts days in, from `[general] timezone` (set once, at start;
/// later calls change nothing).
pub fn set_time_zone(zone: jiff::tz::TimeZone) {
    let _ = TIME_ZONE.set(zone);
}

fn time_zone() -> &'static jiff::tz::TimeZone {
    TIME_ZONE.get_or_init(jiff::tz::TimeZone::system)
}

/// The time zone named `name` (an IANA name such as `Asia/Tehran`, or `UTC`); empty: the
/// system's.
pub fn time_zone_named(name: &str) -> Result<jiff::tz::TimeZone, String> {
    if name.is_empty() {
        return Ok(jiff::tz::TimeZone::system());
    }
    jiff::tz::TimeZone::get(name).map_err(|e| format!("{name:?} is not a time zone I know ({e})"))
}

impl fmt::Display for Date {
    /// ISO form, `2024-09-30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A span of days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
}

impl DateRange {
    /// Whether `d` is in it.
    #[must_use]
    pub fn contains(self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    fn day(d: Date) -> DateRange {
        DateRange { from: d, to: d }
    }

    fn month(year: i32, month: u32) -> Option<DateRange> {
        let from = Date::new(year, month, 1)?;
        Some(DateRange {
            from,
            to: Date::from_civil(from.civil().last_of_month()),
        })
    }

    fn year(year: i32) -> Option<DateRange> {
        Some(DateRange {
            from: Date::new(year, 1, 1)?,
            to: Date::new(year, 12, 31)?,
        })
    }
}

/// When a question asks about, and which of its words only say when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionDate {
    /// The days meant.
    pub range: DateRange,
    /// Byte ranges of words like "last year" that say when and nothing else: they are not
    /// looked for in the articles.
    pub framing: Vec<std::ops::Range<usize>>,
}

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| {
            let m = m.to_ascii_lowercase();
            m == w || (m.starts_with(w) && (w.len() == 3 || w == "sept"))
        })
        .map(|i| i as u32 + 1)
}

/// The dates a question names: `2024-09-30`, `30 September 2024`, `September 30, 2024`,
/// `30 September` (the latest that is not in the future), `September 2024`, `in 2024`,
/// `yesterday`, `today`, `this`/`last week`, `month`, `year`. English only; the first found
/// wins.
#[must_use]
pub fn question_date(question: &str, today: Date) -> Option<QuestionDate> {
    // Words with their byte ranges, punctuation trimmed.
    let mut words: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    for raw in question.split_inclusive(char::is_whitespace) {
        let trimmed = raw.trim_end();
        let lead = trimmed.len()
            - trimmed
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        let core = trimmed.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if !core.is_empty() {
            let start = at + lead;
            words.push((core, start..start + core.len()));
        }
        at += raw.len();
    }
    let lower: Vec<String> = words.iter().map(|(w, _)| w.to_lowercase()).collect();
    let word = |i: usize| lower.get(i).map_or("", String::as_str);
    let number = |i: usize| words.get(i).and_then(|(w, _)| w.parse::<u32>().ok());
    let year_at = |i: usize| {
        number(i)
            .filter(|y| (1900..=2100).contains(y))
            .map(|y| y as i32)
    };
    let day_at = |i: usize| number(i).filter(|d| (1..=31).contains(d));
    let latest = |month: u32, day: u32| -> Option<Date> {
        let d = Date::new(today.year(), month, day)?;
        if d > today {
            Date::new(today.year() - 1, month, day)
        } else {
            Some(d)
        }
    };
    let absolute = |range| {
        Some(QuestionDate {
            range,
            framing: Vec::new(),
        })
    };
    let relative = |range, from: usize, to: usize| {
        Some(QuestionDate {
            range,
            framing: words[from..=to].iter().map(|(_, r)| r.clone()).collect(),
        })
    };
    for (i, (w, _)) in words.iter().enumerate() {
        if let Some(d) = Date::parse_iso(w) {
            return absolute(DateRange::day(d));
        }
        if let Some(m) = month_number(w) {
            // "30 September 2024", "30 September"
            if let Some(d) = i.checked_sub(1).and_then(day_at) {
                let date = match year_at(i + 1) {
                    Some(y) => Date::new(y, m, d),
                    None => latest(m, d),
                };
                if let Some(date) = date {
                    return absolute(DateRange::day(date));
                }
            }
            // "September 30, 2024", "September 30"
            if let Some(d) = day_at(i + 1) {
                let date = match year_at(i + 2) {
                    Some(y) => Date::new(y, m, d),
                    None => latest(m, d),
                };
                if let Some(date) = date {
                    return absolute(DateRange::day(date));
                }
            }
            // "September 2024"
            if let Some(y) = year_at(i + 1) {
                return DateRange::month(y, m).and_then(absolute);
            }
        }
        match word(i) {
            "yesterday" => {
                return relative(
                    DateRange::day(Date::from_days_since_epoch(today.days_since_epoch() - 1)),
                    i,
                    i,
                );
            }
            "today" => return relative(DateRange::day(today), i, i),
            "last" | "this" | "past" => {
                let this = word(i) == "this";
                let t = today.days_since_epoch();
                let range = match word(i + 1) {
                    "week" if this => Some(DateRange {
                        from: Date::from_days_since_epoch(t - 6),
                        to: today,
                    }),
                    "week" => Some(DateRange {
                        from: Date::from_days_since_epoch(t - 13),
                        to: Date::from_days_since_epoch(t - 7),
                    }),
                    "month" if this => DateRange::month(today.year(), today.month()),
                    "month" if today.month() == 1 => DateRange::month(today.year() - 1, 12),
                    "month" => DateRange::month(today.year(), today.month() - 1),
                    "year" if this => DateRange::year(today.year()),
                    "year" => DateRange::year(today.year() - 1),
                    _ => None,
                };
                if let Some(r) = range {
                    return relative(r, i, i + 1);
                }
            }
            _ => {}
        }
    }
    // A year on its own: "in 2024", "2024".
    (0..words.len())
        .find_map(year_at)
        .and_then(DateRange::year)
        .and_then(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Today" is the day in the server's time zone, not in UTC: late on 30 September in UTC
    /// it is already 1 October in Tehran, and still 30 September in New York.
    #[test]
    fn today_is_the_day_in_the_time_zone() {
        let instant: jiff::Timestamp = "2024-09-30T22:30:00Z".parse().unwrap();
        let at = |hours: i8| Date::at(instant, &jiff::tz::TimeZone::fixed(jiff::tz::offset(hours)));
        assert_eq!(at(0).to_string(), "2024-09-30");
        assert_eq!(at(4).to_string(), "2024-10-01");
        assert_eq!(at(-4).to_string(), "2024-09-30");
        let tehran = jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(12_600).unwrap());
        assert_eq!(Date::at(instant, &tehran).to_string(), "2024-10-01");
        assert!(time_zone_named("UTC").is_ok());
        assert!(time_zone_named("Mars/Olympus").is_err());
    }

    #[test]
    fn months_end_on_their_last_day() {
        let range = |y, m| DateRange::month(y, m).map(|r| r.to.to_string());
        assert_eq!(range(2024, 2).as_deref(), Some("2024-02-29"));
        assert_eq!(range(2023, 2).as_deref(), Some("2023-02-28"));
        assert_eq!(range(2024, 12).as_deref(), Some("2024-12-31"));
        assert_eq!(range(2024, 13), None);
        assert_eq!(Date::new(2024, 2, 30), None);
        assert_eq!(Date::new(100_000, 1, 1), None);
    }

    #[test]
    fn parses_valid_iso_dates_only() {
        let d = Date::parse_iso("2024-09-30").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, 9, 30));
        assert_eq!(Date::parse_iso("2024-02-29").map(|d| d.day()), Some(29));
        for bad in [
            "2023-02-29",
            "2024-13-45",
            "2024-9-30",
            "24-09-30",
            "2024-09-30x",
            "2024/09/30",
            "",
        ] {
            assert_eq!(Date::parse_iso(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tells_date_shaped_values_from_words() {
        assert!(Date::is_date_shaped("2024-13-45"));
        assert!(Date::is_date_shaped("2024-9-30"));
        assert!(!Date::is_date_shaped("palms"));
        assert!(!Date::is_date_shaped("2024"));
        assert!(!Date::is_date_shaped("2024--30"));
        assert!(!Date::is_date_shaped("Sept-30"));
    }

    #[test]
    fn writes_dates_for_people_and_machines() {
        let d = Date::new(2024, 9, 30).unwrap();
        assert_eq!(d.human(), "30 September 2024");
        assert_eq!(d.to_string(), "2024-09-30");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2024-09-30\"");
    }

    #[test]
    fn dates_in_questions() {
        let today = Date::new(2025, 3, 10).unwrap();
        let range = |q: &str| {
            question_date(q, today).map(|d| (d.range.from.to_string(), d.range.to.to_string()))
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            range("what happened in September 2024?"),
            pair("2024-09-01", "2024-09-30")
        );
        assert_eq!(
            range("grain news on 30 September"),
            pair("2024-09-30", "2024-09-30")
        );
        assert_eq!(
            range("grain news on 3 March"),
            pair("2025-03-03", "2025-03-03")
        );
        assert_eq!(
            range("September 30, 2024 grain"),
            pair("2024-09-30", "2024-09-30")
        );
        assert_eq!(range("Sept. 30 grain"), pair("2024-09-30", "2024-09-30"));
        assert_eq!(range("2024-09-30"), pair("2024-09-30", "2024-09-30"));
        assert_eq!(
            range("grain exports in 2024"),
            pair("2024-01-01", "2024-12-31")
        );
        assert_eq!(range("grain last year"), pair("2024-01-01", "2024-12-31"));
        assert_eq!(range("grain this month"), pair("2025-03-01", "2025-03-31"));
        assert_eq!(range("grain yesterday"), pair("2025-03-09", "2025-03-09"));
        assert_eq!(range("1000 people marched"), None);
        assert_eq!(range("may I ask about grain"), None);
        assert_eq!(range("grain"), None);
        let q = "what was said about grain last year?";
        let d = question_date(q, today).unwrap();
        let framing: Vec<&str> = d.framing.iter().map(|r| &q[r.clone()]).collect();
        assert_eq!(framing, ["last", "year"]);
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2024, 9, 30).unwrap().days_since_epoch(), 19_996);
        for days in [-800_000, -1, 0, 59, 60, 19_996, 2_000_000] {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days, "{d}");
        }
    }
}
