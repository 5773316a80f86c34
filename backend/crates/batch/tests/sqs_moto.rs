//! The SQS processor against a real queue (moto) with a dead-letter queue.
//!
//! The test plays Lambda's SQS poller: it receives up to 10 messages, turns them into the
//! `SqsEvent` Lambda would send, runs the processor, deletes every message not reported
//! as failed and leaves the failures to come back after the visibility timeout.
//!
//! moto implements the redrive policy like SQS: a receive that finds a visible message
//! whose receive count has reached `maxReceiveCount` moves it to the DLQ instead of
//! delivering it (moto/sqs/models.py, `receive_message`). So the poison message is
//! delivered `maxReceiveCount` times and moves on the next receive, which comes back empty.

#![cfg(feature = "sqs")]

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::sync::Mutex;

use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::SqsMessageAttribute;
use aws_sdk_sqs::types::{
    Message as ReceivedMessage, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName,
};
use aws_sdk_sqs::Client;
use ferrule_batch::sqs::{Message, SqsEvent, SqsMessage};
use ferrule_batch::SqsProcessor;
use ferrule_errors::FunctionError;
use ferrule_testkit::moto;
use serde::Deserialize;

type TestResult = Result<(), Box<dyn Error>>;

const MAX_RECEIVE_COUNT: usize = 3;
const GOOD_MESSAGES: usize = 12;
const POISON: &str = "this is not an order";
/// Lambda's poller long-polls; longer than the visibility timeout, so an empty answer
/// means nothing is left in flight either.
const WAIT_SECONDS: i32 = 4;
/// Enough for every delivery of the poison message plus the empty receive, with margin.
const MAX_POLLS: usize = 12;

/// Three messages at a time, as a function with `.concurrency(3)` would.
const PROCESSOR: SqsProcessor = SqsProcessor::new().concurrency(3);

#[derive(Debug, Deserialize)]
struct OrderPlaced {
    #[serde(rename = "orderId")]
    order_id: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_message_ends_in_the_dlq_and_good_messages_are_handled_once() -> TestResult {
    let config = moto::sdk_config().await?;
    let sqs = Client::new(&config);

    let dlq_url = create_queue(&sqs, &moto::unique_name("batch-dlq"), &[]).await?;
    let dlq_arn = queue_arn(&sqs, &dlq_url).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    })
    .to_string();
    let source_url = create_queue(
        &sqs,
        &moto::unique_name("batch-source"),
        &[
            (QueueAttributeName::RedrivePolicy, redrive),
            (QueueAttributeName::VisibilityTimeout, "1".to_owned()),
        ],
    )
    .await?;
    let source_arn = queue_arn(&sqs, &source_url).await?;

    let mut sent = Vec::new();
    for i in 0..GOOD_MESSAGES {
        let body = format!(r#"{{"orderId":"o-{i}"}}"#);
        send(&sqs, &source_url, &body).await?;
        sent.push(format!("o-{i}"));
        if i == GOOD_MESSAGES / 2 {
            send(&sqs, &source_url, POISON).await?;
        }
    }

    // order id → the ApproximateReceiveCount of each time the handler got it.
    let handled: Mutex<HashMap<String, Vec<String>>> = Mutex::new(HashMap::new());
    let handler = |message: Message<OrderPlaced>| {
        let handled = &handled;
        async move {
            let receive_count = message
                .message
                .attributes
                .get("ApproximateReceiveCount")
                .cloned()
                .unwrap_or_default();
            handled
                .lock()
                .map_err(|_| FunctionError::non_retryable("poisoned lock"))?
                .entry(message.body.order_id)
                .or_default()
                .push(receive_count);
            Ok::<(), FunctionError>(())
        }
    };

    let mut poison_id = None;
    // The ApproximateReceiveCount of each delivery of the poison message, and whether the
    // processor reported it that time.
    let mut poison_deliveries: Vec<(String, bool)> = Vec::new();
    let mut drained = false;
    for _ in 0..MAX_POLLS {
        let received = sqs
            .receive_message()
            .queue_url(&source_url)
            .max_number_of_messages(10)
            .wait_time_seconds(WAIT_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            drained = true;
            break;
        }

        let response = PROCESSOR
            .process(lambda_event(&messages, &source_arn, "eu-west-1"), handler)
            .await;
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect();

        for message in &messages {
            let id = message.message_id.as_deref().ok_or("message without id")?;
            if message.body.as_deref() == Some(POISON) {
                poison_id = Some(id.to_owned());
                let count = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .cloned()
                    .unwrap_or_default();
                poison_deliveries.push((count, failed.contains(id)));
            }
            if !failed.contains(id) {
                let receipt = message
                    .receipt_handle
                    .as_deref()
                    .ok_or("no receipt handle")?;
                sqs.delete_message()
                    .queue_url(&source_url)
                    .receipt_handle(receipt)
                    .send()
                    .await?;
            }
        }
        // Only the poison message may ever be reported.
        assert!(
            failed.iter().all(|id| Some(*id) == poison_id.as_deref()),
            "unexpected failures {failed:?}"
        );
    }
    assert!(
        drained,
        "the source queue was still delivering after {MAX_POLLS} receives"
    );

    // Every good message was handled exactly once, on its first receive.
    let handled = handled.into_inner().map_err(|_| "poisoned lock")?;
    assert_eq!(handled.len(), GOOD_MESSAGES, "{handled:?}");
    for order_id in &sent {
        assert_eq!(
            handled.get(order_id).map(Vec::as_slice),
            Some(&["1".to_owned()][..]),
            "{order_id}"
        );
    }

    // The poison message was delivered maxReceiveCount times and reported every time.
    let expected: Vec<(String, bool)> = (1..=MAX_RECEIVE_COUNT)
        .map(|n| (n.to_string(), true))
        .collect();
    assert_eq!(poison_deliveries, expected);

    // It is now in the DLQ, with its body and id.
    let in_dlq = sqs
        .receive_message()
        .queue_url(&dlq_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await?
        .messages
        .unwrap_or_default();
    let dead: Vec<_> = in_dlq
        .iter()
        .filter(|message| message.body.as_deref() == Some(POISON))
        .collect();
    assert_eq!(dead.len(), 1, "{in_dlq:?}");
    assert_eq!(dead[0].message_id, poison_id);
    assert_eq!(
        in_dlq.len(),
        1,
        "only the poison message belongs in the DLQ: {in_dlq:?}"
    );

    // And the source queue is empty, nothing in flight.
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&source_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    for name in [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        QueueAttributeName::ApproximateNumberOfMessagesDelayed,
    ] {
        assert_eq!(
            attributes.get(&name).map(String::as_str),
            Some("0"),
            "{name:?}"
        );
    }
    Ok(())
}

async fn create_queue(
    sqs: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, Box<dyn Error>> {
    let mut request = sqs.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.clone(), value);
    }
    Ok(request
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no URL")?)
}

async fn queue_arn(sqs: &Client, url: &str) -> Result<String, Box<dyn Error>> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    Ok(attributes
        .get(&QueueAttributeName::QueueArn)
        .cloned()
        .ok_or("GetQueueAttributes returned no QueueArn")?)
}

