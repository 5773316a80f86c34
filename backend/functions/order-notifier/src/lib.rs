//! EventBridge target for `OrderCancelled` and `OrderShipped`: records the customer
//! notification once per event id and counts it as an EMF metric named after its kind.
//!
//! | event                                   | outcome                                                       |
//! | --------------------------------------- | ------------------------------------------------------------- |
//! | `OrderCancelled` / `OrderShipped`, new  | notification recorded, metric `<kind>` = 1 → `recorded`       |
//! | the same event again (redelivery)       | nothing written, no metric → `duplicate` (success)            |
//! | `OrderPlaced` (valid detail)            | acknowledged with a warning, nothing written → `ignored`      |
//! | another `detail-type`, another `source` | `Validation` error                                            |
//! | a detail that does not decode           | `Validation` error                                            |
//! | the store fails                         | `Retryable` / `NonRetryable` error                            |
//!
//! ```
//! use ferrule_metrics::{MemoryWriter, Metrics};
//! use order_notifier::{Notifier, Outcome};
//! use orders_domain::testing::{FixedClock, InMemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let output = MemoryWriter::default();
//! let metrics = Metrics::builder()
//!     .namespace("Orders")
//!     .capture_cold_start(false)
//!     .writer(output.clone())
//!     .build()?;
//! let notifier = Notifier::new(InMemoryStore::new(), FixedClock::at_millis(1_795_683_730_004), metrics.clone());
//! let event = serde_json::json!({
//!     "detail-type": "OrderShipped",
//!     "source": "ferrule.orders",
//!     "detail": {
//!         "eventId": "01M8BEWE407HD9W8BV0KBFG6HB:2",
//!         "orderId": "01M8BEWE407HD9W8BV0KBFG6HB",
//!         "customerId": "c-1",
//!         "trackingNumber": "1Z999AA10123456784",
//!         "shippedAt": "2026-11-26T09:02:10.004Z"
//!     }
//! });
//! let first = metrics.flush_after(notifier.handle(event.clone())).await?;
//! assert_eq!(first.outcome, Outcome::Recorded);
//! assert_eq!(output.documents()?[0]["OrderShipped"], 1.0);
//! let again = metrics.flush_after(notifier.handle(event)).await?;
//! assert_eq!(again.outcome, Outcome::Duplicate);
//! # Ok(())
//! # }
//! ```

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use ferrule_errors::FunctionError;
use ferrule_metrics::{Metrics, Unit};
use orders_domain::{record_notification, Clock, Notifications, OrderEvent, Recorded};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `source` every order event is published with.
pub const ORDERS_SOURCE: &str = "ferrule.orders";
/// Environment variable holding the orders table name (notifications live there).
pub const ORDERS_TABLE_VAR: &str = "ORDERS_TABLE";

/// The environment as read by `ferrule_parameters::load_config` (`ssm:` values resolved).
#[derive(Debug, Default, Deserialize)]
pub struct Settings {
    /// `ORDERS_TABLE`: the single table holding notifications.
    pub orders_table: Option<String>,
}

/// Why the function cannot start: logged, posted to `/runtime/init/error`, and the cold
/// start fails (`ferrule_errors::init_or_exit`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum InitError {
    /// The environment could not be read (a bad or unreadable `ssm:` reference).
    #[error(transparent)]
    Config(#[from] ferrule_parameters::ConfigError),
    /// Every missing or empty setting, in one message.
    #[error("configuration is incomplete: {}", .0.join("; "))]
    Incomplete(Vec<String>),
}

impl ferrule_errors::StartupFailure for InitError {
    fn error_type(&self) -> &'static str {
        ferrule_errors::CONFIGURATION_ERROR
    }
}

/// Checks the settings and the metrics configuration together, so one cold start names
/// every missing piece (`ORDERS_TABLE`, `FERRULE_METRICS_NAMESPACE`).
///
/// ```
/// use order_notifier::{check_config, Settings};
///
/// let metrics = ferrule_metrics::Metrics::builder().namespace("Orders").build();
/// let error = check_config(Settings::default(), metrics).unwrap_err();
/// assert_eq!(error.to_string(), "configuration is incomplete: environment variable ORDERS_TABLE is not set");
/// ```
pub fn check_config(
    settings: Settings,
    metrics: Result<Metrics, ferrule_metrics::MetricsError>,
) -> Result<(String, Metrics), InitError> {
    let table_problem =
        ferrule_parameters::absence(ORDERS_TABLE_VAR, settings.orders_table.as_deref());
    match (settings.orders_table, table_problem, metrics) {
        (Some(table), None, Ok(metrics)) => Ok((table, metrics)),
        (_, table_problem, metrics) => {
            let mut problems: Vec<String> = table_problem.into_iter().collect();
            if let Err(error) = metrics {
                problems.push(error.to_string());
            }
            Err(InitError::Incomplete(problems))
        }
    }
}

