//! The order entity and its rules.

use std::fmt;

use crate::commands::PlaceOrder;
use crate::error::{OrderError, ValidationError};
use crate::ids::{CustomerId, OrderId};
use crate::time::Timestamp;
use crate::values::{Currency, Quantity, Sku, TrackingNumber};

/// The highest unit price accepted, in minor units (1,000,000.00 of the currency).
pub const MAX_UNIT_PRICE_CENTS: u64 = 100_000_000;

fn price_error(got: &dyn fmt::Display) -> ValidationError {
    ValidationError::new(
        "unitPriceCents",
        format!("must be between 1 and {MAX_UNIT_PRICE_CENTS} (got {got})"),
    )
}

/// A unit price of 1 to [`MAX_UNIT_PRICE_CENTS`] minor units.
pub(crate) fn check_unit_price(cents: i64) -> Result<u64, ValidationError> {
    match u64::try_from(cents) {
        Ok(price) if (1..=MAX_UNIT_PRICE_CENTS).contains(&price) => Ok(price),
        _ => Err(price_error(&cents)),
    }
}

/// Where an order is in its life: placed, then either cancelled or shipped (both final).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, awaiting shipment.
    Placed,
    /// Cancelled before it shipped (final).
    Cancelled,
    /// Shipped (final).
    Shipped,
}

impl OrderStatus {
    /// Its name: `PLACED`, `CANCELLED`, `SHIPPED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "PLACED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Shipped => "SHIPPED",
        }
    }

    /// The status of a name [`OrderStatus::as_str`] gives; `None` for any other text.
    ///
    /// ```
    /// use orders_domain::OrderStatus;
    /// assert_eq!(OrderStatus::parse("SHIPPED"), Some(OrderStatus::Shipped));
    /// assert_eq!(OrderStatus::parse("shipped"), None);
    /// ```
    pub fn parse(name: &str) -> Option<OrderStatus> {
        [
            OrderStatus::Placed,
            OrderStatus::Cancelled,
            OrderStatus::Shipped,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of an order: a SKU, how many, and the unit price in minor units ("cents").
///
/// ```
/// use orders_domain::{OrderItem, Quantity, Sku};
/// let line = OrderItem::new(Sku::parse("MUG-FERRIS")?, Quantity::new(2)?, 1250)?;
/// assert_eq!(line.line_total_cents(), 2500);
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    sku: Sku,
    quantity: Quantity,
    unit_price_cents: u64,
}

impl OrderItem {
    /// A line; the unit price must be 1 to [`MAX_UNIT_PRICE_CENTS`].
    pub fn new(
        sku: Sku,
        quantity: Quantity,
        unit_price_cents: u64,
    ) -> Result<OrderItem, ValidationError> {
        if !(1..=MAX_UNIT_PRICE_CENTS).contains(&unit_price_cents) {
            return Err(price_error(&unit_price_cents));
        }
        Ok(OrderItem::from_valid(sku, quantity, unit_price_cents))
    }

    pub(crate) fn from_valid(sku: Sku, quantity: Quantity, unit_price_cents: u64) -> OrderItem {
        OrderItem {
            sku,
            quantity,
            unit_price_cents,
        }
    }

    /// The SKU.
    pub fn sku(&self) -> &Sku {
        &self.sku
    }

    /// How many.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// Price of one, in minor units.
    pub fn unit_price_cents(&self) -> u64 {
        self.unit_price_cents
    }

    /// Quantity × unit price; at most 99 × 10⁸, far from overflowing.
    pub fn line_total_cents(&self) -> u64 {
        u64::from(self.quantity.get()) * self.unit_price_cents
    }
}

/// Whether a command changed the order (and so must be written, with a new version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state changed and the version went up by one.
    Changed,
    /// The order already was in the asked state (a repeated command).
    Unchanged,
}

