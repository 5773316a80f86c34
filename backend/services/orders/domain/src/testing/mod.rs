//! In-memory adapters of every port, a fixed clock, sequential ids, a sample order, and
//! the [`contract`] suites every adapter passes. Feature `testing`: for the tests of
//! this crate, of `orders-adapters` and of the functions (as a dev-dependency).
//!
//! The in-memory adapters behave like the real ones (the same contract suites run
//! against both), and can be told to fail so that error paths can be tested.

// Test support: a failed assertion (panic) is how a contract reports a broken adapter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod contract;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::commands::{NewOrder, NewOrderItem, PlaceOrder};
use crate::customer::CustomerProfile;
use crate::error::{RepositoryError, ShippingError};
use crate::events::OrderEvent;
use crate::ids::{CustomerId, EventId, IdGenerator, OrderId};
use crate::notification::Notification;
use crate::order::Order;
use crate::ports::{
    Cursor, CustomerProfiles, EventPublisher, Notifications, OrderReader, OrderWriter, Page,
    PageRequest, PublishFailure, Recorded, Registration, ShippingProvider,
};
use crate::time::{Clock, Timestamp};
use crate::values::TrackingNumber;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another test thread must not hide this test's result.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The order of the shared fixtures (`dynamodb-stream/insert`, `eventbridge/order-placed`):
/// `01M8BEWE407HD9W8BV0KBFG6HB`, two lines, 64.99 EUR, placed 2026-11-26T08:17:20.512Z.
///
/// ```
/// let order = orders_domain::testing::sample_order();
/// assert_eq!(order.total_cents(), 6499);
/// ```
pub fn sample_order() -> Order {
    let request = NewOrder {
        currency: "EUR".into(),
        items: vec![
            NewOrderItem {
                sku: "BOOK-RUST-2021".into(),
                quantity: 1,
                unit_price_cents: 3999,
            },
            NewOrderItem {
                sku: "MUG-FERRIS".into(),
                quantity: 2,
                unit_price_cents: 1250,
            },
        ],
    };
    let customer = CustomerId::parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d").unwrap();
    let command = PlaceOrder::new(customer, request).unwrap();
    let id = OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap();
    Order::place(id, command, id.created_at())
}

/// A new order of `customer` with one line of `sku`, created at `at` with the id
/// `OrderId::new(at, random)`.
///
/// ```
/// use orders_domain::testing::order_for;
/// use orders_domain::{CustomerId, Timestamp};
/// let order = order_for(&CustomerId::parse("c-1").unwrap(), "MUG", Timestamp::EPOCH, 1);
/// assert_eq!(order.items()[0].sku().as_str(), "MUG");
/// ```
pub fn order_for(customer: &CustomerId, sku: &str, at: Timestamp, random: u128) -> Order {
    let request = NewOrder {
        currency: "EUR".into(),
        items: vec![NewOrderItem {
            sku: sku.into(),
            quantity: 1,
            unit_price_cents: 1000,
        }],
    };
    let command = PlaceOrder::new(customer.clone(), request).unwrap();
    Order::place(OrderId::new(at, random), command, at)
}

/// A clock that says what it is told.
///
/// ```
/// use orders_domain::testing::FixedClock;
/// use orders_domain::Clock;
/// let clock = FixedClock::at_millis(1000);
/// clock.advance_millis(500);
/// assert_eq!(clock.now().unix_millis(), 1500);
/// ```
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// At `millis` since the epoch.
    pub fn at_millis(millis: u64) -> FixedClock {
        FixedClock(AtomicU64::new(millis))
    }

    /// At `timestamp`.
    pub fn at(timestamp: Timestamp) -> FixedClock {
        FixedClock::at_millis(timestamp.unix_millis())
    }

    /// Moves the clock to `timestamp`.
    pub fn set(&self, timestamp: Timestamp) {
        self.0.store(timestamp.unix_millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward.
    pub fn advance_millis(&self, millis: u64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::EPOCH)
    }
}

