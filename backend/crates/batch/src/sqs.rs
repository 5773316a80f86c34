//! SQS standard and FIFO queues: [`SqsProcessor`].

use std::fmt::Display;
use std::future::Future;

pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use ferrule_errors::Classify;
use serde::de::DeserializeOwned;

use crate::engine::{self, Policy, Source};
use crate::DecodeError;

/// One SQS message with its body decoded from JSON into `T`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Message<T> {
    /// The body, decoded.
    pub body: T,
    /// The record as Lambda sent it (attributes, message attributes, ...); its `body`
    /// still holds the raw text.
    pub message: SqsMessage,
}

impl<T> Message<T> {
    /// A decoded message, for calling a handler in a test.
    ///
    /// ```
    /// use ferrule_batch::sqs::{Message, SqsMessage};
    ///
    /// let mut raw = SqsMessage::default();
    /// raw.message_id = Some("m-1".into());
    /// let message = Message::new(42_u32, raw);
    /// assert_eq!(message.message_id(), "m-1");
    /// ```
    pub fn new(body: T, message: SqsMessage) -> Self {
        Self { body, message }
    }

    /// The `messageId`, the identifier reported when this message fails.
    ///
    /// An empty string when Lambda sent none.
    ///
    /// ```
    /// use ferrule_batch::sqs::{Message, SqsMessage};
    ///
    /// assert_eq!(Message::new((), SqsMessage::default()).message_id(), "");
    /// ```
    pub fn message_id(&self) -> &str {
        self.message.message_id.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    /// FIFO semantics when the batch comes from a queue whose ARN ends in `.fifo`.
    Detect,
    /// FIFO semantics whatever the ARN says.
    Fifo,
}

/// Processes an [`SqsEvent`] record by record and answers with the
/// [`SqsBatchResponse`] that lists the failed `messageId`s (the event source mapping
/// needs `ReportBatchItemFailures`).
///
/// * **Standard queues**: every message is handled, up to [`concurrency`](Self::concurrency)
///   at a time (default 1); each failure is reported.
/// * **FIFO queues** (detected from an `eventSourceARN` ending in `.fifo`, or forced with
///   [`SqsProcessor::fifo`]): messages are handled one by one; at the first failure the
///   failed message and every later one are reported without being handled, so no message
///   overtakes one of its group. With [`skip_group_on_error`](Self::skip_group_on_error),
///   only the later messages of the failed message's group are held back.
///
/// A body that does not decode into `T` fails that message only. Every failure is logged
/// at error level with the `messageId` and the error kind, never with the body.
///
/// The processor is `Copy` and its builders are `const`: build it once.
///
/// ```
/// use ferrule_batch::sqs::{Message, SqsEvent, SqsProcessor};
/// use ferrule_errors::FunctionError;
///
/// #[derive(serde::Deserialize)]
/// struct OrderPlaced {
///     #[serde(rename = "orderId")]
///     order_id: String,
/// }
///
/// const PROCESSOR: SqsProcessor = SqsProcessor::new().concurrency(4);
///
/// async fn ship(message: Message<OrderPlaced>) -> Result<(), FunctionError> {
///     if message.body.order_id.is_empty() {
///         return Err(FunctionError::validation("orderId is empty"));
///     }
///     Ok(())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let event: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": [
///     { "messageId": "m-1", "body": "{\"orderId\":\"o-1\"}" },
///     { "messageId": "m-2", "body": "{\"orderId\":\"\"}" },
///     { "messageId": "m-3", "body": "not json" },
/// ]}))?;
/// let response = PROCESSOR.process(event, ship).await;
/// assert_eq!(
///     serde_json::to_value(&response)?,
///     serde_json::json!({ "batchItemFailures": [
///         { "itemIdentifier": "m-2" },
///         { "itemIdentifier": "m-3" },
///     ]})
/// );
/// # Ok::<(), serde_json::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqsProcessor {
    ordering: Ordering,
    concurrency: usize,
    skip_group_on_error: bool,
}

