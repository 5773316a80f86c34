//! The idempotency records' store: the orders table, with a client created on first use.

use std::sync::Arc;

use ferrule_idempotency::{
    Claim, DynamoDbStore, PersistenceStore, Record, StoreError, TableLayout,
};
use tokio::sync::OnceCell;

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
        partition_key: "pk".to_owned(),
        sort_key: Some(("sk".to_owned(), IDEMPOTENCY_SORT_KEY.to_owned())),
        ..TableLayout::default()
    }
}

/// A [`DynamoDbStore`] built on the first call, from `ferrule_aws::sdk_config()`, so init
/// does no SDK work (`ferrule-idempotency` has no `lazy` constructor yet). Cloning shares
/// the client.
///
/// ```
/// let store = orders_api::LazyIdempotencyStore::new("orders-dev");
/// assert_eq!(store.table(), "orders-dev");
/// assert!(!store.is_initialized());
/// ```
#[derive(Debug, Clone)]
pub struct LazyIdempotencyStore {
    table: Arc<str>,
    store: Arc<OnceCell<DynamoDbStore>>,
}

impl LazyIdempotencyStore {
    /// Records in `table` with [`idempotency_layout`].
    pub fn new(table: &str) -> Self {
        Self {
            table: Arc::from(table),
            store: Arc::new(OnceCell::new()),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether the DynamoDB client exists yet.
    pub fn is_initialized(&self) -> bool {
        self.store.initialized()
    }

    async fn store(&self) -> &DynamoDbStore {
        self.store
            .get_or_init(|| async {
                DynamoDbStore::from_conf(&ferrule_aws::sdk_config().await, &self.table)
                    .with_layout(idempotency_layout())
            })
            .await
    }
}

impl PersistenceStore for LazyIdempotencyStore {
    async fn claim(&self, record: &Record, now_s: i64, now_ms: i64) -> Result<Claim, StoreError> {
        self.store().await.claim(record, now_s, now_ms).await
    }

    async fn complete(
        &self,
        key: &str,
        response: &str,
        expires_at_s: i64,
    ) -> Result<(), StoreError> {
        self.store()
            .await
            .complete(key, response, expires_at_s)
            .await
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.store().await.release(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        self.store().await.get(key).await
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

    #[test]
    fn clones_share_one_lazy_client() {
        let store = LazyIdempotencyStore::new("orders-dev");
        let clone = store.clone();
        assert!(Arc::ptr_eq(&store.store, &clone.store));
        assert!(!clone.is_initialized());
    }
}
