//! Domain events: what happened to an order, as other services consume it. Their wire
//! format (an EventBridge event's `detail`) is `orders-adapters`' (`orders_adapters::events`).

use ferrule_errors::{Classify, ErrorKind};

use crate::ids::{CustomerId, EventId, OrderId};
use crate::order::{Order, OrderItem, OrderStatus};
use crate::time::Timestamp;
use crate::values::{Currency, TrackingNumber};

/// An order was placed: everything fulfilment needs to ship it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPlaced {
    /// `<orderId>:<version>`, the same for the same change.
    pub event_id: EventId,
    /// The order.
    pub order_id: OrderId,
    /// Its owner.
    pub customer_id: CustomerId,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// Sum of the lines in minor units.
    pub total_cents: u64,
    /// ISO 4217 code.
    pub currency: Currency,
    /// When it was placed.
    pub placed_at: Timestamp,
}

/// An order was cancelled before it shipped: the amount to refund, if any was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCancelled {
    /// `<orderId>:<version>`.
    pub event_id: EventId,
    /// The order.
    pub order_id: OrderId,
    /// Its owner.
    pub customer_id: CustomerId,
    /// The amount not to charge (or to refund), minor units.
    pub total_cents: u64,
    /// ISO 4217 code.
    pub currency: Currency,
    /// When it was cancelled.
    pub cancelled_at: Timestamp,
}

/// An order left the warehouse: the tracking number to tell the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderShipped {
    /// `<orderId>:<version>`.
    pub event_id: EventId,
    /// The order.
    pub order_id: OrderId,
    /// Its owner.
    pub customer_id: CustomerId,
    /// The carrier's tracking number.
    pub tracking_number: TrackingNumber,
    /// When it shipped.
    pub shipped_at: Timestamp,
}

/// One of the order events. On the wire its name travels beside its detail (EventBridge's
/// `detail-type`), see [`OrderEvent::detail_type`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// `OrderPlaced`.
    Placed(OrderPlaced),
    /// `OrderCancelled`.
    Cancelled(OrderCancelled),
    /// `OrderShipped`.
    Shipped(OrderShipped),
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    /// The `detail-type` names no order event.
    #[error("`{0}` is not an order event (expected OrderPlaced, OrderCancelled or OrderShipped)")]
    UnknownType(String),
    /// The detail does not match the named event.
    #[error("{detail_type} detail is not valid: {reason}")]
    InvalidDetail {
        /// The event name.
        detail_type: &'static str,
        /// The decoder's message.
        reason: String,
    },
}

impl Classify for EventDecodeError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

impl OrderEvent {
    /// `detail-type` of [`OrderPlaced`].
    pub const PLACED: &'static str = "OrderPlaced";
    /// `detail-type` of [`OrderCancelled`].
    pub const CANCELLED: &'static str = "OrderCancelled";
    /// `detail-type` of [`OrderShipped`].
    pub const SHIPPED: &'static str = "OrderShipped";

    /// The event's name: `OrderPlaced`, `OrderCancelled` or `OrderShipped`.
    pub fn detail_type(&self) -> &'static str {
        match self {
            OrderEvent::Placed(_) => Self::PLACED,
            OrderEvent::Cancelled(_) => Self::CANCELLED,
            OrderEvent::Shipped(_) => Self::SHIPPED,
        }
    }

    /// Stable per change: consumers deduplicate on it.
    pub fn event_id(&self) -> &EventId {
        match self {
            OrderEvent::Placed(e) => &e.event_id,
            OrderEvent::Cancelled(e) => &e.event_id,
            OrderEvent::Shipped(e) => &e.event_id,
        }
    }

    /// The order it is about.
    pub fn order_id(&self) -> &OrderId {
        match self {
            OrderEvent::Placed(e) => &e.order_id,
            OrderEvent::Cancelled(e) => &e.order_id,
            OrderEvent::Shipped(e) => &e.order_id,
        }
    }

    /// The order's owner.
    pub fn customer_id(&self) -> &CustomerId {
        match self {
            OrderEvent::Placed(e) => &e.customer_id,
            OrderEvent::Cancelled(e) => &e.customer_id,
            OrderEvent::Shipped(e) => &e.customer_id,
        }
    }

    /// When it happened.
    pub fn occurred_at(&self) -> Timestamp {
        match self {
            OrderEvent::Placed(e) => e.placed_at,
            OrderEvent::Cancelled(e) => e.cancelled_at,
            OrderEvent::Shipped(e) => e.shipped_at,
        }
    }

    /// The `OrderPlaced` event of a new order.
    pub fn placed(order: &Order) -> OrderEvent {
        OrderEvent::Placed(OrderPlaced {
            event_id: EventId::for_change(order.id(), order.version()),
            order_id: *order.id(),
            customer_id: order.customer_id().clone(),
            items: order.items().to_vec(),
            total_cents: order.total_cents(),
            currency: order.currency(),
            placed_at: order.placed_at(),
        })
    }
}

