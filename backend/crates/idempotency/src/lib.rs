//! Idempotency with Powertools' semantics, for Rust functions.
//!
//! Wrap the work that must happen once per request in [`Idempotency::run`]. The key is
//! derived from the event (the whole event, or a [`Selection`] such as
//! `headers."idempotency-key"`), hashed, prefixed with the function name, and claimed in the
//! store with **one conditional write**: of two concurrent deliveries only one runs the work.
//!
//! | situation | result |
//! | --- | --- |
//! | first delivery | the work runs; its response is stored (status `COMPLETED`) |
//! | a duplicate after completion | the stored response is returned; the work does not run |
//! | a duplicate while the first still runs | [`IdempotencyError::AlreadyInProgress`] (retry later) |
//! | same key, different payload (with validation) | [`IdempotencyError::PayloadMismatch`] |
//! | the work fails | the record is removed so a retry can run it; the error is returned |
//! | the holder ran out of time (`in_progress_expiration` passed) | the next delivery runs the work |
//! | the record expired (`expiration`, the table's TTL attribute) | the next delivery runs the work |
//!
//! ```
//! use std::time::Duration;
//! use ferrule_idempotency::{Idempotency, IdempotencyConfig, InMemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let idempotency = Idempotency::new(
//!     InMemoryStore::new(),
//!     IdempotencyConfig::new("orders-api").key(r#"headers."idempotency-key""#).unwrap(),
//! );
//! let event = serde_json::json!({"headers": {"idempotency-key": "k-1"}, "body": "{}"});
//! let first: u32 = idempotency
//!     .run(&event, Duration::from_secs(3), || async { Ok::<_, std::io::Error>(42) })
//!     .await
//!     .unwrap();
//! let again: u32 = idempotency
//!     .run(&event, Duration::from_secs(3), || async { Ok::<_, std::io::Error>(7) })
//!     .await
//!     .unwrap();
//! assert_eq!((first, again), (42, 42)); // the duplicate got the stored response
//! # });
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrule_errors::{Classify, ErrorKind};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

#[cfg(feature = "dynamodb")]
mod dynamodb;
mod key;
mod store;

#[cfg(feature = "dynamodb")]
pub use dynamodb::{DynamoDbStore, TableLayout};
pub use key::{hash_value, Selection, SelectionError};
pub use store::{Claim, InMemoryStore, PersistenceStore, Record, Status, StoreError};

/// How long a completed record is kept: Powertools' default (one hour).
pub const DEFAULT_EXPIRES_AFTER: Duration = Duration::from_secs(3600);

/// A clock, injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Settings of one idempotent operation.
#[derive(Clone)]
pub struct IdempotencyConfig {
    prefix: String,
    key: Option<Selection>,
    validation: Option<Selection>,
    expires_after: Duration,
    require_key: bool,
    clock: Clock,
}

impl std::fmt::Debug for IdempotencyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyConfig")
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .field("validation", &self.validation)
            .field("expires_after", &self.expires_after)
            .field("require_key", &self.require_key)
            .finish_non_exhaustive()
    }
}

impl IdempotencyConfig {
    /// `prefix` namespaces the keys, typically the function name.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            key: None,
            validation: None,
            expires_after: DEFAULT_EXPIRES_AFTER,
            require_key: false,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// The part of the event that identifies a request (default: the whole event).
    pub fn key(mut self, expression: &str) -> Result<Self, SelectionError> {
        self.key = Some(Selection::parse(expression)?);
        Ok(self)
    }

    /// The part of the payload that must be identical for the same key (default: not checked).
    pub fn validate(mut self, expression: &str) -> Result<Self, SelectionError> {
        self.validation = Some(Selection::parse(expression)?);
        Ok(self)
    }

    /// How long a completed response is served to duplicates. @default one hour
    pub fn expires_after(mut self, expires_after: Duration) -> Self {
        self.expires_after = expires_after;
        self
    }

