//! Lambda Managed Instances: many invocations at once in one process (wrapped as lambda_runtime
//! 1.5's concurrent loop wraps them) read parameters through one shared `Parameters` before
//! anything is cached. The store holds each call until every reader has started, so the reads
//! really miss the cache together. Each caller must get the values of the names it asked for,
//! never another name's, and each name is fetched once: concurrent reads share one fetch.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrule_parameters::{Fetched, ParameterStore, Parameters, StoreError};
use ferrule_testkit::concurrent::ConcurrentRun;

const WORKERS: usize = 128;

/// Counts shared by the test and the store `Parameters` reads through.
#[derive(Default)]
struct Counts {
    readers: usize,
    started: AtomicUsize,
    fetches: Mutex<HashMap<String, usize>>,
}

/// A store whose value for `name` is `value of <name>`, that counts fetches per name and holds
/// each call until `readers` reads have started.
#[derive(Clone)]
struct SlowStore(Arc<Counts>);

impl SlowStore {
    fn fetches(&self) -> HashMap<String, usize> {
        self.0.fetches.lock().unwrap().clone()
    }
}

impl ParameterStore for SlowStore {
    async fn get_parameters(&self, names: &[String]) -> Result<Fetched, StoreError> {
        assert!(names.len() <= 10, "batches of ten at most");
        for name in names {
            *self
                .0
                .fetches
                .lock()
                .unwrap()
                .entry(name.clone())
                .or_default() += 1;
        }
        while self.0.started.load(Ordering::SeqCst) < self.0.readers {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        let mut fetched = Fetched::default();
        for name in names {
            fetched
                .values
                .insert(name.clone(), format!("value of {name}"));
        }
        Ok(fetched)
    }

    async fn get_parameters_by_path(
        &self,
        _path: &str,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        Ok(BTreeMap::new())
    }
}

fn name(n: usize) -> String {
    format!("/shop/p{:02}", n % 16)
}

/// Worker `i` reads `names_of(i)` with one `get_multiple`, after a rendezvous of all workers.
async fn read_concurrently(
    names_of: fn(usize) -> Vec<String>,
) -> (SlowStore, Vec<(Vec<String>, HashMap<String, String>)>) {
    let store = SlowStore(Arc::new(Counts {
        readers: WORKERS,
        ..Counts::default()
    }));
    let parameters = Arc::new(Parameters::new(store.clone()));
    let outcome = {
        let store = store.clone();
        ConcurrentRun::new(WORKERS)
            .run(move |invocation| {
                let (store, parameters) = (store.clone(), Arc::clone(&parameters));
                async move {
                    let names = names_of(invocation.index);
                    invocation.rendezvous().await;
                    store.0.started.fetch_add(1, Ordering::SeqCst);
                    let values = if let [one] = names.as_slice() {
                        HashMap::from([(one.clone(), parameters.get(one).await.unwrap())])
                    } else {
                        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                        parameters.get_multiple(&refs).await.unwrap()
                    };
                    (names, values)
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

fn assert_own_values(reads: &[(Vec<String>, HashMap<String, String>)]) {
    for (names, values) in reads {
        let expected: HashMap<String, String> = names
            .iter()
            .map(|name| (name.clone(), format!("value of {name}")))
            .collect();
        assert_eq!(
            *values, expected,
            "only the names asked for, each its own value"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_reads_of_one_parameter_share_one_fetch() {
    let (store, reads) = read_concurrently(|_| vec!["/shop/currency".to_owned()]).await;
    assert_own_values(&reads);
    assert_eq!(
        store.fetches(),
        HashMap::from([("/shop/currency".to_owned(), 1)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_reads_of_many_parameters_get_their_own_value_once_fetched_each() {
    let (store, reads) = read_concurrently(|index| vec![name(index)]).await;
    assert_own_values(&reads);
    let fetches = store.fetches();
    assert_eq!(fetches.len(), 16);
    assert!(fetches.values().all(|n| *n == 1), "{fetches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_get_multiple_calls_fetch_each_name_once() {
    let (store, reads) =
        read_concurrently(|index| vec![name(index), name(index + 1), name(index + 5)]).await;
    assert_own_values(&reads);
    let fetches = store.fetches();
    assert_eq!(fetches.len(), 16);
    assert!(fetches.values().all(|n| *n == 1), "{fetches:?}");
}
