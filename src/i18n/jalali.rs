//! The Solar Hijri calendar (the one used in Iran and Afghanistan), for dates in Persian
//! replies: converting a Gregorian [`Date`] to a Solar Hijri year, month and day, and back.
//!
//! The calendar itself is astronomical (the year starts on the day of the March equinox). This
//! module counts leap years by the 33-year cycle: a year is a leap year when its remainder after
//! dividing by 33 is one of 1, 5, 9, 13, 17, 22, 26 or 30. That matches the official calendar
//! for at least 1304–1502 SH (1925–2123 CE) — a review compared every day of 1800–2300 with
//! Python's `jdatetime` (the same rule: no difference) and with the astronomical equinox
//! (`convertdate`: equal for 1277–1502 SH); outside those years it is an arithmetic
//! approximation, which is as good a guess as any for articles. The first six months have 31
//! days, the next five 30, and Esfand 29 (30 in a leap year).

use crate::date::Date;

/// The months of the Solar Hijri calendar in Persian, Farvardin to Esfand: for dates in replies
/// and for reading the datelines of web pages.
pub const MONTHS: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// The remainders (year mod 33) of the leap years in each 33-year cycle.
const LEAP_REMAINDERS: [i64; 8] = [1, 5, 9, 13, 17, 22, 26, 30];

/// Days since 1970-01-01 of 1 Farvardin of year 1 SH, fixed so that 1 Farvardin 1403 is
/// 20 March 2024 (checked in the tests, with the years around it).
const EPOCH: i64 = -492_268;

/// A day of the Solar Hijri calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Jalali {
    /// The year (1403 SH began on 20 March 2024).
    pub year: i64,
    /// The month, 1 (Farvardin) to 12 (Esfand).
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
}

/// Whether `year` SH has 366 days (a 30th of Esfand).
#[must_use]
pub fn is_leap(year: i64) -> bool {
    LEAP_REMAINDERS.contains(&year.rem_euclid(33))
}

/// The leap years among years 1 to `year - 1`, counted by whole cycles and the rest (negative
/// years included, by floor division).
fn leaps_before(year: i64) -> i64 {
    let n = year - 1;
    let cycles = n.div_euclid(33);
    let rest = n.rem_euclid(33);
    8 * cycles + LEAP_REMAINDERS.iter().filter(|&&r| r <= rest).count() as i64
}

/// Days since 1970-01-01 of 1 Farvardin of `year`.
fn new_year(year: i64) -> i64 {
    EPOCH + 365 * (year - 1) + leaps_before(year)
}

/// The days of `month` in `year`.
#[must_use]
pub fn month_len(year: i64, month: u32) -> u32 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        _ if is_leap(year) => 30,
        _ => 29,
    }
}

impl Jalali {
    /// The Solar Hijri day that is the Gregorian `date`.
    #[must_use]
    pub fn from_gregorian(date: Date) -> Jalali {
        let days = date.days_since_epoch();
        // 1 Farvardin falls on 19–22 March, so the year is the one of the Gregorian year less
        // 621 or 622: start from the later and step back when the day is before its start.
        let mut year = i64::from(date.year()) - 621;
        while new_year(year) > days {
            year -= 1;
        }
        let mut day_of_year = (days - new_year(year)) as u32;
        let mut month = 1;
        while day_of_year >= month_len(year, month) {
            day_of_year -= month_len(year, month);
            month += 1;
        }
        Jalali {
            year,
            month,
            day: day_of_year + 1,
        }
    }

