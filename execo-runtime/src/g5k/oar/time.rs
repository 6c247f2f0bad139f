//! OAR's dates and durations, written as OAR reads and prints them.
//!
//! OAR takes walltimes as `H:M:S` (hours unbounded, `0:0:59`, `25:1:1`) and reservation
//! dates as `YYYY-MM-DD HH:MM:SS` in the frontend's local time, Europe/Paris on
//! Grid'5000 (the test OAR runs in it too). Europe/Paris is one fixed rule since 1996
//! (UTC+1, UTC+2 from the last Sunday of March to the last Sunday of October, switching
//! at 01:00 UTC), so it is computed here rather than with a time-zone database crate.
//! A bad walltime or date is an error naming it, before any command runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::g5k::G5kError;

/// A walltime as given: OAR's `H:M:S` / `H:M` text, or a length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Walltime {
    /// `"1:30:00"`, `"2:00"`.
    Text(String),
    /// Seconds.
    Secs(u64),
}

impl From<&str> for Walltime {
    fn from(s: &str) -> Self {
        Walltime::Text(s.to_string())
    }
}
impl From<String> for Walltime {
    fn from(s: String) -> Self {
        Walltime::Text(s)
    }
}
impl From<u64> for Walltime {
    fn from(s: u64) -> Self {
        Walltime::Secs(s)
    }
}
impl From<Duration> for Walltime {
    fn from(d: Duration) -> Self {
        Walltime::Secs(d.as_secs())
    }
}

impl Walltime {
    /// Its length in seconds; a walltime that is not one is an error naming it.
    pub fn seconds(&self) -> Result<u64, G5kError> {
        match self {
            Walltime::Text(s) => oar_duration_to_seconds(s),
            Walltime::Secs(0) => Err(bad_walltime("0", "a walltime must be positive")),
            Walltime::Secs(s) => Ok(*s),
        }
    }
}

/// A reservation date as given: OAR's `YYYY-MM-DD HH:MM:SS` (Europe/Paris), or a
/// moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OarDate {
    /// `"2026-11-30 12:00:00"`, Europe/Paris.
    Text(String),
    /// Seconds since the epoch.
    Unix(i64),
}

impl From<&str> for OarDate {
    fn from(s: &str) -> Self {
        OarDate::Text(s.to_string())
    }
}
impl From<String> for OarDate {
    fn from(s: String) -> Self {
        OarDate::Text(s)
    }
}
impl From<i64> for OarDate {
    fn from(t: i64) -> Self {
        OarDate::Unix(t)
    }
}
impl From<SystemTime> for OarDate {
    fn from(t: SystemTime) -> Self {
        OarDate::Unix(unix(t))
    }
}

impl OarDate {
    /// Seconds since the epoch; a date that is not one is an error naming it.
    pub fn unix(&self) -> Result<i64, G5kError> {
        match self {
            OarDate::Text(s) => oar_date_to_unixts(s),
            OarDate::Unix(t) => Ok(*t),
        }
    }

    /// As OAR reads it (`oarsub -r`): Europe/Paris local time.
    pub fn to_oar(&self) -> Result<String, G5kError> {
        Ok(format_oar_date(self.unix()?))
    }
}

/// Seconds since the epoch of `t` (negative before it).
pub fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Now, in seconds since the epoch.
pub fn now_unix() -> i64 {
    unix(SystemTime::now())
}

fn bad_walltime(s: &str, why: &str) -> G5kError {
    G5kError::new("read", format!("walltime {s}"), why)
}

fn bad_date(s: &str, why: &str) -> G5kError {
    G5kError::new("read", format!("date {s}"), why)
}

