//! Notifications: what the customer is told when an order changes.

use std::fmt;

use crate::events::OrderEvent;
use crate::ids::{CustomerId, EventId, OrderId};
use crate::time::Timestamp;

/// Which event a notification is about; also the name of its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// About an `OrderPlaced`.
    OrderPlaced,
    /// About an `OrderCancelled`.
    OrderCancelled,
    /// About an `OrderShipped`.
    OrderShipped,
}

impl NotificationKind {
    /// `OrderPlaced`, `OrderCancelled` or `OrderShipped` (the event name).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::OrderPlaced => OrderEvent::PLACED,
            NotificationKind::OrderCancelled => OrderEvent::CANCELLED,
            NotificationKind::OrderShipped => OrderEvent::SHIPPED,
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message to a customer about one event; recorded once per event id.
///
/// ```
/// use orders_domain::testing::sample_order;
/// use orders_domain::{Notification, NotificationKind, OrderEvent, Timestamp};
///
/// let event = OrderEvent::placed(&sample_order());
/// let note = Notification::for_event(&event, Timestamp::parse("2026-11-26T08:17:21Z")?);
/// assert_eq!(note.kind(), NotificationKind::OrderPlaced);
/// assert_eq!(note.message(), "We received your order 01M8BEWE407HD9W8BV0KBFG6HB (64.99 EUR).");
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    event_id: EventId,
    customer_id: CustomerId,
    order_id: OrderId,
    kind: NotificationKind,
    message: String,
    recorded_at: Timestamp,
}

/// `6499` cents as `64.99`: two minor digits, the common case (JPY, with none, reads
/// `64.99` too; the message is informative, the amount of record is the integer).
fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl Notification {
    /// The notification for `event`, recorded at `at`.
    pub fn for_event(event: &OrderEvent, at: Timestamp) -> Notification {
        let (kind, message) = match event {
            OrderEvent::Placed(e) => (
                NotificationKind::OrderPlaced,
                format!(
                    "We received your order {} ({} {}).",
                    e.order_id,
                    amount(e.total_cents),
                    e.currency
                ),
            ),
            OrderEvent::Cancelled(e) => (
                NotificationKind::OrderCancelled,
                format!(
                    "Your order {} is cancelled; {} {} will not be charged.",
                    e.order_id,
                    amount(e.total_cents),
                    e.currency
                ),
            ),
            OrderEvent::Shipped(e) => (
                NotificationKind::OrderShipped,
                format!(
                    "Your order {} has shipped; tracking number {}.",
                    e.order_id, e.tracking_number
                ),
            ),
        };
        Notification {
            event_id: event.event_id().clone(),
            customer_id: event.customer_id().clone(),
            order_id: *event.order_id(),
            kind,
            message,
            recorded_at: at,
        }
    }

    /// The event it is about: one notification per event id.
    pub fn event_id(&self) -> &EventId {
        &self.event_id
    }

    /// Who is told.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// The order.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// Which event.
    pub fn kind(&self) -> NotificationKind {
        self.kind
    }

    /// The text for the customer.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// When it was recorded.
    pub fn recorded_at(&self) -> Timestamp {
        self.recorded_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::events_from_change;
    use crate::testing::sample_order;
    use crate::TrackingNumber;

    #[test]
    fn each_event_has_its_kind_and_message() {
        let at = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let placed = sample_order();
        let mut cancelled = placed.clone();
        cancelled.cancel(at).unwrap();
        let mut shipped = placed.clone();
        shipped
            .mark_shipped(TrackingNumber::parse("1Z9").unwrap(), at)
            .unwrap();
        let cases = [
            (
                events_from_change(Some(&placed), Some(&cancelled)).unwrap(),
                NotificationKind::OrderCancelled,
                "Your order 01M8BEWE407HD9W8BV0KBFG6HB is cancelled; 64.99 EUR will not be charged.",
            ),
            (
                events_from_change(Some(&placed), Some(&shipped)).unwrap(),
                NotificationKind::OrderShipped,
                "Your order 01M8BEWE407HD9W8BV0KBFG6HB has shipped; tracking number 1Z9.",
            ),
        ];
        for (event, kind, message) in cases {
            let note = Notification::for_event(&event, at);
            assert_eq!(note.kind(), kind);
            assert_eq!(note.kind().to_string(), event.detail_type());
            assert_eq!(note.message(), message);
            assert_eq!(note.event_id(), event.event_id());
            assert_eq!(note.customer_id(), placed.customer_id());
            assert_eq!(note.order_id(), placed.id());
            assert_eq!(note.recorded_at(), at);
        }
    }

    #[test]
    fn amounts_have_two_minor_digits() {
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(100), "1.00");
        assert_eq!(amount(6499), "64.99");
    }
}
