//! Kinesis Data Streams: [`KinesisProcessor`].

use std::fmt::Display;
use std::future::Future;

pub use aws_lambda_events::kinesis::{KinesisEvent, KinesisEventRecord};
pub use aws_lambda_events::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use ferrule_errors::Classify;
use serde::de::DeserializeOwned;

use crate::engine::{self, Policy, Source};
use crate::DecodeError;

/// One Kinesis record with its `data` decoded from JSON into `T`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Record<T> {
    /// The data, decoded (Lambda delivers it base64-encoded; the event type decodes that).
    pub data: T,
    /// The record as Lambda sent it (partition key, arrival time, raw data, ...).
    pub record: KinesisEventRecord,
}

impl<T> Record<T> {
    /// A decoded record, for calling a handler in a test.
    ///
    /// ```
    /// use ferrule_batch::kinesis::{KinesisEventRecord, Record};
    ///
    /// let record = Record::new("reading", KinesisEventRecord::default());
    /// assert_eq!(record.data, "reading");
    /// ```
    pub fn new(data: T, record: KinesisEventRecord) -> Self {
        Self { data, record }
    }

    /// The `sequenceNumber`, the identifier reported when this record fails.
    ///
    /// ```
    /// use ferrule_batch::kinesis::{KinesisEventRecord, Record};
    ///
    /// let mut raw = KinesisEventRecord::default();
    /// raw.kinesis.sequence_number = "4959".into();
    /// assert_eq!(Record::new((), raw).sequence_number(), "4959");
    /// ```
    pub fn sequence_number(&self) -> &str {
        &self.record.kinesis.sequence_number
    }
}

/// Processes a [`KinesisEvent`] record by record and answers with the
/// [`KinesisEventResponse`] (the event source mapping needs `ReportBatchItemFailures`).
///
/// Records are handled one by one, in order. At the first failure the failed record and
/// every later one are reported (by `sequenceNumber`) without being handled: Lambda
/// resumes the shard from the lowest reported sequence number anyway, so handling later
/// records now would apply them before the failed one and again on the retry.
///
/// Data that is not a JSON `T` fails that record only (logged as a `Validation` error,
/// without the data). Data that is not valid base64 is rejected earlier, when the runtime
/// deserialises the event, and fails the whole invocation.
///
/// ```
/// use ferrule_batch::kinesis::{KinesisEvent, KinesisProcessor, Record};
/// use ferrule_errors::FunctionError;
///
/// #[derive(serde::Deserialize)]
/// struct Reading {
///     celsius: f64,
/// }
///
/// async fn store(reading: Record<Reading>) -> Result<(), FunctionError> {
///     if reading.data.celsius < -273.15 {
///         return Err(FunctionError::validation("below absolute zero"));
///     }
///     Ok(())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let event: KinesisEvent = serde_json::from_value(serde_json::json!({ "Records": [
///     { "kinesis": { "data": "eyJjZWxzaXVzIjoyMX0=", "sequenceNumber": "1",
///                    "partitionKey": "s-1", "approximateArrivalTimestamp": 1795681041.5 } },
///     { "kinesis": { "data": "eyJjZWxzaXVzIjotMzAwfQ==", "sequenceNumber": "2",
///                    "partitionKey": "s-1", "approximateArrivalTimestamp": 1795681042.5 } },
/// ]}))?;
/// let response = KinesisProcessor::new().process(event, store).await;
/// assert_eq!(
///     serde_json::to_value(&response)?,
///     serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": "2" }] })
/// );
/// # Ok::<(), serde_json::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KinesisProcessor {
    _options: (),
}

const SOURCE: Source<KinesisEventRecord> = Source {
    name: "aws:kinesis",
    id_field: "sequenceNumber",
    id: |record| Some(record.kinesis.sequence_number.as_str()).filter(|id| !id.is_empty()),
    group: |_| None,
    copy_key: |record| Some(record.kinesis.sequence_number.as_str()).filter(|id| !id.is_empty()),
};