/// execo's `format_oar_duration`: `H:M:S`, unpadded (`0:0:59`, `25:1:1`).
pub fn format_oar_duration(secs: u64) -> String {
    format!("{}:{}:{}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `H:M:S` or `H:M` (OAR's forms) in seconds; minutes and seconds below 60, the whole
/// positive.
pub fn oar_duration_to_seconds(s: &str) -> Result<u64, G5kError> {
    let t = s.trim();
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad_walltime(
            s,
            "not a duration (`H:M:S` or `H:M`, e.g. `1:30:00`)",
        ));
    }
    let n: Vec<u64> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    if n[1..].iter().any(|&x| x >= 60) {
        return Err(bad_walltime(s, "minutes and seconds must be below 60"));
    }
    let secs = n[0] * 3600 + n[1] * 60 + n.get(2).copied().unwrap_or(0);
    if secs == 0 {
        return Err(bad_walltime(s, "a walltime must be positive"));
    }
    Ok(secs)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// The unix time of 01:00 UTC on the last Sunday of `month` of `year`.
fn last_sunday_1utc(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * 86_400 + 3_600
}

/// Europe/Paris's offset from UTC, in seconds, at unix time `t`.
pub fn paris_offset(t: i64) -> i64 {
    let (y, _, _) = civil_from_days(t.div_euclid(86_400));
    if (last_sunday_1utc(y, 3)..last_sunday_1utc(y, 10)).contains(&t) {
        7_200
    } else {
        3_600
    }
}

/// execo's `format_oar_date`: `YYYY-MM-DD HH:MM:SS` in Europe/Paris.
pub fn format_oar_date(t: i64) -> String {
    let local = t + paris_offset(t);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// execo's `oar_date_to_unixts`: `YYYY-MM-DD HH:MM:SS` (or without seconds) in
/// Europe/Paris to unix time. In the hour repeated in October, the first one.
pub fn oar_date_to_unixts(s: &str) -> Result<i64, G5kError> {
    let t = s.trim();
    let err = || bad_date(s, "not a date (`YYYY-MM-DD HH:MM:SS`, Europe/Paris)");
    let (date, time) = t.split_once(' ').ok_or_else(err)?;
    let num = |p: &str| -> Result<i64, G5kError> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        p.parse().map_err(|_| err())
    };
    let dp: Vec<&str> = date.split('-').collect();
    let tp: Vec<&str> = time.trim().split(':').collect();
    if dp.len() != 3 || !(2..=3).contains(&tp.len()) {
        return Err(err());
    }
    let (y, mo, d) = (num(dp[0])?, num(dp[1])?, num(dp[2])?);
    let (h, mi) = (num(tp[0])?, num(tp[1])?);
    let sec = tp.get(2).map(|p| num(p)).transpose()?.unwrap_or(0);
    let mdays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let max_d = if mo == 2 && leap {
        29
    } else {
        *mdays.get((mo.max(1) - 1) as usize).unwrap_or(&0)
    };
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=max_d).contains(&d)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return Err(bad_date(s, "no such date or time"));
    }
    let local = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec;
    Ok(paris_local_to_unix(local))
}

/// The unix time of a Europe/Paris wall-clock time, given as seconds since 1970-01-01
/// 00:00 local. In the hour repeated in October, the first one; in the hour skipped in
/// March, read as winter time, as mktime does.
pub(crate) fn paris_local_to_unix(local: i64) -> i64 {
    // the summer reading first, then the winter one: the one whose offset is its own
    for off in [7_200, 3_600] {
        if paris_offset(local - off) == off {
            return local - off;
        }
    }
    local - 3_600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_and_read_as_oar_does() {
        assert_eq!(format_oar_duration(59), "0:0:59");
        assert_eq!(format_oar_duration(90061), "25:1:1");
        assert_eq!(oar_duration_to_seconds("1:30:00").unwrap(), 5400);
        assert_eq!(oar_duration_to_seconds("2:00").unwrap(), 7200);
        assert_eq!(oar_duration_to_seconds("25:1:1").unwrap(), 90061);
        assert_eq!(Walltime::from(3600).seconds().unwrap(), 3600);
    }

    #[test]
    fn a_bad_walltime_is_named() {
        for bad in ["", "1:70:00", "abc", "1:2:3:4", "0:0:0", "-1:00", "1h"] {
            let e = oar_duration_to_seconds(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`walltime {bad}`")), "{bad}: {e}");
        }
        assert!(Walltime::Secs(0).seconds().is_err());
    }

    #[test]
    fn dates_are_europe_paris() {
        // winter: UTC+1 (the samples' 1795400592 is 02:23:12 UTC)
        assert_eq!(format_oar_date(1_795_400_592), "2026-11-23 03:23:12");
        assert_eq!(
            oar_date_to_unixts("2026-11-23 03:23:12").unwrap(),
            1_795_400_592
        );
        // summer: UTC+2
        assert_eq!(
            oar_date_to_unixts("2026-07-01 12:00:00").unwrap(),
            1_782_900_000
        );
        assert_eq!(format_oar_date(1_782_900_000), "2026-07-01 12:00:00");
        // the switches of 2026: 29 March and 25 October, 01:00 UTC
        assert_eq!(paris_offset(1_774_746_000 - 1), 3600);
        assert_eq!(paris_offset(1_774_746_000), 7200);
        assert_eq!(paris_offset(1_792_890_000 - 1), 7200);
        assert_eq!(paris_offset(1_792_890_000), 3600);
        // (not 1_792_890_000: 02:00 on 25 October comes twice, the first is read)
        assert_eq!(
            oar_date_to_unixts("2026-10-25 02:00:00").unwrap(),
            1_792_890_000 - 3600
        );
        for t in [
            0,
            1_000_000_000,
            1_774_746_000,
            1_792_893_600,
            1_900_000_000,
        ] {
            assert_eq!(oar_date_to_unixts(&format_oar_date(t)).unwrap(), t, "{t}");
        }
    }

    #[test]
    fn a_bad_date_is_named() {
        for bad in [
            "tomorrow",
            "2026-13-01 00:00:00",
            "2026-02-30 10:00:00",
            "2026-11-30 25:00:00",
            "2026-11-30",
            "2026-11-30 12:00:00; rm",
        ] {
            let e = oar_date_to_unixts(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`date {bad}`")), "{bad}: {e}");
        }
    }
}
