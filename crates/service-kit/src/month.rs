//! Calendar months in UTC, the unit of metering (`2026-11`): billing counts
//! monthly active users by them, the auth server reports usage in windows
//! that never cross one.
use std::fmt;

use time::{Date, Month as CalendarMonth, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a month is written YYYY-MM, between 2000-01 and 9999-12")]
pub struct BadMonth;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the instant is outside the supported range")]
pub struct BadInstant;

impl Month {
    /// The UTC month of a unix instant.
    pub fn of(unix_seconds: i64) -> Result<Self, BadInstant> {
        let at = OffsetDateTime::from_unix_timestamp(unix_seconds).map_err(|_| BadInstant)?;
        if !(2000..=9999).contains(&at.year()) {
            return Err(BadInstant);
        }
        Ok(Self {
            year: at.year(),
            month: u8::from(at.month()),
        })
    }

    pub fn parse(text: &str) -> Result<Self, BadMonth> {
        let (year, month) = text.split_once('-').ok_or(BadMonth)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(BadMonth);
        }
        let year: i32 = year.parse().map_err(|_| BadMonth)?;
        let month: u8 = month.parse().map_err(|_| BadMonth)?;
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(BadMonth);
        }
        Ok(Self { year, month })
    }

    /// The first second of the month.
    pub fn start(self) -> i64 {
        self.first_day().midnight().assume_utc().unix_timestamp()
    }

    /// The first second of the next month.
    pub fn end(self) -> i64 {
        self.next().start()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    fn first_day(self) -> Date {
        let month = CalendarMonth::try_from(self.month).unwrap_or(CalendarMonth::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_changes_at_midnight_utc() {
        // 2026-11-30T23:59:59Z and 2026-12-01T00:00:00Z.
        assert_eq!(Month::of(1_796_083_199).unwrap().to_string(), "2026-11");
        assert_eq!(Month::of(1_796_083_200).unwrap().to_string(), "2026-12");
        // 2026-12-31T23:59:59Z → December, a second later → next January.
        assert_eq!(Month::of(1_798_761_599).unwrap().to_string(), "2026-12");
        assert_eq!(Month::of(1_798_761_600).unwrap().to_string(), "2027-01");
    }

    #[test]
    fn bounds_are_the_first_seconds() {
        let november = Month::parse("2026-11").unwrap();
        assert_eq!(november.start(), 1_793_491_200);
        assert_eq!(november.end(), 1_796_083_200);
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
    }

    #[test]
    fn malformed_months_are_refused() {
        for bad in [
            "", "2026", "2026-13", "2026-00", "26-11", "2026-1", "2026-011", "x-11", "1999-12",
            "2026/11",
        ] {
            assert_eq!(Month::parse(bad), Err(BadMonth), "{bad}");
        }
        assert!(Month::of(i64::MAX).is_err());
        assert!(Month::of(-1).is_err());
    }
}
