//! DynamoDB Streams: [`DynamoDbProcessor`].

use std::fmt::{self, Display};
use std::future::Future;
use std::str::FromStr;

pub use aws_lambda_events::dynamodb::{Event, EventRecord};
pub use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use ferrule_errors::Classify;
use serde::de::DeserializeOwned;
use serde_dynamo::Item;

use crate::engine::{self, Policy, Source};
use crate::DecodeError;

/// The `eventName` of a stream record: what happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A new item was put (`INSERT`).
    Insert,
    /// An existing item was updated or replaced (`MODIFY`).
    Modify,
    /// An item was deleted, by a call or by TTL expiry (`REMOVE`).
    Remove,
}

impl Operation {
    /// The name as the stream writes it.
    ///
    /// ```
    /// assert_eq!(ferrule_batch::dynamodb::Operation::Modify.as_str(), "MODIFY");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Insert => "INSERT",
            Operation::Modify => "MODIFY",
            Operation::Remove => "REMOVE",
        }
    }
}

impl Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = DecodeError;

    /// ```
    /// use ferrule_batch::dynamodb::Operation;
    ///
    /// assert_eq!("REMOVE".parse::<Operation>(), Ok(Operation::Remove));
    /// assert!("TRUNCATE".parse::<Operation>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "INSERT" => Ok(Operation::Insert),
            "MODIFY" => Ok(Operation::Modify),
            "REMOVE" => Ok(Operation::Remove),
            other => Err(DecodeError::UnknownEventName(other.to_owned())),
        }
    }
}

/// One stream record with its images decoded into `T`.
///
/// An image is `None` when the record does not carry it: no `OldImage` on INSERT, no
/// `NewImage` on REMOVE, neither on a `KEYS_ONLY` stream. The images are moved out of
/// [`record`](Self::record), whose `change.new_image` and `change.old_image` are therefore
/// empty; `change.keys` and the other fields are as Lambda sent them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Change<T> {
    /// INSERT, MODIFY or REMOVE.
    pub operation: Operation,
    /// The item after the change (`NewImage`).
    pub new_image: Option<T>,
    /// The item before the change (`OldImage`).
    pub old_image: Option<T>,
    /// The record as Lambda sent it, without its images.
    pub record: EventRecord,
}

impl<T> Change<T> {
    /// A decoded change, for calling a handler in a test.
    ///
    /// ```
    /// use ferrule_batch::dynamodb::{Change, EventRecord, Operation};
    ///
    /// let change = Change::new(Operation::Insert, Some("new"), None, EventRecord::default());
    /// assert_eq!(change.new_image, Some("new"));
    /// ```
    pub fn new(
        operation: Operation,
        new_image: Option<T>,
        old_image: Option<T>,
        record: EventRecord,
    ) -> Self {
        Self {
            operation,
            new_image,
            old_image,
            record,
        }
    }

    /// The `SequenceNumber`, the identifier reported when this record fails (empty when
    /// the record has none).
    ///
    /// ```
    /// use ferrule_batch::dynamodb::{Change, EventRecord, Operation};
    ///
    /// let mut record = EventRecord::default();
    /// record.change.sequence_number = Some("111".into());
    /// let change = Change::<()>::new(Operation::Remove, None, None, record);
    /// assert_eq!(change.sequence_number(), "111");
    /// ```
    pub fn sequence_number(&self) -> &str {
        self.record
            .change
            .sequence_number
            .as_deref()
            .unwrap_or_default()
    }

