//! Segment and subsegment ids: 64 random bits written as 16 lowercase hex digits.

use std::fmt;

use serde::{Serialize, Serializer};

/// The id of an X-Ray segment or subsegment (the `Parent=` of a trace header).
///
/// ```
/// use ferrule_tracer::SegmentId;
///
/// let id = SegmentId::parse("53995c3f42cd8ad8").unwrap();
/// assert_eq!(id.to_string(), "53995c3f42cd8ad8");
/// assert_ne!(SegmentId::random(), SegmentId::random());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentId(u64);

impl SegmentId {
    /// A new random id, never zero.
    ///
    /// Ids only need to be unique within a trace, not unpredictable, so they come from
    /// `fastrand` (wyrand, seeded once per thread from the std hasher's random keys):
    /// a few nanoseconds and no system call, where a CSPRNG would cost a `getrandom`.
    pub fn random() -> SegmentId {
        SegmentId(fastrand::u64(1..))
    }

    /// Parses exactly 16 hex digits (either case).
    ///
    /// Returns `None` for any other length or a non-hex character.
    pub fn parse(hex: &str) -> Option<SegmentId> {
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok().map(SegmentId)
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for SegmentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_sixteen_lowercase_hex_digits_with_leading_zeros() {
        assert_eq!(SegmentId(0xab).to_string(), "00000000000000ab");
        assert_eq!(SegmentId::parse("00000000000000AB"), Some(SegmentId(0xab)));
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        assert_eq!(SegmentId::parse(""), None);
        assert_eq!(SegmentId::parse("53995c3f42cd8ad"), None);
        assert_eq!(SegmentId::parse("53995c3f42cd8ad80"), None);
        assert_eq!(SegmentId::parse("53995c3f42cd8adg"), None);
        assert_eq!(SegmentId::parse("+3995c3f42cd8ad8"), None);
    }

    #[test]
    fn random_ids_are_non_zero_and_distinct() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| SegmentId::random()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(!ids.contains(&SegmentId(0)));
    }

    #[test]
    fn serializes_as_a_hex_string() {
        let json = serde_json::to_string(&SegmentId(0x1234)).unwrap();
        assert_eq!(json, "\"0000000000001234\"");
    }
}
