//! DynamoDB Streams records of the orders table → domain events.
//!
//! Every item of the table reaches the stream (profiles, notifications, idempotency
//! records): only order items (`sk = ORDER#…`) mean something here, the others give
//! `Ok(None)`. The stream must be `NEW_AND_OLD_IMAGES`: a MODIFY needs both images to
//! tell a status change from another update.
//!
//! ```
//! use aws_lambda_events::event::dynamodb::Event;
//! use orders_adapters::stream::event_from_record;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let event: Event = serde_json::from_str(&std::fs::read_to_string(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../../../events/dynamodb-stream/insert.json"),
//! )?)?;
//! for record in event.records {
//!     if let Some(order_event) = event_from_record(record)? {
//!         assert_eq!(order_event.detail_type(), "OrderPlaced");
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use aws_lambda_events::event::dynamodb::EventRecord;
use orders_domain::{events_from_change, Order, OrderEvent, RepositoryError};
use serde_dynamo::Item;

use crate::image::{decode_order, key_of, text};
use crate::keys;

fn corrupt(item: &Item, reason: impl Into<String>) -> RepositoryError {
    RepositoryError::Corrupt {
        key: key_of(item),
        reason: reason.into(),
    }
}

/// An image of the table as an [`Order`]; `Ok(None)` for an empty image or an item that
/// is not an order. An order item that does not decode, or whose key does not match its
/// ids, is `Corrupt`.
///
/// ```
/// use aws_lambda_events::event::dynamodb::Event;
/// use orders_adapters::stream::order_from_image;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let event: Event = serde_json::from_str(&std::fs::read_to_string(
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../../events/dynamodb-stream/modify.json"),
/// )?)?;
/// let record = event.records.into_iter().next().unwrap();
/// let shipped = order_from_image(record.change.new_image)?.unwrap();
/// assert_eq!(shipped.tracking_number().unwrap().as_str(), "1Z999AA10123456784");
/// # Ok(())
/// # }
/// ```
pub fn order_from_image(image: Item) -> Result<Option<Order>, RepositoryError> {
    if image.inner().is_empty() || !keys::is_order_sk(text(&image, keys::SK)) {
        return Ok(None);
    }
    decode_order(image).map(Some)
}