/// What happened to one event; returned as the invocation's result (EventBridge ignores
/// it, logs and local invocations show it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The notification was recorded now.
    Recorded,
    /// It had been recorded before: a redelivered event.
    Duplicate,
    /// A valid order event this function does not notify about (`OrderPlaced`).
    Ignored,
}

/// The invocation's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    /// What was done.
    pub outcome: Outcome,
    /// The event's `detail-type`.
    pub detail_type: &'static str,
    /// The event's id (`<orderId>:<version>`).
    pub event_id: String,
}

/// The handler: store, clock and metrics, built once at init.
pub struct Notifier<N, C> {
    notifications: N,
    clock: C,
    metrics: Metrics,
}

impl<N: Notifications, C: Clock> Notifier<N, C> {
    /// A notifier over a notification store (`DynamoDbOrders::lazy` in `main`).
    pub fn new(notifications: N, clock: C, metrics: Metrics) -> Self {
        Self {
            notifications,
            clock,
            metrics,
        }
    }

    /// Handles one EventBridge event. Run it inside `metrics.flush_after` so the metric is
    /// written when the invocation ends.
    ///
    /// A `Validation` error means the event will never be processed (wrong rule, bad
    /// detail): Lambda's asynchronous retries fail the same way and the event ends in the
    /// function's on-failure destination, where it can be inspected.
    pub async fn handle(&self, event: Value) -> Result<Acknowledgement, FunctionError> {
        let envelope = EventBridgeEvent::<Value>::deserialize(event).map_err(|error| {
            FunctionError::validation(format!("not an EventBridge event: {error}"))
        })?;
        if envelope.source != ORDERS_SOURCE {
            return Err(FunctionError::validation(format!(
                "event source `{}` is not {ORDERS_SOURCE}; check the rule's event pattern",
                envelope.source.chars().take(64).collect::<String>()
            )));
        }
        let event =
            orders_adapters::events::event_from_detail(&envelope.detail_type, envelope.detail)
                .map_err(|error| FunctionError::from_classified(&error).with_source(error))?;
        let detail_type = event.detail_type();
        let event_id = event.event_id().as_str().to_owned();
        if let OrderEvent::Placed(_) = event {
            // The rule routes only Cancelled and Shipped; a Placed event here is a rule
            // change, not a bad event: acknowledge it rather than fill the failure queue.
            tracing::warn!(
                detail_type,
                event_id,
                "order event not notified by this function; acknowledged"
            );
            return Ok(Acknowledgement {
                outcome: Outcome::Ignored,
                detail_type,
                event_id,
            });
        }
        let (notification, recorded) =
            record_notification(&self.notifications, &self.clock, &event)
                .await
                .map_err(|error| {
                    tracing::error!(error = %error, event_id, "notification not recorded");
                    FunctionError::from_classified(&error).with_source(error)
                })?;
        let outcome = match recorded {
            Recorded::New => {
                // Counted only when recorded now, so a redelivery is not counted twice.
                if let Err(error) =
                    self.metrics
                        .add_metric(notification.kind().as_str(), Unit::Count, 1)
                {
                    // The notification is recorded: failing now would only bring a duplicate.
                    tracing::error!(error = %error, "notification metric not recorded");
                }
                tracing::info!(detail_type, event_id, "notification recorded");
                Outcome::Recorded
            }
            Recorded::Duplicate => {
                tracing::info!(
                    detail_type,
                    event_id,
                    "notification already recorded (redelivery)"
                );
                Outcome::Duplicate
            }
        };
        Ok(Acknowledgement {
            outcome,
            detail_type,
            event_id,
        })
    }
}

#[cfg(test)]
mod tests {

