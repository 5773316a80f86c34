//! The port: where idempotency records live.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The life of a record, with Powertools' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Completed,
    Expired,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "INPROGRESS",
            Status::Completed => "COMPLETED",
            Status::Expired => "EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "INPROGRESS" => Some(Status::InProgress),
            "COMPLETED" => Some(Status::Completed),
            "EXPIRED" => Some(Status::Expired),
            _ => None,
        }
    }
}

/// One idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: String,
    pub status: Status,
    /// When the record may be deleted (epoch seconds): the table's TTL attribute.
    pub expires_at_s: i64,
    /// While in progress: when the invocation that holds it runs out of time (epoch ms).
    pub in_progress_expires_at_ms: Option<i64>,
    /// The stored response (JSON) once completed.
    pub response: Option<String>,
    /// Hash of the validated part of the payload, when validation is configured.
    pub payload_hash: Option<String>,
}

impl Record {
    /// The status as seen at `now`: a completed or in-progress record past its expiry is expired.
    pub fn status_at(&self, now_s: i64, now_ms: i64) -> Status {
        if self.expires_at_s <= now_s {
            return Status::Expired;
        }
        match (self.status, self.in_progress_expires_at_ms) {
            (Status::InProgress, Some(deadline)) if deadline <= now_ms => Status::Expired,
            (status, _) => status,
        }
    }
}

/// A store failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("idempotency store failed: {0}")]
pub struct StoreError(pub String);

/// The outcome of trying to claim a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or its record had expired): the caller now holds it.
    Acquired,
    /// A live record exists: returned as stored.
    Exists(Record),
}

/// Persistence for idempotency records. Adapters: [`crate::DynamoDbStore`] and
/// [`InMemoryStore`]; both pass `tests/contract.rs`.
pub trait PersistenceStore: Send + Sync {
    /// Writes `record` (status INPROGRESS) unless a live record holds the key: a live record is
    /// one not expired at `now_s` and, when in progress, whose holder still has time at `now_ms`.
    /// This is one conditional write, so two concurrent deliveries cannot both acquire.
    fn claim(
        &self,
        record: &Record,
        now_s: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Marks the key completed with its response.
    fn complete(
        &self,
        key: &str,
        response: &str,
        expires_at_s: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes the record (the work failed: a retry must be able to run it).
    fn release(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reads a record.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;
}

/// In-memory [`PersistenceStore`] with the same conditional semantics, for tests.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    records: Arc<Mutex<HashMap<String, Record>>>,
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Record>>, StoreError> {
        self.records
            .lock()
            .map_err(|_| StoreError("store lock poisoned".to_owned()))
    }
}

impl PersistenceStore for InMemoryStore {
    async fn claim(&self, record: &Record, now_s: i64, now_ms: i64) -> Result<Claim, StoreError> {
        let mut records = self.records()?;
        if let Some(existing) = records.get(&record.key) {
            if existing.status_at(now_s, now_ms) != Status::Expired {
                return Ok(Claim::Exists(existing.clone()));
            }
        }
        records.insert(record.key.clone(), record.clone());
        Ok(Claim::Acquired)
    }

    async fn complete(
        &self,
        key: &str,
        response: &str,
        expires_at_s: i64,
    ) -> Result<(), StoreError> {
        let mut records = self.records()?;
        let record = records
            .get_mut(key)
            .ok_or_else(|| StoreError(format!("no record for key {key}")))?;
        record.status = Status::Completed;
        record.response = Some(response.to_owned());
        record.expires_at_s = expires_at_s;
        record.in_progress_expires_at_ms = None;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.records()?.remove(key);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        Ok(self.records()?.get(key).cloned())
    }
}
