//! The storage contracts against DynamoDB on moto, plus the failures only a real table has.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use ferrule_testkit::moto;
use orders_adapters::{keys, DynamoDbOrders};
use orders_domain::testing::{contract, sample_order};
use orders_domain::{
    CustomerProfiles, Notification, OrderEvent, OrderReader, OrderWriter, PageRequest,
    RepositoryError, Timestamp,
};

async fn client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto::sdk_config().await.unwrap())
}

/// A fresh table with the orders key schema.
async fn table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = moto::unique_name("orders");
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
    name
}

async fn fresh() -> (aws_sdk_dynamodb::Client, DynamoDbOrders) {
    let client = client().await;
    let name = table(&client).await;
    (client.clone(), DynamoDbOrders::new(client, name))
}

#[tokio::test]
async fn orders_pass_the_order_store_contract() {
    let (_, orders) = fresh().await;
    contract::order_store_contract(&orders).await;
}

#[tokio::test]
async fn one_table_passes_the_single_table_contract() {
    let (_, orders) = fresh().await;
    contract::single_table_contract(&orders).await;
}

#[tokio::test]
async fn profiles_pass_the_profiles_contract() {
    let (_, orders) = fresh().await;
    contract::customer_profiles_contract(&orders).await;
}

#[tokio::test]
async fn notifications_pass_the_notifications_contract() {
    let (_, orders) = fresh().await;
    contract::notifications_contract(&orders).await;
}

#[tokio::test]
async fn items_are_stored_under_the_documented_keys() {
    let (client, orders) = fresh().await;
    let order = sample_order();
    orders.insert(&order).await.unwrap();
    let event = OrderEvent::placed(&order);
    let note = Notification::for_event(&event, Timestamp::EPOCH);
    orders_domain::Notifications::record(&orders, &note)
        .await
        .unwrap();
    let items = client
        .scan()
        .table_name(orders.table())
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let mut keys: Vec<(String, String, String)> = items
        .iter()
        .map(|item| {
            let s = |name: &str| item[name].as_s().unwrap().clone();
            (s("pk"), s("sk"), s("entity"))
        })
        .collect();
    keys.sort();
    let pk = "CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d".to_owned();
    assert_eq!(
        keys,
        [
            (
                pk.clone(),
                "NOTIFICATION#01M8BEWE407HD9W8BV0KBFG6HB:1".into(),
                "NOTIFICATION".into()
            ),
            (
                pk,
                "ORDER#01M8BEWE407HD9W8BV0KBFG6HB".into(),
                "ORDER".into()
            ),
        ]
    );
}

#[tokio::test]
async fn a_corrupt_item_is_reported_with_its_key() {
    let (client, orders) = fresh().await;
    let order = sample_order();
    let item = HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(keys::customer_pk(order.customer_id())),
        ),
        (
            "sk".to_owned(),
            AttributeValue::S(keys::order_sk(order.id())),
        ),
        ("status".to_owned(), AttributeValue::S("PLACED".into())),
    ]);
    client
        .put_item()
        .table_name(orders.table())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    match orders.get(order.customer_id(), order.id()).await {
        Err(RepositoryError::Corrupt { key, reason }) => {
            assert_eq!(
                key,
                "CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/ORDER#01M8BEWE407HD9W8BV0KBFG6HB"
            );
            assert!(reason.contains("missing field"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let listed = orders
        .list(order.customer_id(), &PageRequest::default())
        .await;
    assert!(
        matches!(listed, Err(RepositoryError::Corrupt { .. })),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_missing_table_is_a_permanent_failure_of_every_call() {
    let client = client().await;
    let orders = DynamoDbOrders::new(client, moto::unique_name("no-such-table"));
    let order = sample_order();
    let failures = [
        orders
            .get(order.customer_id(), order.id())
            .await
            .map(|_| ()),
        orders
            .list(order.customer_id(), &PageRequest::default())
            .await
            .map(|_| ()),
        orders.insert(&order).await,
        orders.update(&order, 1).await,
        orders.get_profile(order.customer_id()).await.map(|_| ()),
    ];
    for failure in failures {
        match failure {
            Err(RepositoryError::Failed { message, .. }) => {
                assert!(message.contains("ResourceNotFound"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable() {
    let sdk = moto::sdk_config().await.unwrap();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url("http://127.0.0.1:1")
        .retry_config(RetryConfig::disabled())
        .build();
    let orders = DynamoDbOrders::new(aws_sdk_dynamodb::Client::from_conf(config), "orders");
    let order = sample_order();
    let result = orders.get(order.customer_id(), order.id()).await;
    assert!(
        matches!(
            result,
            Err(RepositoryError::Unavailable {
                operation: "GetItem order",
                ..
            })
        ),
        "{result:?}"
    );
    let result = orders.insert(&order).await;
    assert!(
        matches!(result, Err(RepositoryError::Unavailable { .. })),
        "{result:?}"
    );
}