    /// The variables the configuration type reads are the ones `Cargo.toml` declares, which
    /// `RustFunction` checks the CDK environment against.
    #[test]
    fn config_reads_exactly_what_the_manifest_declares() {
        ferrule_testkit::manifest::check_config_matches_manifest::<super::Settings>().unwrap();
    }
    use super::*;
    use ferrule_errors::ErrorKind;
    use ferrule_metrics::MemoryWriter;
    use orders_domain::testing::{FixedClock, InMemoryStore};
    use orders_domain::{NotificationKind, RepositoryError};

    const NOW: u64 = 1_795_683_730_004;

    struct Harness {
        store: InMemoryStore,
        output: MemoryWriter,
        metrics: Metrics,
        notifier: Notifier<InMemoryStore, FixedClock>,
    }

    fn harness() -> Harness {
        let store = InMemoryStore::new();
        let output = MemoryWriter::default();
        let metrics = Metrics::builder()
            .namespace("Orders")
            .service("order-notifier")
            .capture_cold_start(false)
            .writer(output.clone())
            .build()
            .unwrap();
        let notifier = Notifier::new(store.clone(), FixedClock::at_millis(NOW), metrics.clone());
        Harness {
            store,
            output,
            metrics,
            notifier,
        }
    }

    impl Harness {
        async fn handle(&self, event: Value) -> Result<Acknowledgement, FunctionError> {
            self.metrics.flush_after(self.notifier.handle(event)).await
        }
    }

    fn fixture(name: &str) -> Value {
        ferrule_testkit::fixture_as(name).unwrap()
    }

    #[tokio::test]
    async fn each_event_is_recorded_and_counted_under_its_kind() {
        for (name, kind, message) in [
            (
                "eventbridge/order-cancelled",
                NotificationKind::OrderCancelled,
                "Your order 01M8BEWE407HD9W8BV0KBFG6HB is cancelled; 64.99 EUR will not be charged.",
            ),
            (
                "eventbridge/order-shipped",
                NotificationKind::OrderShipped,
                "Your order 01M8BEWE407HD9W8BV0KBFG6HB has shipped; tracking number 1Z999AA10123456784.",
            ),
        ] {
            let h = harness();
            let ack = h.handle(fixture(name)).await.unwrap();
            assert_eq!(ack.outcome, Outcome::Recorded);
            assert_eq!(ack.detail_type, kind.as_str());
            assert_eq!(ack.event_id, "01M8BEWE407HD9W8BV0KBFG6HB:2");
            let notes = h.store.notifications();
            assert_eq!(notes.len(), 1);
            assert_eq!(notes[0].kind(), kind);
            assert_eq!(notes[0].message(), message);
            assert_eq!(notes[0].recorded_at().unix_millis(), NOW);
            let documents = h.output.documents().unwrap();
            assert_eq!(documents.len(), 1);
            assert_eq!(documents[0][kind.as_str()], 1.0);
            assert_eq!(documents[0]["service"], "order-notifier");
            let metric = &documents[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0];
            assert_eq!(metric["Name"], kind.as_str());
            assert_eq!(metric["Unit"], "Count");
        }
    }

    #[tokio::test]
    async fn a_redelivery_is_a_duplicate_success_without_a_metric() {
        let h = harness();
        h.handle(fixture("eventbridge/order-shipped"))
            .await
            .unwrap();
        let again = h
            .handle(fixture("eventbridge/order-shipped"))
            .await
            .unwrap();
        assert_eq!(again.outcome, Outcome::Duplicate);
        assert_eq!(h.store.notifications().len(), 1);
        assert_eq!(h.output.documents().unwrap().len(), 1, "counted once");
    }

