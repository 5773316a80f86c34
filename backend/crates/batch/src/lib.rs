//! Partial batch failure processing: Powertools' `BatchProcessor`,
//! `SqsFifoPartialProcessor` and `process_partial_response`, for Rust.
//!
//! With `ReportBatchItemFailures` on the event source mapping, a function that consumes
//! SQS, DynamoDB Streams or Kinesis answers with the records that failed, and Lambda
//! retries only those (an SQS message that keeps failing ends in the queue's DLQ). A
//! processor takes the event and an async handler for one record, runs the handler on
//! each record and builds that answer:
//!
//! | source              | processor               | handler input               | reported by      |
//! |---------------------|-------------------------|-----------------------------|------------------|
//! | SQS standard / FIFO | [`SqsProcessor`]        | [`sqs::Message<T>`]         | `messageId`      |
//! | DynamoDB Streams    | [`DynamoDbProcessor`]   | [`dynamodb::Change<T>`]     | `SequenceNumber` |
//! | Kinesis             | [`KinesisProcessor`]    | [`kinesis::Record<T>`]      | `sequenceNumber` |
//!
//! `T` is decoded for the handler (SQS body and Kinesis data as JSON, DynamoDB images with
//! `serde_dynamo`); a record that does not decode is a failure of that record, never a
//! panic. `process_raw` hands over the record as Lambda sent it instead. The handler
//! returns `Result<(), E>` where `E` is [`Classify`](ferrule_errors::Classify) and
//! `Display` (a domain error, or [`FunctionError`](ferrule_errors::FunctionError)); each
//! failure is logged at error level with the record id, the error kind and the error,
//! never with the payload.
//!
//! ```no_run
//! use ferrule_batch::sqs::{Message, SqsBatchResponse, SqsEvent};
//! use ferrule_batch::SqsProcessor;
//! use ferrule_errors::FunctionError;
//! use lambda_runtime::{service_fn, Error, LambdaEvent};
//!
//! #[derive(serde::Deserialize)]
//! struct OrderPlaced {
//!     #[serde(rename = "orderId")]
//!     order_id: String,
//! }
//!
//! /// Handled up to four at a time on standard queues, one by one on FIFO queues.
//! const PROCESSOR: SqsProcessor = SqsProcessor::new().concurrency(4);
//!
//! async fn reserve_stock(message: Message<OrderPlaced>) -> Result<(), FunctionError> {
//!     tracing::info!(order_id = %message.body.order_id, "reserving stock");
//!     Ok(())
//! }
//!
//! async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
//!     Ok(PROCESSOR.process(event.payload, reserve_stock).await)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Error> {
//!     lambda_runtime::run(service_fn(handler)).await
//! }
//! ```
//!
//! Cargo features `sqs`, `dynamodb` and `kinesis` (all on by default) select the sources.

// The helpers are shared by the sources; with only some sources enabled, some go unused.
// The default build (every source) is still checked for dead code.
#![cfg_attr(
    not(all(feature = "sqs", feature = "dynamodb", feature = "kinesis")),
    allow(dead_code)
)]

mod engine;
mod error;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "kinesis")]
pub mod kinesis;
#[cfg(feature = "sqs")]
pub mod sqs;

pub use error::DecodeError;

#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoDbProcessor;
#[cfg(feature = "kinesis")]
pub use kinesis::KinesisProcessor;
#[cfg(feature = "sqs")]
pub use sqs::SqsProcessor;

#[cfg(test)]
mod test_logs {
    //! Captures what the processors log, to check ids are there and payloads are not.

    use std::future::Future;
    use std::io;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Runs `future` with a subscriber that writes plain-text lines to a buffer; tests run
    /// on a current-thread runtime, so the thread-local default sees every event.
    pub(crate) async fn capture_logs<F: Future>(future: F) -> (F::Output, String) {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let output = {
            let _guard = tracing::subscriber::set_default(subscriber);
            // Tests run on parallel threads, most without a subscriber: a callsite first seen
            // there caches "never enabled". Rebuilding the cache with this subscriber live
            // keeps the capture from missing events now and then.
            tracing::callsite::rebuild_interest_cache();
            future.await
        };
        let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        (output, logs)
    }
}
