//! The API's JSON bodies: its wire format, owned by this function.
//!
//! The domain's types have no serde shape (the table's is `orders_adapters::StoredOrder`);
//! each response is built here from the domain's accessors, so renaming a domain field fails
//! to compile here instead of silently changing the API. The tests below pin the names.

use orders_domain::{NewOrder, NewOrderItem, Order, OrderItem};
use serde::{Deserialize, Serialize};

/// The body of `POST /orders`. Unknown fields are refused; numbers are wide on purpose, so
/// that a quantity of `0` or `-1` is reported as a field error with its path
/// (`items[0].quantity`), not as a JSON type error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrderBody {
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// The lines.
    pub items: Vec<NewOrderItemBody>,
}

/// One line of a [`NewOrderBody`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrderItemBody {
    /// Stock-keeping unit.
    pub sku: String,
    /// 1 to 99.
    pub quantity: i64,
    /// Unit price in minor units.
    pub unit_price_cents: i64,
}

impl From<NewOrderBody> for NewOrder {
    fn from(body: NewOrderBody) -> Self {
        NewOrder {
            currency: body.currency,
            items: body
                .items
                .into_iter()
                .map(|item| NewOrderItem {
                    sku: item.sku,
                    quantity: item.quantity,
                    unit_price_cents: item.unit_price_cents,
                })
                .collect(),
        }
    }
}

/// An order as `GET /orders/{id}`, `POST /orders` and `POST /orders/{id}/cancel` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBody {
    /// ULID of the order.
    pub order_id: String,
    /// The customer (the JWT `sub` that placed it).
    pub customer_id: String,
    /// The lines, as placed.
    pub items: Vec<OrderItemBody>,
    /// Sum of the lines, in minor units.
    pub total_cents: u64,
    /// ISO 4217 code.
    pub currency: String,
    /// `PLACED`, `CANCELLED` or `SHIPPED`.
    pub status: &'static str,
    /// RFC 3339, UTC, milliseconds.
    pub placed_at: String,
    /// When it was cancelled; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// When it shipped; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<String>,
    /// The carrier's tracking number once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Goes up by one with every change (the order's optimistic-concurrency version).
    pub version: u64,
}

/// One line of an [`OrderBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemBody {
    /// Stock-keeping unit.
    pub sku: String,
    /// 1 to 99.
    pub quantity: u8,
    /// Price of one, in minor units.
    pub unit_price_cents: u64,
}

impl From<&OrderItem> for OrderItemBody {
    fn from(item: &OrderItem) -> Self {
        OrderItemBody {
            sku: item.sku().as_str().to_owned(),
            quantity: item.quantity().get(),
            unit_price_cents: item.unit_price_cents(),
        }
    }
}

impl From<&Order> for OrderBody {
    fn from(order: &Order) -> Self {
        OrderBody {
            order_id: order.id().as_str().to_owned(),
            customer_id: order.customer_id().as_str().to_owned(),
            items: order.items().iter().map(OrderItemBody::from).collect(),
            total_cents: order.total_cents(),
            currency: order.currency().to_string(),
            status: order.status().as_str(),
            placed_at: order.placed_at().to_string(),
            cancelled_at: order.cancelled_at().map(|at| at.to_string()),
            shipped_at: order.shipped_at().map(|at| at.to_string()),
            tracking_number: order
                .tracking_number()
                .map(|number| number.as_str().to_owned()),
            version: order.version(),
        }
    }
}

/// One page of `GET /orders`: `{"items": [...], "nextCursor": "..."}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    /// The caller's orders, newest first.
    pub items: Vec<OrderBody>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_domain::testing::sample_order;
    use orders_domain::TrackingNumber;
    use serde_json::json;

    #[test]
    fn a_new_order_body_reads_the_api_field_names_and_refuses_others() {
        let body: NewOrderBody = serde_json::from_str(
            r#"{"currency":"EUR","items":[{"sku":"MUG-FERRIS","quantity":2,"unitPriceCents":1250}]}"#,
        )
        .unwrap();
        let order = NewOrder::from(body);
        assert_eq!(order.items[0].quantity, 2);
        assert_eq!(order.items[0].unit_price_cents, 1250);
        let unknown =
            serde_json::from_str::<NewOrderBody>(r#"{"currency":"EUR","items":[],"total":1}"#);
        assert!(unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `total`"));
    }

    #[test]
    fn an_order_body_has_the_api_field_names() {
        let body = serde_json::to_value(OrderBody::from(&sample_order())).unwrap();
        assert_eq!(
            body,
            json!({
                "orderId": "01M8BEWE407HD9W8BV0KBFG6HB",
                "customerId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                "items": [
                    { "sku": "BOOK-RUST-2021", "quantity": 1, "unitPriceCents": 3999 },
                    { "sku": "MUG-FERRIS", "quantity": 2, "unitPriceCents": 1250 }
                ],
                "totalCents": 6499,
                "currency": "EUR",
                "status": "PLACED",
                "placedAt": "2026-11-26T08:17:20.512Z",
                "version": 1
            })
        );
    }

    #[test]
    fn a_shipped_order_body_carries_when_and_the_tracking_number() {
        let mut order = sample_order();
        let at = order.placed_at().plus_millis(60_000);
        order
            .mark_shipped(TrackingNumber::parse("1Z999AA10123456784").unwrap(), at)
            .unwrap();
        let body = serde_json::to_value(OrderBody::from(&order)).unwrap();
        assert_eq!(body["status"], "SHIPPED");
        assert_eq!(body["shippedAt"], "2026-11-26T08:18:20.512Z");
        assert_eq!(body["trackingNumber"], "1Z999AA10123456784");
        assert_eq!(body["version"], 2);
        assert!(body.get("cancelledAt").is_none());
    }
}