/// The domain event a stream record means (see `orders_domain::events_from_change`):
/// INSERT of a placed order → `OrderPlaced`, status MODIFY → `OrderCancelled` /
/// `OrderShipped`, anything else → `None`. Takes the record by value (as
/// `ferrule_batch::DynamoDbProcessor::process_raw` hands it over) so the images are
/// decoded without a copy.
pub fn event_from_record(record: EventRecord) -> Result<Option<OrderEvent>, RepositoryError> {
    let change = record.change;
    if !keys::is_order_sk(text(&change.keys, keys::SK)) {
        return Ok(None);
    }
    match record.event_name.as_str() {
        "INSERT" => {
            let new = order_from_image(change.new_image)?;
            Ok(events_from_change(None, new.as_ref()))
        }
        "MODIFY" => {
            if change.old_image.inner().is_empty() || change.new_image.inner().is_empty() {
                return Err(corrupt(
                    &change.keys,
                    "a MODIFY record without both images; the stream must be NEW_AND_OLD_IMAGES",
                ));
            }
            let old = order_from_image(change.old_image)?;
            let new = order_from_image(change.new_image)?;
            Ok(events_from_change(old.as_ref(), new.as_ref()))
        }
        "REMOVE" => Ok(None),
        other => Err(corrupt(
            &change.keys,
            format!(
                "unknown eventName `{}`",
                other.chars().take(32).collect::<String>()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use orders_domain::testing::sample_order;
    use orders_domain::{OrderStatus, Timestamp, TrackingNumber};
    use serde_dynamo::AttributeValue;

    fn fixture(name: &str) -> Event {
        ferrule_testkit::fixture_as(&format!("dynamodb-stream/{name}")).unwrap()
    }

    fn first(event: Event) -> EventRecord {
        event.records.into_iter().next().unwrap()
    }

    fn image_of(order: &Order) -> Item {
        // The item the repository writes, in the Lambda event's attribute type.
        let stored = crate::stored::StoredOrder::from(order);
        let mut item: Item = serde_dynamo::to_item(stored).unwrap();
        let mut map: std::collections::HashMap<String, AttributeValue> = item.clone().into();
        map.insert(
            "pk".into(),
            AttributeValue::S(keys::customer_pk(order.customer_id())),
        );
        map.insert("sk".into(), AttributeValue::S(keys::order_sk(order.id())));
        map.insert("entity".into(), AttributeValue::S("ORDER".into()));
        item = map.into();
        item
    }

    #[test]
    fn the_insert_fixture_is_the_sample_order_placed() {
        let event = event_from_record(first(fixture("insert")))
            .unwrap()
            .unwrap();
        assert_eq!(event, OrderEvent::placed(&sample_order()));
    }

    #[test]
    fn the_modify_fixture_is_the_sample_order_shipped() {
        let record = first(fixture("modify"));
        let new = order_from_image(record.change.new_image.clone())
            .unwrap()
            .unwrap();
        assert_eq!(new.status(), OrderStatus::Shipped);
        let mut expected = sample_order();
        expected
            .mark_shipped(
                TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                Timestamp::parse("2026-11-26T09:02:10.004Z").unwrap(),
            )
            .unwrap();
        assert_eq!(new, expected);
        let event = event_from_record(record).unwrap().unwrap();
        assert_eq!(event.detail_type(), "OrderShipped");
        assert_eq!(event.event_id().as_str(), "01M8BEWE407HD9W8BV0KBFG6HB:2");
    }

    #[test]
    fn the_remove_fixture_and_other_items_mean_nothing() {
        assert_eq!(event_from_record(first(fixture("remove"))), Ok(None));
        let mut profile = first(fixture("insert"));
        let mut keys_map: std::collections::HashMap<String, AttributeValue> =
            profile.change.keys.clone().into();
        keys_map.insert("sk".into(), AttributeValue::S("PROFILE".into()));
        profile.change.keys = keys_map.into();
        assert_eq!(event_from_record(profile), Ok(None), "a profile item");
        assert_eq!(
            order_from_image(Item::from(std::collections::HashMap::<
                String,
                AttributeValue,
            >::new())),
            Ok(None)
        );
    }

    #[test]
    fn images_round_trip_from_what_the_repository_writes() {
        let order = sample_order();
        assert_eq!(order_from_image(image_of(&order)), Ok(Some(order)));
    }

    #[test]
    fn a_modify_without_old_image_is_refused_not_taken_for_an_insert() {
        let mut record = first(fixture("modify"));
        record.change.old_image =
            Item::from(std::collections::HashMap::<String, AttributeValue>::new());
        match event_from_record(record) {
            Err(RepositoryError::Corrupt { key, reason }) => {
                assert_eq!(key, "CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/ORDER#01M8BEWE407HD9W8BV0KBFG6HB");
                assert!(reason.contains("NEW_AND_OLD_IMAGES"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_images_and_unknown_names_are_corrupt() {
        let mut record = first(fixture("insert"));
        record.event_name = "TRUNCATE".into();
        let error = event_from_record(record).unwrap_err();
        assert!(
            error.to_string().contains("unknown eventName `TRUNCATE`"),
            "{error}"
        );

        let order = sample_order();
        let mut map: std::collections::HashMap<String, AttributeValue> = image_of(&order).into();
        map.insert("totalCents".into(), AttributeValue::N("1".into()));
        let error = order_from_image(map.into()).unwrap_err();
        assert!(error.to_string().contains("add up to 6499"), "{error}");

        let mut map: std::collections::HashMap<String, AttributeValue> = image_of(&order).into();
        map.insert("pk".into(), AttributeValue::S("CUSTOMER#mallory".into()));
        let error = order_from_image(map.into()).unwrap_err();
        assert!(error.to_string().contains("does not match"), "{error}");
    }
}