    /// The `Keys` decoded into `K` (a struct with the partition and sort key attributes).
    ///
    /// ```
    /// use ferrule_batch::dynamodb::{Change, EventRecord, Operation};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Key { pk: String }
    ///
    /// let record: EventRecord = serde_json::from_value(serde_json::json!({
    ///     "awsRegion": "eu-west-1", "eventID": "1", "eventName": "REMOVE",
    ///     "dynamodb": { "Keys": { "pk": { "S": "ORDER#1" } }, "SizeBytes": 20 }
    /// }))?;
    /// let change = Change::<()>::new(Operation::Remove, None, None, record);
    /// assert_eq!(change.keys::<Key>()?.pk, "ORDER#1");
    /// assert!(change.keys::<u32>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys<K: DeserializeOwned>(&self) -> Result<K, DecodeError> {
        // serde_dynamo decodes owned items only; keys are a few small attributes.
        serde_dynamo::from_item(self.record.change.keys.clone())
            .map_err(|error| DecodeError::payload::<K>("Keys", &error.to_string()))
    }
}

/// Processes a DynamoDB Streams [`Event`] record by record and answers with the
/// [`DynamoDbEventResponse`] (the event source mapping needs `ReportBatchItemFailures`).
///
/// Records are handled one by one, in order. At the first failure the failed record and
/// every later one are reported (by `SequenceNumber`) without being handled: Lambda
/// resumes the shard from the lowest reported sequence number anyway, so handling later
/// records now would only apply them before the failed one and again on the retry.
///
/// A record whose `eventName` is unknown or whose image does not decode into `T` is a
/// failure of that record, logged as a `Validation` error without its content. Images are
/// decoded with [`serde_dynamo`] (the representation `aws_lambda_events` uses), so `T`
/// is a plain serde type: `{"S": "x"}` → `String`, `{"N": "1"}` → any number,
/// `{"M": ...}` → a struct or map, `{"L": [...]}` → a `Vec`.
///
/// Every record of a table reaches the function: with several entity types in one table,
/// make `T` an enum (for example `#[serde(tag = "type")]`) or use
/// [`process_raw`](Self::process_raw), or one unexpected item blocks its shard until the
/// mapping's retry limit. Fields added to `T` later should be `Option` or
/// `#[serde(default)]`, or the old images of existing items stop decoding.
///
/// ```
/// use ferrule_batch::dynamodb::{Change, DynamoDbProcessor, Event, Operation};
/// use ferrule_errors::FunctionError;
///
/// #[derive(serde::Deserialize)]
/// struct Order {
///     status: String,
/// }
///
/// async fn notify(change: Change<Order>) -> Result<(), FunctionError> {
///     match (change.operation, change.old_image, change.new_image) {
///         (Operation::Modify, Some(old), Some(new)) if old.status != new.status => Ok(()),
///         _ => Ok(()),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let event: Event = serde_json::from_value(serde_json::json!({ "Records": [{
///     "awsRegion": "eu-west-1", "eventID": "1", "eventName": "INSERT",
///     "dynamodb": {
///         "Keys": { "pk": { "S": "ORDER#1" } },
///         "NewImage": { "pk": { "S": "ORDER#1" }, "status": { "N": "7" } },
///         "SequenceNumber": "111", "SizeBytes": 40
///     }
/// }]}))?;
/// // `status` is a number, not a string: the record fails, nothing panics.
/// let response = DynamoDbProcessor::new().process(event, notify).await;
/// assert_eq!(
///     serde_json::to_value(&response)?,
///     serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": "111" }] })
/// );
/// # Ok::<(), serde_json::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DynamoDbProcessor {
    _options: (),
}

const SOURCE: Source<EventRecord> = Source {
    name: "aws:dynamodb",
    id_field: "SequenceNumber",
    id: |record| record.change.sequence_number.as_deref(),
    group: |_| None,
    copy_key: |record| record.change.sequence_number.as_deref(),
};

impl DynamoDbProcessor {
    /// The processor; it has no options yet.
    ///
    /// ```
    /// const PROCESSOR: ferrule_batch::DynamoDbProcessor = ferrule_batch::DynamoDbProcessor::new();
    /// # let _ = PROCESSOR;
    /// ```
    pub const fn new() -> Self {
        Self { _options: () }
    }

