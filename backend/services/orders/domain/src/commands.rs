//! Commands: what a caller asks the domain to do, validated before any I/O.

use std::collections::HashSet;

use crate::error::{InvalidInput, ValidationError};
use crate::ids::{CustomerId, OrderId};
use crate::order::{check_unit_price, OrderItem};
use crate::values::{Currency, Quantity, Sku};

/// The most lines an order may have.
pub const MAX_ITEMS: usize = 25;

/// An order as a caller asks for it, not yet validated (the HTTP body that carries it is
/// orders-api's `NewOrderBody`). Numbers are wide on purpose: a quantity of `0` or `-1` is
/// reported as a field error by [`PlaceOrder::new`], with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// The lines, 1 to [`MAX_ITEMS`].
    pub items: Vec<NewOrderItem>,
}

/// One line of [`NewOrder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderItem {
    /// Stock-keeping unit.
    pub sku: String,
    /// 1 to 99.
    pub quantity: i64,
    /// Unit price in minor units, 1 to `MAX_UNIT_PRICE_CENTS`.
    pub unit_price_cents: i64,
}

/// Place an order: validated lines (1 to [`MAX_ITEMS`], each SKU once) in one currency.
///
/// The unit prices are the client's: a real shop would look them up in its catalogue;
/// the reference service has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    customer_id: CustomerId,
    currency: Currency,
    items: Vec<OrderItem>,
    total_cents: u64,
}

impl PlaceOrder {
    /// Validates a request for `customer_id` (the caller's identity, never the body's),
    /// reporting every bad field at once with its path (`items[1].quantity`).
    ///
    /// ```
    /// use orders_domain::{CustomerId, NewOrder, NewOrderItem, PlaceOrder};
    ///
    /// let request = NewOrder {
    ///     currency: "EUR".into(),
    ///     items: vec![NewOrderItem { sku: "MUG-FERRIS".into(), quantity: 2, unit_price_cents: 1250 }],
    /// };
    /// let command = PlaceOrder::new(CustomerId::parse("c-1")?, request)?;
    /// assert_eq!(command.total_cents(), 2500);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(customer_id: CustomerId, request: NewOrder) -> Result<PlaceOrder, InvalidInput> {
        let mut errors = Vec::new();
        let currency = Currency::parse(&request.currency)
            .map_err(|e| errors.push(e))
            .ok();
        let sent = request.items.len();
        let mut items = Vec::with_capacity(sent);
        let mut skus = Vec::with_capacity(sent);
        for (n, line) in request.items.into_iter().enumerate() {
            let sku = Sku::parse(&line.sku);
            let quantity = Quantity::new(line.quantity);
            let price = check_unit_price(line.unit_price_cents);
            match (sku, quantity, price) {
                (Ok(sku), Ok(quantity), Ok(price)) => {
                    let item = OrderItem::from_valid(sku, quantity, price);
                    skus.push(n);
                    items.push(item);
                }
                (sku, quantity, price) => {
                    let path = format!("items[{n}]");
                    let failed = [sku.err(), quantity.err(), price.err()];
                    errors.extend(failed.into_iter().flatten().map(|e| e.under(&path)));
                }
            }
        }
        errors.extend(check_count(sent).err());
        let indexed = skus.iter().copied().zip(items.iter().map(OrderItem::sku));
        errors.extend(check_duplicates(indexed).err());
        match currency {
            Some(currency) if errors.is_empty() => {
                Ok(PlaceOrder::build(customer_id, currency, items)?)
            }
            _ => Err(InvalidInput::new(errors)),
        }
    }

    /// A command from lines already validated, checking the count and duplicate SKUs.
    ///
    /// ```
    /// use orders_domain::{Currency, CustomerId, OrderItem, PlaceOrder, Quantity, Sku};
    ///
    /// let line = OrderItem::new(Sku::parse("MUG")?, Quantity::new(1)?, 500)?;
    /// let error = PlaceOrder::from_items(CustomerId::parse("c-1")?, Currency::parse("EUR")?, vec![line.clone(), line])
    ///     .unwrap_err();
    /// assert_eq!(error.errors()[0].field(), "items[1].sku");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_items(
        customer_id: CustomerId,
        currency: Currency,
        items: Vec<OrderItem>,
    ) -> Result<PlaceOrder, InvalidInput> {
        check_count(items.len())?;
        check_duplicates(items.iter().map(OrderItem::sku).enumerate())?;
        Ok(PlaceOrder::build(customer_id, currency, items)?)
    }

    /// Sums the lines of an already checked list.
    fn build(
        customer_id: CustomerId,
        currency: Currency,
        items: Vec<OrderItem>,
    ) -> Result<PlaceOrder, ValidationError> {
        // 25 lines of at most 99 × 10⁸ cannot overflow; checked all the same.
        let total_cents = items
            .iter()
            .try_fold(0_u64, |sum, item| sum.checked_add(item.line_total_cents()))
            .ok_or_else(|| ValidationError::new("items", "the total does not fit in 64 bits"))?;
        Ok(PlaceOrder {
            customer_id,
            currency,
            items,
            total_cents,
        })
    }

    /// The customer placing the order.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// The order's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The validated lines.
    pub fn items(&self) -> &[OrderItem] {
        &self.items
    }

    /// Sum of the lines in minor units.
    pub fn total_cents(&self) -> u64 {
        self.total_cents
    }

    pub(crate) fn into_parts(self) -> (CustomerId, Currency, Vec<OrderItem>, u64) {
        (
            self.customer_id,
            self.currency,
            self.items,
            self.total_cents,
        )
    }
}

