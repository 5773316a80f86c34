//! Cached reads of parameters at run time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::store::{ParameterStore, StoreError, MAX_NAMES_PER_CALL};

/// How long a value is served from the cache: Powertools' default.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(5);

/// Why a parameter read failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ParameterError {
    #[error("SSM parameter {0} does not exist (or this function may not read it)")]
    NotFound(String),
    #[error("SSM parameters do not exist (or this function may not read them): {}", .0.join(", "))]
    NotFoundMany(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
struct Entry<T> {
    value: T,
    fetched_at: Instant,
}

/// Parameter reads through a TTL cache, over any [`ParameterStore`].
///
/// ```
/// # use ferrule_parameters::{InMemoryStore, Parameters};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = InMemoryStore::new();
/// store.put("/shop/currency", "EUR");
/// let parameters = Parameters::new(store.clone());
/// assert_eq!(parameters.get("/shop/currency").await.unwrap(), "EUR");
/// store.put("/shop/currency", "CHF");
/// assert_eq!(parameters.get("/shop/currency").await.unwrap(), "EUR"); // cached
/// parameters.refresh("/shop/currency");
/// assert_eq!(parameters.get("/shop/currency").await.unwrap(), "CHF");
/// # });
/// ```
///
/// Safe to share between concurrent invocations (an `Arc<Parameters<_>>`): reads of one name
/// that miss the cache at the same time share one fetch and all get its result (the value, its
/// absence or the store's error), so a cold start of many invocations at once asks the store
/// once per name, not once per invocation. A value is never returned under another name.
/// [`get_by_path`](Parameters::get_by_path) does not share fetches: concurrent first reads of
/// a path each fetch it.
#[derive(Debug)]
pub struct Parameters<S> {
    store: S,
    max_age: Duration,
    values: Mutex<HashMap<String, Entry<String>>>,
    paths: Mutex<HashMap<String, Entry<BTreeMap<String, String>>>>,
    /// Names being fetched, each with the channel its result will be sent on.
    flights: Mutex<HashMap<String, Flight>>,
}

/// What a fetch found for one name: its value, `None` if it does not exist, or the store's error.
type Outcome = Result<Option<String>, StoreError>;
type Flight = watch::Receiver<Option<Outcome>>;

/// The fetches one call started: completed one by one; those left when it is dropped (an error,
/// a cancelled call) are withdrawn, and their waiters start over.
struct OwnedFlights<'a> {
    flights: &'a Mutex<HashMap<String, Flight>>,
    owned: Vec<(String, watch::Sender<Option<Outcome>>, Flight)>,
}

impl OwnedFlights<'_> {
    fn names(&self) -> Vec<String> {
        self.owned.iter().map(|(name, _, _)| name.clone()).collect()
    }

    /// Withdraws `name`'s flight, then gives its waiters `outcome`. `cache` runs first, under
    /// the flights lock and only if the flight was still registered (a refresh withdraws it),
    /// so a read arriving after the withdrawal finds the value cached.
    fn complete(&mut self, name: &str, outcome: Outcome, cache: impl FnOnce(&str, &Outcome)) {
        let Some(position) = self.owned.iter().position(|(owned, _, _)| owned == name) else {
            return;
        };
        let (name, sender, receiver) = self.owned.swap_remove(position);
        {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            if flights
                .get(&name)
                .is_some_and(|current| current.same_channel(&receiver))
            {
                flights.remove(&name);
                cache(&name, &outcome);
            }
        }
        sender.send_replace(Some(outcome));
    }
}

impl Drop for OwnedFlights<'_> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, _, receiver) in &self.owned {
            if flights
                .get(name)
                .is_some_and(|current| current.same_channel(receiver))
            {
                flights.remove(name);
            }
        }
    }
}

impl<S: ParameterStore> Parameters<S> {
    pub fn new(store: S) -> Self {
        Self {
            store,
            max_age: DEFAULT_MAX_AGE,
            values: Mutex::default(),
            paths: Mutex::default(),
            flights: Mutex::default(),
        }
    }

