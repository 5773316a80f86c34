//! Ports: the narrow traits the use cases need from the outside world. Adapters live in
//! `orders-adapters` (DynamoDB, EventBridge, HTTPS) and in [`crate::testing`] (memory).
//!
//! Methods return `impl Future + Send`, so handlers that hold a port stay `Send`;
//! implementations may write plain `async fn`.

use std::fmt;
use std::future::Future;
use std::time::Instant;

use crate::customer::CustomerProfile;
use crate::error::{RepositoryError, ShippingError};
use crate::events::OrderEvent;
use crate::ids::{CustomerId, EventId, OrderId};
use crate::notification::Notification;
use crate::order::Order;
use crate::values::{PageSize, TrackingNumber};

/// Where a listing continues: an opaque token the store issued with the previous page.
/// Clients get it as text and hand it back unchanged; stores check it on the way in.
///
/// ```
/// let cursor = orders_domain::Cursor::new("eyJwayI6...");
/// assert_eq!(cursor.as_str(), "eyJwayI6...");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// The longest cursor text a store is asked to decode.
    pub const MAX_LEN: usize = 1024;

    /// Wraps a token a store issued (or a client sent back).
    pub fn new(token: impl Into<String>) -> Cursor {
        Cursor(token.into())
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({} chars)", self.0.len())
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// Orders per page.
    pub size: PageSize,
    /// `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `size` items.
    ///
    /// ```
    /// use orders_domain::{PageRequest, PageSize};
    /// let first = PageRequest::first(PageSize::new(10)?);
    /// assert!(first.cursor.is_none());
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    pub fn first(size: PageSize) -> PageRequest {
        PageRequest { size, cursor: None }
    }

    /// The page after the one that returned `cursor`.
    pub fn after(size: PageSize, cursor: Cursor) -> PageRequest {
        PageRequest {
            size,
            cursor: Some(cursor),
        }
    }
}

/// One page of a listing; `next` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<Cursor>,
}

/// Reads a customer's orders. A customer only ever sees their own: there is no way to
/// ask for an order without its owner.
pub trait OrderReader: Send + Sync {
    /// The order `id` of `customer`, or `None` (also when it belongs to someone else).
    fn get(
        &self,
        customer: &CustomerId,
        id: &OrderId,
    ) -> impl Future<Output = Result<Option<Order>, RepositoryError>> + Send;

    /// The customer's orders, newest first. A full page carries a `next` cursor only when
    /// more orders follow; a cursor not issued for this customer is `InvalidCursor`.
    fn list(
        &self,
        customer: &CustomerId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Order>, RepositoryError>> + Send;
}

/// Writes orders with optimistic concurrency.
pub trait OrderWriter: Send + Sync {
    /// Stores a new order; `AlreadyExists` if its id is taken.
    fn insert(&self, order: &Order) -> impl Future<Output = Result<(), RepositoryError>> + Send;

    /// Replaces the stored order if its version is still `expected_version`:
    /// `VersionConflict` if it changed, `NotFound` if it is gone.
    fn update(
        &self,
        order: &Order,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// Whether a profile was created by this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// The profile was created now.
    Created,
    /// A profile existed (a repeated trigger); it was left as it was.
    AlreadyRegistered,
}

/// Customer profiles, one per customer.
pub trait CustomerProfiles: Send + Sync {
    /// Creates the profile unless the customer has one; never overwrites.
    fn create_if_absent(
        &self,
        profile: &CustomerProfile,
    ) -> impl Future<Output = Result<Registration, RepositoryError>> + Send;

    /// The customer's profile (named apart from [`OrderReader::get`], which a store
    /// implementing both also has).
    fn get_profile(
        &self,
        customer: &CustomerId,
    ) -> impl Future<Output = Result<Option<CustomerProfile>, RepositoryError>> + Send;
}

/// Whether a notification was recorded by this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now.
    New,
    /// One with the same event id exists (the event was delivered again).
    Duplicate,
}

/// The notifications sent to customers, one per event id.
pub trait Notifications: Send + Sync {
    /// Records `notification` unless one with its event id (for its customer) exists.
    fn record(
        &self,
        notification: &Notification,
    ) -> impl Future<Output = Result<Recorded, RepositoryError>> + Send;
}

/// An event that was not published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishFailure {
    /// Its position in the slice given to [`EventPublisher::publish`].
    pub index: usize,
    /// The event's id.
    pub event_id: EventId,
    /// Throttling or an internal error of the bus: publishing again may work.
    pub retryable: bool,
    /// The bus's error code and message.
    pub reason: String,
}

impl fmt::Display for PublishFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "event {} was not published ({}): {}",
            self.event_id,
            if self.retryable {
                "retryable"
            } else {
                "permanent"
            },
            self.reason
        )
    }
}

/// Publishes domain events to the bus.
pub trait EventPublisher: Send + Sync {
    /// Publishes every event (batching as the bus requires) and returns the ones that
    /// failed; empty when all were accepted. Never fails as a whole: a failed call is a
    /// failure of each event it carried.
    fn publish(&self, events: &[OrderEvent]) -> impl Future<Output = Vec<PublishFailure>> + Send;
}

/// Creates shipments at the carrier.
pub trait ShippingProvider: Send + Sync {
    /// Creates (or, for an order already sent, finds again) the shipment of `order` and
    /// returns its tracking number. Must give up by `deadline` with a retryable error.
    fn create_shipment(
        &self,
        order: &Order,
        deadline: Instant,
    ) -> impl Future<Output = Result<TrackingNumber, ShippingError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_text_is_kept_and_debug_hides_it() {
        let cursor = Cursor::new("abc");
        assert_eq!(cursor.to_string(), "abc");
        assert_eq!(format!("{cursor:?}"), "Cursor(3 chars)");
        assert_eq!(cursor.clone().into_string(), "abc");
        let next = PageRequest::after(PageSize::DEFAULT, cursor.clone());
        assert_eq!(next.cursor, Some(cursor));
        assert_eq!(
            PageRequest::default(),
            PageRequest::first(PageSize::DEFAULT)
        );
    }

    #[test]
    fn publish_failures_say_which_event_and_whether_to_retry() {
        let failure = PublishFailure {
            index: 0,
            event_id: EventId::parse("01M8BEWE407HD9W8BV0KBFG6HB:1").unwrap(),
            retryable: true,
            reason: "ThrottlingException: slow down".into(),
        };
        assert_eq!(
            failure.to_string(),
            "event 01M8BEWE407HD9W8BV0KBFG6HB:1 was not published (retryable): ThrottlingException: slow down"
        );
        let permanent = PublishFailure {
            retryable: false,
            ..failure
        };
        assert!(permanent.to_string().contains("(permanent)"));
    }
}