/// 1 to [`MAX_ITEMS`] lines.
fn check_count(sent: usize) -> Result<(), ValidationError> {
    if sent == 0 {
        return Err(ValidationError::new("items", "must hold at least one line"));
    }
    if sent > MAX_ITEMS {
        return Err(ValidationError::new(
            "items",
            format!("must hold at most {MAX_ITEMS} lines (got {sent})"),
        ));
    }
    Ok(())
}

/// Each SKU once; the error points at the first repeat, by its index in the input.
fn check_duplicates<'a>(
    skus: impl Iterator<Item = (usize, &'a Sku)>,
) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    for (n, sku) in skus {
        if !seen.insert(sku) {
            return Err(ValidationError::new(
                format!("items[{n}].sku"),
                format!("`{sku}` appears more than once; merge the lines"),
            ));
        }
    }
    Ok(())
}

/// Cancel an order of the calling customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOrder {
    /// The caller (only their own orders can be cancelled).
    pub customer_id: CustomerId,
    /// The order to cancel.
    pub order_id: OrderId,
}

impl CancelOrder {
    /// ```
    /// use orders_domain::{CancelOrder, CustomerId, OrderId};
    /// let command = CancelOrder::new(CustomerId::parse("c-1")?, OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB")?);
    /// assert_eq!(command.customer_id.as_str(), "c-1");
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    pub fn new(customer_id: CustomerId, order_id: OrderId) -> Self {
        Self {
            customer_id,
            order_id,
        }
    }
}

/// Ship an order: ask the provider for a shipment, then record its tracking number.
/// Built from an `OrderPlaced` event, which carries both ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkShipped {
    /// The order's owner (from the `OrderPlaced` event).
    pub customer_id: CustomerId,
    /// The order to ship.
    pub order_id: OrderId,
}

impl MarkShipped {
    /// ```
    /// use orders_domain::{CustomerId, MarkShipped, OrderId};
    /// let command = MarkShipped::new(CustomerId::parse("c-1")?, OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB")?);
    /// assert_eq!(command.order_id.as_str(), "01M8BEWE407HD9W8BV0KBFG6HB");
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    pub fn new(customer_id: CustomerId, order_id: OrderId) -> Self {
        Self {
            customer_id,
            order_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64, unit_price_cents: i64) -> NewOrderItem {
        NewOrderItem {
            sku: sku.into(),
            quantity,
            unit_price_cents,
        }
    }

    fn place(currency: &str, items: Vec<NewOrderItem>) -> Result<PlaceOrder, InvalidInput> {
        PlaceOrder::new(
            CustomerId::parse("c-1").unwrap(),
            NewOrder {
                currency: currency.into(),
                items,
            },
        )
    }

    fn fields(error: &InvalidInput) -> Vec<&str> {
        error.errors().iter().map(ValidationError::field).collect()
    }

    #[test]
    fn a_valid_request_becomes_a_command_with_its_total() {
        let command = place("eur", vec![line("A", 2, 150), line("B", 1, 99)]).unwrap();
        assert_eq!(command.total_cents(), 399);
        assert_eq!(command.currency().as_str(), "EUR");
        assert_eq!(command.customer_id().as_str(), "c-1");
        assert_eq!(command.items().len(), 2);
        assert_eq!(command.items()[1].sku().as_str(), "B");
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let error = place(
            "EURO",
            vec![line("", 0, 10), line("OK", 1, 0), line("C", 100, -5)],
        )
        .unwrap_err();
        assert_eq!(
            fields(&error),
            [
                "currency",
                "items[0].sku",
                "items[0].quantity",
                "items[1].unitPriceCents",
                "items[2].quantity",
                "items[2].unitPriceCents",
            ]
        );
        assert!(error.to_string().contains("(got -5)"), "{error}");
    }

    #[test]
    fn line_count_is_one_to_max_items() {
        let error = place("EUR", vec![]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid input: items: must hold at least one line"
        );
        let many = (0..=MAX_ITEMS)
            .map(|n| line(&format!("S{n}"), 1, 1))
            .collect();
        let error = place("EUR", many).unwrap_err();
        assert_eq!(
            error.errors()[0].reason(),
            format!("must hold at most {MAX_ITEMS} lines (got 26)")
        );
        let max = (0..MAX_ITEMS)
            .map(|n| line(&format!("S{n}"), 1, 1))
            .collect();
        assert_eq!(place("EUR", max).unwrap().items().len(), MAX_ITEMS);
    }

    #[test]
    fn a_sku_twice_points_at_the_repeat_by_input_index() {
        let error = place(
            "EUR",
            vec![line("A", 1, 1), line("", 1, 1), line("A", 2, 1)],
        )
        .unwrap_err();
        assert_eq!(fields(&error), ["items[1].sku", "items[2].sku"]);
        assert!(error.errors()[1]
            .reason()
            .contains("`A` appears more than once"));
    }

    #[test]
    fn from_items_checks_count_and_duplicates() {
        let customer = CustomerId::parse("c-1").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let error = PlaceOrder::from_items(customer.clone(), eur, vec![]).unwrap_err();
        assert_eq!(fields(&error), ["items"]);
        let item = OrderItem::new(Sku::parse("A").unwrap(), Quantity::new(3).unwrap(), 7).unwrap();
        let command = PlaceOrder::from_items(customer, eur, vec![item]).unwrap();
        assert_eq!(command.total_cents(), 21);
    }

    #[test]
    fn cancel_and_ship_commands_hold_both_ids() {
        let customer = CustomerId::parse("c-1").unwrap();
        let order = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap();
        let cancel = CancelOrder::new(customer.clone(), order);
        let ship = MarkShipped::new(customer.clone(), order);
        assert_eq!(
            (cancel.customer_id, cancel.order_id),
            (customer.clone(), order)
        );
        assert_eq!((ship.customer_id, ship.order_id), (customer, order));
    }
}
