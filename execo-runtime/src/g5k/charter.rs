//! Grid'5000's usage charter in time: on working days from 09:00 to 19:00, Europe/Paris,
//! reservations must stay small; nights, weekends and French public holidays are free of
//! it. Experiments ask whether a moment is in charter time, and when the next charter
//! period starts, to plan big runs outside it (execo's `execo_g5k.charter`).
//!
//! As execo does: the fixed holidays (1 January, 1 and 8 May, 14 July, 15 August,
//! 1 and 11 November, 25 December) and the Easter-based ones (Easter Monday, Ascension
//! Thursday, Whit Monday), Easter by Oudin's algorithm. Unlike execo, which forks a
//! process to set `TZ=Europe/Paris` for each conversion (and reads the end of the
//! period in the caller's own time zone), Europe/Paris is computed here, with the
//! rule of [`oar::time`](super::oar::time).

use std::fmt;

use super::oar::time::{civil_from_days, days_from_civil, paris_local_to_unix, paris_offset};

/// A civil date (proleptic Gregorian), as the charter counts days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
}

impl Date {
    /// The date, if it exists (`2026-02-30` does not).
    pub fn new(year: i64, month: u32, day: u32) -> Option<Date> {
        let d = Date { year, month, day };
        (month >= 1 && day >= 1 && Date::from_days(d.days()) == d).then_some(d)
    }

    /// Days since 1970-01-01.
    fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    fn from_days(z: i64) -> Date {
        let (year, month, day) = civil_from_days(z);
        Date { year, month, day }
    }

    /// The day `n` days later (earlier when negative).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// The day of the week, Python's way: Monday 0 to Sunday 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3)
        (self.days() + 3).rem_euclid(7) as u32
    }

    /// The date of Europe/Paris at unix time `t`.
    pub fn paris(t: i64) -> Date {
        Date::from_days((t + paris_offset(t)).div_euclid(86_400))
    }

    /// The unix time of `hour`:00 Europe/Paris on this day.
    pub fn paris_hour(self, hour: u32) -> i64 {
        paris_local_to_unix(self.days() * 86_400 + i64::from(hour) * 3_600)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The fixed French public holidays, (month, day, name).
const FIXED: [(u32, u32, &str); 8] = [
    (1, 1, "New Year's Day"),
    (5, 1, "Labour Day"),
    (5, 8, "Victory in Europe Day"),
    (7, 14, "Bastille Day"),
    (8, 15, "Assumption"),
    (11, 1, "All Saints' Day"),
    (11, 11, "Armistice Day"),
    (12, 25, "Christmas"),
];

/// Easter Sunday of `year` (Gregorian), execo's `_easter` (Oudin's algorithm).
pub fn easter(year: i64) -> Date {
    // Python's // and % floor; every divisor is positive, so div_euclid and rem_euclid.
    let century = year.div_euclid(100);
    let g = year.rem_euclid(19);
    let k = (century - 17).div_euclid(25);
    let i = (century - century.div_euclid(4) - (century - k).div_euclid(3) + 19 * g + 15)
        .rem_euclid(30);
    let i = i - i.div_euclid(28)
        * (1 - i.div_euclid(28) * 29i64.div_euclid(i + 1) * (21 - g).div_euclid(11));
    let j = (year + year.div_euclid(4) + i + 2 - century + century.div_euclid(4)).rem_euclid(7);
    let l = i - j;
    let month = 3 + (l + 40).div_euclid(44);
    let day = l + 28 - 31 * month.div_euclid(4);
    Date {
        year,
        month: month as u32,
        day: day as u32,
    }
}

/// execo's `french_holidays`: the public holidays of `year`, sorted, with their names.
pub fn french_holidays(year: i64) -> Vec<(Date, &'static str)> {
    let e = easter(year);
    let mut v: Vec<(Date, &'static str)> = FIXED
        .iter()
        .map(|&(month, day, name)| (Date { year, month, day }, name))
        .chain([
            (e.add_days(1), "Easter Monday"),
            (e.add_days(39), "Ascension Thursday"),
            (e.add_days(50), "Whit Monday"),
        ])
        .collect();
    v.sort();
    v
}

/// The holiday `d` is, if it is one.
pub fn french_holiday(d: Date) -> Option<&'static str> {
    french_holidays(d.year)
        .into_iter()
        .find(|(h, _)| *h == d)
        .map(|(_, name)| name)
}

/// Why a day is not a working day, if it is not: `Saturday`, `Sunday` or the holiday.
pub fn day_off(d: Date) -> Option<&'static str> {
    match d.weekday() {
        5 => Some("Saturday"),
        6 => Some("Sunday"),
        _ => french_holiday(d),
    }
}

/// Whether `d` is a working day (neither a weekend day nor a holiday).
pub fn is_work_day(d: Date) -> bool {
    day_off(d).is_none()
}

/// The first working day after `d`.
pub fn next_work_day(d: Date) -> Date {
    let mut n = d.add_days(1);
    while !is_work_day(n) {
        n = n.add_days(1);
    }
    n
}

/// The charter's hours: from 09:00 (included) to 19:00 (excluded), Europe/Paris.
pub const CHARTER_HOURS: (u32, u32) = (9, 19);

/// The hour of the day (0 to 23), Europe/Paris, at unix time `t`.
fn paris_hour_of(t: i64) -> u32 {
    ((t + paris_offset(t)).rem_euclid(86_400) / 3_600) as u32
}

/// execo's `g5k_charter_time`: whether unix time `t` is in charter time (a working day,
/// 09:00 to 19:00 Europe/Paris).
pub fn g5k_charter_time(t: i64) -> bool {
    let h = paris_hour_of(t);
    (CHARTER_HOURS.0..CHARTER_HOURS.1).contains(&h) && is_work_day(Date::paris(t))
}

