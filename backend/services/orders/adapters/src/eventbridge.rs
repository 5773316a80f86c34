//! Domain events to EventBridge with `PutEvents`.

use std::fmt::Debug;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, PutEventsResultEntry};
use aws_sdk_eventbridge::Client;
use ferrule_aws::{Failure, LazyClient};
use orders_domain::{EventPublisher, OrderEvent, PublishFailure};

use crate::events::EventDetail;

/// The `source` of every order event.
pub const EVENT_SOURCE: &str = "ferrule.orders";

/// `PutEvents` takes at most 10 entries.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// Per-entry error codes worth publishing again (EventBridge's documented transient ones).
const RETRYABLE_CODES: &[&str] = &["InternalFailure", "ThrottlingException"];

/// Publishes order events to one bus: `source` [`EVENT_SOURCE`], `detail-type` the event
/// name, `detail` its JSON, `time` when it happened, and `TraceHeader` the current X-Ray
/// trace (`ferrule_tracer::propagation`), so the targets join the trace.
///
/// Events go out in calls of [`MAX_ENTRIES_PER_CALL`]; each failed entry is reported with
/// its index and whether retrying may help; a failed call fails every entry it carried.
/// The largest order event (25 lines) is about 3 KB, far below the 256 KB per call.
///
/// ```no_run
/// use orders_adapters::EventBridgePublisher;
/// use orders_domain::{publish_events, OrderEvent};
///
/// # async fn example(events: Vec<OrderEvent>) {
/// let bus = EventBridgePublisher::lazy("orders-dev"); // at init, no I/O
/// let failures = publish_events(&bus, &events, 3).await;
/// for failure in failures {
///     tracing::error!(%failure, "event not published");
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: LazyClient<Client>,
    bus: Arc<str>,
}

fn traced_client(config: &aws_config::SdkConfig) -> Client {
    ferrule_aws::traced_client!(aws_sdk_eventbridge, config)
}

impl EventBridgePublisher {
    /// On a client you built; `bus` is the event bus name or ARN.
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client: LazyClient::ready(client),
            bus: Arc::from(bus.into()),
        }
    }

    /// On a client built now from `config`, with X-Ray subsegments for its calls.
    pub fn from_conf(config: &SdkConfig, bus: impl Into<String>) -> Self {
        Self::new(traced_client(config), bus)
    }

    /// On a traced client built on the first publish from `ferrule_aws::sdk_config()`.
    pub fn lazy(bus: impl Into<String>) -> Self {
        Self {
            client: LazyClient::new(traced_client),
            bus: Arc::from(bus.into()),
        }
    }

    /// The bus name or ARN.
    pub fn bus(&self) -> &str {
        &self.bus
    }
}

/// The entry for one event; `Err` if the detail cannot be serialized.
fn entry(
    event: &OrderEvent,
    bus: &str,
    trace_header: Option<&String>,
) -> Result<PutEventsRequestEntry, String> {
    let detail =
        serde_json::to_string(&EventDetail::from(event)).map_err(|e| format!("detail: {e}"))?;
    let time = i64::try_from(event.occurred_at().unix_millis()).unwrap_or(i64::MAX);
    Ok(PutEventsRequestEntry::builder()
        .source(EVENT_SOURCE)
        .detail_type(event.detail_type())
        .detail(detail)
        .time(DateTime::from_millis(time))
        .event_bus_name(bus)
        .set_trace_header(trace_header.cloned())
        .build())
}

/// Failures of one call's result entries (same order as the request); `sent[i]` is the
/// index in the caller's slice of the i-th entry sent.
fn entry_failures(
    results: &[PutEventsResultEntry],
    sent: &[usize],
    events: &[OrderEvent],
) -> Vec<PublishFailure> {
    let mut failures = Vec::new();
    for (position, &index) in sent.iter().enumerate() {
        let Some(event) = events.get(index) else {
            continue;
        };
        let failure = match results.get(position) {
            Some(result) => match result.error_code() {
                None => continue,
                Some(code) => PublishFailure {
                    index,
                    event_id: event.event_id().clone(),
                    retryable: RETRYABLE_CODES.contains(&code),
                    reason: format!("{code}: {}", result.error_message().unwrap_or_default()),
                },
            },
            None => PublishFailure {
                index,
                event_id: event.event_id().clone(),
                retryable: true,
                reason: "PutEvents returned no result for this entry".into(),
            },
        };
        failures.push(failure);
    }
    failures
}

