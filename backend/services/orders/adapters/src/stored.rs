//! The stored items: each item's attributes besides the keys (`pk`, `sk`, `entity`, see
//! [`crate::keys`]), named as the table has always held them. The domain's types have no wire
//! format; these are built from them and read back through their checked constructors.
//!
//! The stored order is also the JSON orders-api keeps as an idempotent response. It is built
//! from the order's snapshot and read back through `Order::restore`, which checks the
//! invariants. The repository writes it and the stream decoder reads it; `dynamodb.rs`' tests
//! pin every item attribute for attribute, orders-api's the order's JSON byte for byte.

use orders_domain::{
    Currency, CustomerId, CustomerProfile, Email, EventId, Notification, Order, OrderId, OrderItem,
    OrderSnapshot, OrderStatus, Quantity, Sku, Timestamp, TrackingNumber,
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

/// A customer profile as the table stores it (`CUSTOMER#<sub>` / `PROFILE`): camelCase
/// attributes, no `name` when none was given. Read back through `CustomerProfile::new`, which
/// checks the name again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredProfile {
    customer_id: CustomerId,
    email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    created_at: Timestamp,
}

impl From<&CustomerProfile> for StoredProfile {
    fn from(profile: &CustomerProfile) -> Self {
        StoredProfile {
            customer_id: profile.customer_id().clone(),
            email: profile.email().clone(),
            name: profile.name().map(str::to_owned),
            created_at: profile.created_at(),
        }
    }
}

impl TryFrom<StoredProfile> for CustomerProfile {
    /// Why the item is not a valid profile.
    type Error = String;

    fn try_from(stored: StoredProfile) -> Result<Self, Self::Error> {
        CustomerProfile::new(
            stored.customer_id,
            stored.email,
            stored.name.as_deref(),
            stored.created_at,
        )
        .map_err(|error| error.to_string())
    }
}

/// A notification as the table records it (`CUSTOMER#<sub>` / `NOTIFICATION#<event id>`); the
/// kind is the event's name (`OrderShipped`). Written once per event, never read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredNotification<'a> {
    event_id: &'a EventId,
    customer_id: &'a CustomerId,
    order_id: &'a OrderId,
    kind: &'static str,
    message: &'a str,
    recorded_at: Timestamp,
}

impl<'a> From<&'a Notification> for StoredNotification<'a> {
    fn from(notification: &'a Notification) -> Self {
        StoredNotification {
            event_id: notification.event_id(),
            customer_id: notification.customer_id(),
            order_id: notification.order_id(),
            kind: notification.kind().as_str(),
            message: notification.message(),
            recorded_at: notification.recorded_at(),
        }
    }
}
