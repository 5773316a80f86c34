//! The publisher contract against EventBridge on moto: a bus, a rule on
//! `source = ferrule.orders`, an SQS queue as its target, and the queue read back.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;
use ferrule_testkit::moto;
use orders_adapters::{EventBridgePublisher, EVENT_SOURCE};
use orders_domain::testing::{contract, sample_order};
use orders_domain::{EventPublisher, OrderEvent};

struct Bus {
    publisher: EventBridgePublisher,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

/// A bus whose order events land in a fresh queue.
async fn bus() -> Bus {
    let sdk = moto::sdk_config().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let bus_name = moto::unique_name("orders-bus");
    events
        .create_event_bus()
        .name(&bus_name)
        .send()
        .await
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(moto::unique_name("orders-events"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let rule = moto::unique_name("orders-rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus_name)
        .event_pattern(format!(r#"{{"source":["{EVENT_SOURCE}"]}}"#))
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus_name)
        .targets(
            Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Bus {
        publisher: EventBridgePublisher::new(events, bus_name),
        sqs,
        queue_url,
    }
}

impl Bus {
    /// The EventBridge envelopes that reached the queue since the last call.
    async fn received(&self) -> Vec<serde_json::Value> {
        let mut envelopes = Vec::new();
        loop {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return envelopes;
            }
            for message in messages {
                envelopes.push(serde_json::from_str(message.body().unwrap()).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    async fn delivered(&self) -> Vec<OrderEvent> {
        self.received()
            .await
            .iter()
            .map(|envelope| {
                let detail_type = envelope["detail-type"].as_str().unwrap();
                orders_adapters::events::event_from_detail(detail_type, &envelope["detail"])
                    .unwrap()
            })
            .collect()
    }
}

#[tokio::test]
async fn eventbridge_passes_the_publisher_contract() {
    let bus = bus().await;
    contract::event_publisher_contract(&bus.publisher, || bus.delivered()).await;
}

#[tokio::test]
async fn the_envelope_has_the_source_name_and_time_consumers_route_on() {
    let bus = bus().await;
    let event = OrderEvent::placed(&sample_order());
    assert!(bus
        .publisher
        .publish(std::slice::from_ref(&event))
        .await
        .is_empty());
    let envelopes = bus.received().await;
    let [envelope] = envelopes.as_slice() else {
        panic!("{envelopes:?}")
    };
    assert_eq!(envelope["source"], "ferrule.orders");
    assert_eq!(envelope["detail-type"], "OrderPlaced");
    // `time` is when the order was placed, not when it was published.
    assert_eq!(envelope["time"], "2026-11-26T08:17:20Z");
    assert_eq!(
        envelope["detail"],
        serde_json::to_value(orders_adapters::events::EventDetail::from(&event)).unwrap()
    );
    // The shared fixture is exactly what the bus delivers (detail and routing fields).
    let fixture: serde_json::Value =
        serde_json::from_str(&ferrule_testkit::fixture("eventbridge/order-placed").unwrap())
            .unwrap();
    assert_eq!(fixture["detail"], envelope["detail"]);
    assert_eq!(fixture["source"], envelope["source"]);
    assert_eq!(fixture["detail-type"], envelope["detail-type"]);
    assert_eq!(fixture["time"], envelope["time"]);
}

#[tokio::test]
async fn a_missing_bus_fails_every_event_permanently() {
    let sdk = moto::sdk_config().await.unwrap();
    let publisher = EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        moto::unique_name("no-such-bus"),
    );
    let order = sample_order();
    let events: Vec<OrderEvent> = (0..12).map(|_| OrderEvent::placed(&order)).collect();
    let failures = publisher.publish(&events).await;
    let indexes: Vec<usize> = failures.iter().map(|f| f.index).collect();
    assert_eq!(indexes, (0..12).collect::<Vec<_>>(), "both calls' entries");
    for failure in &failures {
        assert!(!failure.retryable, "{failure}");
        assert!(failure.reason.contains("ResourceNotFound"), "{failure}");
    }
}
