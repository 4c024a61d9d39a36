//! Signing time. The core never reads a clock: the shell passes the time in.
//!
//! Civil dates by Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian),
//! so no date crate ships in the module.

use crate::error::{Error, Result};

/// A UTC instant with second precision, within the years 1970–9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// `9999-12-31T23:59:59Z`, the last instant a `Timestamp` holds.
const LAST_SECOND: i64 = 253_402_300_799;
const SECONDS_PER_DAY: i64 = 86_400;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A UTC date and time of day, as written in headers and signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Timestamp {
    /// From seconds since the Unix epoch.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for instants before 1970 or after the year 9999.
    pub fn from_unix(seconds: i64) -> Result<Self> {
        Self::in_range(seconds).ok_or_else(|| Error::invalid("time", format!("{seconds} s is out of range")))
    }

    fn in_range(seconds: i64) -> Option<Self> {
        (0..=LAST_SECOND).contains(&seconds).then_some(Timestamp(seconds))
    }

    /// From an RFC 3339 string such as `2013-05-24T00:00:00Z` (fractions of a second are dropped,
    /// an offset such as `+08:00` is applied).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the string is not RFC 3339 or is out of range.
    pub fn parse_rfc3339(text: &str) -> Result<Self> {
        Self::rfc3339(text).ok_or_else(|| Error::invalid("time", format!("\"{text}\" is not an RFC 3339 time")))
    }

    fn rfc3339(text: &str) -> Option<Self> {
        let mut input = Cursor(text.as_bytes());
        let year = i64::from(input.digits(4)?);
        input.byte(b'-')?;
        let month = input.digits(2)?;
        input.byte(b'-')?;
        let day = input.digits(2)?;
        input.byte_of(b"Tt")?;
        let hour = input.digits(2)?;
        input.byte(b':')?;
        let minute = input.digits(2)?;
        input.byte(b':')?;
        let second = input.digits(2)?;
        if input.byte(b'.').is_some() {
            input.digits(1)?;
            while input.digits(1).is_some() {}
        }
        let offset = match input.byte_of(b"Zz+-")? {
            b'Z' | b'z' => 0,
            sign => {
                let hours = i64::from(input.digits(2)?);
                input.byte(b':')?;
                let minutes = i64::from(input.digits(2)?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let offset = hours * 3600 + minutes * 60;
                if sign == b'-' { -offset } else { offset }
            }
        };
        input.end()?;
        let local = Civil { year, month, day, hour, minute, second }.unix()?;
        Self::in_range(local - offset)
    }

    /// From an HTTP `Date` header (`Fri, 24 May 2013 00:00:00 GMT`); `None` if it is not one.
    /// The weekday must be a weekday's name; the date decides which day it is.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        let mut input = Cursor(text.trim_ascii().as_bytes());
        let weekday = input.take(3)?;
        if !WEEKDAYS.iter().any(|name| name.as_bytes() == weekday) {
            return None;
        }
        input.byte(b',')?;
        input.byte(b' ')?;
        let day = match input.digits(2) {
            Some(day) => day,
            None => input.digits(1)?,
        };
        input.byte(b' ')?;
        let month_name = input.take(3)?;
        let month = MONTHS.iter().position(|name| name.as_bytes() == month_name)?;
        input.byte(b' ')?;
        let year = i64::from(input.digits(4)?);
        input.byte(b' ')?;
        let hour = input.digits(2)?;
        input.byte(b':')?;
        let minute = input.digits(2)?;
        input.byte(b':')?;
        let second = input.digits(2)?;
        input.byte(b' ')?;
        if input.take(3)? != b"GMT" {
            return None;
        }
        input.end()?;
        let month = u32::try_from(month).ok()? + 1;
        Self::in_range(Civil { year, month, day, hour, minute, second }.unix()?)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// `20130524T000000Z`, the V4 schemes' date format.
    pub(crate) fn iso_basic(self) -> String {
        let t = self.civil();
        format!("{}T{:02}{:02}{:02}Z", self.date_stamp(), t.hour, t.minute, t.second)
    }

    /// `20130524`, the date in a V4 credential scope.
    pub(crate) fn date_stamp(self) -> String {
        let t = self.civil();
        format!("{:04}{:02}{:02}", t.year, t.month, t.day)
    }

    /// `Fri, 24 May 2013 00:00:00 GMT` (RFC 1123), the V2 schemes' date format.
    pub(crate) fn http_date(self) -> String {
        let t = self.civil();
        // 1970-01-01 was a Thursday.
        let weekday = WEEKDAYS[usize::try_from((self.0.div_euclid(SECONDS_PER_DAY) + 4).rem_euclid(7)).unwrap_or(0)];
        let month = MONTHS[usize::try_from(t.month - 1).unwrap_or(0)];
        format!("{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT", t.day, t.year, t.hour, t.minute, t.second)
    }

    fn civil(self) -> Civil {
        let (year, month, day) = civil_from_days(self.0.div_euclid(SECONDS_PER_DAY));
        let of_day = u32::try_from(self.0.rem_euclid(SECONDS_PER_DAY)).unwrap_or(0);
        Civil { year, month, day, hour: of_day / 3600, minute: of_day / 60 % 60, second: of_day % 60 }
    }
}

impl Civil {
    /// Seconds since the Unix epoch, or `None` for a date or time of day that does not exist
    /// (no leap seconds).
    fn unix(self) -> Option<i64> {
        let valid = (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60;
        valid.then(|| {
            days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
                + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
        })
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * i64::from((month + 9) % 12) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date (year, month 1–12, day) of a day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// What is left of a date being parsed.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self, expected: u8) -> Option<()> {
        self.byte_of(&[expected]).map(|_| ())
    }

    fn byte_of(&mut self, allowed: &[u8]) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        allowed.contains(&first).then(|| {
            self.0 = rest;
            first
        })
    }

    /// Exactly `n` ASCII digits as a number; nothing is consumed when they are not there.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let digits = self.0.get(..n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = &self.0[n..];
        Some(digits.iter().fold(0, |value, digit| value * 10 + u32::from(digit - b'0')))
    }

    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = Timestamp::parse_rfc3339("2013-05-24T00:00:00Z").expect("valid");
        assert_eq!(t.iso_basic(), "20130524T000000Z");
        assert_eq!(t.date_stamp(), "20130524");
        assert_eq!(t.http_date(), "Fri, 24 May 2013 00:00:00 GMT");
        assert_eq!(t.unix(), 1_369_353_600);
    }

    #[test]
    fn http_date_round_trip() {
        let t = Timestamp::parse_http_date("Tue, 5 Nov 2024 06:26:17 GMT").expect("valid");
        assert_eq!(t.http_date(), "Tue, 05 Nov 2024 06:26:17 GMT");
        assert_eq!(Timestamp::parse_http_date(&t.http_date()), Some(t));
        assert_eq!(Timestamp::parse_http_date(" Tue, 05 Nov 2024 06:26:17 GMT\r\n"), Some(t));
        for bad in [
            "yesterday",
            "",
            "Xyz, 05 Nov 2024 06:26:17 GMT",
            "Tue, 05 Foo 2024 06:26:17 GMT",
            "Tue, 31 Nov 2024 06:26:17 GMT",
            "Tue, 05 Nov 2024 24:00:00 GMT",
            "Tue, 05 Nov 2024 06:26:60 GMT",
            "Tue, 05 Nov 2024 06:26:17 UTC",
            "Tue, 05 Nov 2024 06:26:17 GMT x",
            "Tue, 105 Nov 2024 06:26:17 GMT",
            "Tue, 05 Nov 1969 06:26:17 GMT",
        ] {
            assert_eq!(Timestamp::parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_forms() {
        let at = |text| Timestamp::parse_rfc3339(text).map(Timestamp::unix).ok();
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2013-05-24t00:00:00z"), Some(1_369_353_600));
        assert_eq!(at("2013-05-24T00:00:00.999999Z"), Some(1_369_353_600));
        assert_eq!(at("2013-05-24T08:00:00+08:00"), Some(1_369_353_600));
        assert_eq!(at("2013-05-23T19:30:00-04:30"), Some(1_369_353_600));
        assert_eq!(at("9999-12-31T23:59:59Z"), Some(LAST_SECOND));
        for bad in [
            "not a time",
            "2013-05-24 00:00:00Z",
            "2013-05-24T00:00:00",
            "2013-05-24T00:00:00.Z",
            "2013-02-29T00:00:00Z",
            "2013-13-01T00:00:00Z",
            "2013-05-24T00:00:00+24:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "2013-05-24T00:00:00Zjunk",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn leap_years_and_far_dates() {
        let day = |text: &str| Timestamp::parse_rfc3339(text).expect(text);
        assert_eq!(day("2024-02-29T12:00:00Z").http_date(), "Thu, 29 Feb 2024 12:00:00 GMT");
        assert_eq!(day("2000-02-29T00:00:00Z").unix(), 951_782_400);
        assert!(Timestamp::parse_rfc3339("2100-02-29T00:00:00Z").is_err());
        assert!(Timestamp::parse_rfc3339("1900-02-29T00:00:00Z").is_err());
        // Past the 32-bit signed seconds of 2038-01-19T03:14:07Z.
        let after_2038 = day("2038-01-19T03:14:08Z");
        assert_eq!(after_2038.unix(), 2_147_483_648);
        assert_eq!(after_2038.iso_basic(), "20380119T031408Z");
        assert_eq!(after_2038.http_date(), "Tue, 19 Jan 2038 03:14:08 GMT");
        assert_eq!(day("2106-02-07T06:28:16Z").unix(), 4_294_967_296);
        let last = Timestamp::from_unix(LAST_SECOND).expect("valid");
        assert_eq!(last.http_date(), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(last.iso_basic(), "99991231T235959Z");
    }

    #[test]
    fn civil_days_round_trip() {
        // Every day from 1970 to 9999: formatting then parsing gives the day back, and days are consecutive.
        let last_day = LAST_SECOND / SECONDS_PER_DAY;
        let mut previous = (1969, 12, 31);
        for days in 0..=last_day {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            let next_day = previous.2 < days_in_month(previous.0, previous.1);
            let expected = match (next_day, previous.1) {
                (true, _) => (previous.0, previous.1, previous.2 + 1),
                (false, 12) => (previous.0 + 1, 1, 1),
                (false, month) => (previous.0, month + 1, 1),
            };
            assert_eq!((year, month, day), expected);
            previous = (year, month, day);
            if days % 997 == 0 {
                let t = Timestamp::from_unix(days * SECONDS_PER_DAY + 45_296).expect("valid");
                assert_eq!(Timestamp::parse_http_date(&t.http_date()), Some(t));
            }
        }
    }

    #[test]
    fn out_of_range() {
        assert!(Timestamp::from_unix(-1).is_err());
        assert!(Timestamp::from_unix(LAST_SECOND + 1).is_err());
        assert!(Timestamp::from_unix(i64::MAX).is_err());
        assert!(Timestamp::parse_rfc3339("not a time").is_err());
    }
}