impl KinesisProcessor {
    /// The processor; it has no options yet.
    ///
    /// ```
    /// const PROCESSOR: ferrule_batch::KinesisProcessor = ferrule_batch::KinesisProcessor::new();
    /// # let _ = PROCESSOR;
    /// ```
    pub const fn new() -> Self {
        Self { _options: () }
    }

    /// Decodes each record's data from JSON into `T` and runs `handler` on it; returns the
    /// failed and unprocessed sequence numbers.
    ///
    /// See [`KinesisProcessor`] for an example.
    pub async fn process<T, F, Fut, E>(
        self,
        event: KinesisEvent,
        handler: F,
    ) -> KinesisEventResponse
    where
        T: DeserializeOwned,
        F: Fn(Record<T>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, decode::<T>, handler).await
    }

    /// Runs `handler` on each record as Lambda sent it (for data that is not JSON);
    /// returns the failed and unprocessed sequence numbers.
    ///
    /// ```
    /// use ferrule_batch::kinesis::{KinesisEvent, KinesisEventRecord, KinesisProcessor};
    /// use ferrule_errors::ErrorKind;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let event: KinesisEvent = serde_json::from_value(serde_json::json!({ "Records": [
    ///     { "kinesis": { "data": "AAE=", "sequenceNumber": "7",
    ///                    "approximateArrivalTimestamp": 1795681041.5 } },
    /// ]}))?;
    /// let response = KinesisProcessor::new()
    ///     .process_raw(event, |record: KinesisEventRecord| async move {
    ///         match record.kinesis.data.as_slice() {
    ///             [0, 1] => Ok(()),
    ///             _ => Err(ErrorKind::Validation),
    ///         }
    ///     })
    ///     .await;
    /// assert!(response.batch_item_failures.is_empty());
    /// # Ok::<(), serde_json::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn process_raw<F, Fut, E>(
        self,
        event: KinesisEvent,
        handler: F,
    ) -> KinesisEventResponse
    where
        F: Fn(KinesisEventRecord) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Classify + Display,
    {
        self.run(event, Ok, handler).await
    }

    async fn run<In, D, F, Fut, E>(
        self,
        event: KinesisEvent,
        decode: D,
        handler: F,
    ) -> KinesisEventResponse
    where
        D: Fn(KinesisEventRecord) -> Result<In, DecodeError>,
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
        let mut response = KinesisEventResponse::default();
        response.batch_item_failures = failed
            .into_iter()
            .map(|id| {
                // Non-exhaustive type: build from Default. A record without a sequence
                // number stays null, which Lambda treats as a whole-batch failure.
                let mut failure = KinesisBatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        response
    }
}

