//! The trace header for messages and requests leaving the function, so the next
//! service's segments join this trace under the current subsegment.
//!
//! Each helper returns the same text (the current context, see
//! [`current_trace_header`]); they exist so that each destination's field is named
//! where it is used. All return `None` outside any trace.

use crate::context::current_trace_header;
use crate::header::HTTP_HEADER;

/// The SQS message system attribute that carries the trace header.
pub const SQS_TRACE_ATTRIBUTE: &str = "AWSTraceHeader";

/// The value of SQS's `AWSTraceHeader` message system attribute (data type `String`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let header = ferrule_tracer::TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1").unwrap();
/// # header.scope(async {
/// let value = ferrule_tracer::propagation::sqs_trace_header();
/// assert!(value.unwrap().starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent="));
/// // With aws-sdk-sqs:
/// // let attribute = MessageSystemAttributeValue::builder().data_type("String").string_value(value).build()?;
/// // client.send_message().message_system_attributes(MessageSystemAttributeNameForSends::AwsTraceHeader, attribute)
/// # }).await;
/// # }
/// ```
pub fn sqs_trace_header() -> Option<String> {
    current_trace_header().map(|header| header.to_string())
}

/// The value of EventBridge's `PutEventsRequestEntry.TraceHeader`.
///
/// ```
/// // With aws-sdk-eventbridge:
/// // let entry = PutEventsRequestEntry::builder()
/// //     .source("orders").detail_type("OrderPlaced").detail(json)
/// //     .set_trace_header(ferrule_tracer::propagation::eventbridge_trace_header())
/// //     .build();
/// assert_eq!(ferrule_tracer::propagation::eventbridge_trace_header(), None); // no trace here
/// ```
pub fn eventbridge_trace_header() -> Option<String> {
    current_trace_header().map(|header| header.to_string())
}

/// The `X-Amzn-Trace-Id` header name and value for an outgoing HTTP request.
///
/// ```
/// if let Some((name, value)) = ferrule_tracer::propagation::http_trace_header() {
///     // request_builder = request_builder.header(name, value);
///     assert_eq!(name, "X-Amzn-Trace-Id");
/// #   let _ = value;
/// }
/// ```
pub fn http_trace_header() -> Option<(&'static str, String)> {
    current_trace_header().map(|header| (HTTP_HEADER, header.to_string()))
}
