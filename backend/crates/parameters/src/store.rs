//! The port: where parameter values come from.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Most names SSM `GetParameters` accepts in one call.
pub const MAX_NAMES_PER_CALL: usize = 10;

/// What one batched read returns: the values found, and the names that do not exist.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub values: HashMap<String, String>,
    pub missing: Vec<String>,
}

/// A store failure (as opposed to a parameter that does not exist).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Throttling, a 5xx, a timeout: trying again later may work.
    #[error("parameter store unavailable: {0}")]
    Unavailable(String),
    /// Access denied, a KMS key we may not use, a malformed request: retrying will not help.
    #[error("parameter store refused the request: {0}")]
    Refused(String),
}

/// Reads parameters. Adapters: [`crate::SsmStore`] (AWS) and [`InMemoryStore`] (tests);
/// both pass the same contract tests (`tests/contract.rs`).
pub trait ParameterStore: Send + Sync {
    /// Reads up to [`MAX_NAMES_PER_CALL`] names in one call, decrypting SecureStrings.
    fn get_parameters(
        &self,
        names: &[String],
    ) -> impl Future<Output = Result<Fetched, StoreError>> + Send;

    /// Every parameter below `path` (recursively), decrypted, keyed by full name.
    fn get_parameters_by_path(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, StoreError>> + Send;
}

/// An in-memory [`ParameterStore`] that also counts calls, so tests can prove batching and caching.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    values: Arc<Mutex<BTreeMap<String, String>>>,
    calls: Arc<Mutex<Vec<usize>>>,
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) a parameter.
    pub fn put(&self, name: &str, value: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.insert(name.to_owned(), value.to_owned());
        }
    }

    /// The number of names asked for in each `get_parameters` call so far.
    pub fn calls(&self) -> Vec<usize> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ParameterStore for InMemoryStore {
    async fn get_parameters(&self, names: &[String]) -> Result<Fetched, StoreError> {
        if names.len() > MAX_NAMES_PER_CALL {
            return Err(StoreError::Refused(format!(
                "{} names in one call; the limit is {MAX_NAMES_PER_CALL}",
                names.len()
            )));
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(names.len());
        }
        let values = self
            .values
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".to_owned()))?;
        let mut fetched = Fetched::default();
        for name in names {
            match values.get(name) {
                Some(value) => {
                    fetched.values.insert(name.clone(), value.clone());
                }
                None => fetched.missing.push(name.clone()),
            }
        }
        Ok(fetched)
    }

    async fn get_parameters_by_path(
        &self,
        path: &str,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let values = self
            .values
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".to_owned()))?;
        Ok(values
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect())
    }
}