/// An order. Fields are read through methods; the state changes only through
/// [`Order::cancel`] and [`Order::mark_shipped`], which enforce the rules:
///
/// | from \ command | cancel                      | mark shipped (tracking T)                      |
/// | -------------- | --------------------------- | ---------------------------------------------- |
/// | `PLACED`       | → `CANCELLED`               | → `SHIPPED`                                    |
/// | `CANCELLED`    | unchanged (idempotent)      | `NotShippable` (409)                           |
/// | `SHIPPED`      | `AlreadyShipped` (409)      | unchanged if T is the same, else `ShippedElsewhere` (409) |
///
/// Every change adds one to `version`, which writers use for optimistic concurrency.
/// The domain has no wire format: the stored item is `orders-adapters`' `StoredOrder`, the
/// API's body orders-api's `OrderBody`, each built from [`Order::snapshot`] or the accessors
/// and read back through [`Order::restore`], which checks the invariants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    customer_id: CustomerId,
    items: Vec<OrderItem>,
    total_cents: u64,
    currency: Currency,
    status: OrderStatus,
    placed_at: Timestamp,
    cancelled_at: Option<Timestamp>,
    shipped_at: Option<Timestamp>,
    tracking_number: Option<TrackingNumber>,
    version: u64,
}

/// Everything an order holds, field by field: what an adapter stores ([`Order::snapshot`])
/// and reads back ([`Order::restore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSnapshot {
    /// The order's id.
    pub id: OrderId,
    /// Its owner.
    pub customer_id: CustomerId,
    /// The lines (at least one).
    pub items: Vec<OrderItem>,
    /// The sum of the lines, in minor units.
    pub total_cents: u64,
    /// ISO 4217 code.
    pub currency: Currency,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// When it was placed.
    pub placed_at: Timestamp,
    /// When it was cancelled (only when `CANCELLED`).
    pub cancelled_at: Option<Timestamp>,
    /// When it shipped (only when `SHIPPED`).
    pub shipped_at: Option<Timestamp>,
    /// The carrier's tracking number (only when `SHIPPED`).
    pub tracking_number: Option<TrackingNumber>,
    /// 1 and up.
    pub version: u64,
}

/// Why an [`OrderSnapshot`] is not an order (a stored item that breaks an invariant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidOrder(String);

impl Order {
    /// Every field, for an adapter that stores the order.
    pub fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot {
            id: self.id,
            customer_id: self.customer_id.clone(),
            items: self.items.clone(),
            total_cents: self.total_cents,
            currency: self.currency,
            status: self.status,
            placed_at: self.placed_at,
            cancelled_at: self.cancelled_at,
            shipped_at: self.shipped_at,
            tracking_number: self.tracking_number.clone(),
            version: self.version,
        }
    }

    /// The order a snapshot describes, if it keeps every invariant: at least one line, the
    /// total the lines add up to, a version of 1 or more, and the timestamps and tracking
    /// number its status has (and no others). The error names the order.
    ///
    /// ```
    /// use orders_domain::testing::sample_order;
    /// use orders_domain::Order;
    ///
    /// let order = sample_order();
    /// assert_eq!(Order::restore(order.snapshot()), Ok(order.clone()));
    /// let mut broken = order.snapshot();
    /// broken.version = 0;
    /// assert!(Order::restore(broken).unwrap_err().to_string().contains("version 0"));
    /// ```
    pub fn restore(f: OrderSnapshot) -> Result<Order, InvalidOrder> {
        let id = f.id;
        let invalid = |reason: String| Err(InvalidOrder(reason));
        if f.items.is_empty() {
            return invalid(format!("order {id} has no items"));
        }
        let sum = f
            .items
            .iter()
            .try_fold(0_u64, |sum, item| sum.checked_add(item.line_total_cents()));
        if sum != Some(f.total_cents) {
            return invalid(format!(
                "order {id} has totalCents {} but its items add up to {}",
                f.total_cents,
                sum.map_or_else(|| "more than u64".to_owned(), |s| s.to_string())
            ));
        }
        if f.version == 0 {
            return invalid(format!("order {id} has version 0; versions start at 1"));
        }
        let consistent = match f.status {
            OrderStatus::Placed => {
                f.cancelled_at.is_none() && f.shipped_at.is_none() && f.tracking_number.is_none()
            }
            OrderStatus::Cancelled => {
                f.cancelled_at.is_some() && f.shipped_at.is_none() && f.tracking_number.is_none()
            }
            OrderStatus::Shipped => {
                f.cancelled_at.is_none() && f.shipped_at.is_some() && f.tracking_number.is_some()
            }
        };
        if !consistent {
            return invalid(format!(
                "order {id} is {} but has the wrong timestamps or tracking number for it",
                f.status
            ));
        }
        Ok(Order {
            id,
            customer_id: f.customer_id,
            items: f.items,
            total_cents: f.total_cents,
            currency: f.currency,
            status: f.status,
            placed_at: f.placed_at,
            cancelled_at: f.cancelled_at,
            shipped_at: f.shipped_at,
            tracking_number: f.tracking_number,
            version: f.version,
        })
    }
}