/// Ids whose random part counts 1, 2, 3…: predictable in assertions.
///
/// ```
/// use orders_domain::testing::SequentialIds;
/// use orders_domain::{IdGenerator, OrderId, Timestamp};
/// let ids = SequentialIds::new();
/// assert_eq!(ids.order_id(Timestamp::EPOCH), OrderId::new(Timestamp::EPOCH, 1));
/// ```
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    /// Starting at 1.
    pub fn new() -> SequentialIds {
        SequentialIds::default()
    }
}

impl IdGenerator for SequentialIds {
    fn order_id(&self, at: Timestamp) -> OrderId {
        OrderId::new(at, u128::from(self.0.fetch_add(1, Ordering::SeqCst) + 1))
    }
}

type Interference = Box<dyn FnMut(&mut Order) + Send>;

#[derive(Default)]
struct StoreState {
    orders: BTreeMap<(CustomerId, OrderId), Order>,
    profiles: HashMap<CustomerId, CustomerProfile>,
    notifications: HashMap<(CustomerId, EventId), Notification>,
    /// Scripted results of the next calls: `None` lets one through, `Some` fails it.
    failures: VecDeque<Option<RepositoryError>>,
    interference: Option<(usize, Interference)>,
}

/// Orders, profiles and notifications in memory: one "table" like the DynamoDB adapter.
/// Clones share the data.
///
/// ```
/// use orders_domain::testing::{sample_order, InMemoryStore};
/// use orders_domain::{OrderReader, OrderWriter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), orders_domain::RepositoryError> {
/// let store = InMemoryStore::new();
/// let order = sample_order();
/// store.insert(&order).await?;
/// assert_eq!(store.get(order.customer_id(), order.id()).await?, Some(order));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct InMemoryStore {
    state: Arc<Mutex<StoreState>>,
}

impl std::fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("InMemoryStore")
            .field("orders", &state.orders.len())
            .field("profiles", &state.profiles.len())
            .field("notifications", &state.notifications.len())
            .finish()
    }
}

const CURSOR_PREFIX: &str = "mem1:";

fn first_id() -> OrderId {
    OrderId::new(Timestamp::EPOCH, 0)
}

fn last_id() -> OrderId {
    OrderId::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").unwrap()
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }

    /// The next calls (of any method) fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = RepositoryError>) {
        lock(&self.state)
            .failures
            .extend(errors.into_iter().map(Some));
    }

    /// The next `calls` calls succeed before the failures queued after this.
    pub fn pass_next(&self, calls: usize) {
        lock(&self.state)
            .failures
            .extend(std::iter::repeat_n(None, calls));
    }

    /// Whether scripted results are still queued (a call that should have happened did not).
    pub fn has_scripted_results(&self) -> bool {
        !lock(&self.state).failures.is_empty()
    }

    /// Before each of the next `times` updates, `change` is applied to the stored order
    /// (and its version bumped): another writer winning the race.
    pub fn interfere_before_updates(
        &self,
        times: usize,
        change: impl FnMut(&mut Order) + Send + 'static,
    ) {
        lock(&self.state).interference = Some((times, Box::new(change)));
    }

    /// Every notification recorded, in no particular order.
    pub fn notifications(&self) -> Vec<Notification> {
        lock(&self.state).notifications.values().cloned().collect()
    }

    /// Replaces a stored order as is (no version check): a test's setup.
    pub fn put(&self, order: Order) {
        let key = (order.customer_id().clone(), *order.id());
        lock(&self.state).orders.insert(key, order);
    }

    fn take_failure(state: &mut StoreState) -> Result<(), RepositoryError> {
        match state.failures.pop_front() {
            Some(Some(error)) => Err(error),
            Some(None) | None => Ok(()),
        }
    }

    fn decode_cursor(customer: &CustomerId, cursor: &Cursor) -> Result<OrderId, RepositoryError> {
        let invalid = |reason: &str| RepositoryError::InvalidCursor {
            reason: reason.to_owned(),
        };
        let rest = cursor
            .as_str()
            .strip_prefix(CURSOR_PREFIX)
            .ok_or_else(|| invalid("not issued by this store"))?;
        let (owner, id) = rest.rsplit_once(':').ok_or_else(|| invalid("malformed"))?;
        if owner != customer.as_str() {
            return Err(invalid("issued for another customer"));
        }
        OrderId::parse(id).map_err(|_| invalid("malformed"))
    }
}

