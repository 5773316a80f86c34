//! Where idempotency records live: the orders table, under their own static sort key.
//! `main` builds the store with `DynamoDbStore::lazy(table).with_layout(idempotency_layout())`.

use ferrule_idempotency::TableLayout;
use orders_adapters::keys;

/// The static sort key of idempotency records in the orders table (adapters README, key design).
pub const IDEMPOTENCY_SORT_KEY: &str = "IDEMPOTENCY";

/// The orders table's layout for idempotency records: `pk` = `orders-api#<sha256>`,
/// `sk` = `IDEMPOTENCY`, TTL attribute `expiration`. The stream handler ignores these items
/// (it only decodes `sk = ORDER#…`).
///
/// ```
/// let layout = orders_api::idempotency_layout();
/// assert_eq!(layout.partition_key, "pk");
/// assert_eq!(layout.sort_key, Some(("sk".to_owned(), "IDEMPOTENCY".to_owned())));
/// ```
pub fn idempotency_layout() -> TableLayout {
    TableLayout {
        partition_key: keys::PK.to_owned(),
        sort_key: Some((keys::SK.to_owned(), IDEMPOTENCY_SORT_KEY.to_owned())),
        ..TableLayout::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_keeps_powertools_attribute_names_under_the_single_table_keys() {
        let layout = idempotency_layout();
        assert_eq!(layout.partition_key, "pk");
        assert_eq!(
            layout.sort_key,
            Some(("sk".to_owned(), IDEMPOTENCY_SORT_KEY.to_owned()))
        );
        assert_eq!(layout.expiry_attr, "expiration");
        assert_eq!(layout.status_attr, "status");
    }

    /// The names of `backend/services/orders/table.json`, from which CDK creates the table.
    #[test]
    fn the_layout_is_that_of_table_json() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../services/orders/table.json")).unwrap();
        let layout = idempotency_layout();
        assert_eq!(schema["partitionKey"], layout.partition_key.as_str());
        assert_eq!(schema["idempotencySortKey"], IDEMPOTENCY_SORT_KEY);
        assert_eq!(schema["timeToLiveAttribute"], layout.expiry_attr.as_str());
        let (sort_key, _) = layout.sort_key.unwrap();
        assert_eq!(schema["sortKey"], sort_key.as_str());
    }
}