impl Order {
    /// A new order (version 1, `PLACED`) from a validated command.
    pub fn place(id: OrderId, command: PlaceOrder, at: Timestamp) -> Order {
        let (customer_id, currency, items, total_cents) = command.into_parts();
        Order {
            id,
            customer_id,
            items,
            total_cents,
            currency,
            status: OrderStatus::Placed,
            placed_at: at,
            cancelled_at: None,
            shipped_at: None,
            tracking_number: None,
            version: 1,
        }
    }

    /// The ULID id.
    pub fn id(&self) -> &OrderId {
        &self.id
    }

    /// The owner.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// The lines, as placed.
    pub fn items(&self) -> &[OrderItem] {
        &self.items
    }

    /// Sum of the lines, in minor units of [`Order::currency`].
    pub fn total_cents(&self) -> u64 {
        self.total_cents
    }

    /// The currency of every amount.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Where it is in its life.
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// When it was placed.
    pub fn placed_at(&self) -> Timestamp {
        self.placed_at
    }

    /// When it was cancelled (`CANCELLED` only).
    pub fn cancelled_at(&self) -> Option<Timestamp> {
        self.cancelled_at
    }

    /// When it shipped (`SHIPPED` only).
    pub fn shipped_at(&self) -> Option<Timestamp> {
        self.shipped_at
    }

    /// The carrier's number (`SHIPPED` only).
    pub fn tracking_number(&self) -> Option<&TrackingNumber> {
        self.tracking_number.as_ref()
    }

    /// 1 when placed, one more after each change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Cancels a placed order. Cancelling a cancelled order changes nothing (so a client
    /// may retry the call safely); a shipped order cannot be cancelled.
    ///
    /// ```
    /// use orders_domain::testing::sample_order;
    /// use orders_domain::{OrderError, OrderStatus, Timestamp, Transition};
    ///
    /// let mut order = sample_order();
    /// let at = Timestamp::parse("2026-11-26T09:00:00Z")?;
    /// assert_eq!(order.cancel(at)?, Transition::Changed);
    /// assert_eq!(order.cancel(at)?, Transition::Unchanged);
    /// assert_eq!((order.status(), order.version()), (OrderStatus::Cancelled, 2));
    /// # Ok::<(), OrderError>(())
    /// ```
    pub fn cancel(&mut self, at: Timestamp) -> Result<Transition, OrderError> {
        match self.status {
            OrderStatus::Placed => {
                self.status = OrderStatus::Cancelled;
                self.cancelled_at = Some(at);
                self.version += 1;
                Ok(Transition::Changed)
            }
            OrderStatus::Cancelled => Ok(Transition::Unchanged),
            OrderStatus::Shipped => Err(OrderError::AlreadyShipped { order_id: self.id }),
        }
    }