    /// Fail with [`IdempotencyError::NoKey`] when the key is absent. By default the work runs
    /// without idempotency (e.g. a `POST` without an `Idempotency-Key` header).
    pub fn require_key(mut self, require: bool) -> Self {
        self.require_key = require;
        self
    }

    /// Replaces the clock (tests).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

/// What went wrong; `E` is the work's own error.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError<E> {
    #[error("request {key} is already being processed; retry later")]
    AlreadyInProgress { key: String },
    #[error("request {key} was already made with a different payload")]
    PayloadMismatch { key: String },
    #[error("no idempotency key at `{expression}` in the event")]
    NoKey { expression: String },
    #[error("stored response for {key} is unreadable: {detail}")]
    Corrupt { key: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Handler(E),
}

impl<E: Classify> Classify for IdempotencyError<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            IdempotencyError::AlreadyInProgress { .. } => ErrorKind::Conflict,
            IdempotencyError::PayloadMismatch { .. } | IdempotencyError::NoKey { .. } => {
                ErrorKind::Validation
            }
            IdempotencyError::Corrupt { .. } => ErrorKind::NonRetryable,
            IdempotencyError::Store(_) => ErrorKind::Retryable,
            IdempotencyError::Handler(error) => error.kind(),
        }
    }
}

/// Runs work once per key.
#[derive(Debug, Clone)]
pub struct Idempotency<S> {
    store: S,
    config: IdempotencyConfig,
}

impl<S: PersistenceStore> Idempotency<S> {
    pub fn new(store: S, config: IdempotencyConfig) -> Self {
        Self { store, config }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The record key for `event`, or `None` when the event has no key.
    pub fn key_for(&self, event: &Value) -> Option<String> {
        match &self.config.key {
            Some(selection) => Some(self.key_of(&selection.select(event)?)),
            None => Some(self.key_of(event)),
        }
    }

    /// Runs `work` unless this event's key was already handled; returns the work's response
    /// or the stored one. `remaining` is the invocation's remaining time: a claim is held at
    /// most that long, so a crashed invocation does not block retries until the record expires.
    pub async fn run<T, E, F, Fut>(
        &self,
        event: &Value,
        remaining: Duration,
        work: F,
    ) -> Result<T, IdempotencyError<E>>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let Some(key) = self.key_for(event) else {
            if self.config.require_key {
                return Err(IdempotencyError::NoKey {
                    expression: self
                        .config
                        .key
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                });
            }
            tracing::debug!("no idempotency key in the event; running without idempotency");
            return work().await.map_err(IdempotencyError::Handler);
        };
        let payload_hash = self
            .config
            .validation
            .as_ref()
            .map(|selection| hash_value(&selection.select(event).unwrap_or(Value::Null)));
        self.run_claimed(key, payload_hash, remaining, work).await
    }