    /// The Gregorian day that is this one; `None` for a day that does not exist (a month
    /// outside 1–12, a day past its month's end).
    #[must_use]
    pub fn to_gregorian(self) -> Option<Date> {
        if !(1..=12).contains(&self.month) || self.day == 0 {
            return None;
        }
        if self.day > month_len(self.year, self.month) {
            return None;
        }
        let before: u32 = (1..self.month).map(|m| month_len(self.year, m)).sum();
        let days = new_year(self.year) + i64::from(before) + i64::from(self.day) - 1;
        Some(Date::from_days_since_epoch(days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(year: i64, month: u32, day: u32) -> Jalali {
        Jalali { year, month, day }
    }

    fn g(y: i32, m: u32, d: u32) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn the_year_boundaries_around_1403() {
        // 1403 is a leap year: it ends on 30 Esfand.
        assert!(is_leap(1403));
        assert!(!is_leap(1402) && !is_leap(1404));
        let cases = [
            (sh(1403, 1, 1), g(2024, 3, 20)),
            (sh(1402, 12, 29), g(2024, 3, 19)),
            (sh(1403, 12, 29), g(2025, 3, 19)),
            (sh(1403, 12, 30), g(2025, 3, 20)),
            (sh(1404, 1, 1), g(2025, 3, 21)),
            (sh(1403, 7, 9), g(2024, 9, 30)),
            // Nowruz of other years, as Iran's calendar has them.
            (sh(1399, 1, 1), g(2020, 3, 20)),
            (sh(1400, 1, 1), g(2021, 3, 21)),
            (sh(1379, 1, 1), g(2000, 3, 20)),
            (sh(1354, 1, 1), g(1975, 3, 21)),
            (sh(1300, 1, 1), g(1921, 3, 21)),
        ];
        for (jalali, date) in cases {
            assert_eq!(Jalali::from_gregorian(date), jalali, "{date}");
            assert_eq!(jalali.to_gregorian(), Some(date), "{jalali:?}");
        }
        assert_eq!(sh(1404, 12, 30).to_gregorian(), None, "1404 is common");
        assert_eq!(sh(1403, 13, 1).to_gregorian(), None);
        assert_eq!(sh(1403, 7, 31).to_gregorian(), None);
    }

    /// Every day from 1900 to 2100 goes there and back, the days follow each other without a
    /// gap or a repeat, and each year has 365 or 366 days as its leap rule says.
    #[test]
    fn every_day_1900_to_2100_round_trips_in_order() {
        let first = g(1900, 1, 1).days_since_epoch();
        let last = g(2100, 12, 31).days_since_epoch();
        let mut previous: Option<Jalali> = None;
        for days in first..=last {
            let date = Date::from_days_since_epoch(days);
            let j = Jalali::from_gregorian(date);
            assert_eq!(j.to_gregorian(), Some(date), "{j:?}");
            if let Some(p) = previous {
                let next = if p.day < month_len(p.year, p.month) {
                    sh(p.year, p.month, p.day + 1)
                } else if p.month < 12 {
                    sh(p.year, p.month + 1, 1)
                } else {
                    sh(p.year + 1, 1, 1)
                };
                assert_eq!(j, next, "the day after {p:?} ({date})");
            }
            previous = Some(j);
        }
    }

    #[test]
    fn leap_years_come_eight_in_thirty_three() {
        for start in [1300, 1343, 1376, 1409] {
            let leaps = (start..start + 33).filter(|&y| is_leap(y)).count();
            assert_eq!(leaps, 8, "{start}");
        }
        // The leap years of recent memory.
        for y in [1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403, 1408] {
            assert!(is_leap(y), "{y}");
        }
    }

    /// The web pages' date reader has its own one-way conversion (Persian datelines): the two
    /// agree on every day of the years the bot's dates come from.
    #[test]
    fn agrees_with_the_dateline_reader() {
        for year in 1279..=1479 {
            for month in 1..=12 {
                for day in 1..=month_len(year, month) {
                    let ours = sh(year, month, day).to_gregorian().unwrap();
                    let theirs =
                        crate::web::dates::jalali_to_gregorian(year as i32, month, day).unwrap();
                    assert_eq!(
                        (ours.year(), ours.month(), ours.day()),
                        theirs,
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
    }
}