fn decode<T: DeserializeOwned>(record: KinesisEventRecord) -> Result<Record<T>, DecodeError> {
    let data = serde_json::from_slice(&record.kinesis.data)
        .map_err(|error| DecodeError::json::<T>("data", &error))?;
    Ok(Record { data, record })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use ferrule_errors::{ErrorKind, FunctionError};
    use serde::Deserialize;

    use crate::test_logs::capture_logs;

    #[derive(Debug, Deserialize)]
    struct OrderStatus {
        #[serde(rename = "orderId")]
        order_id: String,
        status: String,
    }

    /// A Kinesis event as Lambda delivers it: one record of the `ferrule-orders` stream
    /// (data: `{"orderId":"o-1","status":"PLACED"}`), then copies of it with data
    /// `{"orderId":"o-<i>","status":"PLACED"}` and sequence numbers ending in `<i>`.
    fn event(count: usize) -> KinesisEvent {
        let mut event: KinesisEvent = serde_json::from_str(
            r#"{
              "Records": [
                {
                  "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "01JDX6Q8ZK3M4N5P6Q7R8S9T0V",
                    "sequenceNumber": "49590338271490256608559692538361571095921575989136588801",
                    "data": "eyJvcmRlcklkIjoiby0xIiwic3RhdHVzIjoiUExBQ0VEIn0=",
                    "approximateArrivalTimestamp": 1795681041.123
                  },
                  "eventSource": "aws:kinesis",
                  "eventVersion": "1.0",
                  "eventID": "shardId-000000000000:49590338271490256608559692538361571095921575989136588801",
                  "eventName": "aws:kinesis:record",
                  "invokeIdentityArn": "arn:aws:iam::123456789012:role/ferrule-orders-consumer",
                  "awsRegion": "eu-west-1",
                  "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/ferrule-orders"
                }
              ]
            }"#,
        )
        .unwrap();
        let template = event.records[0].clone();
        event.records = (1..=count)
            .map(|i| {
                let mut record = template.clone();
                record.kinesis.sequence_number =
                    format!("4959033827149025660855969253836157109592157598913658880{i}");
                record.kinesis.data.0 =
                    format!(r#"{{"orderId":"o-{i}","status":"PLACED"}}"#).into_bytes();
                record
            })
            .collect();
        event
    }

    fn ids(response: &KinesisEventResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_deref().unwrap_or("<null>"))
            .collect()
    }

    #[tokio::test]
    async fn every_record_is_decoded_in_order() {
        let seen = Mutex::new(Vec::new());
        let response = KinesisProcessor::new()
            .process(event(3), |record: Record<OrderStatus>| {
                seen.lock()
                    .unwrap()
                    .push((record.data.order_id, record.data.status));
                async { Ok::<(), FunctionError>(()) }
            })
            .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            seen.into_inner().unwrap(),
            [
                ("o-1".to_owned(), "PLACED".to_owned()),
                ("o-2".to_owned(), "PLACED".to_owned()),
                ("o-3".to_owned(), "PLACED".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn data_that_is_not_json_stops_the_batch_there() {
        let mut event = event(4);
        event.records[1].kinesis.data.0 = b"ada@example.com".to_vec();
        let handled = Mutex::new(Vec::new());
        let (response, logs) = capture_logs(KinesisProcessor::new().process(
            event,
            |record: Record<OrderStatus>| {
                handled.lock().unwrap().push(record.data.order_id);
                async { Ok::<(), FunctionError>(()) }
            },
        ))
        .await;
        assert_eq!(handled.into_inner().unwrap(), ["o-1"]);
        assert_eq!(
            ids(&response),
            [
                "49590338271490256608559692538361571095921575989136588802",
                "49590338271490256608559692538361571095921575989136588803",
                "49590338271490256608559692538361571095921575989136588804",
            ]
        );
        assert!(logs.contains("the data is not a valid"), "{logs}");
        assert!(logs.contains("error_kind=Validation"), "{logs}");
        assert!(
            !logs.contains("ada@example.com"),
            "the data leaked into the logs: {logs}"
        );
    }

    #[tokio::test]
    async fn a_handler_failure_reports_it_and_every_later_record() {
        let handled = Mutex::new(Vec::new());
        let response = KinesisProcessor::new()
            .process(event(3), |record: Record<OrderStatus>| {
                handled
                    .lock()
                    .unwrap()
                    .push(record.sequence_number().to_owned());
                async move {
                    match record.data.order_id.as_str() {
                        "o-2" => Err(FunctionError::retryable("ledger unavailable")),
                        _ => Ok(()),
                    }
                }
            })
            .await;
        assert_eq!(handled.into_inner().unwrap().len(), 2);
        assert_eq!(
            ids(&response),
            [
                "49590338271490256608559692538361571095921575989136588802",
                "49590338271490256608559692538361571095921575989136588803",
            ]
        );
    }

    #[tokio::test]
    async fn whole_batch_failure_empty_event_and_missing_sequence_number() {
        let response = KinesisProcessor::new()
            .process_raw(event(2), |_| async { Err(ErrorKind::NonRetryable) })
            .await;
        assert_eq!(ids(&response).len(), 2);

        let response = KinesisProcessor::new()
            .process_raw(KinesisEvent::default(), |_| async {
                Err(ErrorKind::NonRetryable)
            })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [] })
        );

        let mut event = event(1);
        event.records[0].kinesis.sequence_number.clear();
        let response = KinesisProcessor::new()
            .process_raw(event, |_| async { Err(ErrorKind::Retryable) })
            .await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": null }] })
        );
    }
}
