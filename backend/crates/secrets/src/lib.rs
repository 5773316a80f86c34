//! Secrets from AWS Secrets Manager, the Ferrule way.
//!
//! Values are fetched lazily (on first use, not at init), cached for five minutes (the
//! default of the AWS Parameters and Secrets Lambda extension), refreshable on demand (after a
//! downstream `401`, for instance), deserialised into your own types when they are JSON, and
//! always wrapped in [`Sensitive`] so they never reach a log line. Error messages name the
//! secret and what is wrong with it, never its content.
//!
//! ```
//! use ferrule_secrets::{InMemorySecretStore, Secrets, Sensitive};
//!
//! #[derive(serde::Deserialize)]
//! struct ShippingCredentials {
//!     api_key: Sensitive<String>,
//!     account: String,
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let store = InMemorySecretStore::new();
//! store.put("shipping/api", r#"{"api_key":"k-123","account":"acme"}"#);
//! let secrets = Secrets::new(store);
//! let creds: ShippingCredentials = secrets.get_json("shipping/api").await.unwrap();
//! assert_eq!(creds.api_key.expose(), "k-123");
//! assert_eq!(format!("{:?}", creds.api_key), "***");
//! # });
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use ferrule_sensitive::Sensitive;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

/// How long a secret is served from the cache: the Lambda extension's default.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// A store failure (as opposed to a secret that does not exist).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Throttling, a 5xx, a timeout: trying again later may work.
    #[error("Secrets Manager unavailable: {0}")]
    Unavailable(String),
    /// Access denied, a KMS key we may not use, a secret scheduled for deletion.
    #[error("Secrets Manager refused the request: {0}")]
    Refused(String),
}

/// Why a secret could not be given to the caller. Messages never contain the value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    #[error("secret {0} does not exist (or this function may not read it)")]
    NotFound(String),
    #[error("secret {0} is binary; Ferrule reads SecretString values")]
    Binary(String),
    #[error("secret {id} is not the JSON expected: {detail}")]
    NotJson { id: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a store returns for one secret id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    Text(Sensitive<String>),
    Binary,
    Missing,
}

/// Reads secret values. Adapters: [`SecretsManagerStore`] (AWS) and [`InMemorySecretStore`];
/// both pass the same contract tests (`tests/contract.rs`).
pub trait SecretStore: Send + Sync {
    fn get_secret(&self, id: &str) -> impl Future<Output = Result<SecretValue, StoreError>> + Send;
}

#[derive(Debug)]
struct Entry {
    value: Sensitive<String>,
    fetched_at: Instant,
}

/// Lazily fetched, cached secrets over any [`SecretStore`].
///
/// Safe to share between concurrent invocations (an `Arc<Secrets<_>>`): reads of one id that
/// miss the cache at the same time share one fetch and all get its result (the value or the
/// error); a value is never returned under another id.
#[derive(Debug)]
pub struct Secrets<S> {
    store: S,
    max_age: Duration,
    state: Mutex<State>,
}

/// A fetch in progress, shared by every read of its id that missed the cache meanwhile.
type Flight = Arc<OnceCell<Result<Sensitive<String>, SecretError>>>;

#[derive(Debug, Default)]
struct State {
    cache: HashMap<String, Entry>,
    flights: HashMap<String, Flight>,
}

impl<S: SecretStore> Secrets<S> {
    pub fn new(store: S) -> Self {
        Self {
            store,
            max_age: DEFAULT_MAX_AGE,
            state: Mutex::default(),
        }
    }

    /// How long values stay cached. `Duration::ZERO` fetches on every read (reads at the same
    /// moment still share one fetch).
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The secret's string value, from the cache when fresh. Concurrent reads that miss the
    /// cache share one fetch.
    pub async fn get(&self, id: &str) -> Result<Sensitive<String>, SecretError> {
        let flight = {
            let mut state = self.state();
            if let Some(entry) = state
                .cache
                .get(id)
                .filter(|entry| entry.fetched_at.elapsed() < self.max_age)
            {
                return Ok(entry.value.clone());
            }
            Arc::clone(state.flights.entry(id.to_owned()).or_default())
        };
        // The first read fetches; the others wait for its result. If it is cancelled, the
        // next waiter fetches instead.
        let result = flight.get_or_init(|| self.fetch(id)).await.clone();
        let mut state = self.state();
        // Whoever gets here first retires the flight and caches its value, unless a refresh
        // retired it meanwhile (then the value may predate the refresh: not cached).
        if state
            .flights
            .get(id)
            .is_some_and(|current| Arc::ptr_eq(current, &flight))
        {
            state.flights.remove(id);
            if let Ok(value) = &result {
                state.cache.insert(
                    id.to_owned(),
                    Entry {
                        value: value.clone(),
                        fetched_at: Instant::now(),
                    },
                );
            }
        }
        result
    }