    /// Decodes each record's `eventName` and images into a [`Change<T>`] and runs
    /// `handler` on it; returns the failed and unprocessed sequence numbers.
    ///
    /// See [`DynamoDbProcessor`] for an example.
    pub async fn process<T, F, Fut, E>(self, event: Event, handler: F) -> DynamoDbEventResponse
    where
        T: DeserializeOwned,
        F: Fn(Change<T>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, decode::<T>, handler).await
    }

    /// Runs `handler` on each record as Lambda sent it (attribute values untouched);
    /// returns the failed and unprocessed sequence numbers.
    ///
    /// ```
    /// use ferrule_batch::dynamodb::{DynamoDbProcessor, Event, EventRecord};
    /// use ferrule_errors::ErrorKind;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let event: Event = serde_json::from_value(serde_json::json!({ "Records": [{
    ///     "awsRegion": "eu-west-1", "eventID": "1", "eventName": "REMOVE",
    ///     "dynamodb": { "SequenceNumber": "111", "SizeBytes": 10 }
    /// }]}))?;
    /// let response = DynamoDbProcessor::new()
    ///     .process_raw(event, |record: EventRecord| async move {
    ///         if record.change.keys.is_empty() { Err(ErrorKind::Validation) } else { Ok(()) }
    ///     })
    ///     .await;
    /// assert_eq!(response.batch_item_failures[0].item_identifier.as_deref(), Some("111"));
    /// # Ok::<(), serde_json::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn process_raw<F, Fut, E>(self, event: Event, handler: F) -> DynamoDbEventResponse
    where
        F: Fn(EventRecord) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, Ok, handler).await
    }

    async fn run<In, D, F, Fut, E>(
        self,
        event: Event,
        decode: D,
        handler: F,
    ) -> DynamoDbEventResponse
    where
        D: Fn(EventRecord) -> Result<In, DecodeError>,
        F: Fn(In) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        let failed = engine::run(
            &SOURCE,
            event.records,
            Policy::StopAtFirstFailure,
            decode,
            handler,
        )
        .await;
        let mut response = DynamoDbEventResponse::default();
        response.batch_item_failures = failures(failed);
        response
    }
}

/// A stream batch read in order, for a handler that acts on the whole batch at once (one
/// `PutEvents` call for every record, say) instead of record by record.
///
/// [`DynamoDbProcessor::read_in_order`] turns each record into at most one item and stops at
/// the first record it cannot read; the handler then acts on [`items`](Self::items) and names
/// the items that failed to [`respond`](Self::respond), which reports the earliest failed
/// record and every later one, so nothing overtakes a failure.
#[derive(Debug)]
pub struct InOrder<T> {
    /// Sequence number of every record, in the order Lambda sent them.
    ids: Vec<Option<String>>,
    /// The items read, in record order.
    items: Vec<T>,
    /// For each item, the position of the record it came from.
    positions: Vec<usize>,
    /// Position of the first record that could not be read.
    first_unread: Option<usize>,
}