impl OrderReader for InMemoryStore {
    async fn get(
        &self,
        customer: &CustomerId,
        id: &OrderId,
    ) -> Result<Option<Order>, RepositoryError> {
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        Ok(state.orders.get(&(customer.clone(), *id)).cloned())
    }

    async fn list(
        &self,
        customer: &CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| Self::decode_cursor(customer, c))
            .transpose()?;
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        let size = page.size.get();
        let mut items: Vec<Order> = state
            .orders
            .range((customer.clone(), first_id())..=(customer.clone(), last_id()))
            .rev()
            .map(|(_, order)| order)
            .filter(|order| after.is_none_or(|after| *order.id() < after))
            .take(size + 1)
            .cloned()
            .collect();
        let next = if items.len() > size {
            items.truncate(size);
            items
                .last()
                .map(|last| Cursor::new(format!("{CURSOR_PREFIX}{customer}:{}", last.id())))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

impl OrderWriter for InMemoryStore {
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError> {
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        let key = (order.customer_id().clone(), *order.id());
        if state.orders.contains_key(&key) {
            return Err(RepositoryError::AlreadyExists {
                order_id: *order.id(),
            });
        }
        state.orders.insert(key, order.clone());
        Ok(())
    }

    async fn update(&self, order: &Order, expected_version: u64) -> Result<(), RepositoryError> {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        Self::take_failure(state)?;
        let key = (order.customer_id().clone(), *order.id());
        let Some(stored) = state.orders.get_mut(&key) else {
            return Err(RepositoryError::NotFound {
                order_id: *order.id(),
            });
        };
        if let Some((times, change)) = state.interference.as_mut() {
            if *times > 0 {
                *times -= 1;
                change(stored);
            }
        }
        if stored.version() != expected_version {
            return Err(RepositoryError::VersionConflict {
                order_id: *order.id(),
                expected: expected_version,
                actual: stored.version(),
            });
        }
        *stored = order.clone();
        Ok(())
    }
}

impl CustomerProfiles for InMemoryStore {
    async fn create_if_absent(
        &self,
        profile: &CustomerProfile,
    ) -> Result<Registration, RepositoryError> {
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        if state.profiles.contains_key(profile.customer_id()) {
            return Ok(Registration::AlreadyRegistered);
        }
        state
            .profiles
            .insert(profile.customer_id().clone(), profile.clone());
        Ok(Registration::Created)
    }

    async fn get_profile(
        &self,
        customer: &CustomerId,
    ) -> Result<Option<CustomerProfile>, RepositoryError> {
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        Ok(state.profiles.get(customer).cloned())
    }
}

impl Notifications for InMemoryStore {
    async fn record(&self, notification: &Notification) -> Result<Recorded, RepositoryError> {
        let mut state = lock(&self.state);
        Self::take_failure(&mut state)?;
        let key = (
            notification.customer_id().clone(),
            notification.event_id().clone(),
        );
        if state.notifications.contains_key(&key) {
            return Ok(Recorded::Duplicate);
        }
        state.notifications.insert(key, notification.clone());
        Ok(Recorded::New)
    }
}

#[derive(Default)]
struct PublisherState {
    published: Vec<OrderEvent>,
    calls: usize,
    /// Event id → (failures left, retryable).
    failing: HashMap<EventId, (usize, bool)>,
}

/// An event bus in memory: keeps what it accepts, and fails the events it is told to.
/// Clones share the data.
#[derive(Clone, Default)]
pub struct InMemoryPublisher {
    state: Arc<Mutex<PublisherState>>,
}

impl std::fmt::Debug for InMemoryPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("InMemoryPublisher")
            .field("published", &state.published.len())
            .field("calls", &state.calls)
            .finish()
    }
}

