//! Instants as the domain records them, and the clock that gives "now".

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// 9999-12-31T23:59:59.999Z: the last instant with a four-digit year.
const MAX_MILLIS: u64 = 253_402_300_799_999;

/// A UTC instant with millisecond precision, written as RFC 3339:
/// `2026-11-26T08:17:20.512Z` (always `Z`, always three fraction digits, so the text
/// sorts like the instant).
///
/// Written and read by `humantime` (checked against `chrono` in the tests).
///
/// ```
/// use orders_domain::Timestamp;
///
/// let at = Timestamp::parse("2026-11-26T08:17:20.512Z")?;
/// assert_eq!(at.unix_millis(), 1_795_681_040_512);
/// assert_eq!(at.to_string(), "2026-11-26T08:17:20.512Z");
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// From milliseconds since the Unix epoch; years after 9999 are refused.
    pub fn from_unix_millis(millis: u64) -> Result<Timestamp, ValidationError> {
        if millis > MAX_MILLIS {
            return Err(ValidationError::new(
                "timestamp",
                format!("{millis} ms is after 9999-12-31T23:59:59.999Z"),
            ));
        }
        Ok(Timestamp(millis))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }

    /// The system clock now (the epoch if the clock is before it).
    pub fn now() -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(MAX_MILLIS))
            .unwrap_or(0);
        Timestamp(millis.min(MAX_MILLIS))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f]Z` (`Z` or `+00:00`; any number of fraction digits,
    /// truncated to milliseconds), years 1970 to 9999.
    pub fn parse(text: &str) -> Result<Timestamp, ValidationError> {
        parse_rfc3339(text).ok_or_else(|| {
            let shown: String = text.chars().take(40).collect();
            ValidationError::new(
                "timestamp",
                format!("`{shown}` is not a UTC RFC 3339 time like 2026-11-26T08:17:20.512Z"),
            )
        })
    }

    /// This instant plus `millis`, saturating at the last representable instant.
    pub fn plus_millis(self, millis: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(millis).min(MAX_MILLIS))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = UNIX_EPOCH + Duration::from_millis(self.0);
        fmt::Display::fmt(&humantime::format_rfc3339_millis(at), f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where "now" comes from: the system clock in functions, a fixed one in tests.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
///
/// ```
/// use orders_domain::{Clock, SystemClock};
/// assert!(SystemClock.now().unix_millis() > 1_700_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// `humantime`'s strict RFC 3339 reader (`T`, `Z` or `+00:00`, real calendar dates, years
/// 1970 to 9999), truncated to milliseconds. Two things it takes are refused here: the leap
/// second `:60` (which it turns into `:59`) and a `.` with no digit after it. The writer and
/// this reader are the library's; every function already links it through ferrule-logger.
fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    if text.get(17..19) == Some("60") || text.get(19..21) == Some(".Z") {
        return None;
    }
    let at = humantime::parse_rfc3339(text).ok()?;
    let millis = at.duration_since(UNIX_EPOCH).ok()?.as_millis();
    Timestamp::from_unix_millis(u64::try_from(millis).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, SecondsFormat};

    fn chrono_text(millis: u64) -> String {
        DateTime::from_timestamp_millis(millis as i64)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    #[test]
    fn formats_and_parses_like_chrono_across_four_centuries() {
        // A stride that is prime to days, hours and milliseconds visits every month,
        // leap days, century years and all fields with varied digits.
        let mut millis = 0_u64;
        while millis <= MAX_MILLIS {
            let expected = chrono_text(millis);
            let at = Timestamp::from_unix_millis(millis).unwrap();
            assert_eq!(at.to_string(), expected);
            assert_eq!(Timestamp::parse(&expected).unwrap(), at, "{expected}");
            millis += 3_155_760_013_337 / 97;
        }
        for text in [
            "2000-02-29T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2100-03-01T00:00:00.000Z",
            "1970-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            let expected = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_millis() as u64;
            let parsed = Timestamp::parse(text).unwrap();
            assert_eq!(parsed.unix_millis(), expected, "{text}");
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn accepts_other_fraction_lengths_and_truncates_to_millis() {
        let base = Timestamp::parse("2026-11-26T08:17:20Z").unwrap();
        assert_eq!(base.unix_millis(), 1_795_681_040_000);
        assert_eq!(
            Timestamp::parse("2026-11-26T08:17:20.5Z")
                .unwrap()
                .unix_millis(),
            1_795_681_040_500
        );
        assert_eq!(
            Timestamp::parse("2026-11-26T08:17:20.123456789Z")
                .unwrap()
                .unix_millis(),
            1_795_681_040_123
        );
        // RFC 3339 allows any number of fraction digits and the +00:00 offset for UTC.
        assert_eq!(
            Timestamp::parse("2026-11-26T08:17:20.1234567890Z")
                .unwrap()
                .unix_millis(),
            1_795_681_040_123
        );
        assert_eq!(Timestamp::parse("2026-11-26T08:17:20+00:00").unwrap(), base);
    }

    #[test]
    fn refuses_anything_but_utc_rfc3339_and_quotes_the_input() {
        for text in [
            "",
            "2026-11-26",
            "2026-11-26 08:17:20Z",
            "2026-11-26T08:17:20+01:00",
            "2026-11-26T08:17:20.Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T23:60:00Z",
            "2026-11-26T23:59:60Z",
            "1969-12-31T23:59:59Z",
            "20x6-11-26T08:17:20Z",
            "2026-11-26T08:17:20Zjunk",
            "２０２６-11-26T08:17:20Z",
        ] {
            let error = Timestamp::parse(text).unwrap_err();
            assert_eq!(error.field(), "timestamp");
            assert!(error.reason().contains(&format!("`{text}`")), "{error}");
        }
    }

    #[test]
    fn millis_beyond_year_9999_are_refused_and_plus_saturates() {
        assert!(Timestamp::from_unix_millis(MAX_MILLIS).is_ok());
        let error = Timestamp::from_unix_millis(MAX_MILLIS + 1).unwrap_err();
        assert!(error.reason().contains("253402300800000"), "{error}");
        let last = Timestamp::from_unix_millis(MAX_MILLIS).unwrap();
        assert_eq!(last.plus_millis(5), last);
        assert_eq!(Timestamp::EPOCH.plus_millis(1500).unix_millis(), 1500);
    }

    #[test]
    fn serde_round_trips_as_text_and_reports_bad_text() {
        let at = Timestamp::parse("2026-11-26T09:02:10.004Z").unwrap();
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(json, "\"2026-11-26T09:02:10.004Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), at);
        let error = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(error.to_string().contains("yesterday"), "{error}");
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }

    #[test]
    fn system_clock_is_close_to_now() {
        let before = Timestamp::now();
        let clock_now = SystemClock.now();
        fn through<C: Clock>(clock: C) -> Timestamp {
            clock.now()
        }
        let by_reference = through::<&SystemClock>(&SystemClock);
        assert!(clock_now >= before && by_reference >= clock_now);
        assert!(clock_now.unix_millis() - before.unix_millis() < 5_000);
    }
}