async fn send(sqs: &Client, url: &str, body: &str) -> TestResult {
    let correlation = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("c0ffee00-1234-4abc-8def-000000000001")
        .build()?;
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .message_attributes("correlationId", correlation)
        .send()
        .await?;
    Ok(())
}

/// The event Lambda's poller builds from a ReceiveMessage answer.
fn lambda_event(messages: &[ReceivedMessage], queue_arn: &str, region: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|received| {
            // aws_lambda_events types are non-exhaustive: fill a default value.
            let mut record = SqsMessage::default();
            record.message_id = received.message_id.clone();
            record.receipt_handle = received.receipt_handle.clone();
            record.body = received.body.clone();
            record.md5_of_body = received.md5_of_body.clone();
            record.md5_of_message_attributes = received.md5_of_message_attributes.clone();
            record.attributes = received
                .attributes()
                .map(|attributes| {
                    attributes
                        .iter()
                        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                        .collect()
                })
                .unwrap_or_default();
            record.message_attributes = received
                .message_attributes()
                .map(|attributes| {
                    attributes
                        .iter()
                        .map(|(name, value)| (name.clone(), lambda_attribute(value)))
                        .collect()
                })
                .unwrap_or_default();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(queue_arn.to_owned());
            record.aws_region = Some(region.to_owned());
            record
        })
        .collect();
    event
}

fn lambda_attribute(value: &MessageAttributeValue) -> SqsMessageAttribute {
    let mut attribute = SqsMessageAttribute::default();
    attribute.data_type = Some(value.data_type.clone());
    attribute.string_value = value.string_value.clone();
    attribute.string_list_values = value.string_list_values().to_vec();
    attribute.binary_value = value.binary_value.as_ref().map(|blob| {
        let mut data = Base64Data::default();
        data.0 = blob.as_ref().to_vec();
        data
    });
    attribute
}