impl Default for SqsProcessor {
    fn default() -> Self {
        Self::new()
    }
}

const SOURCE: Source<SqsMessage> = Source {
    name: "aws:sqs",
    id_field: "messageId",
    id: |message| message.message_id.as_deref(),
    group: |message| message.attributes.get("MessageGroupId").map(String::as_str),
    copy_key: |message| message.body.as_deref(),
};

impl SqsProcessor {
    /// Standard semantics, or FIFO semantics when any record's `eventSourceARN` ends in
    /// `.fifo`; one message at a time.
    ///
    /// ```
    /// let processor = ferrule_batch::SqsProcessor::new();
    /// assert_eq!(processor, ferrule_batch::SqsProcessor::default());
    /// ```
    pub const fn new() -> Self {
        Self {
            ordering: Ordering::Detect,
            concurrency: 1,
            skip_group_on_error: false,
        }
    }

    /// FIFO semantics for every batch, whatever the `eventSourceARN` (useful when the
    /// events are built by hand, without an ARN).
    ///
    /// ```
    /// const PROCESSOR: ferrule_batch::SqsProcessor = ferrule_batch::SqsProcessor::fifo();
    /// # let _ = PROCESSOR;
    /// ```
    pub const fn fifo() -> Self {
        Self {
            ordering: Ordering::Fifo,
            concurrency: 1,
            skip_group_on_error: false,
        }
    }

    /// How many messages of a standard-queue batch are handled at the same time
    /// (default 1; 0 counts as 1). FIFO batches are always handled one by one.
    ///
    /// The handlers run concurrently on the invocation's task (I/O overlaps, they do not
    /// run on other threads), so they may borrow from the caller.
    ///
    /// ```
    /// const PROCESSOR: ferrule_batch::SqsProcessor = ferrule_batch::SqsProcessor::new().concurrency(8);
    /// # let _ = PROCESSOR;
    /// ```
    pub const fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = if concurrency == 0 { 1 } else { concurrency };
        self
    }

    /// For FIFO batches: after a failure, hold back only the later messages of the
    /// failed message's `MessageGroupId` and go on with the other groups (Powertools'
    /// `skip_group_on_error`). Default `false`: everything after the failure is held back.
    ///
    /// ```
    /// const PROCESSOR: ferrule_batch::SqsProcessor =
    ///     ferrule_batch::SqsProcessor::fifo().skip_group_on_error(true);
    /// # let _ = PROCESSOR;
    /// ```
    pub const fn skip_group_on_error(mut self, skip: bool) -> Self {
        self.skip_group_on_error = skip;
        self
    }

    /// Decodes each body from JSON into `T` and runs `handler` on it; returns the failed
    /// `messageId`s. A body that is missing or not a valid `T` is a failure of that
    /// message (logged as a `Validation` error).
    ///
    /// See [`SqsProcessor`] for an example.
    pub async fn process<T, F, Fut, E>(self, event: SqsEvent, handler: F) -> SqsBatchResponse
    where
        T: DeserializeOwned,
        F: Fn(Message<T>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, decode::<T>, handler).await
    }

    /// Runs `handler` on each record as Lambda sent it (raw body included) and returns the
    /// failed `messageId`s: for bodies that are not JSON, or handlers that decode
    /// themselves.
    ///
    /// ```
    /// use ferrule_batch::sqs::{SqsEvent, SqsMessage, SqsProcessor};
    /// use ferrule_errors::FunctionError;
    ///
    /// async fn store_csv_line(message: SqsMessage) -> Result<(), FunctionError> {
    ///     let line = message.body.as_deref().unwrap_or_default();
    ///     match line.split(',').count() {
    ///         3 => Ok(()),
    ///         n => Err(FunctionError::validation(format!("expected 3 columns, found {n}"))),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let event: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": [
    ///     { "messageId": "m-1", "body": "a,b,c" },
    ///     { "messageId": "m-2", "body": "a,b" },
    /// ]}))?;
    /// let response = SqsProcessor::new().process_raw(event, store_csv_line).await;
    /// assert_eq!(response.batch_item_failures.len(), 1);
    /// assert_eq!(response.batch_item_failures[0].item_identifier, "m-2");
    /// # Ok::<(), serde_json::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn process_raw<F, Fut, E>(self, event: SqsEvent, handler: F) -> SqsBatchResponse
    where
        F: Fn(SqsMessage) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, Ok, handler).await
    }

    async fn run<In, D, F, Fut, E>(self, event: SqsEvent, decode: D, handler: F) -> SqsBatchResponse
    where
        D: Fn(SqsMessage) -> Result<In, DecodeError>,
        F: Fn(In) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        let policy = self.policy(&event);
        let failed = engine::run(&SOURCE, event.records, policy, decode, handler).await;
        let mut response = SqsBatchResponse::default();
        // A message without an id is reported as "": Lambda then retries the whole batch
        // rather than deleting a message that failed.
        response.set_failures(failed.into_iter().map(Option::unwrap_or_default));
        response
    }

    fn policy(&self, event: &SqsEvent) -> Policy {
        let fifo = match self.ordering {
            Ordering::Fifo => true,
            Ordering::Detect => event.records.iter().any(|message| {
                message
                    .event_source_arn
                    .as_deref()
                    .is_some_and(|arn| arn.ends_with(".fifo"))
            }),
        };
        match (fifo, self.skip_group_on_error) {
            (false, _) => Policy::Independent {
                concurrency: self.concurrency,
            },
            (true, false) => Policy::StopAtFirstFailure,
            (true, true) => Policy::SkipFailedGroups,
        }
    }
}