    /// How long values stay cached. `Duration::ZERO` disables the cache.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// One parameter (decrypted), from the cache when fresh.
    pub async fn get(&self, name: &str) -> Result<String, ParameterError> {
        let mut found = self.get_multiple(&[name]).await.map_err(|e| match e {
            ParameterError::NotFoundMany(_) => ParameterError::NotFound(name.to_owned()),
            other => other,
        })?;
        found
            .remove(name)
            .ok_or_else(|| ParameterError::NotFound(name.to_owned()))
    }

    /// Several parameters; stale or absent ones are fetched in batches of ten, except those
    /// another call is fetching already: their result is awaited instead.
    /// Fails with every missing name when any is missing.
    pub async fn get_multiple(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, String>, ParameterError> {
        let (mut result, mut pending) = self.cached(names);
        let mut missing = Vec::new();
        while !pending.is_empty() {
            let (mut owned, joined) = self.claim(&pending, &mut result);
            pending.clear();
            for chunk in owned.names().chunks(MAX_NAMES_PER_CALL) {
                let fetched = match self.store.get_parameters(chunk).await {
                    Ok(fetched) => fetched,
                    Err(error) => {
                        // Every read waiting on this call's names gets the same error.
                        for name in owned.names() {
                            owned.complete(&name, Err(error.clone()), |_, _| {});
                        }
                        return Err(error.into());
                    }
                };
                let now = Instant::now();
                for name in chunk {
                    let outcome = Ok(fetched.values.get(name).cloned());
                    owned.complete(name, outcome, |name, outcome| {
                        if let Ok(Some(value)) = outcome {
                            self.values
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .insert(
                                    name.to_owned(),
                                    Entry {
                                        value: value.clone(),
                                        fetched_at: now,
                                    },
                                );
                        }
                    });
                }
                missing.extend(fetched.missing);
                result.extend(fetched.values);
            }
            for (name, mut flight) in joined {
                let outcome = match flight.wait_for(Option::is_some).await {
                    Ok(outcome) => outcome.clone(),
                    // The call fetching it failed or was cancelled: fetch it ourselves.
                    Err(_) => None,
                };
                match outcome {
                    Some(Ok(Some(value))) => {
                        result.insert(name, value);
                    }
                    Some(Ok(None)) => missing.push(name),
                    Some(Err(error)) => return Err(error.into()),
                    None => pending.push(name),
                }
            }
        }
        if missing.is_empty() {
            Ok(result)
        } else {
            missing.sort();
            missing.dedup();
            Err(ParameterError::NotFoundMany(missing))
        }
    }

    /// Splits `names` into those cached since the caller looked (into `hits`), those this call
    /// fetches (a new flight each) and those another call is fetching already (its flight, to
    /// wait on). The cache is looked at again under the flights lock, under which a completed
    /// flight is cached and withdrawn in one step: a name is never fetched twice because its
    /// fetch ended between the caller's look at the cache and this claim.
    fn claim(
        &self,
        names: &[String],
        hits: &mut HashMap<String, String>,
    ) -> (OwnedFlights<'_>, Vec<(String, Flight)>) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let mut owned = Vec::new();
        let mut joined = Vec::new();
        for name in names {
            if let Some(entry) = values.get(name).filter(|e| self.is_fresh(e.fetched_at)) {
                hits.insert(name.clone(), entry.value.clone());
                continue;
            }
            match flights.get(name) {
                Some(flight) => joined.push((name.clone(), flight.clone())),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    flights.insert(name.clone(), receiver.clone());
                    owned.push((name.clone(), sender, receiver));
                }
            }
        }
        (
            OwnedFlights {
                flights: &self.flights,
                owned,
            },
            joined,
        )
    }

    /// Every parameter below `path`, recursively, keyed by full name (cached per path).
    pub async fn get_by_path(
        &self,
        path: &str,
    ) -> Result<BTreeMap<String, String>, ParameterError> {
        if let Ok(paths) = self.paths.lock() {
            if let Some(entry) = paths.get(path).filter(|e| self.is_fresh(e.fetched_at)) {
                return Ok(entry.value.clone());
            }
        }
        let values = self.store.get_parameters_by_path(path).await?;
        if let Ok(mut paths) = self.paths.lock() {
            paths.insert(
                path.to_owned(),
                Entry {
                    value: values.clone(),
                    fetched_at: Instant::now(),
                },
            );
        }
        Ok(values)
    }