    #[tokio::test]
    async fn order_placed_is_acknowledged_without_writing() {
        let h = harness();
        h.store.fail_next([RepositoryError::Failed {
            operation: "PutItem notification",
            message: "would fail if called".into(),
        }]);
        let ack = h.handle(fixture("eventbridge/order-placed")).await.unwrap();
        assert_eq!(ack.outcome, Outcome::Ignored);
        assert_eq!(ack.detail_type, "OrderPlaced");
        assert_eq!(ack.event_id, "01M8BEWE407HD9W8BV0KBFG6HB:1");
        assert!(h.store.has_scripted_results(), "the store was not called");
        assert!(h.output.lines().is_empty());
        let json = serde_json::to_value(ack).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"outcome": "ignored", "detailType": "OrderPlaced",
                               "eventId": "01M8BEWE407HD9W8BV0KBFG6HB:1"})
        );
    }

    #[tokio::test]
    async fn another_event_type_is_a_validation_error() {
        let h = harness();
        let mut scheduled = fixture("eventbridge/scheduled");
        scheduled["source"] = ORDERS_SOURCE.into();
        let error = h.handle(scheduled).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(
            error.message(),
            "`Scheduled Event` is not an order event (expected OrderPlaced, OrderCancelled or OrderShipped)"
        );
        let diagnostic: lambda_runtime::Diagnostic = error.into();
        assert_eq!(diagnostic.error_type, "Validation");
    }

    #[tokio::test]
    async fn another_source_is_a_validation_error() {
        let h = harness();
        let error = h
            .handle(fixture("eventbridge/scheduled"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(
            error.message(),
            "event source `aws.events` is not ferrule.orders; check the rule's event pattern"
        );
        let mut lookalike = fixture("eventbridge/order-shipped");
        lookalike["source"] = "someone.else".into();
        assert_eq!(
            h.handle(lookalike).await.unwrap_err().kind(),
            ErrorKind::Validation
        );
        assert!(h.store.notifications().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_detail_is_a_validation_error() {
        let h = harness();
        let mut event = fixture("eventbridge/order-cancelled");
        event["detail"]["totalCents"] = "lots".into();
        let error = h.handle(event).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert!(
            error
                .message()
                .starts_with("OrderCancelled detail is not valid: "),
            "{}",
            error.message()
        );
        let mut event = fixture("eventbridge/order-placed");
        event["detail"].as_object_mut().unwrap().remove("eventId");
        let error = h.handle(event).await.unwrap_err();
        assert!(error.message().contains("eventId"), "{}", error.message());
        assert!(h.store.notifications().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_envelope_is_a_validation_error() {
        let h = harness();
        let mut event = fixture("eventbridge/order-shipped");
        event.as_object_mut().unwrap().remove("detail-type");
        let error = h.handle(event).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert!(error.message().starts_with("not an EventBridge event: "));
        assert!(
            error.message().contains("detail-type"),
            "{}",
            error.message()
        );
        let error = h.handle(Value::String("hi".into())).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
    }

    #[tokio::test]
    async fn store_failures_keep_their_kind_and_count_nothing() {
        for (failure, kind) in [
            (
                RepositoryError::Unavailable {
                    operation: "PutItem notification",
                    message: "ThrottlingException".into(),
                },
                ErrorKind::Retryable,
            ),
            (
                RepositoryError::Failed {
                    operation: "PutItem notification",
                    message: "ResourceNotFoundException".into(),
                },
                ErrorKind::NonRetryable,
            ),
        ] {
            let h = harness();
            h.store.fail_next([failure]);
            let error = h
                .handle(fixture("eventbridge/order-cancelled"))
                .await
                .unwrap_err();
            assert_eq!(error.kind(), kind);
            assert!(
                error.message().starts_with("PutItem notification"),
                "{}",
                error.message()
            );
            assert!(h.output.lines().is_empty());
            // EventBridge / Lambda retry: the next attempt records it.
            let ack = h
                .handle(fixture("eventbridge/order-cancelled"))
                .await
                .unwrap();
            assert_eq!(ack.outcome, Outcome::Recorded);
        }
    }

    #[test]
    fn configuration_names_every_problem() {
        let no_namespace = Metrics::builder().build();
        assert!(no_namespace.is_err());
        let error = check_config(
            Settings {
                orders_table: Some(" ".into()),
            },
            no_namespace,
        )
        .unwrap_err();
        let InitError::Incomplete(problems) = &error else {
            panic!("expected the incomplete configuration, got {error}");
        };
        assert_eq!(problems.len(), 2, "{error}");
        assert!(
            error
                .to_string()
                .contains("environment variable ORDERS_TABLE is empty"),
            "{error}"
        );

        let metrics = Metrics::builder().namespace("Orders").build();
        let (table, metrics) = check_config(
            Settings {
                orders_table: Some("orders-local".into()),
            },
            metrics,
        )
        .unwrap();
        assert_eq!(table, "orders-local");
        assert_eq!(metrics.namespace(), "Orders");
    }
}
