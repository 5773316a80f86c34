//! Decoding a stored order item, shared by the repository and the stream decoder (both
//! see the same attributes: the repository writes what the stream carries).

use orders_domain::{Order, RepositoryError};
use serde_dynamo::{AttributeValue, Item};

use crate::keys;
use crate::stored::StoredOrder;

/// A string attribute, or `""`.
pub(crate) fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.inner().get(name) {
        Some(AttributeValue::S(text)) => text,
        _ => "",
    }
}

/// `pk/sk` of an item, for messages.
pub(crate) fn key_of(item: &Item) -> String {
    format!("{}/{}", text(item, keys::PK), text(item, keys::SK))
}

/// An order item back into an [`Order`], checking that its key is the one its ids give.
pub(crate) fn decode_order(item: Item) -> Result<Order, RepositoryError> {
    let key = key_of(&item);
    let (pk, sk) = (
        text(&item, keys::PK).to_owned(),
        text(&item, keys::SK).to_owned(),
    );
    let corrupt = |reason: String| RepositoryError::Corrupt {
        key: key.clone(),
        reason,
    };
    let stored: StoredOrder =
        serde_dynamo::from_item(item).map_err(|error| corrupt(error.to_string()))?;
    let order = Order::try_from(stored).map_err(corrupt)?;
    if pk != keys::customer_pk(order.customer_id()) || sk != keys::order_sk(order.id()) {
        return Err(RepositoryError::Corrupt {
            key,
            reason: "the key does not match the order's customerId and orderId".into(),
        });
    }
    Ok(order)
}
