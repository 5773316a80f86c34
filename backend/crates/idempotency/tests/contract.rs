//! The contract every PersistenceStore adapter passes, run against the in-memory store and
//! against DynamoDB on moto. Time is injected, so expiry is tested without sleeping.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrule_idempotency::{
    DynamoDbStore, Idempotency, IdempotencyConfig, IdempotencyError, InMemoryStore,
    PersistenceStore, Status,
};
use ferrule_testkit::moto;
use serde_json::json;

#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Created {
    order_id: String,
    run: usize,
}

/// A clock the test moves by hand (epoch milliseconds).
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        Self(Arc::new(AtomicI64::new(now)))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
    fn as_clock(&self) -> ferrule_idempotency::Clock {
        let inner = self.0.clone();
        Arc::new(move || UNIX_EPOCH + Duration::from_millis(inner.load(Ordering::SeqCst) as u64))
    }
}

fn event(key: &str, body: serde_json::Value) -> serde_json::Value {
    json!({ "headers": { "idempotency-key": key }, "body": body.to_string() })
}

async fn contract<S: PersistenceStore + Clone>(store: S, prefix: &str) {
    let clock = TestClock::new();
    let config = IdempotencyConfig::new(prefix)
        .key(r#"headers."idempotency-key""#)
        .unwrap()
        .validate("body")
        .unwrap()
        .expires_after(Duration::from_secs(60))
        .clock(clock.as_clock());
    let idempotency = Idempotency::new(store.clone(), config);
    let runs = AtomicUsize::new(0);
    let work = || async {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, std::io::Error>(Created {
            order_id: "o-1".into(),
            run,
        })
    };
    let remaining = Duration::from_secs(3);
    let first_event = event("k-1", json!({"sku": "A", "qty": 1}));

    // First call runs the work and stores the response with its TTL attribute.
    let first: Created = idempotency
        .run(&first_event, remaining, work)
        .await
        .unwrap();
    assert_eq!(first.run, 1);
    let key = idempotency.key_for(&first_event).unwrap();
    let record = store.get(&key).await.unwrap().unwrap();
    assert_eq!(record.status, Status::Completed);
    assert!(record.expires_at_s > 0);

    // A duplicate gets the stored response; the work does not run.
    let again: Created = idempotency
        .run(&first_event, remaining, work)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Same key, different payload: rejected.
    let other_payload = event("k-1", json!({"sku": "B", "qty": 9}));
    let err = idempotency
        .run::<Created, _, _, _>(&other_payload, remaining, work)
        .await
        .unwrap_err();
    assert!(
        matches!(err, IdempotencyError::PayloadMismatch { .. }),
        "{err}"
    );

    // A concurrent duplicate, while the first holds the key: in progress, the work runs once.
    let concurrent = event("k-2", json!({"sku": "C"}));
    let gate = tokio::sync::Notify::new();
    let slow = || async {
        gate.notified().await;
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, std::io::Error>(Created {
            order_id: "o-2".into(),
            run,
        })
    };
    let (held, duplicate) = tokio::join!(
        idempotency.run::<Created, _, _, _>(&concurrent, remaining, slow),
        async {
            // Let the first claim land, then try the duplicate, then release the first.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let duplicate = idempotency
                .run::<Created, _, _, _>(&concurrent, remaining, work)
                .await;
            gate.notify_one();
            duplicate
        }
    );
    assert_eq!(held.unwrap().run, 2);
    assert!(
        matches!(duplicate, Err(IdempotencyError::AlreadyInProgress { .. })),
        "{duplicate:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    // A failed run releases the key: the retry runs the work.
    let failing = event("k-3", json!({}));
    let err = idempotency
        .run::<Created, _, _, _>(&failing, remaining, || async {
            Err(std::io::Error::other("downstream 503"))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, IdempotencyError::Handler(_)));
    assert!(store
        .get(&idempotency.key_for(&failing).unwrap())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        idempotency
            .run::<Created, _, _, _>(&failing, remaining, work)
            .await
            .unwrap()
            .run,
        3
    );

    // A holder that ran out of time (crashed) does not block the retry forever.
    let crashed = event("k-4", json!({}));
    let record = ferrule_idempotency::Record {
        key: idempotency.key_for(&crashed).unwrap(),
        status: Status::InProgress,
        expires_at_s: (clock.0.load(Ordering::SeqCst) / 1000) + 60,
        in_progress_expires_at_ms: Some(clock.0.load(Ordering::SeqCst) + 1_000),
        response: None,
        payload_hash: None,
    };
    let now_ms = clock.0.load(Ordering::SeqCst);
    store.claim(&record, now_ms / 1000, now_ms).await.unwrap();
    let blocked = idempotency
        .run::<Created, _, _, _>(&crashed, remaining, work)
        .await;
    assert!(matches!(
        blocked,
        Err(IdempotencyError::AlreadyInProgress { .. })
    ));
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        idempotency
            .run::<Created, _, _, _>(&crashed, remaining, work)
            .await
            .unwrap()
            .run,
        4
    );

    // After the record expires, the same request runs again.
    clock.advance(Duration::from_secs(61));
    let after_expiry: Created = idempotency
        .run(&first_event, remaining, work)
        .await
        .unwrap();
    assert_eq!(after_expiry.run, 5);
}

#[tokio::test]
async fn in_memory_store_passes_the_contract() {
    contract(InMemoryStore::new(), "memory").await;
}

#[tokio::test]
async fn dynamodb_on_moto_passes_the_contract() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let config = moto::sdk_config().await.unwrap();
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = moto::unique_name("idempotency");
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
    contract(DynamoDbStore::new(client, &table), "orders-api").await;
}

#[tokio::test]
async fn no_key_runs_without_idempotency_unless_required() {
    let config = IdempotencyConfig::new("f").key("headers.missing").unwrap();
    let idempotency = Idempotency::new(InMemoryStore::new(), config.clone());
    let value: u8 = idempotency
        .run(&json!({}), Duration::from_secs(1), || async {
            Ok::<_, std::io::Error>(1)
        })
        .await
        .unwrap();
    assert_eq!(value, 1);
    let strict = Idempotency::new(InMemoryStore::new(), config.require_key(true));
    let err = strict
        .run::<u8, _, _, _>(&json!({}), Duration::from_secs(1), || async {
            Ok::<_, std::io::Error>(1)
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no idempotency key at `headers.missing` in the event"
    );
}