fn decode<T: DeserializeOwned>(message: SqsMessage) -> Result<Message<T>, DecodeError> {
    let body = message.body.as_deref().ok_or(DecodeError::MissingBody)?;
    let body =
        serde_json::from_str(body).map_err(|error| DecodeError::json::<T>("body", &error))?;
    Ok(Message { body, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
    use std::sync::Mutex;
    use std::time::Duration;

    use ferrule_errors::{ErrorKind, FunctionError};
    use serde::Deserialize;

    use crate::test_logs::capture_logs;

    #[derive(Debug, Deserialize)]
    struct OrderStatus {
        #[serde(rename = "orderId")]
        order_id: String,
        status: String,
    }

    #[derive(Debug, Deserialize)]
    struct OrderPlaced {
        #[serde(rename = "detail-type")]
        detail_type: String,
        detail: serde_json::Value,
    }

    fn ids(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect()
    }

    /// `count` copies of the fixture's first record, with ids `m-0`, `m-1`, ... and
    /// bodies `{"orderId":"o-<i>","status":"PLACED"}`.
    fn fifo_batch(count: usize) -> SqsEvent {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/fifo").unwrap();
        let template = event.records[0].clone();
        event.records = (0..count)
            .map(|i| {
                let mut message = template.clone();
                message.message_id = Some(format!("m-{i}"));
                message.body = Some(format!(r#"{{"orderId":"o-{i}","status":"PLACED"}}"#));
                message
            })
            .collect();
        event
    }

    #[tokio::test]
    async fn standard_fixture_succeeds_with_the_typed_body() {
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        let seen = Mutex::new(Vec::new());
        let response = SqsProcessor::new()
            .process(event, |message: Message<OrderPlaced>| {
                let seen = &seen;
                async move {
                    assert_eq!(message.body.detail_type, "OrderPlaced");
                    seen.lock().unwrap().push((
                        message.message_id().to_owned(),
                        message.body.detail["orderId"].as_str().unwrap().to_owned(),
                    ));
                    Ok::<(), FunctionError>(())
                }
            })
            .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            seen.into_inner().unwrap(),
            [
                (
                    "059f36b4-87a3-44ab-83d2-661975830a7d".to_owned(),
                    "01M8BEWE407HD9W8BV0KBFG6HB".to_owned()
                ),
                (
                    "2e1424d4-f796-459a-8184-9c92662be6da".to_owned(),
                    "01M8BEX2AB3C4D5E6F7G8H9J0K".to_owned()
                ),
            ]
        );
    }

    #[tokio::test]
    async fn standard_body_that_is_not_json_fails_only_that_message() {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        event.records[0].body = Some("ada@example.com is not JSON".to_owned());
        let handled = AtomicUsize::new(0);
        let (response, logs) = capture_logs(SqsProcessor::new().process(
            event,
            |_: Message<OrderPlaced>| {
                handled.fetch_add(1, AtomicOrdering::SeqCst);
                async { Ok::<(), FunctionError>(()) }
            },
        ))
        .await;
        assert_eq!(ids(&response), ["059f36b4-87a3-44ab-83d2-661975830a7d"]);
        assert_eq!(handled.load(AtomicOrdering::SeqCst), 1);
        assert!(
            logs.contains("059f36b4-87a3-44ab-83d2-661975830a7d"),
            "{logs}"
        );
        assert!(logs.contains("error_kind=Validation"), "{logs}");
        assert!(logs.contains("ERROR"), "{logs}");
        assert!(
            !logs.contains("ada@example.com"),
            "the body leaked into the logs: {logs}"
        );
    }

    #[tokio::test]
    async fn standard_body_of_the_wrong_shape_or_missing_fails_that_message() {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        event.records[0].body = Some(r#"{"orderId":"o-1","status":42}"#.to_owned());
        event.records[1].body = None;
        let (response, logs) = capture_logs(
            SqsProcessor::new().process(event, |_: Message<OrderStatus>| async {
                Ok::<(), FunctionError>(())
            }),
        )
        .await;
        assert_eq!(
            ids(&response),
            [
                "059f36b4-87a3-44ab-83d2-661975830a7d",
                "2e1424d4-f796-459a-8184-9c92662be6da"
            ]
        );
        assert!(logs.contains("the record has no body"), "{logs}");
        assert!(logs.contains("OrderStatus"), "{logs}");
    }

    #[tokio::test]
    async fn handler_errors_are_reported_and_logged_with_their_kind() {
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        let (response, logs) = capture_logs(SqsProcessor::new().process_raw(
            event,
            |message: SqsMessage| async move {
                if message
                    .attributes
                    .get("ApproximateReceiveCount")
                    .map(String::as_str)
                    == Some("3")
                {
                    Err(FunctionError::retryable("payment provider timed out"))
                } else {
                    Ok(())
                }
            },
        ))
        .await;
        assert_eq!(ids(&response), ["2e1424d4-f796-459a-8184-9c92662be6da"]);
        assert!(logs.contains("error_kind=Retryable"), "{logs}");
        assert!(logs.contains("payment provider timed out"), "{logs}");
        assert!(
            logs.contains("record_id=\"2e1424d4-f796-459a-8184-9c92662be6da\""),
            "{logs}"
        );
    }

    #[tokio::test]
    async fn raw_handler_sees_the_raw_body() {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        event.records[1].body = Some("plain text".to_owned());
        let bodies = Mutex::new(Vec::new());
        let response = SqsProcessor::new()
            .process_raw(event, |message: SqsMessage| {
                bodies
                    .lock()
                    .unwrap()
                    .push(message.body.unwrap_or_default());
                async { Ok::<(), ErrorKind>(()) }
            })
            .await;
        assert!(response.batch_item_failures.is_empty());
        let bodies = bodies.into_inner().unwrap();
        assert!(bodies[0].starts_with("{\"version\":\"0\""), "{bodies:?}");
        assert_eq!(bodies[1], "plain text");
    }

    #[tokio::test]
    async fn every_failure_is_reported_when_the_whole_batch_fails() {
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        let response = SqsProcessor::new()
            .process_raw(event, |_| async { Err(ErrorKind::NonRetryable) })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [
                { "itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d" },
                { "itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da" },
            ]})
        );
    }

    #[tokio::test]
    async fn an_empty_event_has_no_failures() {
        let response = SqsProcessor::new()
            .process_raw(SqsEvent::default(), |_| async {
                Err(ErrorKind::NonRetryable)
            })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [] })
        );
    }

    #[tokio::test]
    async fn a_failed_message_without_id_makes_lambda_retry_the_whole_batch() {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        event.records[1].message_id = None;
        let (response, logs) = capture_logs(
            SqsProcessor::new().process_raw(event, |_| async { Err(ErrorKind::Retryable) }),
        )
        .await;
        // AWS documents an empty itemIdentifier as a complete batch failure.
        assert_eq!(ids(&response), ["059f36b4-87a3-44ab-83d2-661975830a7d", ""]);
        assert!(logs.contains("record_id=\"<missing>\""), "{logs}");
        assert!(logs.contains("retry the whole batch"), "{logs}");
    }

    #[tokio::test]
    async fn fifo_fixture_is_detected_and_succeeds() {
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/fifo").unwrap();
        assert_eq!(
            SqsProcessor::new().policy(&event),
            Policy::StopAtFirstFailure
        );
        let statuses = Mutex::new(Vec::new());
        let response = SqsProcessor::new()
            .concurrency(4)
            .process(event, |message: Message<OrderStatus>| {
                statuses.lock().unwrap().push(message.body.status);
                async { Ok::<(), ErrorKind>(()) }
            })
            .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(statuses.into_inner().unwrap(), ["PLACED", "SHIPPED"]);
    }

    #[tokio::test]
    async fn fifo_stops_at_the_first_failure_and_reports_the_rest() {
        let event = fifo_batch(4);
        let handled = Mutex::new(Vec::new());
        let (response, logs) = capture_logs(
            // Concurrency is ignored for FIFO batches.
            SqsProcessor::new()
                .concurrency(4)
                .process(event, |message: Message<OrderStatus>| {
                    let handled = &handled;
                    async move {
                        handled.lock().unwrap().push(message.body.order_id.clone());
                        if message.body.order_id == "o-1" {
                            Err(FunctionError::retryable("inventory service unavailable"))
                        } else {
                            Ok(())
                        }
                    }
                }),
        )
        .await;
        assert_eq!(handled.into_inner().unwrap(), ["o-0", "o-1"]);
        assert_eq!(ids(&response), ["m-1", "m-2", "m-3"]);
        assert!(logs.contains("skipped=2"), "{logs}");
    }

    #[tokio::test]
    async fn fifo_undecodable_body_stops_the_batch_too() {
        let mut event = fifo_batch(3);
        event.records[0].body = Some("{".to_owned());
        let handled = AtomicUsize::new(0);
        let response = SqsProcessor::new()
            .process(event, |_: Message<OrderStatus>| {
                handled.fetch_add(1, AtomicOrdering::SeqCst);
                async { Ok::<(), ErrorKind>(()) }
            })
            .await;
        assert_eq!(handled.load(AtomicOrdering::SeqCst), 0);
        assert_eq!(ids(&response), ["m-0", "m-1", "m-2"]);
    }

    #[tokio::test]
    async fn fifo_is_forced_without_an_arn() {
        let mut event = fifo_batch(3);
        for message in &mut event.records {
            message.event_source_arn = None;
        }
        assert!(matches!(
            SqsProcessor::new().policy(&event),
            Policy::Independent { .. }
        ));
        let response = SqsProcessor::fifo()
            .process_raw(event, |message: SqsMessage| async move {
                match message.message_id.as_deref() {
                    Some("m-0") => Err(ErrorKind::Retryable),
                    _ => Ok(()),
                }
            })
            .await;
        assert_eq!(ids(&response), ["m-0", "m-1", "m-2"]);
    }

    #[tokio::test]
    async fn fifo_skip_group_on_error_holds_back_only_the_failed_group() {
        let mut event = fifo_batch(4);
        for (message, group) in event.records.iter_mut().zip(["g1", "g2", "g1", "g2"]) {
            message
                .attributes
                .insert("MessageGroupId".to_owned(), group.to_owned());
        }
        let handled = Mutex::new(Vec::new());
        let response = SqsProcessor::new()
            .skip_group_on_error(true)
            .process_raw(event, |message: SqsMessage| {
                let id = message.message_id.unwrap_or_default();
                handled.lock().unwrap().push(id.clone());
                async move {
                    if id == "m-0" {
                        Err(ErrorKind::Retryable)
                    } else {
                        Ok(())
                    }
                }
            })
            .await;
        assert_eq!(handled.into_inner().unwrap(), ["m-0", "m-1", "m-3"]);
        assert_eq!(ids(&response), ["m-0", "m-2"]);
    }

    #[tokio::test]
    async fn skip_group_on_error_changes_nothing_for_standard_queues() {
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        let processor = SqsProcessor::new().skip_group_on_error(true).concurrency(3);
        assert_eq!(
            processor.policy(&event),
            Policy::Independent { concurrency: 3 }
        );
    }

    /// Eight messages, four at a time, the 3rd and 6th failing; later messages finish
    /// first (shorter sleeps) so completion order differs from record order.
    #[tokio::test(start_paused = true)]
    async fn standard_concurrency_is_bounded_and_failures_keep_record_order() {
        let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
        let template = event.records[0].clone();
        event.records = (0..8)
            .map(|i| {
                let mut message = template.clone();
                message.message_id = Some(format!("m-{i}"));
                message.body = Some(format!(r#"{{"orderId":"o-{i}","status":"PLACED"}}"#));
                message
            })
            .collect();

        let in_flight = AtomicUsize::new(0);
        let most_in_flight = AtomicUsize::new(0);
        let finished = Mutex::new(Vec::new());
        let response = SqsProcessor::new()
            .concurrency(4)
            .process(event, |message: Message<OrderStatus>| {
                let (in_flight, most_in_flight, finished) =
                    (&in_flight, &most_in_flight, &finished);
                async move {
                    let now = in_flight.fetch_add(1, AtomicOrdering::SeqCst) + 1;
                    most_in_flight.fetch_max(now, AtomicOrdering::SeqCst);
                    let index: u64 = message
                        .body
                        .order_id
                        .trim_start_matches("o-")
                        .parse()
                        .unwrap();
                    tokio::time::sleep(Duration::from_millis(100 - index * 10)).await;
                    in_flight.fetch_sub(1, AtomicOrdering::SeqCst);
                    finished.lock().unwrap().push(index);
                    match index {
                        2 | 5 => Err(FunctionError::retryable(format!("order {index} failed"))),
                        _ => Ok(()),
                    }
                }
            })
            .await;
        assert_eq!(most_in_flight.load(AtomicOrdering::SeqCst), 4);
        let finished = finished.into_inner().unwrap();
        assert_eq!(finished.len(), 8);
        assert_ne!(
            finished,
            (0..8).collect::<Vec<_>>(),
            "completion order should differ"
        );
        assert_eq!(ids(&response), ["m-2", "m-5"]);
    }

    #[tokio::test]
    async fn default_concurrency_handles_one_message_at_a_time() {
        let event = {
            let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
            event.records.extend(event.records.clone());
            event
        };
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let response = SqsProcessor::new()
            .process_raw(event, |_| {
                let (in_flight, most) = (&in_flight, &most);
                async move {
                    let now = in_flight.fetch_add(1, AtomicOrdering::SeqCst) + 1;
                    most.fetch_max(now, AtomicOrdering::SeqCst);
                    tokio::task::yield_now().await;
                    in_flight.fetch_sub(1, AtomicOrdering::SeqCst);
                    Ok::<(), ErrorKind>(())
                }
            })
            .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(most.load(AtomicOrdering::SeqCst), 1);
    }

    #[test]
    fn processing_future_is_send_for_send_handlers() {
        fn assert_send<T: Send>(_: &T) {}
        async fn handler(_: Message<HashMap<String, String>>) -> Result<(), FunctionError> {
            Ok(())
        }
        let future = SqsProcessor::new()
            .concurrency(2)
            .process(SqsEvent::default(), handler);
        assert_send(&future);
    }
}