    /// [`run`](Self::run) for a caller that already holds the key and the payload to check
    /// (an HTTP handler with its `Idempotency-Key` header and body): no event to build and
    /// no selection expressions. The record key is the config's prefix and the hash of `key`,
    /// as `run` makes it from a selected value, so both find the same records.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrule_idempotency::{Idempotency, IdempotencyConfig, InMemoryStore};
    /// use serde_json::json;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let once = Idempotency::new(InMemoryStore::new(), IdempotencyConfig::new("payments"));
    /// let key = json!({ "customer": "c-1", "key": "k-1" });
    /// let body = json!("{\"amount\":5}");
    /// let first: u32 = once.run_with_key(&key, Some(&body), Duration::from_secs(3), || async { Ok::<_, ()>(1) }).await.unwrap();
    /// let again: u32 = once.run_with_key(&key, Some(&body), Duration::from_secs(3), || async { Ok::<_, ()>(2) }).await.unwrap();
    /// assert_eq!((first, again), (1, 1));
    /// # });
    /// ```
    pub async fn run_with_key<T, E, F, Fut>(
        &self,
        key: &Value,
        payload: Option<&Value>,
        remaining: Duration,
        work: F,
    ) -> Result<T, IdempotencyError<E>>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.run_claimed(self.key_of(key), payload.map(hash_value), remaining, work)
            .await
    }

    /// The record key [`run_with_key`](Self::run_with_key) uses for `key`: the same one
    /// [`key_for`](Self::key_for) gives an event whose selected value is `key`.
    ///
    /// ```
    /// use ferrule_idempotency::{Idempotency, IdempotencyConfig, InMemoryStore};
    /// use serde_json::json;
    ///
    /// let by_key = Idempotency::new(InMemoryStore::new(), IdempotencyConfig::new("p"));
    /// let by_event = Idempotency::new(InMemoryStore::new(), IdempotencyConfig::new("p").key("id").unwrap());
    /// assert_eq!(Some(by_key.key_of(&json!("o-1"))), by_event.key_for(&json!({ "id": "o-1" })));
    /// ```
    pub fn key_of(&self, key: &Value) -> String {
        format!("{}#{}", self.config.prefix, hash_value(key))
    }

    /// Claims `key`, runs `work` and stores its response, or answers from the stored record.
    async fn run_claimed<T, E, F, Fut>(
        &self,
        key: String,
        payload_hash: Option<String>,
        remaining: Duration,
        work: F,
    ) -> Result<T, IdempotencyError<E>>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let now = (self.config.clock)();
        let now_ms = epoch_ms(now);
        let now_s = now_ms.div_euclid(1000);
        let record = Record {
            key: key.clone(),
            status: Status::InProgress,
            expires_at_s: now_s + secs(self.config.expires_after),
            in_progress_expires_at_ms: Some(now_ms + millis(remaining)),
            response: None,
            payload_hash: payload_hash.clone(),
        };
        match self.store.claim(&record, now_s, now_ms).await? {
            Claim::Acquired => {}
            Claim::Exists(existing) => return self.duplicate(existing, payload_hash),
        }

        match work().await {
            Ok(response) => {
                match serde_json::to_string(&response) {
                    Ok(json) => {
                        let expires_at_s = epoch_ms((self.config.clock)()).div_euclid(1000)
                            + secs(self.config.expires_after);
                        if let Err(error) = self.store.complete(&key, &json, expires_at_s).await {
                            // The work is done: return its result. The record stays in progress
                            // until the invocation's deadline, then a retry may run it again.
                            tracing::error!(key = %key, error = %error, "could not store the idempotent response");
                        }
                    }
                    Err(error) => {
                        tracing::error!(key = %key, error = %error, "the response cannot be stored as JSON");
                        self.release(&key).await;
                    }
                }
                Ok(response)
            }
            Err(error) => {
                self.release(&key).await;
                Err(IdempotencyError::Handler(error))
            }
        }
    }

    fn duplicate<T, E>(
        &self,
        existing: Record,
        payload_hash: Option<String>,
    ) -> Result<T, IdempotencyError<E>>
    where
        T: DeserializeOwned,
    {
        if let (Some(stored), Some(ours)) = (&existing.payload_hash, &payload_hash) {
            if stored != ours {
                return Err(IdempotencyError::PayloadMismatch { key: existing.key });
            }
        }
        match (existing.status, existing.response) {
            (Status::Completed, Some(json)) => {
                serde_json::from_str(&json).map_err(|error| IdempotencyError::Corrupt {
                    key: existing.key,
                    detail: error.to_string(),
                })
            }
            _ => Err(IdempotencyError::AlreadyInProgress { key: existing.key }),
        }
    }

    async fn release(&self, key: &str) {
        if let Err(error) = self.store.release(key).await {
            tracing::error!(key = %key, error = %error, "could not release the idempotency record");
        }
    }
}

fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}
