//! The stored order: the order item's attributes besides the keys (`pk`, `sk`, `entity`,
//! see [`crate::keys`]), named as the table has always held them, and the JSON orders-api
//! keeps as an idempotent response. The domain's `Order` has no wire format; this type is
//! built from its snapshot and read back through `Order::restore`, which checks the
//! invariants. The repository writes it and the stream decoder reads it; `dynamodb.rs`'
//! tests pin it attribute for attribute, orders-api's its JSON byte for byte.

use orders_domain::{
    Currency, CustomerId, Order, OrderId, OrderItem, OrderSnapshot, OrderStatus, Quantity, Sku,
    Timestamp, TrackingNumber,
};
use serde::{Deserialize, Serialize};

/// An order as the table stores it (camelCase attributes; absent timestamps and tracking
/// number are left out, never `NULL`).
///
/// ```
/// use orders_adapters::StoredOrder;
/// use orders_domain::testing::sample_order;
/// use orders_domain::Order;
///
/// let stored = StoredOrder::from(&sample_order());
/// let json = serde_json::to_string(&stored)?;
/// assert!(json.starts_with(r#"{"orderId":"01M8BEWE407HD9W8BV0KBFG6HB","customerId":"#));
/// let back: StoredOrder = serde_json::from_str(&json)?;
/// assert_eq!(Order::try_from(back)?, sample_order());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredOrder {
    order_id: OrderId,
    customer_id: CustomerId,
    items: Vec<StoredItem>,
    total_cents: u64,
    currency: Currency,
    status: StoredStatus,
    placed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancelled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shipped_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tracking_number: Option<TrackingNumber>,
    version: u64,
}

/// One line of a stored order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredItem {
    sku: Sku,
    quantity: Quantity,
    unit_price_cents: u64,
}

/// The stored status names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum StoredStatus {
    Placed,
    Cancelled,
    Shipped,
}

impl From<OrderStatus> for StoredStatus {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Placed => StoredStatus::Placed,
            OrderStatus::Cancelled => StoredStatus::Cancelled,
            OrderStatus::Shipped => StoredStatus::Shipped,
        }
    }
}

impl From<StoredStatus> for OrderStatus {
    fn from(status: StoredStatus) -> Self {
        match status {
            StoredStatus::Placed => OrderStatus::Placed,
            StoredStatus::Cancelled => OrderStatus::Cancelled,
            StoredStatus::Shipped => OrderStatus::Shipped,
        }
    }
}

impl From<&Order> for StoredOrder {
    fn from(order: &Order) -> Self {
        let snapshot = order.snapshot();
        StoredOrder {
            order_id: snapshot.id,
            customer_id: snapshot.customer_id,
            items: snapshot
                .items
                .iter()
                .map(|item| StoredItem {
                    sku: item.sku().clone(),
                    quantity: item.quantity(),
                    unit_price_cents: item.unit_price_cents(),
                })
                .collect(),
            total_cents: snapshot.total_cents,
            currency: snapshot.currency,
            status: snapshot.status.into(),
            placed_at: snapshot.placed_at,
            cancelled_at: snapshot.cancelled_at,
            shipped_at: snapshot.shipped_at,
            tracking_number: snapshot.tracking_number,
            version: snapshot.version,
        }
    }
}

impl TryFrom<StoredOrder> for Order {
    /// Why the item is not a valid order, naming it.
    type Error = String;

    fn try_from(stored: StoredOrder) -> Result<Self, Self::Error> {
        let id = stored.order_id;
        let items = stored
            .items
            .into_iter()
            .map(|item| OrderItem::new(item.sku, item.quantity, item.unit_price_cents))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("order {id} has an invalid line: {error}"))?;
        Order::restore(OrderSnapshot {
            id,
            customer_id: stored.customer_id,
            items,
            total_cents: stored.total_cents,
            currency: stored.currency,
            status: stored.status.into(),
            placed_at: stored.placed_at,
            cancelled_at: stored.cancelled_at,
            shipped_at: stored.shipped_at,
            tracking_number: stored.tracking_number,
            version: stored.version,
        })
        .map_err(|error| error.to_string())
    }
}
