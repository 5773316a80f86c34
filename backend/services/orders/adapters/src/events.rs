//! The order events' wire format: the `detail` of an EventBridge event whose `detail-type`
//! is the event's name. The domain's events have no serde shape; these types are built from
//! them ([`EventDetail::from`]) and read back into them ([`event_from_detail`]). The bus
//! rules match on it, the fulfillment queue carries it, and order-notifier and
//! fulfillment-worker read it: `eventbridge.rs`' tests pin each detail byte for byte.
//!
//! ```
//! use orders_adapters::events::{event_from_detail, EventDetail};
//! use orders_domain::testing::sample_order;
//! use orders_domain::OrderEvent;
//!
//! let event = OrderEvent::placed(&sample_order());
//! let detail = serde_json::to_value(EventDetail::from(&event))?;
//! assert_eq!(detail["orderId"], "01M8BEWE407HD9W8BV0KBFG6HB");
//! assert_eq!(event_from_detail("OrderPlaced", &detail)?, event);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use orders_domain::{
    Currency, CustomerId, EventDecodeError, EventId, OrderCancelled, OrderEvent, OrderId,
    OrderItem, OrderPlaced, OrderShipped, Quantity, Sku, Timestamp, TrackingNumber,
};
use serde::{Deserialize, Deserializer, Serialize};

/// An event's detail: it serializes as the event's own fields, with no enum tag (the name
/// travels as `detail-type`, [`OrderEvent::detail_type`]).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EventDetail {
    /// `OrderPlaced`.
    Placed(PlacedDetail),
    /// `OrderCancelled`.
    Cancelled(CancelledDetail),
    /// `OrderShipped`.
    Shipped(ShippedDetail),
}

/// The detail of `OrderPlaced`: everything fulfilment needs to ship the order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedDetail {
    event_id: EventId,
    order_id: OrderId,
    customer_id: CustomerId,
    items: Vec<LineDetail>,
    total_cents: u64,
    currency: Currency,
    placed_at: Timestamp,
}

/// One line of a [`PlacedDetail`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineDetail {
    sku: Sku,
    quantity: Quantity,
    unit_price_cents: u64,
}

/// The detail of `OrderCancelled`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledDetail {
    event_id: EventId,
    order_id: OrderId,
    customer_id: CustomerId,
    total_cents: u64,
    currency: Currency,
    cancelled_at: Timestamp,
}

/// The detail of `OrderShipped`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippedDetail {
    event_id: EventId,
    order_id: OrderId,
    customer_id: CustomerId,
    tracking_number: TrackingNumber,
    shipped_at: Timestamp,
}

impl From<&OrderEvent> for EventDetail {
    fn from(event: &OrderEvent) -> Self {
        match event {
            OrderEvent::Placed(e) => EventDetail::Placed(PlacedDetail {
                event_id: e.event_id.clone(),
                order_id: e.order_id,
                customer_id: e.customer_id.clone(),
                items: e
                    .items
                    .iter()
                    .map(|item| LineDetail {
                        sku: item.sku().clone(),
                        quantity: item.quantity(),
                        unit_price_cents: item.unit_price_cents(),
                    })
                    .collect(),
                total_cents: e.total_cents,
                currency: e.currency,
                placed_at: e.placed_at,
            }),
            OrderEvent::Cancelled(e) => EventDetail::Cancelled(CancelledDetail {
                event_id: e.event_id.clone(),
                order_id: e.order_id,
                customer_id: e.customer_id.clone(),
                total_cents: e.total_cents,
                currency: e.currency,
                cancelled_at: e.cancelled_at,
            }),
            OrderEvent::Shipped(e) => EventDetail::Shipped(ShippedDetail {
                event_id: e.event_id.clone(),
                order_id: e.order_id,
                customer_id: e.customer_id.clone(),
                tracking_number: e.tracking_number.clone(),
                shipped_at: e.shipped_at,
            }),
        }
    }
}

impl TryFrom<PlacedDetail> for OrderPlaced {
    type Error = String;

    fn try_from(d: PlacedDetail) -> Result<Self, Self::Error> {
        let items = d
            .items
            .into_iter()
            .map(|line| OrderItem::new(line.sku, line.quantity, line.unit_price_cents))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| error.to_string())?;
        Ok(OrderPlaced {
            event_id: d.event_id,
            order_id: d.order_id,
            customer_id: d.customer_id,
            items,
            total_cents: d.total_cents,
            currency: d.currency,
            placed_at: d.placed_at,
        })
    }
}

impl From<CancelledDetail> for OrderCancelled {
    fn from(d: CancelledDetail) -> Self {
        OrderCancelled {
            event_id: d.event_id,
            order_id: d.order_id,
            customer_id: d.customer_id,
            total_cents: d.total_cents,
            currency: d.currency,
            cancelled_at: d.cancelled_at,
        }
    }
}

impl From<ShippedDetail> for OrderShipped {
    fn from(d: ShippedDetail) -> Self {
        OrderShipped {
            event_id: d.event_id,
            order_id: d.order_id,
            customer_id: d.customer_id,
            tracking_number: d.tracking_number,
            shipped_at: d.shipped_at,
        }
    }
}

