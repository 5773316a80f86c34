//! The same message twice in one SQS batch, on DynamoDB (moto) with a counting carrier: the
//! order is shipped once and the carrier called once, both copies acknowledged.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use ferrule_batch::sqs::SqsEvent;
use ferrule_secrets::{InMemorySecretStore, Secrets};
use ferrule_testkit::moto;
use fulfillment_worker::{SecretKeyShipping, Worker};
use orders_adapters::DynamoDbOrders;
use orders_domain::testing::{sample_order, FakeShipping};
use orders_domain::{OrderReader, OrderService, OrderStatus, OrderWriter, SystemClock};

/// A fresh table with the orders key schema.
async fn orders_table() -> DynamoDbOrders {
    let client = aws_sdk_dynamodb::Client::new(&moto::sdk_config().await.unwrap());
    let name = moto::unique_name("orders-copies");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    DynamoDbOrders::new(client, name)
}

#[tokio::test]
async fn two_copies_of_one_order_placed_in_a_batch_call_the_carrier_once() {
    let orders = orders_table().await;
    orders.insert(&sample_order()).await.unwrap();
    let carrier = FakeShipping::accepting();
    let secrets = InMemorySecretStore::new();
    secrets.put("orders/dev/shipping", r#"{"apiKey":"k-1"}"#);
    let connect = carrier.clone();
    let shipping = SecretKeyShipping::new(
        Secrets::new(secrets),
        "orders/dev/shipping",
        move |_key: &str| Ok(connect.clone()),
    );
    let worker = Worker::new(OrderService::new(orders.clone(), SystemClock, ()), shipping);

    // The sample order's OrderPlaced, delivered twice (the second copy with its own message
    // id, as an event that reached the queue twice), next to each other in one batch.
    let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard").unwrap();
    event.records.truncate(1);
    let mut copy = event.records[0].clone();
    copy.message_id = Some("copy-of-the-first".to_owned());
    event.records.push(copy);

    let response = worker.handle(event, Duration::from_secs(10)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    assert_eq!(carrier.calls(), 1);
    let order = orders
        .get(sample_order().customer_id(), sample_order().id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status(), OrderStatus::Shipped);
}