impl InMemoryPublisher {
    /// An empty bus.
    pub fn new() -> InMemoryPublisher {
        InMemoryPublisher::default()
    }

    /// The next `times` publications of `event_id` fail.
    pub fn fail_next(&self, event_id: &EventId, times: usize, retryable: bool) {
        lock(&self.state)
            .failing
            .insert(event_id.clone(), (times, retryable));
    }

    /// Every event accepted, in order.
    pub fn published(&self) -> Vec<OrderEvent> {
        lock(&self.state).published.clone()
    }

    /// How many times `publish` sent something.
    pub fn calls(&self) -> usize {
        lock(&self.state).calls
    }
}

impl EventPublisher for InMemoryPublisher {
    async fn publish(&self, events: &[OrderEvent]) -> Vec<PublishFailure> {
        let mut state = lock(&self.state);
        if events.is_empty() {
            return Vec::new();
        }
        state.calls += 1;
        let mut failures = Vec::new();
        for (index, event) in events.iter().enumerate() {
            match state.failing.get_mut(event.event_id()) {
                Some((left, retryable)) if *left > 0 => {
                    *left -= 1;
                    failures.push(PublishFailure {
                        index,
                        event_id: event.event_id().clone(),
                        retryable: *retryable,
                        reason: if *retryable {
                            "ThrottlingException: injected".into()
                        } else {
                            "InvalidArgument: injected".into()
                        },
                    });
                }
                _ => state.published.push(event.clone()),
            }
        }
        failures
    }
}

/// How [`FakeShipping`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShippingBehaviour {
    /// Tracking number `TRK-<orderId>`: the same for the same order.
    Accepting,
    /// Retryable errors (a 503).
    Unavailable,
    /// Rejected with this status.
    Rejecting(u16),
    /// Answers after this long; past the deadline it is a retryable timeout.
    Slow(Duration),
}

/// A shipping provider in memory.
///
/// ```
/// use std::time::{Duration, Instant};
/// use orders_domain::testing::{sample_order, FakeShipping};
/// use orders_domain::ShippingProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let shipping = FakeShipping::accepting();
/// let tracking = shipping.create_shipment(&sample_order(), Instant::now() + Duration::from_secs(1)).await;
/// assert_eq!(tracking.unwrap().as_str(), "TRK-01M8BEWE407HD9W8BV0KBFG6HB");
/// assert_eq!(shipping.calls(), 1);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FakeShipping {
    behaviour: ShippingBehaviour,
    calls: Arc<AtomicUsize>,
}

impl FakeShipping {
    /// A provider that behaves as `behaviour`.
    pub fn new(behaviour: ShippingBehaviour) -> FakeShipping {
        FakeShipping {
            behaviour,
            calls: Arc::default(),
        }
    }

    /// Answers with `TRK-<orderId>`.
    pub fn accepting() -> FakeShipping {
        FakeShipping::new(ShippingBehaviour::Accepting)
    }

    /// Answers every call with a retryable 503.
    pub fn unavailable() -> FakeShipping {
        FakeShipping::new(ShippingBehaviour::Unavailable)
    }

    /// Rejects every call with `status`.
    pub fn rejecting(status: u16) -> FakeShipping {
        FakeShipping::new(ShippingBehaviour::Rejecting(status))
    }

    /// Answers after `latency` (a timeout past the deadline).
    pub fn slow(latency: Duration) -> FakeShipping {
        FakeShipping::new(ShippingBehaviour::Slow(latency))
    }

    /// How many shipments were asked for.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ShippingProvider for FakeShipping {
    async fn create_shipment(
        &self,
        order: &Order,
        deadline: Instant,
    ) -> Result<TrackingNumber, ShippingError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ShippingError::Retryable {
                reason: "no time left before the deadline".into(),
            });
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        match &self.behaviour {
            ShippingBehaviour::Accepting => Ok(tracking_for(order)),
            ShippingBehaviour::Unavailable => Err(ShippingError::Retryable {
                reason: "status 503".into(),
            }),
            ShippingBehaviour::Rejecting(status) => Err(ShippingError::Rejected {
                status: Some(*status),
                reason: "injected".into(),
            }),
            // No runtime here to sleep on: an answer later than the deadline is the
            // timeout the real adapter would report.
            ShippingBehaviour::Slow(latency) if *latency >= left => Err(ShippingError::Retryable {
                reason: format!("timed out after {} ms", left.as_millis()),
            }),
            ShippingBehaviour::Slow(_) => Ok(tracking_for(order)),
        }
    }
}