    /// Records the shipment of a placed order. The same tracking number again changes
    /// nothing (a redelivered message); a cancelled order cannot ship.
    ///
    /// ```
    /// use orders_domain::testing::sample_order;
    /// use orders_domain::{OrderError, Timestamp, TrackingNumber, Transition};
    ///
    /// let mut order = sample_order();
    /// let tracking = TrackingNumber::parse("1Z999AA10123456784")?;
    /// let at = Timestamp::parse("2026-11-26T09:02:10.004Z")?;
    /// assert_eq!(order.mark_shipped(tracking.clone(), at)?, Transition::Changed);
    /// assert_eq!(order.tracking_number(), Some(&tracking));
    /// assert!(order.cancel(at).is_err());
    /// # Ok::<(), OrderError>(())
    /// ```
    pub fn mark_shipped(
        &mut self,
        tracking_number: TrackingNumber,
        at: Timestamp,
    ) -> Result<Transition, OrderError> {
        match self.status {
            OrderStatus::Placed => {
                self.status = OrderStatus::Shipped;
                self.shipped_at = Some(at);
                self.tracking_number = Some(tracking_number);
                self.version += 1;
                Ok(Transition::Changed)
            }
            OrderStatus::Shipped if self.tracking_number.as_ref() == Some(&tracking_number) => {
                Ok(Transition::Unchanged)
            }
            OrderStatus::Shipped => Err(OrderError::ShippedElsewhere {
                order_id: self.id,
                tracking_number: self.tracking_number.clone().unwrap_or(tracking_number),
            }),
            OrderStatus::Cancelled => Err(OrderError::NotShippable {
                order_id: self.id,
                status: self.status,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_order;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn tracking(text: &str) -> TrackingNumber {
        TrackingNumber::parse(text).unwrap()
    }

    #[test]
    fn a_placed_order_starts_at_version_one_with_the_command_total() {
        let order = sample_order();
        assert_eq!(order.status(), OrderStatus::Placed);
        assert_eq!(order.version(), 1);
        assert_eq!(order.total_cents(), 3999 + 2 * 1250);
        assert_eq!(order.items().len(), 2);
        assert_eq!(order.currency().as_str(), "EUR");
        assert_eq!(order.cancelled_at(), None);
        assert_eq!(order.shipped_at(), None);
        assert_eq!(order.tracking_number(), None);
        assert_eq!(order.placed_at(), at("2026-11-26T08:17:20.512Z"));
        assert_eq!(
            order.customer_id().as_str(),
            "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
        );
    }

    #[test]
    fn cancel_before_shipping_then_again_is_idempotent() {
        let mut order = sample_order();
        let when = at("2026-11-26T08:30:00Z");
        assert_eq!(order.cancel(when).unwrap(), Transition::Changed);
        assert_eq!(order.status(), OrderStatus::Cancelled);
        assert_eq!(order.cancelled_at(), Some(when));
        assert_eq!(order.version(), 2);
        let later = at("2026-11-26T09:00:00Z");
        assert_eq!(order.cancel(later).unwrap(), Transition::Unchanged);
        assert_eq!(
            order.cancelled_at(),
            Some(when),
            "the first cancel time stays"
        );
        assert_eq!(order.version(), 2);
    }

    #[test]
    fn cancel_after_shipping_is_a_conflict_and_changes_nothing() {
        let mut order = sample_order();
        order
            .mark_shipped(tracking("1Z9"), at("2026-11-26T09:00:00Z"))
            .unwrap();
        let before = order.clone();
        let error = order.cancel(at("2026-11-26T10:00:00Z")).unwrap_err();
        assert_eq!(
            error,
            OrderError::AlreadyShipped {
                order_id: *order.id()
            }
        );
        assert_eq!(order, before);
    }

    #[test]
    fn ship_only_a_placed_order() {
        let mut order = sample_order();
        let when = at("2026-11-26T09:02:10.004Z");
        assert_eq!(
            order.mark_shipped(tracking("1Z9"), when).unwrap(),
            Transition::Changed
        );
        assert_eq!(order.status(), OrderStatus::Shipped);
        assert_eq!(order.shipped_at(), Some(when));
        assert_eq!(order.version(), 2);

        let mut cancelled = sample_order();
        cancelled.cancel(when).unwrap();
        let error = cancelled.mark_shipped(tracking("1Z9"), when).unwrap_err();
        assert_eq!(
            error,
            OrderError::NotShippable {
                order_id: *cancelled.id(),
                status: OrderStatus::Cancelled
            }
        );
        assert_eq!(cancelled.version(), 2);
    }

    #[test]
    fn shipping_again_with_the_same_tracking_is_idempotent_with_another_a_conflict() {
        let mut order = sample_order();
        let when = at("2026-11-26T09:02:10.004Z");
        order.mark_shipped(tracking("1Z9"), when).unwrap();
        assert_eq!(
            order
                .mark_shipped(tracking("1Z9"), at("2026-11-27T00:00:00Z"))
                .unwrap(),
            Transition::Unchanged
        );
        assert_eq!(order.shipped_at(), Some(when));
        let error = order.mark_shipped(tracking("OTHER"), when).unwrap_err();
        assert_eq!(
            error,
            OrderError::ShippedElsewhere {
                order_id: *order.id(),
                tracking_number: tracking("1Z9")
            }
        );
        assert_eq!(order.version(), 2);
    }

    #[test]
    fn item_prices_must_be_positive_and_bounded() {
        let sku = Sku::parse("X").unwrap();
        let one = Quantity::new(1).unwrap();
        for bad in [0, MAX_UNIT_PRICE_CENTS + 1] {
            let error = OrderItem::new(sku.clone(), one, bad).unwrap_err();
            assert_eq!(error.field(), "unitPriceCents");
            assert!(error.reason().contains(&bad.to_string()), "{error}");
        }
        let max = OrderItem::new(sku, Quantity::new(99).unwrap(), MAX_UNIT_PRICE_CENTS).unwrap();
        assert_eq!(max.line_total_cents(), 9_900_000_000);
    }

    #[test]
    fn a_snapshot_restores_the_same_order_in_every_state() {
        let order = sample_order();
        assert_eq!(Order::restore(order.snapshot()).unwrap(), order);
        let mut shipped = order.clone();
        shipped
            .mark_shipped(tracking("1Z9"), at("2026-11-26T09:02:10.004Z"))
            .unwrap();
        let snapshot = shipped.snapshot();
        assert_eq!(
            snapshot.tracking_number.as_ref().map(|t| t.as_str()),
            Some("1Z9")
        );
        assert_eq!(snapshot.status, OrderStatus::Shipped);
        assert_eq!(Order::restore(snapshot).unwrap(), shipped);
        let mut cancelled = order;
        cancelled.cancel(at("2026-11-26T09:00:00Z")).unwrap();
        assert_eq!(Order::restore(cancelled.snapshot()).unwrap(), cancelled);
    }

    #[test]
    fn restoring_checks_every_invariant_and_names_the_order() {
        let valid = sample_order().snapshot();
        let broken = |edit: &dyn Fn(&mut OrderSnapshot)| {
            let mut snapshot = valid.clone();
            edit(&mut snapshot);
            Order::restore(snapshot).unwrap_err().to_string()
        };
        type Edit<'a> = &'a dyn Fn(&mut OrderSnapshot);
        let cases: [(Edit, &str); 6] = [
            (&|s| s.items.clear(), "has no items"),
            (&|s| s.total_cents = 1, "add up to 6499"),
            (&|s| s.version = 0, "version 0"),
            (
                &|s| s.cancelled_at = Some(at("2026-11-26T09:00:00Z")),
                "is PLACED but",
            ),
            (&|s| s.status = OrderStatus::Shipped, "is SHIPPED but"),
            (&|s| s.status = OrderStatus::Cancelled, "is CANCELLED but"),
        ];
        for (edit, expected) in cases {
            let message = broken(edit);
            assert!(message.contains(expected), "{message}");
            assert!(message.contains("01M8BEWE407HD9W8BV0KBFG6HB"), "{message}");
        }
    }

    #[test]
    fn status_names_are_the_stored_ones() {
        for (status, name) in [
            (OrderStatus::Placed, "PLACED"),
            (OrderStatus::Cancelled, "CANCELLED"),
            (OrderStatus::Shipped, "SHIPPED"),
        ] {
            assert_eq!(status.to_string(), name);
            assert_eq!(OrderStatus::parse(name), Some(status));
        }
    }
}