    /// Forgets one cached value (or path): the next read goes to the store (and does not join
    /// a fetch that started before).
    pub fn refresh(&self, name: &str) {
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(name);
        }
        if let Ok(mut values) = self.values.lock() {
            values.remove(name);
        }
        if let Ok(mut paths) = self.paths.lock() {
            paths.remove(name);
        }
    }

    /// Forgets everything cached.
    pub fn refresh_all(&self) {
        if let Ok(mut values) = self.values.lock() {
            values.clear();
        }
        if let Ok(mut paths) = self.paths.lock() {
            paths.clear();
        }
    }

    fn is_fresh(&self, fetched_at: Instant) -> bool {
        fetched_at.elapsed() < self.max_age
    }

    fn cached(&self, names: &[&str]) -> (HashMap<String, String>, Vec<String>) {
        let mut hits = HashMap::new();
        let mut misses = Vec::new();
        let cache = self.values.lock().ok();
        for name in names {
            match cache
                .as_ref()
                .and_then(|c| c.get(*name))
                .filter(|e| self.is_fresh(e.fetched_at))
            {
                Some(entry) => {
                    hits.insert((*name).to_owned(), entry.value.clone());
                }
                None if !misses.iter().any(|m| m == name) => misses.push((*name).to_owned()),
                None => {}
            }
        }
        (hits, misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InMemoryStore;

    fn store_with(n: usize) -> InMemoryStore {
        let store = InMemoryStore::new();
        for i in 0..n {
            store.put(&format!("/app/p{i:02}"), &format!("v{i}"));
        }
        store
    }

    #[tokio::test]
    async fn batches_by_ten_and_caches() {
        let store = store_with(23);
        let parameters = Parameters::new(store.clone());
        let names: Vec<String> = (0..23).map(|i| format!("/app/p{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let values = parameters.get_multiple(&refs).await.unwrap();
        assert_eq!(values.len(), 23);
        assert_eq!(values["/app/p22"], "v22");
        assert_eq!(store.calls(), vec![10, 10, 3]);
        parameters.get_multiple(&refs).await.unwrap();
        assert_eq!(
            store.calls().len(),
            3,
            "second read is served from the cache"
        );
    }

    #[tokio::test]
    async fn missing_names_are_all_listed() {
        let parameters = Parameters::new(store_with(2));
        let err = parameters
            .get_multiple(&["/app/p00", "/app/zz", "/app/aa"])
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "SSM parameters do not exist (or this function may not read them): /app/aa, /app/zz"
        );
        let err = parameters.get("/app/nope").await.unwrap_err();
        assert!(
            matches!(err, ParameterError::NotFound(ref n) if n == "/app/nope"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn ttl_expiry_and_refresh_fetch_again() {
        let store = store_with(1);
        let parameters = Parameters::new(store.clone()).with_max_age(Duration::from_millis(30));
        assert_eq!(parameters.get("/app/p00").await.unwrap(), "v0");
        store.put("/app/p00", "changed");
        assert_eq!(parameters.get("/app/p00").await.unwrap(), "v0");
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(parameters.get("/app/p00").await.unwrap(), "changed");
        store.put("/app/p00", "again");
        parameters.refresh("/app/p00");
        assert_eq!(parameters.get("/app/p00").await.unwrap(), "again");
    }

    #[tokio::test]
    async fn by_path_is_recursive_and_cached() {
        let store = store_with(3);
        store.put("/other/x", "no");
        store.put("/app/nested/deep", "yes");
        let parameters = Parameters::new(store.clone());
        let values = parameters.get_by_path("/app").await.unwrap();
        assert_eq!(values.len(), 4);
        assert_eq!(values["/app/nested/deep"], "yes");
        store.put("/app/new", "later");
        assert_eq!(parameters.get_by_path("/app").await.unwrap().len(), 4);
        parameters.refresh_all();
        assert_eq!(parameters.get_by_path("/app").await.unwrap().len(), 5);
    }
}