    async fn fetch(&self, id: &str) -> Result<Sensitive<String>, SecretError> {
        match self.store.get_secret(id).await? {
            SecretValue::Text(value) => Ok(value),
            SecretValue::Binary => Err(SecretError::Binary(id.to_owned())),
            SecretValue::Missing => Err(SecretError::NotFound(id.to_owned())),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two maps updated in one step each: usable after a panic elsewhere.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The secret's JSON deserialised into `T`. Keep sensitive fields as `Sensitive<_>`
    /// (or ask for `Sensitive<T>`). A mismatch is reported with its position, not its content.
    pub async fn get_json<T: DeserializeOwned>(&self, id: &str) -> Result<T, SecretError> {
        let raw = self.get(id).await?;
        serde_json::from_str(raw.expose()).map_err(|error| SecretError::NotJson {
            id: id.to_owned(),
            detail: describe_without_content(&error),
        })
    }

    /// Forgets the cached value: the next read fetches it (call after the secret was rotated
    /// or a downstream answered 401). A fetch already in progress is not joined by later reads.
    pub fn refresh(&self, id: &str) {
        let mut state = self.state();
        state.cache.remove(id);
        state.flights.remove(id);
    }

    /// [`Secrets::refresh`] then [`Secrets::get`].
    pub async fn get_fresh(&self, id: &str) -> Result<Sensitive<String>, SecretError> {
        self.refresh(id);
        self.get(id).await
    }
}

/// serde_json's messages quote the offending value ("invalid type: string \"hunter2\"");
/// keep only the category and the position.
fn describe_without_content(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "not valid JSON".to_owned()
        }
        serde_json::error::Category::Data => {
            // "missing field `x`" and "unknown field `x`" name fields, not values: keep those.
            let message = error.to_string();
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
            {
                format!("missing field `{field}`")
            } else if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
            {
                format!("unknown field `{field}`")
            } else {
                "a value has the wrong type".to_owned()
            }
        }
        serde_json::error::Category::Io => "could not be read".to_owned(),
    };
    format!("{what} (line {}, column {})", error.line(), error.column())
}

/// An in-memory [`SecretStore`] that counts fetches, for tests.
#[derive(Debug, Clone, Default)]
pub struct InMemorySecretStore {
    values: Arc<Mutex<HashMap<String, SecretValue>>>,
    fetches: Arc<Mutex<usize>>,
}

impl InMemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&self, id: &str, value: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.insert(
                id.to_owned(),
                SecretValue::Text(Sensitive::new(value.to_owned())),
            );
        }
    }

    pub fn put_binary(&self, id: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.insert(id.to_owned(), SecretValue::Binary);
        }
    }

    /// How many times a value was read from this store.
    pub fn fetches(&self) -> usize {
        self.fetches.lock().map(|n| *n).unwrap_or_default()
    }
}

impl SecretStore for InMemorySecretStore {
    async fn get_secret(&self, id: &str) -> Result<SecretValue, StoreError> {
        if let Ok(mut fetches) = self.fetches.lock() {
            *fetches += 1;
        }
        let values = self
            .values
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".to_owned()))?;
        Ok(values.get(id).cloned().unwrap_or(SecretValue::Missing))
    }
}

#[cfg(feature = "secretsmanager")]
mod secretsmanager;
#[cfg(feature = "secretsmanager")]
pub use secretsmanager::SecretsManagerStore;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Creds {
        user: String,
        password: Sensitive<String>,
        port: u16,
    }

    fn secrets() -> (InMemorySecretStore, Secrets<InMemorySecretStore>) {
        let store = InMemorySecretStore::new();
        store.put("db", r#"{"user":"app","password":"hunter2","port":5432}"#);
        (store.clone(), Secrets::new(store))
    }

    #[tokio::test]
    async fn fetches_lazily_once_then_serves_the_cache() {
        let (store, secrets) = secrets();
        assert_eq!(
            store.fetches(),
            0,
            "nothing is fetched before the first read"
        );
        let first = secrets.get("db").await.unwrap();
        let second = secrets.get("db").await.unwrap();
        assert_eq!(first, second);
        assert_eq!(store.fetches(), 1);
    }

    #[tokio::test]
    async fn expired_values_are_fetched_again() {
        let (store, secrets) = secrets();
        let secrets = secrets.with_max_age(Duration::from_millis(20));
        secrets.get("db").await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        secrets.get("db").await.unwrap();
        assert_eq!(store.fetches(), 2);
    }

    #[tokio::test]
    async fn refresh_fetches_the_rotated_value() {
        let (store, secrets) = secrets();
        secrets.get("db").await.unwrap();
        store.put("db", "rotated");
        assert_ne!(
            secrets.get("db").await.unwrap().expose(),
            "rotated",
            "still cached"
        );
        assert_eq!(secrets.get_fresh("db").await.unwrap().expose(), "rotated");
        assert_eq!(store.fetches(), 2);
    }

    #[tokio::test]
    async fn json_secrets_are_typed_and_stay_hidden() {
        let (_, secrets) = secrets();
        let creds: Creds = secrets.get_json("db").await.unwrap();
        assert_eq!(creds.password.expose(), "hunter2");
        assert!(!format!("{creds:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn errors_name_the_secret_never_the_value() {
        let (store, secrets) = secrets();
        store.put(
            "wrong-type",
            r#"{"user":"app","password":"hunter2","port":"hunter2"}"#,
        );
        store.put("not-json", "hunter2");
        store.put(
            "extra",
            r#"{"user":"a","password":"hunter2","port":1,"pin":"hunter2"}"#,
        );
        store.put("partial", r#"{"user":"a","port":1}"#);
        store.put_binary("bin");
        let cases = [
            (
                "wrong-type",
                "secret wrong-type is not the JSON expected: a value has the wrong type",
            ),
            (
                "not-json",
                "secret not-json is not the JSON expected: not valid JSON",
            ),
            (
                "extra",
                "secret extra is not the JSON expected: unknown field `pin`",
            ),
            (
                "partial",
                "secret partial is not the JSON expected: missing field `password`",
            ),
        ];
        for (id, expected) in cases {
            let message = secrets.get_json::<Creds>(id).await.unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        assert_eq!(
            secrets.get("missing").await.unwrap_err().to_string(),
            "secret missing does not exist (or this function may not read it)"
        );
        assert!(matches!(
            secrets.get("bin").await,
            Err(SecretError::Binary(_))
        ));
    }
}
