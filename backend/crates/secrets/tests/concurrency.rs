//! Lambda Managed Instances: many invocations at once in one process (wrapped as lambda_runtime
//! 1.5's concurrent loop wraps them) read secrets through one shared `Secrets` before anything
//! is cached. The store's fetch is held until every reader has started, so the reads really
//! miss the cache together. Each caller must get the value of the id it asked for, and each id
//! is fetched once: concurrent reads of one id share one fetch, its value or its error (an
//! error is not cached, so a read starting after it may fetch again).

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrule_secrets::{SecretError, SecretStore, SecretValue, Secrets, Sensitive, StoreError};
use ferrule_testkit::concurrent::ConcurrentRun;

const WORKERS: usize = 128;

/// A store whose value for `id` is `value of <id>` (none for ids starting with `missing`), that
/// counts fetches per id and holds each fetch until `readers` reads have started.
#[derive(Default)]
struct Counts {
    readers: usize,
    started: AtomicUsize,
    fetches: Mutex<HashMap<String, usize>>,
}

/// [`Counts`] shared by the test and the `Secrets` it reads through.
#[derive(Clone)]
struct SlowStore(Arc<Counts>);

impl std::ops::Deref for SlowStore {
    type Target = Counts;
    fn deref(&self) -> &Counts {
        &self.0
    }
}

impl Counts {
    fn fetches(&self) -> HashMap<String, usize> {
        self.fetches.lock().unwrap().clone()
    }
}

impl SecretStore for SlowStore {
    async fn get_secret(&self, id: &str) -> Result<SecretValue, StoreError> {
        *self
            .fetches
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default() += 1;
        while self.started.load(Ordering::SeqCst) < self.readers {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        if id.starts_with("missing") {
            return Ok(SecretValue::Missing);
        }
        Ok(SecretValue::Text(Sensitive::new(format!("value of {id}"))))
    }
}

/// Worker `i` reads `id_of(i)`; every read starts after a rendezvous of all workers.
async fn read_concurrently(
    id_of: fn(usize) -> String,
) -> (SlowStore, Vec<(String, Result<String, SecretError>)>) {
    let store = SlowStore(Arc::new(Counts {
        readers: WORKERS,
        ..Counts::default()
    }));
    let secrets = Arc::new(Secrets::new(store.clone()));
    let outcome = {
        let store = store.clone();
        ConcurrentRun::new(WORKERS)
            .run(move |invocation| {
                let (store, secrets) = (store.clone(), Arc::clone(&secrets));
                async move {
                    let id = id_of(invocation.index);
                    invocation.rendezvous().await;
                    store.started.fetch_add(1, Ordering::SeqCst);
                    let value = secrets.get(&id).await.map(|v| v.expose().clone());
                    (id, value)
                }
            })
            .await
            .unwrap()
    };
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    (
        store,
        outcome.finished.into_iter().map(|f| f.value).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_reads_of_one_secret_share_one_fetch() {
    let (store, reads) = read_concurrently(|_| "db".to_owned()).await;
    for (_, value) in reads {
        assert_eq!(value.unwrap(), "value of db");
    }
    assert_eq!(store.fetches(), HashMap::from([("db".to_owned(), 1)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_reads_of_many_secrets_get_their_own_value_once_fetched_each() {
    let (store, reads) = read_concurrently(|index| format!("s-{}", index % 16)).await;
    for (id, value) in reads {
        assert_eq!(
            value.unwrap(),
            format!("value of {id}"),
            "never another id's value"
        );
    }
    let fetches = store.fetches();
    assert_eq!(fetches.len(), 16);
    assert!(fetches.values().all(|n| *n == 1), "{fetches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_of_a_missing_secret_share_one_fetch_and_its_error() {
    let (store, reads) = read_concurrently(|index| format!("missing-{}", index % 2)).await;
    for (id, value) in reads {
        match value {
            Err(SecretError::NotFound(name)) => assert_eq!(name, id),
            other => panic!("{id}: {other:?}"),
        }
    }
    // An error is not cached: a read that starts after the shared fetch ended (a reader the
    // scheduler left behind) fetches again, so the count is not exactly one. But the reads
    // that overlapped shared their fetch: far fewer fetches than the 64 readers of each id.
    let fetches = store.fetches();
    assert_eq!(fetches.len(), 2);
    assert!(fetches.values().all(|n| *n < WORKERS / 2), "{fetches:?}");
}
