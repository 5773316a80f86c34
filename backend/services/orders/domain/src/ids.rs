//! Identifiers: orders, customers, events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;
use crate::time::Timestamp;

use ulid::{Ulid, ULID_LEN};

/// An order id: a [ULID](https://github.com/ulid/spec), 26 characters of Crockford base32
/// whose first 10 encode the creation time in milliseconds. Ids (and the sort keys built
/// from them) sort by creation time, so "newest first" is a reverse key order.
///
/// Encoded and decoded by the `ulid` crate (no_std: no generator of its own). Random bits
/// come from an [`IdGenerator`] (`orders_adapters::RandomIds` in functions).
///
/// ```
/// use orders_domain::{OrderId, Timestamp};
///
/// let id = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB")?;
/// assert_eq!(id.created_at().to_string(), "2026-11-26T08:17:20.512Z");
/// let later = OrderId::new(Timestamp::parse("2027-01-01T00:00:00Z")?, 42);
/// assert!(later > id);
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId([u8; ULID_LEN]);

impl OrderId {
    /// The id for an order created at `at`; the low 80 bits of `random` fill the rest.
    pub fn new(at: Timestamp, random: u128) -> OrderId {
        // Timestamps end in year 9999, well inside ULID's 48-bit time part.
        let mut text = [b'0'; ULID_LEN];
        Ulid::from_parts(at.unix_millis(), random).array_to_str(&mut text);
        OrderId(text)
    }

    /// Parses the 26-character text form (either case; `I`, `L`, `O`, `U` are not ULID digits).
    pub fn parse(text: &str) -> Result<OrderId, ValidationError> {
        let invalid = |reason: &str| {
            let shown: String = text.chars().take(40).collect();
            ValidationError::new("orderId", format!("`{shown}` {reason}"))
        };
        if text.len() != ULID_LEN {
            return Err(invalid("must be a 26-character ULID"));
        }
        let ulid = Ulid::from_string(text).map_err(|_| {
            invalid("must be a ULID: Crockford base32 digits (0-9, A-Z without I, L, O, U)")
        })?;
        // 26 digits hold 130 bits; a ULID has 128, so the first digit is at most 7. The
        // library drops the extra bits without a word: refused here instead.
        if text.as_bytes().first().is_some_and(|digit| *digit > b'7') {
            return Err(invalid(
                "is larger than the largest ULID (7ZZZZZZZZZZZZZZZZZZZZZZZZZ)",
            ));
        }
        let mut canonical = [b'0'; ULID_LEN];
        ulid.array_to_str(&mut canonical);
        Ok(OrderId(canonical))
    }

    /// The canonical (upper-case) text.
    pub fn as_str(&self) -> &str {
        // Only the ULID alphabet (ASCII) is ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// When the order was created, from the id's time part.
    pub fn created_at(&self) -> Timestamp {
        let millis = Ulid::from_string(self.as_str()).map_or(0, |ulid| ulid.timestamp_ms());
        Timestamp::from_unix_millis(millis).unwrap_or(Timestamp::EPOCH)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({})", self.as_str())
    }
}

impl FromStr for OrderId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderId::parse(s)
    }
}

impl Serialize for OrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        OrderId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Makes order ids; the functions use `orders_adapters::RandomIds`, tests a sequence.
pub trait IdGenerator: Send + Sync {
    /// A new id for an order created at `at`.
    fn order_id(&self, at: Timestamp) -> OrderId;
}

impl<G: IdGenerator + ?Sized> IdGenerator for &G {
    fn order_id(&self, at: Timestamp) -> OrderId {
        (**self).order_id(at)
    }
}

