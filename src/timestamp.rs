//! Signing time. The core never reads a clock: the shell passes the time in.

use crate::error::{Error, Result};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Month, OffsetDateTime, Weekday};

/// A UTC instant with second precision, within the years 1970–9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// From seconds since the Unix epoch.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for instants before 1970 or after the year 9999.
    pub fn from_unix(seconds: i64) -> Result<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .filter(|t| (1970..=9999).contains(&t.year()))
            .map(Timestamp)
            .ok_or_else(|| Error::invalid("time", format!("{seconds} s is out of range")))
    }

    /// From an RFC 3339 string such as `2013-05-24T00:00:00Z`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the string is not RFC 3339.
    pub fn parse_rfc3339(text: &str) -> Result<Self> {
        let t = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| Error::invalid("time", format!("{text:?}: {e}")))?;
        Self::from_unix(t.unix_timestamp())
    }

    /// From an HTTP `Date` header (`Fri, 24 May 2013 00:00:00 GMT`); `None` if it is not one.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        let format = format_description!(
            "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        let t = time::PrimitiveDateTime::parse(text.trim(), format).ok()?;
        Self::from_unix(t.assume_utc().unix_timestamp()).ok()
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// `20130524T000000Z`, the V4 schemes' date format.
    pub(crate) fn iso_basic(self) -> String {
        let t = self.0;
        format!("{}T{:02}{:02}{:02}Z", self.date_stamp(), t.hour(), t.minute(), t.second())
    }

    /// `20130524`, the date in a V4 credential scope.
    pub(crate) fn date_stamp(self) -> String {
        let t = self.0;
        format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
    }

    /// `Fri, 24 May 2013 00:00:00 GMT` (RFC 1123), the V2 schemes' date format.
    pub(crate) fn http_date(self) -> String {
        let t = self.0;
        format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            weekday_name(t.weekday()),
            t.day(),
            month_name(t.month()),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn month_name(month: Month) -> &'static str {
    match month {
        Month::January => "Jan",
        Month::February => "Feb",
        Month::March => "Mar",
        Month::April => "Apr",
        Month::May => "May",
        Month::June => "Jun",
        Month::July => "Jul",
        Month::August => "Aug",
        Month::September => "Sep",
        Month::October => "Oct",
        Month::November => "Nov",
        Month::December => "Dec",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = Timestamp::parse_rfc3339("2013-05-24T00:00:00Z").expect("valid");
        assert_eq!(t.iso_basic(), "20130524T000000Z");
        assert_eq!(t.http_date(), "Fri, 24 May 2013 00:00:00 GMT");
        assert_eq!(t.unix(), 1_369_353_600);
    }

    #[test]
    fn http_date_round_trip() {
        let t = Timestamp::parse_http_date("Tue, 5 Nov 2024 06:26:17 GMT").expect("valid");
        assert_eq!(t.http_date(), "Tue, 05 Nov 2024 06:26:17 GMT");
        assert_eq!(Timestamp::parse_http_date(&t.http_date()), Some(t));
        assert_eq!(Timestamp::parse_http_date("yesterday"), None);
    }

    #[test]
    fn out_of_range() {
        assert!(Timestamp::from_unix(-1).is_err());
        assert!(Timestamp::from_unix(i64::MAX).is_err());
        assert!(Timestamp::parse_rfc3339("not a time").is_err());
    }
}
