//! DynamoDB Streams of the orders table → order events on EventBridge.
//!
//! Each record is turned into at most one domain event
//! (`orders_adapters::stream::event_from_record`: INSERT of a placed order → `OrderPlaced`,
//! a status MODIFY → `OrderCancelled` / `OrderShipped`); every other item of the single
//! table (profiles, notifications, idempotency records, TTL removals) gives none and is a
//! success. The events of the batch are then published together (`publish_events`: calls of
//! at most 10 entries, retryable entry failures published again), so a batch of 100 records
//! costs about 10 `PutEvents` calls rather than 100.
//!
//! Stream semantics: the first record that cannot be parsed or whose event is still
//! unpublished is reported **with every later record**, so Lambda resumes the shard there.
//! Events of later records that did get published are published again on that retry with
//! the same `eventId` (`<orderId>:<version>`): consumers drop the copy.
//!
//! ```
//! use ferrule_batch::dynamodb::Event;
//! use orders_domain::testing::InMemoryPublisher;
//! use orders_stream::StreamHandler;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bus = InMemoryPublisher::new();
//! let handler = StreamHandler::new(bus.clone());
//! let event: Event = ferrule_testkit::fixture_as("dynamodb-stream/insert")?;
//! let response = handler.handle(event).await;
//! assert!(response.batch_item_failures.is_empty());
//! assert_eq!(bus.published()[0].detail_type(), "OrderPlaced");
//! # Ok(())
//! # }
//! ```

use ferrule_batch::dynamodb::{DynamoDbEventResponse, Event, EventRecord};
use ferrule_batch::DynamoDbProcessor;
use lambda_runtime::{Error, LambdaEvent};
use orders_adapters::stream::event_from_record;
use orders_domain::{publish_events, EventPublisher};
use serde::Deserialize;

/// `PutEvents` calls per event at most (the first and two retries of throttled entries).
pub const PUBLISH_ATTEMPTS: usize = 3;

const PROCESSOR: DynamoDbProcessor = DynamoDbProcessor::new();

/// The function's configuration, from the environment (`ssm:` references resolved by
/// `ferrule_parameters::load_config`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// `EVENT_BUS_NAME`: the bus name or ARN the events go to.
    pub event_bus_name: String,
}

pub use ferrule_parameters::InitError;

impl Config {
    /// The configuration, if every value is usable.
    ///
    /// ```
    /// let config = orders_stream::Config { event_bus_name: " ".into() };
    /// assert_eq!(config.validated().unwrap_err().to_string(), "environment variable EVENT_BUS_NAME is empty");
    /// ```
    pub fn validated(self) -> Result<Config, InitError> {
        ferrule_parameters::require_non_empty(&[("EVENT_BUS_NAME", &self.event_bus_name)])?;
        Ok(self)
    }
}

/// The handler: a stream batch in, the records to retry out. Build it once at init.
#[derive(Debug, Clone)]
pub struct StreamHandler<P> {
    publisher: P,
    attempts: usize,
}

impl<P: EventPublisher> StreamHandler<P> {
    /// Publishes through `publisher` (`EventBridgePublisher` in the function), with
    /// [`PUBLISH_ATTEMPTS`] attempts per event.
    ///
    /// ```
    /// let handler = orders_stream::StreamHandler::new(orders_domain::testing::InMemoryPublisher::new());
    /// # let _ = handler;
    /// ```
    pub fn new(publisher: P) -> Self {
        Self {
            publisher,
            attempts: PUBLISH_ATTEMPTS,
        }
    }