/// Checks the characters of a key-safe identifier: `#` separates key parts in the table,
/// so it (and anything outside `[A-Za-z0-9._:-]`) is refused.
fn check_key_safe(
    field: &'static str,
    text: &str,
    max_chars: usize,
) -> Result<(), ValidationError> {
    if text.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if text.len() > max_chars {
        return Err(ValidationError::new(
            field,
            format!(
                "must be at most {max_chars} characters (got {})",
                text.chars().count()
            ),
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(ValidationError::new(
            field,
            format!("may contain only letters, digits, '.', '_', ':' and '-' (found {bad:?})"),
        ));
    }
    Ok(())
}

validated_text!(
    /// Who owns an order: the Cognito `sub` of the caller (a UUID), or any id of at most
    /// 128 characters from `[A-Za-z0-9._:-]`.
    ///
    /// ```
    /// let id = orders_domain::CustomerId::parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")?;
    /// assert_eq!(id.as_str().len(), 36);
    /// assert!(orders_domain::CustomerId::parse("a#b").is_err());
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    CustomerId,
    "customerId",
    128,
    check_key_safe
);

validated_text!(
    /// The id of a domain event: `<orderId>:<version>` for the change that produced it, so
    /// the same change published twice has the same id and consumers can drop the copy.
    ///
    /// ```
    /// use orders_domain::{EventId, OrderId};
    /// let order = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB")?;
    /// assert_eq!(EventId::for_change(&order, 2).as_str(), "01M8BEWE407HD9W8BV0KBFG6HB:2");
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    EventId,
    "eventId",
    128,
    check_key_safe
);

impl EventId {
    /// The id of the event that version `version` of `order` produced.
    pub fn for_change(order: &OrderId, version: u64) -> EventId {
        EventId(format!("{order}:{version}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_exactly_like_the_ulid_crate() {
        let samples = [
            (0_u64, 0_u128),
            (1, 1),
            (1_795_681_040_512, 0xDEAD_BEEF_0123_4567_89AB),
            (281_474_976_710_655, (1 << 80) - 1), // the largest 48-bit time
            (1_732_808_993_267, 0x1234_5678_9ABC_DEF0_1234),
        ];
        for (millis, random) in samples {
            let at = Timestamp::from_unix_millis(millis.min(253_402_300_799_999)).unwrap();
            let ours = OrderId::new(at, random);
            let theirs = ulid::Ulid::from_parts(at.unix_millis(), random);
            assert_eq!(ours.as_str(), theirs.to_string());
            assert_eq!(OrderId::parse(&theirs.to_string()).unwrap(), ours);
            assert_eq!(ours.created_at(), at);
        }
        for _ in 0..200 {
            let theirs = ulid::Ulid::new();
            let ours = OrderId::parse(&theirs.to_string()).unwrap();
            assert_eq!(ours.as_str(), theirs.to_string());
            assert_eq!(ours.created_at().unix_millis(), theirs.timestamp_ms());
        }
    }

    #[test]
    fn random_bits_above_80_are_ignored() {
        let at = Timestamp::from_unix_millis(5).unwrap();
        assert_eq!(OrderId::new(at, u128::MAX), OrderId::new(at, (1 << 80) - 1));
    }

    #[test]
    fn ids_sort_by_creation_time() {
        let earlier = OrderId::new(Timestamp::from_unix_millis(1000).unwrap(), u128::MAX);
        let later = OrderId::new(Timestamp::from_unix_millis(1001).unwrap(), 0);
        assert!(earlier < later);
        assert!(earlier.as_str() < later.as_str());
    }

    #[test]
    fn lower_case_is_accepted_and_canonicalised() {
        let id = OrderId::parse("01m8bewe407hd9w8bv0kbfg6hb").unwrap();
        assert_eq!(id.to_string(), "01M8BEWE407HD9W8BV0KBFG6HB");
        assert_eq!(format!("{id:?}"), "OrderId(01M8BEWE407HD9W8BV0KBFG6HB)");
        assert_eq!("01M8BEWE407HD9W8BV0KBFG6HB".parse::<OrderId>().unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_validation_errors_that_quote_the_input() {
        for (text, reason) in [
            ("", "26-character"),
            ("o-2026-0001", "26-character"),
            ("01M8BEWE407HD9W8BV0KBFG6HBX", "26-character"),
            ("01JDX6Q8ZK3M4N5P6Q7R8S9T0I", "Crockford"),
            ("01JDX6Q8ZK3M4N5P6Q7R8S9T0U", "Crockford"),
            ("01JDX6Q8ZK3M4N5P6Q7R8S9T0#", "Crockford"),
            ("80000000000000000000000000", "largest ULID"),
            ("0ÉDX6Q8ZK3M4N5P6Q7R8S9T0V", "Crockford"),
        ] {
            let error = OrderId::parse(text).unwrap_err();
            assert_eq!(error.field(), "orderId");
            assert!(error.reason().contains(reason), "{text}: {error}");
            assert!(error.reason().contains(text), "{text}: {error}");
        }
        assert!(OrderId::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").is_ok());
    }

    #[test]
    fn ids_serialize_as_text_and_refuse_bad_text() {
        let id = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"01M8BEWE407HD9W8BV0KBFG6HB\"");
        assert_eq!(serde_json::from_str::<OrderId>(&json).unwrap(), id);
        let error = serde_json::from_str::<OrderId>("\"o-1\"").unwrap_err();
        assert!(error.to_string().contains("o-1"), "{error}");
    }

    #[test]
    fn customer_and_event_ids_refuse_key_separators_and_oversize() {
        assert!(CustomerId::parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d").is_ok());
        let empty = CustomerId::parse("").unwrap_err();
        assert_eq!(empty.to_string(), "customerId: must not be empty");
        let hash = CustomerId::parse("CUSTOMER#x").unwrap_err();
        assert!(hash.reason().contains("'#'"), "{hash}");
        let long = CustomerId::parse(&"a".repeat(129)).unwrap_err();
        assert!(long.reason().contains("at most 128"), "{long}");
        assert!(CustomerId::parse(&"a".repeat(128)).is_ok());
        let event = EventId::parse("x y").unwrap_err();
        assert_eq!(event.field(), "eventId");
        let json: CustomerId = serde_json::from_str("\"c-1\"").unwrap();
        assert_eq!(json.to_string(), "c-1");
        assert_eq!("c-1".parse::<CustomerId>().unwrap(), json);
        assert!(serde_json::from_str::<CustomerId>("\"a/b\"").is_err());
    }

    #[test]
    fn generators_are_usable_by_reference() {
        struct Fixed;
        impl IdGenerator for Fixed {
            fn order_id(&self, at: Timestamp) -> OrderId {
                OrderId::new(at, 7)
            }
        }
        let at = Timestamp::from_unix_millis(9).unwrap();
        fn through<G: IdGenerator>(ids: G, at: Timestamp) -> OrderId {
            ids.order_id(at)
        }
        assert_eq!(through(&Fixed, at), OrderId::new(at, 7));
    }
}