/// The event a stored change means, from the images before and after it (a DynamoDB
/// Streams record's `OldImage` / `NewImage`, decoded):
///
/// | old → new                       | event            |
/// | ------------------------------- | ---------------- |
/// | none → `PLACED` (INSERT)        | `OrderPlaced`    |
/// | `PLACED` → `CANCELLED` (MODIFY) | `OrderCancelled` |
/// | `PLACED` → `SHIPPED` (MODIFY)   | `OrderShipped`   |
/// | same status (MODIFY)            | none             |
/// | any → none (REMOVE)             | none             |
///
/// Inserting an order that is not `PLACED` (an import) and going back to `PLACED` mean
/// nothing. The event id is `<orderId>:<version>` of the new image, so replaying a
/// stream record gives the same id.
///
/// ```
/// use orders_domain::testing::sample_order;
/// use orders_domain::{events_from_change, OrderEvent, Timestamp};
///
/// let placed = sample_order();
/// let mut cancelled = placed.clone();
/// cancelled.cancel(Timestamp::parse("2026-11-26T09:00:00Z")?)?;
/// let event = events_from_change(Some(&placed), Some(&cancelled)).unwrap();
/// assert_eq!(event.detail_type(), OrderEvent::CANCELLED);
/// assert_eq!(event.event_id().as_str(), "01M8BEWE407HD9W8BV0KBFG6HB:2");
/// assert_eq!(events_from_change(Some(&cancelled), Some(&cancelled)), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn events_from_change(old: Option<&Order>, new: Option<&Order>) -> Option<OrderEvent> {
    let new = new?;
    if old.map(Order::status) == Some(new.status()) {
        return None;
    }
    let event_id = EventId::for_change(new.id(), new.version());
    match new.status() {
        OrderStatus::Placed if old.is_none() => Some(OrderEvent::placed(new)),
        OrderStatus::Placed => None,
        OrderStatus::Cancelled if old.is_some() => Some(OrderEvent::Cancelled(OrderCancelled {
            event_id,
            order_id: *new.id(),
            customer_id: new.customer_id().clone(),
            total_cents: new.total_cents(),
            currency: new.currency(),
            cancelled_at: new.cancelled_at().unwrap_or(new.placed_at()),
        })),
        OrderStatus::Shipped if old.is_some() => {
            let tracking_number = new.tracking_number()?.clone();
            Some(OrderEvent::Shipped(OrderShipped {
                event_id,
                order_id: *new.id(),
                customer_id: new.customer_id().clone(),
                tracking_number,
                shipped_at: new.shipped_at().unwrap_or(new.placed_at()),
            }))
        }
        OrderStatus::Cancelled | OrderStatus::Shipped => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_order;
    use crate::TrackingNumber;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn shipped() -> Order {
        let mut order = sample_order();
        order
            .mark_shipped(
                TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                at("2026-11-26T09:02:10.004Z"),
            )
            .unwrap();
        order
    }

    fn cancelled() -> Order {
        let mut order = sample_order();
        order.cancel(at("2026-11-26T08:30:00Z")).unwrap();
        order
    }

    #[test]
    fn insert_of_a_placed_order_is_order_placed_with_every_line() {
        let order = sample_order();
        let Some(OrderEvent::Placed(event)) = events_from_change(None, Some(&order)) else {
            panic!("expected OrderPlaced");
        };
        assert_eq!(event.event_id.as_str(), "01M8BEWE407HD9W8BV0KBFG6HB:1");
        assert_eq!(event.order_id, *order.id());
        assert_eq!(event.customer_id, *order.customer_id());
        assert_eq!(event.items, order.items());
        assert_eq!(event.total_cents, 6499);
        assert_eq!(event.currency.as_str(), "EUR");
        assert_eq!(event.placed_at, order.placed_at());
    }

    #[test]
    fn status_modifications_become_cancelled_or_shipped() {
        let placed = sample_order();
        let event = events_from_change(Some(&placed), Some(&cancelled())).unwrap();
        assert_eq!(
            event,
            OrderEvent::Cancelled(OrderCancelled {
                event_id: EventId::parse("01M8BEWE407HD9W8BV0KBFG6HB:2").unwrap(),
                order_id: *placed.id(),
                customer_id: placed.customer_id().clone(),
                total_cents: 6499,
                currency: placed.currency(),
                cancelled_at: at("2026-11-26T08:30:00Z"),
            })
        );
        let event = events_from_change(Some(&placed), Some(&shipped())).unwrap();
        assert_eq!(
            event,
            OrderEvent::Shipped(OrderShipped {
                event_id: EventId::parse("01M8BEWE407HD9W8BV0KBFG6HB:2").unwrap(),
                order_id: *placed.id(),
                customer_id: placed.customer_id().clone(),
                tracking_number: TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                shipped_at: at("2026-11-26T09:02:10.004Z"),
            })
        );
        assert_eq!(event.occurred_at(), at("2026-11-26T09:02:10.004Z"));
    }

    #[test]
    fn removals_same_status_and_odd_changes_mean_nothing() {
        let placed = sample_order();
        assert_eq!(events_from_change(Some(&placed), None), None);
        assert_eq!(events_from_change(None, None), None);
        assert_eq!(events_from_change(Some(&placed), Some(&placed)), None);
        assert_eq!(events_from_change(Some(&shipped()), Some(&shipped())), None);
        assert_eq!(
            events_from_change(None, Some(&shipped())),
            None,
            "an import"
        );
        assert_eq!(
            events_from_change(None, Some(&cancelled())),
            None,
            "an import"
        );
        assert_eq!(
            events_from_change(Some(&cancelled()), Some(&placed)),
            None,
            "back to placed"
        );
    }

    #[test]
    fn accessors_read_every_variant() {
        let placed = sample_order();
        let events = [
            (
                events_from_change(None, Some(&placed)).unwrap(),
                "OrderPlaced",
            ),
            (
                events_from_change(Some(&placed), Some(&cancelled())).unwrap(),
                "OrderCancelled",
            ),
            (
                events_from_change(Some(&placed), Some(&shipped())).unwrap(),
                "OrderShipped",
            ),
        ];
        for (event, name) in events {
            assert_eq!(event.detail_type(), name);
            assert_eq!(event.order_id(), placed.id());
            assert_eq!(event.customer_id(), placed.customer_id());
            assert!(event.event_id().as_str().starts_with(placed.id().as_str()));
            assert!(event.occurred_at() >= placed.placed_at());
        }
    }
}
