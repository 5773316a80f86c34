//! Lambda Managed Instances: many deliveries at once in one process, each an invocation wrapped
//! as lambda_runtime 1.5's concurrent loop wraps it, all claiming their key after a rendezvous
//! that has every one of them in flight. Of the deliveries of one key the work runs once: the
//! holder keeps it running until every other delivery has answered, so each of those must get
//! `AlreadyInProgress`; deliveries after it completed get its stored response. Distinct keys all
//! run. Against the in-memory store and against DynamoDB on moto (the contract's two adapters).

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrule_idempotency::{
    DynamoDbStore, Idempotency, IdempotencyConfig, IdempotencyError, InMemoryStore,
    PersistenceStore,
};
use ferrule_testkit::concurrent::{ConcurrentRun, STUCK_AFTER};
use ferrule_testkit::moto;
use serde_json::json;
use tokio::sync::Semaphore;

const WORKERS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Created {
    order_id: String,
    by: String,
}

fn idempotency<S: PersistenceStore>(store: S) -> Idempotency<S> {
    Idempotency::new(
        store,
        IdempotencyConfig::new("orders-api")
            .key(r#"headers."idempotency-key""#)
            .unwrap(),
    )
}

fn event(key: &str) -> serde_json::Value {
    json!({ "headers": { "idempotency-key": key }, "body": "{}" })
}

/// How one delivery ended.
#[derive(Debug)]
enum Answer {
    Ran(Created),
    Stored(Created),
    InProgress,
}

/// Round 1: every worker delivers the same key at once; the one that claims it runs the work,
/// which waits until the 127 others have answered. Round 2: the same key again, after completion.
async fn same_key_runs_once<S: PersistenceStore + 'static>(store: S) {
    let idempotency = Arc::new(idempotency(store));
    let runs = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(Semaphore::new(0));
    let outcome = {
        let (runs, answered) = (Arc::clone(&runs), Arc::clone(&answered));
        ConcurrentRun::new(WORKERS)
            .rounds(2)
            .run(move |invocation| {
                let (idempotency, runs, answered) = (
                    Arc::clone(&idempotency),
                    Arc::clone(&runs),
                    Arc::clone(&answered),
                );
                async move {
                    invocation.rendezvous().await;
                    let ran = AtomicUsize::new(0);
                    let result = idempotency
                        .run(&event("k-same"), STUCK_AFTER, || async {
                            ran.store(1, Ordering::SeqCst);
                            runs.fetch_add(1, Ordering::SeqCst);
                            invocation.interleave().await;
                            // Held until every other delivery of round 1 has answered.
                            answered
                                .acquire_many(u32::try_from(WORKERS - 1).unwrap())
                                .await
                                .unwrap()
                                .forget();
                            Ok::<_, std::io::Error>(Created {
                                order_id: "o-1".into(),
                                by: invocation.request_id.clone(),
                            })
                        })
                        .await;
                    let answer = match result {
                        Ok(created) if ran.load(Ordering::SeqCst) == 1 => Answer::Ran(created),
                        Ok(created) => Answer::Stored(created),
                        Err(IdempotencyError::AlreadyInProgress { .. }) => Answer::InProgress,
                        Err(other) => panic!("{}: {other}", invocation.request_id),
                    };
                    if invocation.index < WORKERS && !matches!(answer, Answer::Ran(_)) {
                        answered.add_permits(1);
                    }
                    answer
                }
            })
            .await
            .unwrap()
    };
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the work ran once");

    let (first, second) = outcome.finished.split_at(WORKERS);
    let ran: Vec<&Created> = first
        .iter()
        .filter_map(|f| match &f.value {
            Answer::Ran(created) => Some(created),
            _ => None,
        })
        .collect();
    assert_eq!(ran.len(), 1, "one delivery ran the work");
    let result = ran[0].clone();
    assert!(
        first
            .iter()
            .all(|f| matches!(&f.value, Answer::Ran(_) | Answer::InProgress)),
        "the others answered while it ran: in progress"
    );
    for finished in second {
        match &finished.value {
            Answer::Stored(created) => assert_eq!(*created, result),
            other => panic!("{} after completion: {other:?}", finished.request_id),
        }
    }
}

/// Every worker delivers its own key at once: every one runs, with its own result.
async fn distinct_keys_all_run<S: PersistenceStore + 'static>(store: S) {
    let idempotency = Arc::new(idempotency(store));
    let outcome = ConcurrentRun::new(WORKERS)
        .run(move |invocation| {
            let idempotency = Arc::clone(&idempotency);
            async move {
                invocation.rendezvous().await;
                let key = format!("k-{}", invocation.request_id);
                idempotency
                    .run(&event(&key), STUCK_AFTER, || async {
                        invocation.interleave().await;
                        Ok::<_, std::io::Error>(Created {
                            order_id: key.clone(),
                            by: invocation.request_id.clone(),
                        })
                    })
                    .await
                    .unwrap()
            }
        })
        .await
        .unwrap();
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    for finished in &outcome.finished {
        assert_eq!(finished.value.by, finished.request_id);
        assert_eq!(
            finished.value.order_id,
            format!("k-{}", finished.request_id)
        );
    }
}

async fn dynamodb_store() -> DynamoDbStore {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let config = moto::sdk_config().await.unwrap();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = moto::unique_name("idempotency-concurrent");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    DynamoDbStore::new(client, &table)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_concurrent_deliveries_of_one_key_run_the_work_once() {
    same_key_runs_once(InMemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_concurrent_deliveries_of_distinct_keys_all_run() {
    distinct_keys_all_run(InMemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_on_moto_concurrent_deliveries_of_one_key_run_the_work_once() {
    same_key_runs_once(dynamodb_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_on_moto_concurrent_deliveries_of_distinct_keys_all_run() {
    distinct_keys_all_run(dynamodb_store().await).await;
}