fn tracking_for(order: &Order) -> TrackingNumber {
    TrackingNumber::parse(&format!("TRK-{}", order.id())).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_memory_adapters_pass_the_contracts() {
        contract::order_store_contract(&InMemoryStore::new()).await;
        contract::single_table_contract(&InMemoryStore::new()).await;
        contract::customer_profiles_contract(&InMemoryStore::new()).await;
        contract::notifications_contract(&InMemoryStore::new()).await;
        let publisher = InMemoryPublisher::new();
        contract::event_publisher_contract(&publisher, || async { publisher.published() }).await;
        contract::shipping_provider_contract(&FakeShippingHarness).await;
    }

    struct FakeShippingHarness;

    impl contract::ShippingHarness for FakeShippingHarness {
        type Provider = FakeShipping;
        async fn provider(&self, behaviour: ShippingBehaviour) -> FakeShipping {
            FakeShipping::new(behaviour)
        }
    }

    #[tokio::test]
    async fn injected_failures_come_in_order_then_stop() {
        let store = InMemoryStore::new();
        let customer = CustomerId::parse("c-1").unwrap();
        let id = OrderId::new(Timestamp::EPOCH, 1);
        store.fail_next([
            RepositoryError::Unavailable {
                operation: "GetItem",
                message: "1".into(),
            },
            RepositoryError::Failed {
                operation: "GetItem",
                message: "2".into(),
            },
        ]);
        assert!(matches!(
            store.get(&customer, &id).await,
            Err(RepositoryError::Unavailable { .. })
        ));
        assert!(matches!(
            store.get(&customer, &id).await,
            Err(RepositoryError::Failed { .. })
        ));
        assert_eq!(store.get(&customer, &id).await, Ok(None));
        assert!(format!("{store:?}").contains("orders: 0"));
    }

    #[tokio::test]
    async fn publisher_failures_are_counted_per_event() {
        let publisher = InMemoryPublisher::new();
        let event = OrderEvent::placed(&sample_order());
        publisher.fail_next(event.event_id(), 2, false);
        for _ in 0..2 {
            let failures = publisher.publish(std::slice::from_ref(&event)).await;
            assert_eq!(failures.len(), 1);
            assert!(!failures[0].retryable);
            assert!(failures[0].reason.starts_with("InvalidArgument"));
        }
        assert!(publisher
            .publish(std::slice::from_ref(&event))
            .await
            .is_empty());
        assert_eq!(publisher.calls(), 3);
        assert!(publisher.publish(&[]).await.is_empty());
        assert_eq!(publisher.calls(), 3, "nothing to send, no call");
        assert!(format!("{publisher:?}").contains("published: 1"));
    }

    #[test]
    fn clocks_and_ids_are_predictable() {
        let clock = FixedClock::at(Timestamp::parse("2026-11-26T08:00:00Z").unwrap());
        clock.advance_millis(1);
        assert_eq!(clock.now().to_string(), "2026-11-26T08:00:00.001Z");
        clock.set(Timestamp::EPOCH);
        assert_eq!(clock.now(), Timestamp::EPOCH);
        let ids = SequentialIds::new();
        let first = ids.order_id(Timestamp::EPOCH);
        let second = ids.order_id(Timestamp::EPOCH);
        assert!(first < second);
    }

    #[test]
    fn the_sample_order_matches_the_fixtures() {
        let order = sample_order();
        assert_eq!(order.placed_at().to_string(), "2026-11-26T08:17:20.512Z");
        assert_eq!(order.id().created_at(), order.placed_at());
    }
}