impl<T> InOrder<T> {
    /// The items read, in record order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The response after the handler acted on the items: `failed` are indices into
    /// [`items`](Self::items) that did not go through. An index past the end names no item:
    /// the whole batch is reported (it cannot be placed, so nothing is lost).
    pub fn respond(self, failed: impl IntoIterator<Item = usize>) -> DynamoDbEventResponse {
        let mut first = self.first_unread;
        for index in failed {
            let position = self.positions.get(index).copied().unwrap_or(0);
            first = Some(first.map_or(position, |earliest| earliest.min(position)));
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(first) = first {
            response.batch_item_failures = failures(self.ids.into_iter().skip(first).collect());
        }
        response
    }
}

fn failures(ids: Vec<Option<String>>) -> Vec<DynamoDbBatchItemFailure> {
    ids.into_iter()
        .map(|id| {
            // The type is non-exhaustive: build from Default. A missing sequence number
            // stays null, which Lambda treats as a whole-batch failure.
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect()
}

/// A record with its position in the batch, so that [`InOrder`] can place what it reads.
struct Positioned(usize, EventRecord);

const POSITIONED: Source<Positioned> = Source {
    name: SOURCE.name,
    id_field: SOURCE.id_field,
    id: |record| (SOURCE.id)(&record.1),
    group: |_| None,
    copy_key: |record| (SOURCE.copy_key)(&record.1),
};

impl DynamoDbProcessor {
    /// Reads each record, in order, with `read` (`Ok(None)`: the record means nothing to
    /// this handler), stopping at the first it cannot read; failures are logged as
    /// [`process`](Self::process) logs them, and a record repeated in the batch is read once.
    ///
    /// ```
    /// use ferrule_batch::dynamodb::{DynamoDbProcessor, Event, EventRecord};
    /// use ferrule_errors::ErrorKind;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let event: Event = serde_json::from_value(serde_json::json!({ "Records": [
    ///     { "awsRegion": "eu-west-1", "eventID": "1", "eventName": "INSERT",
    ///       "dynamodb": { "SequenceNumber": "1", "SizeBytes": 1 } },
    ///     { "awsRegion": "eu-west-1", "eventID": "2", "eventName": "INSERT",
    ///       "dynamodb": { "SequenceNumber": "2", "SizeBytes": 1 } },
    ///     { "awsRegion": "eu-west-1", "eventID": "3", "eventName": "INSERT",
    ///       "dynamodb": { "SequenceNumber": "3", "SizeBytes": 1 } }
    /// ]}))?;
    /// let batch = DynamoDbProcessor::new()
    ///     .read_in_order(event, |record: EventRecord| {
    ///         Ok::<_, ErrorKind>(record.change.sequence_number)
    ///     })
    ///     .await;
    /// assert_eq!(batch.items().len(), 3);
    /// // Acting on all three at once, the second failed: it and the third are retried.
    /// let response = batch.respond([1]);
    /// let retried: Vec<_> = response.batch_item_failures.iter()
    ///     .map(|f| f.item_identifier.as_deref()).collect();
    /// assert_eq!(retried, [Some("2"), Some("3")]);
    /// # Ok::<(), serde_json::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_in_order<T, F, E>(self, event: Event, read: F) -> InOrder<T>
    where
        F: Fn(EventRecord) -> Result<Option<T>, E>,
        E: Classify + Display,
    {
        let ids: Vec<Option<String>> = event
            .records
            .iter()
            .map(|record| record.change.sequence_number.clone())
            .collect();
        let records = event
            .records
            .into_iter()
            .enumerate()
            .map(|(position, record)| Positioned(position, record))
            .collect();
        // The engine runs one record at a time, in order; the cells only carry its results out.
        let items = std::cell::RefCell::new(Vec::new());
        let positions = std::cell::RefCell::new(Vec::new());
        let first_unread = std::cell::Cell::new(None);
        engine::run(
            &POSITIONED,
            records,
            Policy::StopAtFirstFailure,
            Ok,
            |Positioned(position, record)| {
                let outcome = match read(record) {
                    Ok(Some(item)) => {
                        items.borrow_mut().push(item);
                        positions.borrow_mut().push(position);
                        Ok(())
                    }
                    Ok(None) => Ok(()),
                    Err(error) => {
                        first_unread.set(Some(position));
                        Err(error)
                    }
                };
                std::future::ready(outcome)
            },
        )
        .await;
        InOrder {
            ids,
            items: items.into_inner(),
            positions: positions.into_inner(),
            first_unread: first_unread.get(),
        }
    }
}

fn decode<T: DeserializeOwned>(mut record: EventRecord) -> Result<Change<T>, DecodeError> {
    let operation = record.event_name.parse()?;
    let new_image = image("NewImage", std::mem::take(&mut record.change.new_image))?;
    let old_image = image("OldImage", std::mem::take(&mut record.change.old_image))?;
    Ok(Change {
        operation,
        new_image,
        old_image,
        record,
    })
}

/// `aws_lambda_events` reads an absent or null image as an empty item.
fn image<T: DeserializeOwned>(part: &'static str, item: Item) -> Result<Option<T>, DecodeError> {
    if item.is_empty() {
        return Ok(None);
    }
    serde_dynamo::from_item(item)
        .map(Some)
        .map_err(|error| DecodeError::payload::<T>(part, &error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use ferrule_errors::{ErrorKind, FunctionError};
    use serde::Deserialize;

    use crate::test_logs::capture_logs;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        pk: String,
        sk: String,
        status: String,
        version: Option<u32>,
        #[serde(rename = "totalCents")]
        total_cents: Option<u64>,
        #[serde(default)]
        items: Vec<LineItem>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct LineItem {
        sku: String,
        quantity: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Key {
        pk: String,
        sk: String,
    }

    fn fixture(name: &str) -> Event {
        ferrule_testkit::fixture_as(&format!("dynamodb-stream/{name}")).unwrap()
    }

    /// INSERT, MODIFY and REMOVE in one batch, as a shard would deliver them.
    fn all_three() -> Event {
        let mut event = fixture("insert");
        event.records.extend(fixture("modify").records);
        event.records.extend(fixture("remove").records);
        event
    }

    fn ids(response: &DynamoDbEventResponse) -> Vec<Option<&str>> {
        response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_deref())
            .collect()
    }

    async fn collect(event: Event) -> (DynamoDbEventResponse, Vec<Change<Row>>) {
        let changes = Mutex::new(Vec::new());
        let response = DynamoDbProcessor::new()
            .process(event, |change: Change<Row>| {
                changes.lock().unwrap().push(change);
                async { Ok::<(), FunctionError>(()) }
            })
            .await;
        (response, changes.into_inner().unwrap())
    }

    #[tokio::test]
    async fn insert_has_the_new_image_and_keys() {
        let (response, changes) = collect(fixture("insert")).await;
        assert!(response.batch_item_failures.is_empty());
        let [change] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(change.operation, Operation::Insert);
        assert!(change.old_image.is_none());
        let new = change.new_image.as_ref().unwrap();
        assert_eq!(new.status, "PLACED");
        assert_eq!(new.total_cents, Some(6499));
        assert_eq!(
            new.items,
            [
                LineItem {
                    sku: "BOOK-RUST-2021".into(),
                    quantity: 1
                },
                LineItem {
                    sku: "MUG-FERRIS".into(),
                    quantity: 2
                },
            ]
        );
        assert_eq!(
            change.keys::<Key>().unwrap(),
            Key {
                pk: "CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d".into(),
                sk: "ORDER#01M8BEWE407HD9W8BV0KBFG6HB".into()
            }
        );
        assert_eq!(change.sequence_number(), "111100000000004219567421");
        assert!(
            change.record.change.new_image.is_empty(),
            "images are moved out"
        );
    }

    #[tokio::test]
    async fn modify_has_both_images() {
        let (response, changes) = collect(fixture("modify")).await;
        assert!(response.batch_item_failures.is_empty());
        let [change] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(change.operation, Operation::Modify);
        assert_eq!(change.old_image.as_ref().unwrap().status, "PLACED");
        assert_eq!(change.new_image.as_ref().unwrap().status, "SHIPPED");
        assert_eq!(change.new_image.as_ref().unwrap().version, Some(2));
    }

    #[tokio::test]
    async fn remove_has_the_old_image_only() {
        let (response, changes) = collect(fixture("remove")).await;
        assert!(response.batch_item_failures.is_empty());
        let [change] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(change.operation, Operation::Remove);
        assert!(change.new_image.is_none());
        let old = change.old_image.as_ref().unwrap();
        assert_eq!(old.sk, "IDEMPOTENCY");
        assert!(old.pk.starts_with("IDEMPOTENCY#"));
        let identity = change.record.user_identity.as_ref().unwrap();
        assert_eq!(identity.principal_id, "dynamodb.amazonaws.com");
    }

    #[tokio::test]
    async fn a_failure_stops_the_batch_and_reports_the_rest() {
        let handled = Mutex::new(Vec::new());
        let (response, logs) = capture_logs(DynamoDbProcessor::new().process(
            all_three(),
            |change: Change<Row>| {
                handled.lock().unwrap().push(change.operation);
                async move {
                    if change.operation == Operation::Modify {
                        Err(FunctionError::retryable("search index unavailable"))
                    } else {
                        Ok(())
                    }
                }
            },
        ))
        .await;
        assert_eq!(
            handled.into_inner().unwrap(),
            [Operation::Insert, Operation::Modify]
        );
        assert_eq!(
            ids(&response),
            [
                Some("222200000000004219568840"),
                Some("333300000000004219569991")
            ]
        );
        assert!(
            logs.contains("record_id=\"222200000000004219568840\""),
            "{logs}"
        );
        assert!(logs.contains("error_kind=Retryable"), "{logs}");
        assert!(logs.contains("skipped=1"), "{logs}");
    }

    #[tokio::test]
    async fn an_image_that_does_not_decode_fails_the_record_without_logging_it() {
        let mut event = all_three();
        // The INSERT's version no longer fits a u32; serde_dynamo's message quotes it.
        let mut bad: serde_json::Value = serde_json::to_value(&event.records[0]).unwrap();
        bad["dynamodb"]["NewImage"]["version"] = serde_json::json!({ "N": "0612345678901" });
        event.records[0] = serde_json::from_value(bad).unwrap();
        let handled = Mutex::new(0);
        let (response, logs) =
            capture_logs(DynamoDbProcessor::new().process(event, |_: Change<Row>| {
                *handled.lock().unwrap() += 1;
                async { Ok::<(), ErrorKind>(()) }
            }))
            .await;
        assert_eq!(*handled.lock().unwrap(), 0);
        assert_eq!(ids(&response).len(), 3);
        assert_eq!(ids(&response)[0], Some("111100000000004219567421"));
        assert!(logs.contains("NewImage"), "{logs}");
        assert!(logs.contains("error_kind=Validation"), "{logs}");
        assert!(
            !logs.contains("0612345678901"),
            "the image leaked into the logs: {logs}"
        );
        assert!(
            !logs.contains("1a2b3c4d"),
            "the image leaked into the logs: {logs}"
        );
    }

    #[tokio::test]
    async fn an_old_image_that_does_not_decode_fails_the_record() {
        let mut event = fixture("remove");
        event.records[0].change.old_image.remove("status");
        let (response, logs) = capture_logs(collect(event)).await;
        assert_eq!(ids(&response.0), [Some("333300000000004219569991")]);
        assert!(response.1.is_empty());
        assert!(logs.contains("OldImage"), "{logs}");
        assert!(logs.contains("missing field `status`"), "{logs}");
    }

    #[tokio::test]
    async fn an_unknown_event_name_fails_the_record() {
        let mut event = fixture("insert");
        event.records[0].event_name = "TRUNCATE".into();
        let (response, logs) = capture_logs(collect(event)).await;
        assert_eq!(ids(&response.0), [Some("111100000000004219567421")]);
        assert!(logs.contains("unknown eventName `TRUNCATE`"), "{logs}");
    }

    #[tokio::test]
    async fn keys_that_do_not_decode_are_an_error_for_the_handler() {
        let (_, changes) = collect(fixture("insert")).await;
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct NumericKey {
            pk: u64,
        }
        let error = changes[0].keys::<NumericKey>().unwrap_err();
        assert!(
            matches!(error, DecodeError::Payload { part: "Keys", .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("ORDER#"), "{error}");
    }

    #[tokio::test]
    async fn every_record_failing_is_reported_and_an_empty_event_is_not() {
        let response = DynamoDbProcessor::new()
            .process_raw(all_three(), |_| async { Err(ErrorKind::NonRetryable) })
            .await;
        assert_eq!(ids(&response).len(), 3);
        assert_eq!(
            serde_json::to_value(&response).unwrap()["batchItemFailures"][2],
            serde_json::json!({ "itemIdentifier": "333300000000004219569991" })
        );

        let response = DynamoDbProcessor::new()
            .process_raw(Event::default(), |_| async { Err(ErrorKind::NonRetryable) })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [] })
        );
    }

    #[tokio::test]
    async fn a_failed_record_without_sequence_number_is_reported_as_null() {
        let mut event = fixture("insert");
        event.records[0].change.sequence_number = None;
        let response = DynamoDbProcessor::new()
            .process_raw(event, |_| async { Err(ErrorKind::Retryable) })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": null }] })
        );
    }

    /// Reads the event name of each record; `REMOVE` means nothing, `bad` cannot be read.
    fn read_name(record: EventRecord) -> Result<Option<String>, ErrorKind> {
        match record.event_name.as_str() {
            "bad" => Err(ErrorKind::Validation),
            "REMOVE" => Ok(None),
            name => Ok(Some(format!(
                "{name}:{}",
                record.change.sequence_number.unwrap_or_default()
            ))),
        }
    }

    #[tokio::test]
    async fn read_in_order_keeps_record_positions_for_the_response() {
        let event = all_three();
        let sequence: Vec<_> = event
            .records
            .iter()
            .map(|r| r.change.sequence_number.clone())
            .collect();
        let batch = DynamoDbProcessor::new()
            .read_in_order(event, read_name)
            .await;
        // REMOVE means nothing to this reader: two items from three records.
        assert_eq!(batch.items().len(), 2);
        // The second item (the MODIFY record) failed: it and every later record are retried.
        let response = batch.respond([1]);
        let expected: Vec<Option<&str>> = sequence[1..].iter().map(|s| s.as_deref()).collect();
        assert_eq!(ids(&response), expected);
    }

    #[tokio::test]
    async fn read_in_order_stops_at_the_first_unreadable_record() {
        let mut event = all_three();
        event.records[1].event_name = "bad".into();
        let third = event.records[2].change.sequence_number.clone();
        let second = event.records[1].change.sequence_number.clone();
        let (batch, logs) =
            capture_logs(DynamoDbProcessor::new().read_in_order(event, read_name)).await;
        // Only the first record was read; nothing after the unreadable one.
        assert_eq!(batch.items().len(), 1);
        let response = batch.respond([]);
        assert_eq!(ids(&response), [second.as_deref(), third.as_deref()]);
        assert!(logs.contains("batch record failed"), "{logs}");
    }

    #[tokio::test]
    async fn read_in_order_reads_a_repeated_record_once_and_places_later_failures_right() {
        let mut event = fixture("insert");
        let copy = event.records[0].clone();
        event.records.push(copy);
        event.records.extend(fixture("modify").records);
        let last = event.records[2].change.sequence_number.clone();
        let batch = DynamoDbProcessor::new()
            .read_in_order(event, read_name)
            .await;
        // The INSERT once, then the MODIFY: the copy is not read again.
        assert_eq!(batch.items().len(), 2);
        // The MODIFY item failed: its record (position 2, after the copy) is the first retried.
        assert_eq!(ids(&batch.respond([1])), [last.as_deref()]);
    }

    #[tokio::test]
    async fn an_item_index_that_names_no_item_retries_the_whole_batch() {
        let event = all_three();
        let batch = DynamoDbProcessor::new()
            .read_in_order(event, read_name)
            .await;
        assert_eq!(batch.respond([7]).batch_item_failures.len(), 3);
    }

    #[test]
    fn operation_names_round_trip() {
        for operation in [Operation::Insert, Operation::Modify, Operation::Remove] {
            assert_eq!(operation.to_string().parse::<Operation>(), Ok(operation));
        }
        assert_eq!(
            "insert".parse::<Operation>(),
            Err(DecodeError::UnknownEventName("insert".into()))
        );
    }
}