/// Reads an event from its name and detail, with any serde format: pass an EventBridge
/// event's `detail_type` and `detail` (a `serde_json::Value`).
///
/// ```
/// use orders_adapters::events::event_from_detail;
///
/// let detail = serde_json::json!({
///     "eventId": "01M8BEWE407HD9W8BV0KBFG6HB:2",
///     "orderId": "01M8BEWE407HD9W8BV0KBFG6HB",
///     "customerId": "c-1",
///     "trackingNumber": "1Z999AA10123456784",
///     "shippedAt": "2026-11-26T09:02:10.004Z"
/// });
/// let event = event_from_detail("OrderShipped", detail)?;
/// assert_eq!(event.detail_type(), "OrderShipped");
/// assert!(event_from_detail("OrderLost", serde_json::json!({})).is_err());
/// # Ok::<(), orders_domain::EventDecodeError>(())
/// ```
pub fn event_from_detail<'de, D>(
    detail_type: &str,
    detail: D,
) -> Result<OrderEvent, EventDecodeError>
where
    D: Deserializer<'de>,
{
    let invalid = |detail_type: &'static str, reason: String| EventDecodeError::InvalidDetail {
        detail_type,
        reason,
    };
    match detail_type {
        OrderEvent::PLACED => PlacedDetail::deserialize(detail)
            .map_err(|e| invalid(OrderEvent::PLACED, e.to_string()))
            .and_then(|d| {
                OrderPlaced::try_from(d).map_err(|reason| invalid(OrderEvent::PLACED, reason))
            })
            .map(OrderEvent::Placed),
        OrderEvent::CANCELLED => CancelledDetail::deserialize(detail)
            .map(|d| OrderEvent::Cancelled(d.into()))
            .map_err(|e| invalid(OrderEvent::CANCELLED, e.to_string())),
        OrderEvent::SHIPPED => ShippedDetail::deserialize(detail)
            .map(|d| OrderEvent::Shipped(d.into()))
            .map_err(|e| invalid(OrderEvent::SHIPPED, e.to_string())),
        other => Err(EventDecodeError::UnknownType(
            other.chars().take(64).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_errors::{Classify, ErrorKind};
    use orders_domain::events_from_change;
    use orders_domain::testing::sample_order;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn events_serialize_as_their_detail_and_read_back_by_name() {
        let placed = sample_order();
        let mut cancelled = placed.clone();
        cancelled.cancel(at("2026-11-26T08:30:00Z")).unwrap();
        let mut shipped = placed.clone();
        shipped
            .mark_shipped(
                TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                at("2026-11-26T09:02:10.004Z"),
            )
            .unwrap();
        for event in [
            OrderEvent::placed(&placed),
            events_from_change(Some(&placed), Some(&cancelled)).unwrap(),
            events_from_change(Some(&placed), Some(&shipped)).unwrap(),
        ] {
            let detail = serde_json::to_value(EventDetail::from(&event)).unwrap();
            assert_eq!(detail["orderId"], "01M8BEWE407HD9W8BV0KBFG6HB");
            assert!(detail.get("Placed").is_none(), "no enum tag: {detail}");
            let back = event_from_detail(event.detail_type(), &detail).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn the_fixtures_read_as_their_events() {
        for (name, detail_type) in [
            ("order-placed", "OrderPlaced"),
            ("order-cancelled", "OrderCancelled"),
            ("order-shipped", "OrderShipped"),
        ] {
            let envelope: serde_json::Value =
                ferrule_testkit::fixture_as(&format!("eventbridge/{name}")).unwrap();
            let event = event_from_detail(detail_type, &envelope["detail"]).unwrap();
            assert_eq!(event.detail_type(), detail_type);
            assert_eq!(
                serde_json::to_value(EventDetail::from(&event)).unwrap(),
                envelope["detail"],
                "{name} reads and writes the same detail"
            );
        }
    }

    #[test]
    fn unknown_names_and_bad_details_are_validation_errors() {
        let error = event_from_detail("OrderLost", serde_json::json!({})).unwrap_err();
        assert_eq!(error, EventDecodeError::UnknownType("OrderLost".into()));
        assert_eq!(error.kind(), ErrorKind::Validation);
        let error = event_from_detail(
            "OrderShipped",
            serde_json::json!({"orderId": "01M8BEWE407HD9W8BV0KBFG6HB"}),
        )
        .unwrap_err();
        match &error {
            EventDecodeError::InvalidDetail {
                detail_type,
                reason,
            } => {
                assert_eq!(*detail_type, "OrderShipped");
                assert!(reason.contains("eventId"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(error
            .to_string()
            .starts_with("OrderShipped detail is not valid"));
        for name in ["OrderPlaced", "OrderCancelled"] {
            let error = event_from_detail(name, serde_json::json!({"x": 1})).unwrap_err();
            assert!(error.to_string().starts_with(name), "{error}");
        }
        let mut placed =
            serde_json::to_value(EventDetail::from(&OrderEvent::placed(&sample_order()))).unwrap();
        placed["items"][0]["unitPriceCents"] = 0.into();
        let error = event_from_detail("OrderPlaced", &placed).unwrap_err();
        assert!(error.to_string().contains("unitPriceCents"), "{error}");
    }
}