    /// The Lambda entry point: [`StreamHandler::handle`] on the payload. Never fails: every
    /// problem is a reported record.
    ///
    /// ```
    /// use lambda_runtime::LambdaEvent;
    /// use orders_stream::StreamHandler;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lambda_runtime::Error> {
    /// let handler = StreamHandler::new(orders_domain::testing::InMemoryPublisher::new());
    /// let event = LambdaEvent::new(ferrule_testkit::fixture_as("dynamodb-stream/remove")?, Default::default());
    /// assert!(handler.handle_event(event).await?.batch_item_failures.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn handle_event(
        &self,
        event: LambdaEvent<Event>,
    ) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.handle(event.payload).await)
    }

    /// Parses every record in order (stopping at the first that cannot be parsed),
    /// publishes the events, and reports the first failed record and every later one.
    ///
    /// See the crate documentation for an example.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        // Records in order, each with the event it means (if any), up to the first that
        // cannot be read; then one publish for all of them.
        let batch = PROCESSOR
            .read_in_order(event, |record: EventRecord| event_from_record(record))
            .await;
        let events = batch.items();
        let failures = publish_events(&self.publisher, events, self.attempts).await;
        for failure in &failures {
            tracing::error!(
                event_source = "aws:dynamodb",
                event_id = %failure.event_id,
                retryable = failure.retryable,
                error = %failure.reason,
                "event not published; its record and every later one are reported for retry"
            );
        }
        if !events.is_empty() {
            tracing::info!(
                events = events.len(),
                unpublished = failures.len(),
                "order events published"
            );
        }
        // A failure whose index names no event of ours cannot be placed: the whole batch is
        // retried (the library's rule for an index past the end).
        batch.respond(failures.iter().map(|failure| failure.index))
    }
}

#[cfg(test)]
mod tests {

    /// The variables the configuration type reads are the ones `Cargo.toml` declares, which
    /// `RustFunction` checks the CDK environment against.
    #[test]
    fn config_reads_exactly_what_the_manifest_declares() {
        ferrule_testkit::manifest::check_config_matches_manifest::<super::Config>().unwrap();
    }
    use std::collections::HashMap;

    use ferrule_parameters::{load_config_from, InMemoryStore, Parameters};
    use orders_adapters::keys;
    use orders_domain::testing::{order_for, sample_order, InMemoryPublisher};
    use orders_domain::OrderEvent;
    use orders_domain::{CustomerId, Order, Timestamp, TrackingNumber};
    use serde_dynamo::{AttributeValue, Item};

    use super::*;

    fn fixture(name: &str) -> Event {
        ferrule_testkit::fixture_as(&format!("dynamodb-stream/{name}")).unwrap()
    }

    fn first_record(name: &str) -> EventRecord {
        fixture(name).records.into_iter().next().unwrap()
    }

    /// The item the repository writes for `order`, as a stream image.
    fn image_of(order: &Order) -> Item {
        let item: Item = serde_dynamo::to_item(orders_adapters::StoredOrder::from(order)).unwrap();
        let mut map: HashMap<String, AttributeValue> = item.into();
        map.insert(
            "pk".into(),
            AttributeValue::S(keys::customer_pk(order.customer_id())),
        );
        map.insert("sk".into(), AttributeValue::S(keys::order_sk(order.id())));
        map.insert("entity".into(), AttributeValue::S("ORDER".into()));
        map.into()
    }

    fn keys_of(order: &Order) -> Item {
        let mut map: HashMap<String, AttributeValue> = HashMap::new();
        map.insert(
            "pk".into(),
            AttributeValue::S(keys::customer_pk(order.customer_id())),
        );
        map.insert("sk".into(), AttributeValue::S(keys::order_sk(order.id())));
        map.into()
    }

    /// An INSERT record of `order` with sequence number `sequence`, from the fixture's shape.
    fn insert_of(order: &Order, sequence: &str) -> EventRecord {
        let mut record = first_record("insert");
        record.change.keys = keys_of(order);
        record.change.new_image = image_of(order);
        record.change.sequence_number = Some(sequence.to_owned());
        record
    }

