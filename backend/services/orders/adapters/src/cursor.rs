//! The list cursor: DynamoDB's `LastEvaluatedKey` (`pk`, `sk`) as base64url JSON, checked
//! on the way back in.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use orders_domain::{Cursor, CustomerId, OrderId, RepositoryError};
use serde::{Deserialize, Serialize};

use crate::keys;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LastKey<'a> {
    pk: &'a str,
    sk: &'a str,
}

fn invalid(reason: &str) -> RepositoryError {
    RepositoryError::InvalidCursor {
        reason: reason.to_owned(),
    }
}

/// The cursor for a page that ended at `(pk, sk)`.
pub(crate) fn encode(pk: &str, sk: &str) -> Cursor {
    // Serializing two strings cannot fail; an empty cursor would only be refused later.
    let json = serde_json::to_vec(&LastKey { pk, sk }).unwrap_or_default();
    Cursor::new(URL_SAFE_NO_PAD.encode(json))
}

/// The order the page ended at, if `cursor` was issued for `customer`'s orders.
pub(crate) fn decode(customer: &CustomerId, cursor: &Cursor) -> Result<OrderId, RepositoryError> {
    let text = cursor.as_str();
    if text.is_empty() || text.len() > Cursor::MAX_LEN {
        return Err(invalid("empty or too long"));
    }
    let json = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| invalid("not base64url"))?;
    let key: LastKey<'_> =
        serde_json::from_slice(&json).map_err(|_| invalid("not a key this API issued"))?;
    if key.pk != keys::customer_pk(customer) {
        return Err(invalid("issued for another customer"));
    }
    let order = key
        .sk
        .strip_prefix(keys::ORDER_PREFIX)
        .ok_or_else(|| invalid("not an order key"))?;
    OrderId::parse(order).map_err(|_| invalid("not an order key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> CustomerId {
        CustomerId::parse("ada").unwrap()
    }

    fn order() -> OrderId {
        OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap()
    }

    fn reason(result: Result<OrderId, RepositoryError>) -> String {
        match result {
            Err(RepositoryError::InvalidCursor { reason }) => reason,
            other => panic!("expected InvalidCursor, got {other:?}"),
        }
    }

    fn raw(json: &str) -> Cursor {
        Cursor::new(URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn round_trips_the_last_key() {
        let cursor = encode(&keys::customer_pk(&ada()), &keys::order_sk(&order()));
        assert!(cursor
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(decode(&ada(), &cursor).unwrap(), order());
    }

    #[test]
    fn refuses_every_kind_of_tampering_with_a_reason() {
        let bob = CustomerId::parse("bob").unwrap();
        let issued = encode(&keys::customer_pk(&ada()), &keys::order_sk(&order()));
        assert_eq!(reason(decode(&bob, &issued)), "issued for another customer");
        assert_eq!(
            reason(decode(&ada(), &Cursor::new(""))),
            "empty or too long"
        );
        let long = Cursor::new("A".repeat(Cursor::MAX_LEN + 1));
        assert_eq!(reason(decode(&ada(), &long)), "empty or too long");
        assert_eq!(
            reason(decode(&ada(), &Cursor::new("a+b/"))),
            "not base64url"
        );
        assert_eq!(
            reason(decode(&ada(), &raw("[1]"))),
            "not a key this API issued"
        );
        let extra = r#"{"pk":"CUSTOMER#ada","sk":"ORDER#x","gsi":"1"}"#;
        assert_eq!(
            reason(decode(&ada(), &raw(extra))),
            "not a key this API issued"
        );
        let profile = r#"{"pk":"CUSTOMER#ada","sk":"PROFILE"}"#;
        assert_eq!(reason(decode(&ada(), &raw(profile))), "not an order key");
        let bad_id = r#"{"pk":"CUSTOMER#ada","sk":"ORDER#nope"}"#;
        assert_eq!(reason(decode(&ada(), &raw(bad_id))), "not an order key");
        let escaped = r#"{"pk":"CUSTOMER#ada","sk":"ORDER#01M8BEWE407HD9W8BV0KBFG6H\u0042"}"#;
        assert_eq!(
            reason(decode(&ada(), &raw(escaped))),
            "not a key this API issued"
        );
    }
}