/// execo's `get_next_charter_period`: the first charter period between unix times
/// `start` and `end`, as `(start, end)` clipped to them; `None` when there is none
/// (or `end <= start`). When `start` is in charter time, the period starts at `start`.
pub fn next_charter_period(start: i64, end: i64) -> Option<(i64, i64)> {
    if end <= start {
        return None;
    }
    let day = Date::paris(start);
    if g5k_charter_time(start) {
        return Some((start, end.min(day.paris_hour(CHARTER_HOURS.1))));
    }
    let first = if paris_hour_of(start) < CHARTER_HOURS.0 && is_work_day(day) {
        day
    } else {
        next_work_day(day)
    };
    let charter_start = first.paris_hour(CHARTER_HOURS.0);
    if charter_start > end {
        return None;
    }
    Some((charter_start, end.min(first.paris_hour(CHARTER_HOURS.1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g5k::oar::time::{format_oar_date, oar_date_to_unixts};

    fn t(s: &str) -> i64 {
        oar_date_to_unixts(s).unwrap()
    }

    fn d(y: i64, m: u32, day: u32) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn easter_matches_the_calendar() {
        for (y, m, day) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), d(y, m, day), "{y}");
        }
    }

    #[test]
    fn holidays_of_2026_include_the_easter_based_ones() {
        let h: Vec<String> = french_holidays(2026)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert_eq!(
            h,
            [
                "2026-01-01",
                "2026-04-06",
                "2026-05-01",
                "2026-05-08",
                "2026-05-14",
                "2026-05-25",
                "2026-07-14",
                "2026-08-15",
                "2026-11-01",
                "2026-11-11",
                "2026-12-25"
            ]
        );
        assert_eq!(french_holiday(d(2025, 6, 9)), Some("Whit Monday"));
        assert_eq!(french_holiday(d(2025, 5, 29)), Some("Ascension Thursday"));
        assert_eq!(french_holiday(d(2026, 7, 13)), None);
        assert!(Date::new(2026, 2, 30).is_none());
        assert_eq!(d(2026, 12, 31).add_days(1), d(2027, 1, 1));
        assert_eq!(d(2026, 12, 6).weekday(), 6);
    }

    #[test]
    fn charter_time_is_working_days_from_9_to_19_paris() {
        // a Monday of winter
        assert!(!g5k_charter_time(t("2026-12-07 08:59:59")));
        assert!(g5k_charter_time(t("2026-12-07 09:00:00")));
        assert!(g5k_charter_time(t("2026-12-07 18:59:59")));
        assert!(!g5k_charter_time(t("2026-12-07 19:00:00")));
        // a weekend, Bastille Day, Easter Monday, Ascension, Whit Monday
        for s in [
            "2026-12-05 12:00:00",
            "2026-12-06 12:00:00",
            "2026-07-14 12:00:00",
            "2026-04-06 12:00:00",
            "2026-05-14 12:00:00",
            "2026-05-25 12:00:00",
        ] {
            assert!(!g5k_charter_time(t(s)), "{s}");
        }
        // the days around them are working days
        assert!(g5k_charter_time(t("2026-07-15 12:00:00")));
        assert!(g5k_charter_time(t("2026-04-07 12:00:00")));
        // DST change days: the hours are Paris's, not UTC's (the 30 March and 26 October
        // 2026 Mondays follow the switching Sundays)
        assert!(g5k_charter_time(t("2026-03-30 09:00:00")));
        assert!(!g5k_charter_time(t("2026-03-30 08:59:59")));
        assert!(g5k_charter_time(t("2026-10-26 09:00:00")));
        assert!(!g5k_charter_time(t("2026-10-26 19:00:00")));
    }

    #[test]
    fn the_next_period_is_found_and_clipped() {
        let p = |a: &str, b: &str| {
            next_charter_period(t(a), t(b)).map(|(s, e)| (format_oar_date(s), format_oar_date(e)))
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        // inside: starts at start
        assert_eq!(
            p("2026-12-07 10:30:00", "2026-12-20 00:00:00"),
            pair("2026-12-07 10:30:00", "2026-12-07 19:00:00")
        );
        // early morning of a working day: 09:00 that day; clipped by end
        assert_eq!(
            p("2026-12-07 03:00:00", "2026-12-07 12:00:00"),
            pair("2026-12-07 09:00:00", "2026-12-07 12:00:00")
        );
        // Friday evening: Monday
        assert_eq!(
            p("2026-12-04 19:00:00", "2026-12-20 00:00:00"),
            pair("2026-12-07 09:00:00", "2026-12-07 19:00:00")
        );
        // Saturday before Easter Monday: Tuesday
        assert_eq!(
            p("2026-04-04 12:00:00", "2026-04-30 00:00:00"),
            pair("2026-04-07 09:00:00", "2026-04-07 19:00:00")
        );
        // Wednesday evening before Ascension: Friday
        assert_eq!(
            p("2026-05-13 20:00:00", "2026-05-30 00:00:00"),
            pair("2026-05-15 09:00:00", "2026-05-15 19:00:00")
        );
        // the Saturday before a DST change: Monday 09:00 in summer time (07:00 UTC)
        let (s, _) =
            next_charter_period(t("2026-03-28 12:00:00"), t("2026-04-30 00:00:00")).unwrap();
        assert_eq!(s, t("2026-03-30 09:00:00"));
        assert_eq!(s.rem_euclid(86_400), 7 * 3_600);
        // none: end before the next period, end before start
        assert_eq!(p("2026-12-05 10:00:00", "2026-12-07 08:00:00"), None);
        assert_eq!(p("2026-12-07 10:00:00", "2026-12-07 10:00:00"), None);
    }
}