    /// A MODIFY record PLACED → SHIPPED of `order`.
    fn shipped_of(order: &Order, sequence: &str) -> EventRecord {
        let mut shipped = order.clone();
        shipped
            .mark_shipped(
                TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                Timestamp::parse("2026-11-26T09:02:10.004Z").unwrap(),
            )
            .unwrap();
        let mut record = first_record("modify");
        record.change.keys = keys_of(order);
        record.change.old_image = image_of(order);
        record.change.new_image = image_of(&shipped);
        record.change.sequence_number = Some(sequence.to_owned());
        record
    }

    fn orders(count: u128) -> Vec<Order> {
        let customer = CustomerId::parse("c-1").unwrap();
        (0..count)
            .map(|i| {
                order_for(
                    &customer,
                    "MUG",
                    Timestamp::parse("2026-11-26T08:00:00.000Z").unwrap(),
                    i + 1,
                )
            })
            .collect()
    }

    fn batch(records: Vec<EventRecord>) -> Event {
        let mut event = fixture("insert");
        event.records = records;
        event
    }

    fn reported(response: &DynamoDbEventResponse) -> Vec<Option<&str>> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_deref())
            .collect()
    }

    fn ids(bus: &InMemoryPublisher) -> Vec<String> {
        bus.published()
            .iter()
            .map(|e| e.event_id().to_string())
            .collect()
    }

    #[tokio::test]
    async fn an_insert_publishes_order_placed() {
        let bus = InMemoryPublisher::new();
        let response = StreamHandler::new(bus.clone())
            .handle(fixture("insert"))
            .await;
        assert!(reported(&response).is_empty());
        assert_eq!(bus.published(), vec![OrderEvent::placed(&sample_order())]);
    }

    #[tokio::test]
    async fn the_same_stream_record_twice_in_one_batch_publishes_once() {
        let bus = InMemoryPublisher::new();
        let mut event = fixture("insert");
        let copy = event.records[0].clone();
        event.records.push(copy);
        let response = StreamHandler::new(bus.clone()).handle(event).await;
        assert!(reported(&response).is_empty());
        assert_eq!(bus.published(), vec![OrderEvent::placed(&sample_order())]);
        assert_eq!(bus.calls(), 1);
    }

    #[tokio::test]
    async fn a_status_modify_publishes_order_shipped() {
        let bus = InMemoryPublisher::new();
        let response = StreamHandler::new(bus.clone())
            .handle(fixture("modify"))
            .await;
        assert!(reported(&response).is_empty());
        let published = bus.published();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].detail_type(), "OrderShipped");
        assert_eq!(ids(&bus), ["01M8BEWE407HD9W8BV0KBFG6HB:2"]);
    }

    #[tokio::test]
    async fn ttl_removals_and_other_items_are_skipped_not_failures() {
        for name in ["remove", "stream-other-items"] {
            let bus = InMemoryPublisher::new();
            let response = StreamHandler::new(bus.clone()).handle(fixture(name)).await;
            assert!(reported(&response).is_empty(), "{name}");
            assert!(bus.published().is_empty(), "{name}");
            assert_eq!(bus.calls(), 0, "{name}: nothing to publish, no call");
            let json = serde_json::to_value(&response).unwrap();
            assert_eq!(json, serde_json::json!({ "batchItemFailures": [] }));
        }
    }

    #[tokio::test]
    async fn a_modify_that_keeps_the_status_publishes_nothing() {
        let order = sample_order();
        let mut record = shipped_of(&order, "1");
        record.change.new_image = image_of(&order);
        let bus = InMemoryPublisher::new();
        let response = StreamHandler::new(bus.clone())
            .handle(batch(vec![record]))
            .await;
        assert!(reported(&response).is_empty());
        assert!(bus.published().is_empty());
    }

    #[tokio::test]
    async fn an_unparseable_order_record_is_reported_with_every_later_record() {
        let bus = InMemoryPublisher::new();
        let response = StreamHandler::new(bus.clone())
            .handle(fixture("stream-corrupt-order"))
            .await;
        assert_eq!(
            reported(&response),
            [
                Some("444400000000004219570001"),
                Some("444400000000004219570002")
            ]
        );
        assert!(bus.published().is_empty());
    }

    #[tokio::test]
    async fn records_before_an_unparseable_one_are_published_and_later_ones_wait() {
        let [a, b, c]: [Order; 3] = orders(3).try_into().unwrap();
        let mut broken = insert_of(&b, "2");
        broken.event_name = "TRUNCATE".into();
        let mut no_old_image = shipped_of(&c, "3");
        no_old_image.change.old_image = Item::from(HashMap::<String, AttributeValue>::new());
        let event = batch(vec![insert_of(&a, "1"), broken, insert_of(&c, "4")]);
        let bus = InMemoryPublisher::new();
        let handler = StreamHandler::new(bus.clone());
        let response = handler.handle(event).await;
        assert_eq!(reported(&response), [Some("2"), Some("4")]);
        assert_eq!(ids(&bus), [OrderEvent::placed(&a).event_id().to_string()]);

        // A MODIFY without both images (wrong stream view type) is a failure, not an insert.
        let response = handler.handle(batch(vec![no_old_image])).await;
        assert_eq!(reported(&response), [Some("3")]);
        assert_eq!(bus.published().len(), 1, "no false OrderPlaced");
    }

    #[tokio::test]
    async fn a_permanent_put_events_failure_reports_its_record_and_the_later_ones() {
        let all = orders(3);
        let events: Vec<OrderEvent> = all.iter().map(OrderEvent::placed).collect();
        let bus = InMemoryPublisher::new();
        bus.fail_next(events[1].event_id(), 1, false);
        let records = vec![
            insert_of(&all[0], "10"),
            first_record("remove"),
            insert_of(&all[1], "11"),
            insert_of(&all[2], "12"),
        ];
        let response = StreamHandler::new(bus.clone()).handle(batch(records)).await;
        assert_eq!(reported(&response), [Some("11"), Some("12")]);
        // Never dropped: the failed event is not in the bus; the others are.
        assert_eq!(
            ids(&bus),
            [
                events[0].event_id().to_string(),
                events[2].event_id().to_string()
            ]
        );
        assert_eq!(
            bus.calls(),
            1,
            "a permanent failure is not retried in the invocation"
        );
    }

    #[tokio::test]
    async fn throttled_entries_are_retried_within_the_invocation() {
        let all = orders(2);
        let bus = InMemoryPublisher::new();
        bus.fail_next(
            OrderEvent::placed(&all[1]).event_id(),
            PUBLISH_ATTEMPTS - 1,
            true,
        );
        let records = vec![insert_of(&all[0], "1"), insert_of(&all[1], "2")];
        let response = StreamHandler::new(bus.clone()).handle(batch(records)).await;
        assert!(reported(&response).is_empty());
        assert_eq!(bus.published().len(), 2);
        assert_eq!(bus.calls(), PUBLISH_ATTEMPTS);
    }

    #[tokio::test]
    async fn entries_still_throttled_after_every_attempt_are_reported() {
        let all = orders(2);
        let bus = InMemoryPublisher::new();
        bus.fail_next(
            OrderEvent::placed(&all[0]).event_id(),
            PUBLISH_ATTEMPTS,
            true,
        );
        let records = vec![insert_of(&all[0], "1"), insert_of(&all[1], "2")];
        let response = StreamHandler::new(bus.clone()).handle(batch(records)).await;
        assert_eq!(reported(&response), [Some("1"), Some("2")]);
        assert_eq!(
            ids(&bus),
            [OrderEvent::placed(&all[1]).event_id().to_string()]
        );
    }

    #[tokio::test]
    async fn a_parse_failure_after_a_publish_failure_reports_from_the_earlier_one() {
        let all = orders(2);
        let bus = InMemoryPublisher::new();
        bus.fail_next(OrderEvent::placed(&all[0]).event_id(), 1, false);
        let mut broken = insert_of(&all[1], "3");
        broken.event_name = "TRUNCATE".into();
        let records = vec![insert_of(&all[0], "1"), insert_of(&all[1], "2"), broken];
        let response = StreamHandler::new(bus.clone()).handle(batch(records)).await;
        assert_eq!(reported(&response), [Some("1"), Some("2"), Some("3")]);
    }

    #[tokio::test]
    async fn a_redelivered_batch_publishes_the_same_event_ids() {
        let all = orders(2);
        let records = || {
            vec![
                insert_of(&all[0], "1"),
                shipped_of(&all[0], "2"),
                insert_of(&all[1], "3"),
            ]
        };
        let bus = InMemoryPublisher::new();
        let shipped_id = orders_domain::EventId::for_change(all[0].id(), 2);
        bus.fail_next(&shipped_id, 1, false);
        let shipped = shipped_id.to_string();
        let handler = StreamHandler::new(bus.clone());
        let first = handler.handle(batch(records())).await;
        assert_eq!(reported(&first), [Some("2"), Some("3")]);
        let second = handler.handle(batch(records())).await;
        assert!(reported(&second).is_empty());
        let published = ids(&bus);
        // First delivery: placed(0), placed(1). Second: all three, with the same ids.
        assert_eq!(published.len(), 5);
        assert_eq!(published[0], published[2]);
        assert_eq!(published[1], published[4]);
        assert_eq!(published[3], shipped);
    }

    #[tokio::test]
    async fn a_failed_record_without_sequence_number_is_reported_as_null() {
        let mut record = first_record("stream-corrupt-order");
        record.change.sequence_number = None;
        let bus = InMemoryPublisher::new();
        let response = StreamHandler::new(bus).handle(batch(vec![record])).await;
        assert_eq!(reported(&response), [None]);
    }

    #[tokio::test]
    async fn handle_event_answers_for_the_payload() {
        let handler = StreamHandler::new(InMemoryPublisher::new());
        let event = LambdaEvent::new(fixture("stream-corrupt-order"), Default::default());
        let response = handler.handle_event(event).await.unwrap();
        assert_eq!(response.batch_item_failures.len(), 2);
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    async fn config(pairs: &[(&str, &str)]) -> Result<Config, InitError> {
        let store = InMemoryStore::new();
        store.put("/orders/dev/bus", "orders-dev-bus");
        let config: Config = load_config_from(&Parameters::new(store), vars(pairs)).await?;
        config.validated()
    }

    #[tokio::test]
    async fn configuration_names_what_is_missing() {
        assert_eq!(
            config(&[("EVENT_BUS_NAME", "orders-local")])
                .await
                .unwrap()
                .event_bus_name,
            "orders-local"
        );
        assert_eq!(
            config(&[("EVENT_BUS_NAME", "ssm:/orders/dev/bus")])
                .await
                .unwrap()
                .event_bus_name,
            "orders-dev-bus"
        );
        let missing = config(&[("ORDERS_TABLE", "x")]).await.unwrap_err();
        assert_eq!(
            missing.to_string(),
            "configuration is invalid: environment variable EVENT_BUS_NAME is not set"
        );
        let empty = config(&[("EVENT_BUS_NAME", "")]).await.unwrap_err();
        assert_eq!(
            empty.to_string(),
            "environment variable EVENT_BUS_NAME is empty"
        );
        assert_eq!(
            format!("{empty:?}"),
            "environment variable EVENT_BUS_NAME is empty",
            "what `main` prints"
        );
        let unresolved = config(&[("EVENT_BUS_NAME", "ssm:/orders/dev/nope")])
            .await
            .unwrap_err();
        assert!(
            unresolved.to_string().contains("EVENT_BUS_NAME"),
            "{unresolved}"
        );
    }
}
