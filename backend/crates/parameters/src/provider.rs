//! Cached reads of parameters at run time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
#[derive(Debug)]
pub struct Parameters<S> {
    store: S,
    max_age: Duration,
    values: Mutex<HashMap<String, Entry<String>>>,
    paths: Mutex<HashMap<String, Entry<BTreeMap<String, String>>>>,
}

impl<S: ParameterStore> Parameters<S> {
    pub fn new(store: S) -> Self {
        Self {
            store,
            max_age: DEFAULT_MAX_AGE,
            values: Mutex::default(),
            paths: Mutex::default(),
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

    /// Several parameters; stale or absent ones are fetched in batches of ten.
    /// Fails with every missing name when any is missing.
    pub async fn get_multiple(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, String>, ParameterError> {
        let (mut result, to_fetch) = self.cached(names);
        let mut missing = Vec::new();
        for chunk in to_fetch.chunks(MAX_NAMES_PER_CALL) {
            let fetched = self.store.get_parameters(chunk).await?;
            missing.extend(fetched.missing);
            let now = Instant::now();
            if let Ok(mut cache) = self.values.lock() {
                for (name, value) in &fetched.values {
                    cache.insert(
                        name.clone(),
                        Entry {
                            value: value.clone(),
                            fetched_at: now,
                        },
                    );
                }
            }
            result.extend(fetched.values);
        }
        if missing.is_empty() {
            Ok(result)
        } else {
            missing.sort();
            missing.dedup();
            Err(ParameterError::NotFoundMany(missing))
        }
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

    /// Forgets one cached value (or path): the next read goes to the store.
    pub fn refresh(&self, name: &str) {
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
