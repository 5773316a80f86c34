//! CloudWatch units and storage resolutions, spelled as CloudWatch spells them.

use std::fmt;

use serde::{Serialize, Serializer};

/// The unit of a metric, one of the units CloudWatch accepts (`MetricDatum.Unit`).
///
/// Serialises to CloudWatch's exact spelling, e.g. [`Unit::BytesPerSecond`] → `"Bytes/Second"`.
///
/// ```
/// use ferrule_metrics::Unit;
///
/// assert_eq!(Unit::Milliseconds.as_str(), "Milliseconds");
/// assert_eq!(Unit::CountPerSecond.to_string(), "Count/Second");
/// assert_eq!(serde_json::to_string(&Unit::NoUnit).unwrap(), "\"None\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Seconds,
    Microseconds,
    Milliseconds,
    Bytes,
    Kilobytes,
    Megabytes,
    Gigabytes,
    Terabytes,
    Bits,
    Kilobits,
    Megabits,
    Gigabits,
    Terabits,
    Percent,
    Count,
    BytesPerSecond,
    KilobytesPerSecond,
    MegabytesPerSecond,
    GigabytesPerSecond,
    TerabytesPerSecond,
    BitsPerSecond,
    KilobitsPerSecond,
    MegabitsPerSecond,
    GigabitsPerSecond,
    TerabitsPerSecond,
    CountPerSecond,
    /// CloudWatch's `None`: a plain number (named `NoUnit` so it never reads as `Option::None`).
    NoUnit,
}

impl Unit {
    /// Every unit, in CloudWatch's documentation order.
    pub const ALL: [Unit; 27] = [
        Unit::Seconds,
        Unit::Microseconds,
        Unit::Milliseconds,
        Unit::Bytes,
        Unit::Kilobytes,
        Unit::Megabytes,
        Unit::Gigabytes,
        Unit::Terabytes,
        Unit::Bits,
        Unit::Kilobits,
        Unit::Megabits,
        Unit::Gigabits,
        Unit::Terabits,
        Unit::Percent,
        Unit::Count,
        Unit::BytesPerSecond,
        Unit::KilobytesPerSecond,
        Unit::MegabytesPerSecond,
        Unit::GigabytesPerSecond,
        Unit::TerabytesPerSecond,
        Unit::BitsPerSecond,
        Unit::KilobitsPerSecond,
        Unit::MegabitsPerSecond,
        Unit::GigabitsPerSecond,
        Unit::TerabitsPerSecond,
        Unit::CountPerSecond,
        Unit::NoUnit,
    ];

    /// The spelling CloudWatch expects in the EMF `Unit` member.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "Seconds",
            Unit::Microseconds => "Microseconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
            Unit::Kilobytes => "Kilobytes",
            Unit::Megabytes => "Megabytes",
            Unit::Gigabytes => "Gigabytes",
            Unit::Terabytes => "Terabytes",
            Unit::Bits => "Bits",
            Unit::Kilobits => "Kilobits",
            Unit::Megabits => "Megabits",
            Unit::Gigabits => "Gigabits",
            Unit::Terabits => "Terabits",
            Unit::Percent => "Percent",
            Unit::Count => "Count",
            Unit::BytesPerSecond => "Bytes/Second",
            Unit::KilobytesPerSecond => "Kilobytes/Second",
            Unit::MegabytesPerSecond => "Megabytes/Second",
            Unit::GigabytesPerSecond => "Gigabytes/Second",
            Unit::TerabytesPerSecond => "Terabytes/Second",
            Unit::BitsPerSecond => "Bits/Second",
            Unit::KilobitsPerSecond => "Kilobits/Second",
            Unit::MegabitsPerSecond => "Megabits/Second",
            Unit::GigabitsPerSecond => "Gigabits/Second",
            Unit::TerabitsPerSecond => "Terabits/Second",
            Unit::CountPerSecond => "Count/Second",
            Unit::NoUnit => "None",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How finely CloudWatch stores a metric (`StorageResolution`).
///
/// ```
/// use ferrule_metrics::StorageResolution;
///
/// assert_eq!(StorageResolution::High.seconds(), 1);
/// assert_eq!(StorageResolution::default(), StorageResolution::Standard);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StorageResolution {
    /// One-minute resolution (60), CloudWatch's default; the EMF member is left out.
    #[default]
    Standard,
    /// One-second resolution (1): a high-resolution custom metric, billed as such.
    High,
}

impl StorageResolution {
    /// The EMF `StorageResolution` value in seconds: 60 or 1.
    pub const fn seconds(self) -> u8 {
        match self {
            StorageResolution::Standard => 60,
            StorageResolution::High => 1,
        }
    }
}

impl fmt::Display for StorageResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_serialises_with_cloudwatch_spelling() {
        // The list from the EMF JSON schema's Unit pattern, in its order.
        let expected = [
            "Seconds",
            "Microseconds",
            "Milliseconds",
            "Bytes",
            "Kilobytes",
            "Megabytes",
            "Gigabytes",
            "Terabytes",
            "Bits",
            "Kilobits",
            "Megabits",
            "Gigabits",
            "Terabits",
            "Percent",
            "Count",
            "Bytes/Second",
            "Kilobytes/Second",
            "Megabytes/Second",
            "Gigabytes/Second",
            "Terabytes/Second",
            "Bits/Second",
            "Kilobits/Second",
            "Megabits/Second",
            "Gigabits/Second",
            "Terabits/Second",
            "Count/Second",
            "None",
        ];
        let serialised: Vec<String> = Unit::ALL
            .iter()
            .map(|unit| {
                serde_json::to_value(unit)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(serialised, expected);
        for unit in Unit::ALL {
            assert_eq!(unit.to_string(), unit.as_str());
        }
    }

    #[test]
    fn resolutions_map_to_emf_seconds() {
        assert_eq!(StorageResolution::Standard.seconds(), 60);
        assert_eq!(StorageResolution::High.seconds(), 1);
        assert_eq!(StorageResolution::High.to_string(), "1s");
    }
}
