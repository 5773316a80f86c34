//! The single-table key design shared by the DynamoDB repository and the stream decoder.
//!
//! | item         | `pk`                   | `sk`                      | `entity`       |
//! | ------------ | ---------------------- | ------------------------- | -------------- |
//! | order        | `CUSTOMER#<customerId>` | `ORDER#<orderId>`         | `ORDER`        |
//! | profile      | `CUSTOMER#<customerId>` | `PROFILE`                 | `PROFILE`      |
//! | notification | `CUSTOMER#<customerId>` | `NOTIFICATION#<eventId>`  | `NOTIFICATION` |
//!
//! Every key starts from the customer, so a caller can only ever address their own items,
//! and ULID order ids make `ORDER#…` sort keys sort by creation time. The names are those of
//! `backend/services/orders/table.json`, which CDK creates the table from; a test holds them to it.

use orders_domain::{CustomerId, EventId, OrderId};

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// The item type attribute (`ORDER`, `PROFILE`, `NOTIFICATION`): readable in the console
/// and usable in stream filters.
pub const ENTITY: &str = "entity";

/// Start of every partition key.
pub const CUSTOMER_PREFIX: &str = "CUSTOMER#";
/// Start of an order's sort key.
pub const ORDER_PREFIX: &str = "ORDER#";
/// Start of a notification's sort key.
pub const NOTIFICATION_PREFIX: &str = "NOTIFICATION#";
/// The profile's sort key.
pub const PROFILE_SK: &str = "PROFILE";

/// `entity` of an order item.
pub const ORDER_ENTITY: &str = "ORDER";
/// `entity` of a profile item.
pub const PROFILE_ENTITY: &str = "PROFILE";
/// `entity` of a notification item.
pub const NOTIFICATION_ENTITY: &str = "NOTIFICATION";

/// `CUSTOMER#<customerId>`.
pub fn customer_pk(customer: &CustomerId) -> String {
    format!("{CUSTOMER_PREFIX}{customer}")
}

/// `ORDER#<orderId>`.
///
/// ```
/// use orders_domain::OrderId;
/// let id = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB")?;
/// assert_eq!(orders_adapters::keys::order_sk(&id), "ORDER#01M8BEWE407HD9W8BV0KBFG6HB");
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
pub fn order_sk(order: &OrderId) -> String {
    format!("{ORDER_PREFIX}{order}")
}

/// `NOTIFICATION#<eventId>`.
pub fn notification_sk(event: &EventId) -> String {
    format!("{NOTIFICATION_PREFIX}{event}")
}

/// Whether a sort key is an order's.
pub fn is_order_sk(sk: &str) -> bool {
    sk.starts_with(ORDER_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_the_ids() {
        let customer = CustomerId::parse("c-1").unwrap();
        let order = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap();
        assert_eq!(customer_pk(&customer), "CUSTOMER#c-1");
        assert_eq!(order_sk(&order), "ORDER#01M8BEWE407HD9W8BV0KBFG6HB");
        let event = EventId::for_change(&order, 2);
        assert_eq!(
            notification_sk(&event),
            "NOTIFICATION#01M8BEWE407HD9W8BV0KBFG6HB:2"
        );
        assert!(is_order_sk(&order_sk(&order)));
        assert!(!is_order_sk(PROFILE_SK));
        assert!(!is_order_sk(&notification_sk(&event)));
    }

    /// The one definition of the table: CDK creates it from this file.
    #[test]
    fn the_constants_are_those_of_table_json() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../table.json")).unwrap();
        let expected = [
            ("partitionKey", PK),
            ("sortKey", SK),
            ("entityAttribute", ENTITY),
            ("customerPrefix", CUSTOMER_PREFIX),
            ("orderPrefix", ORDER_PREFIX),
            ("notificationPrefix", NOTIFICATION_PREFIX),
            ("profileSortKey", PROFILE_SK),
        ];
        for (field, constant) in expected {
            assert_eq!(schema[field], constant, "table.json {field}");
        }
    }
}