/// Every entry of a failed call fails the same way.
fn call_failures<E, R>(
    error: &SdkError<E, R>,
    sent: &[usize],
    events: &[OrderEvent],
) -> Vec<PublishFailure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let (retryable, reason) = match ferrule_aws::classify(error) {
        Failure::Transient(message) => (true, message),
        Failure::Permanent(message) => (false, message),
    };
    sent.iter()
        .filter_map(|&index| {
            events.get(index).map(|event| PublishFailure {
                index,
                event_id: event.event_id().clone(),
                retryable,
                reason: format!("PutEvents failed: {reason}"),
            })
        })
        .collect()
}

impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[OrderEvent]) -> Vec<PublishFailure> {
        if events.is_empty() {
            return Vec::new();
        }
        // One header for the whole call: the trace context does not change within it.
        let trace_header = ferrule_tracer::propagation::eventbridge_trace_header();
        let client = self.client.get().await;
        let mut failures = Vec::new();
        let mut batch = Vec::with_capacity(MAX_ENTRIES_PER_CALL);
        let mut sent = Vec::with_capacity(MAX_ENTRIES_PER_CALL);
        let mut indexes = 0..events.len();
        loop {
            batch.clear();
            sent.clear();
            for index in indexes.by_ref() {
                let Some(event) = events.get(index) else {
                    break;
                };
                match entry(event, &self.bus, trace_header.as_ref()) {
                    Ok(entry) => {
                        batch.push(entry);
                        sent.push(index);
                    }
                    Err(reason) => failures.push(PublishFailure {
                        index,
                        event_id: event.event_id().clone(),
                        retryable: false,
                        reason,
                    }),
                }
                if batch.len() == MAX_ENTRIES_PER_CALL {
                    break;
                }
            }
            if batch.is_empty() {
                break;
            }
            let result = client
                .put_events()
                .set_entries(Some(std::mem::take(&mut batch)))
                .send()
                .await;
            match result {
                Ok(output) if output.failed_entry_count() == 0 => {}
                Ok(output) => failures.extend(entry_failures(output.entries(), &sent, events)),
                Err(error) => failures.extend(call_failures(&error, &sent, events)),
            }
        }
        failures.sort_by_key(|f| f.index);
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_tracer::TraceHeader;
    use orders_domain::testing::sample_order;

    fn events(count: usize) -> Vec<OrderEvent> {
        (0..count)
            .map(|n| {
                let at = orders_domain::Timestamp::from_unix_millis(n as u64).unwrap();
                let customer = orders_domain::CustomerId::parse("c-1").unwrap();
                OrderEvent::placed(&orders_domain::testing::order_for(&customer, "A", at, 1))
            })
            .collect()
    }

    #[test]
    fn an_entry_carries_source_name_detail_time_bus() {
        let event = OrderEvent::placed(&sample_order());
        let entry = entry(&event, "orders-dev", None).unwrap();
        assert_eq!(entry.source(), Some("ferrule.orders"));
        assert_eq!(entry.detail_type(), Some("OrderPlaced"));
        assert_eq!(entry.event_bus_name(), Some("orders-dev"));
        assert_eq!(entry.trace_header(), None);
        let detail: serde_json::Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail["eventId"], "01M8BEWE407HD9W8BV0KBFG6HB:1");
        assert_eq!(detail["totalCents"], 6499);
        assert_eq!(
            entry.time().unwrap().to_millis().unwrap(),
            1_795_681_040_512
        );
    }

    /// Each event's `detail`, byte for byte: what the bus rules match, what the fulfillment
    /// queue carries and what order-notifier and fulfillment-worker read. No domain rename
    /// may change it.
    #[test]
    fn every_detail_is_pinned_byte_for_byte() {
        use orders_domain::{events_from_change, Timestamp, TrackingNumber};
        let placed = sample_order();
        let mut cancelled = placed.clone();
        cancelled
            .cancel(Timestamp::parse("2026-11-26T08:45:03.250Z").unwrap())
            .unwrap();
        let mut shipped = placed.clone();
        shipped
            .mark_shipped(
                TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                Timestamp::parse("2026-11-26T09:02:10.004Z").unwrap(),
            )
            .unwrap();
        let detail = |event: OrderEvent| {
            entry(&event, "orders-dev", None)
                .unwrap()
                .detail()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            detail(OrderEvent::placed(&placed)),
            concat!(
                r#"{"eventId":"01M8BEWE407HD9W8BV0KBFG6HB:1","orderId":"01M8BEWE407HD9W8BV0KBFG6HB","#,
                r#""customerId":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","#,
                r#""items":[{"sku":"BOOK-RUST-2021","quantity":1,"unitPriceCents":3999},"#,
                r#"{"sku":"MUG-FERRIS","quantity":2,"unitPriceCents":1250}],"#,
                r#""totalCents":6499,"currency":"EUR","placedAt":"2026-11-26T08:17:20.512Z"}"#
            )
        );
        assert_eq!(
            detail(events_from_change(Some(&placed), Some(&cancelled)).unwrap()),
            concat!(
                r#"{"eventId":"01M8BEWE407HD9W8BV0KBFG6HB:2","orderId":"01M8BEWE407HD9W8BV0KBFG6HB","#,
                r#""customerId":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","totalCents":6499,"#,
                r#""currency":"EUR","cancelledAt":"2026-11-26T08:45:03.250Z"}"#
            )
        );
        assert_eq!(
            detail(events_from_change(Some(&placed), Some(&shipped)).unwrap()),
            concat!(
                r#"{"eventId":"01M8BEWE407HD9W8BV0KBFG6HB:2","orderId":"01M8BEWE407HD9W8BV0KBFG6HB","#,
                r#""customerId":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","#,
                r#""trackingNumber":"1Z999AA10123456784","shippedAt":"2026-11-26T09:02:10.004Z"}"#
            )
        );
    }

    #[tokio::test]
    async fn the_trace_header_of_the_invocation_is_propagated() {
        let raw = "Root=1-67891240-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";
        let header = TraceHeader::parse(raw).unwrap();
        let event = OrderEvent::placed(&sample_order());
        let entry = header
            .scope(async {
                let trace = ferrule_tracer::propagation::eventbridge_trace_header();
                entry(&event, "bus", trace.as_ref()).unwrap()
            })
            .await;
        let sent = entry.trace_header().unwrap();
        assert!(
            sent.starts_with("Root=1-67891240-0123456789abcdef01234567;"),
            "{sent}"
        );
        assert!(sent.contains("Sampled=1"), "{sent}");
    }

    #[test]
    fn per_entry_errors_map_back_to_their_events() {
        let events = events(4);
        let ok = PutEventsResultEntry::builder().event_id("e-1").build();
        let throttled = PutEventsResultEntry::builder()
            .error_code("ThrottlingException")
            .error_message("Rate exceeded")
            .build();
        let malformed = PutEventsResultEntry::builder()
            .error_code("MalformedDetail")
            .error_message("Detail is malformed.")
            .build();
        // Entries 1, 2, 3 of the caller's slice were sent, in this order.
        let failures = entry_failures(&[ok, throttled, malformed], &[1, 2, 3], &events);
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].index, 2);
        assert_eq!(&failures[0].event_id, events[2].event_id());
        assert!(failures[0].retryable);
        assert_eq!(failures[0].reason, "ThrottlingException: Rate exceeded");
        assert_eq!(failures[1].index, 3);
        assert!(!failures[1].retryable);
        // Fewer results than entries: the missing ones failed, retryable.
        let failures = entry_failures(&[], &[0], &events);
        assert!(failures[0].retryable);
        assert!(failures[0].reason.contains("no result"));
    }

    #[test]
    fn a_failed_call_fails_each_of_its_entries_by_kind() {
        use aws_sdk_eventbridge::error::ErrorMetadata;
        let events = events(3);
        let throttled: SdkError<ErrorMetadata, ()> = SdkError::service_error(
            ErrorMetadata::builder().code("ThrottlingException").build(),
            (),
        );
        let failures = call_failures(&throttled, &[0, 2], &events);
        let indexes: Vec<usize> = failures.iter().map(|f| f.index).collect();
        assert_eq!(indexes, [0, 2]);
        assert!(failures.iter().all(|f| f.retryable));
        let missing: SdkError<ErrorMetadata, ()> = SdkError::service_error(
            ErrorMetadata::builder()
                .code("ResourceNotFoundException")
                .build(),
            (),
        );
        let failures = call_failures(&missing, &[1], &events);
        assert!(!failures[0].retryable);
        assert!(
            failures[0].reason.contains("ResourceNotFoundException"),
            "{}",
            failures[0].reason
        );
    }

    #[tokio::test]
    async fn construction_does_no_io_and_nothing_to_publish_makes_no_call() {
        let bus = EventBridgePublisher::lazy("orders-dev");
        assert_eq!(bus.bus(), "orders-dev");
        assert!(bus.publish(&[]).await.is_empty());
        assert!(format!("{bus:?}").contains("initialized: false"));
    }
}
