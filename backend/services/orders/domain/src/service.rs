//! Use cases: what each function does, written once against the ports.

use std::time::{Duration, Instant};

use crate::commands::{CancelOrder, MarkShipped, PlaceOrder};
use crate::customer::CustomerProfile;
use crate::error::{OrderError, RepositoryError};
use crate::events::OrderEvent;
use crate::ids::{CustomerId, IdGenerator, OrderId};
use crate::notification::Notification;
use crate::order::{Order, OrderStatus, Transition};
use crate::ports::{
    CustomerProfiles, EventPublisher, Notifications, OrderReader, OrderWriter, Page, PageRequest,
    PublishFailure, Recorded, Registration, ShippingProvider,
};
use crate::time::Clock;
use crate::values::TrackingNumber;

/// How often a read-modify-write is tried when another writer keeps winning.
const UPDATE_ATTEMPTS: usize = 3;

/// The order use cases over one store (`S`: an [`OrderReader`] + [`OrderWriter`], e.g.
/// `orders_adapters::DynamoDbOrders`), a clock and an id generator. Build it once at init
/// and share it; it holds no per-request state.
///
/// ```
/// use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
/// use orders_domain::OrderService;
///
/// let service = OrderService::new(InMemoryStore::new(), FixedClock::at_millis(0), SequentialIds::new());
/// # let _ = service;
/// ```
#[derive(Debug, Clone)]
pub struct OrderService<S, C, I> {
    store: S,
    clock: C,
    ids: I,
}

/// What [`OrderService::ship_order`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShipOutcome {
    /// The shipment was created and the order marked shipped.
    Shipped(Order),
    /// The order had shipped already (a redelivered message); the provider was not called.
    AlreadyShipped(Order),
    /// The order was cancelled before fulfilment; nothing was shipped.
    Cancelled(Order),
    /// The customer cancelled while the provider created the shipment: the order stays
    /// cancelled and the shipment exists. Someone must recall the parcel.
    CancelledWhileShipping {
        /// The order, cancelled.
        order: Order,
        /// The shipment the provider created.
        tracking_number: TrackingNumber,
    },
}

impl<S, C, I> OrderService<S, C, I> {
    /// The use cases over `store`, `clock` and `ids`.
    pub fn new(store: S, clock: C, ids: I) -> Self {
        Self { store, clock, ids }
    }

    /// The store, for the use cases that take a port directly.
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<S, C, I> OrderService<S, C, I>
where
    S: OrderWriter,
    C: Clock,
    I: IdGenerator,
{
    /// `POST /orders`: stores a new `PLACED` order with a fresh id.
    ///
    /// The HTTP layer makes the call idempotent (`Idempotency-Key` with
    /// `ferrule-idempotency`); this use case makes a new order each time it runs.
    ///
    /// ```
    /// use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
    /// use orders_domain::{CustomerId, NewOrder, NewOrderItem, OrderService, PlaceOrder};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let orders = OrderService::new(InMemoryStore::new(), FixedClock::at_millis(0), SequentialIds::new());
    /// let body = NewOrder {
    ///     currency: "EUR".into(),
    ///     items: vec![NewOrderItem { sku: "MUG".into(), quantity: 1, unit_price_cents: 900 }],
    /// };
    /// let order = orders.place_order(PlaceOrder::new(CustomerId::parse("c-1")?, body)?).await?;
    /// assert_eq!(order.version(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn place_order(&self, command: PlaceOrder) -> Result<Order, OrderError> {
        let now = self.clock.now();
        let order = Order::place(self.ids.order_id(now), command, now);
        self.store.insert(&order).await?;
        Ok(order)
    }
}

impl<S, C, I> OrderService<S, C, I>
where
    S: OrderReader,
{
    /// `GET /orders/{id}`: the caller's order, or `NotFound` (for another customer's too).
    ///
    /// ```
    /// use orders_domain::testing::{sample_order, FixedClock, InMemoryStore, SequentialIds};
    /// use orders_domain::{CustomerId, OrderError, OrderService};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = InMemoryStore::new();
    /// let order = sample_order();
    /// store.put(order.clone());
    /// let orders = OrderService::new(store, FixedClock::at_millis(0), SequentialIds::new());
    /// assert_eq!(orders.get_order(order.customer_id(), order.id()).await?, order);
    /// let stranger = CustomerId::parse("mallory")?;
    /// assert!(matches!(orders.get_order(&stranger, order.id()).await, Err(OrderError::NotFound { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_order(
        &self,
        customer: &CustomerId,
        order_id: &OrderId,
    ) -> Result<Order, OrderError> {
        self.store
            .get(customer, order_id)
            .await?
            .ok_or(OrderError::NotFound {
                order_id: *order_id,
            })
    }

    /// `GET /orders`: the caller's orders, newest first. Hand `page.next` to the client as
    /// an opaque string; a cursor that was altered or issued to someone else is a
    /// validation error (400).
    ///
    /// ```
    /// use orders_domain::testing::{sample_order, FixedClock, InMemoryStore, SequentialIds};
    /// use orders_domain::{OrderService, PageRequest, PageSize};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = InMemoryStore::new();
    /// let order = sample_order();
    /// store.put(order.clone());
    /// let orders = OrderService::new(store, FixedClock::at_millis(0), SequentialIds::new());
    /// let page = orders.list_orders(order.customer_id(), &PageRequest::first(PageSize::new(10)?)).await?;
    /// assert_eq!((page.items.len(), page.next), (1, None));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_orders(
        &self,
        customer: &CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        Ok(self.store.list(customer, page).await?)
    }
}

impl<S, C, I> OrderService<S, C, I>
where
    S: OrderReader + OrderWriter,
    C: Clock,
{
    /// `POST /orders/{id}/cancel`: cancels a placed order. Cancelling a cancelled order
    /// returns it unchanged; a shipped one is `AlreadyShipped` (409). A concurrent change
    /// is re-read and the rule applied again, up to 3 times, then `ConcurrentUpdate`.
    ///
    /// ```
    /// use orders_domain::testing::{sample_order, FixedClock, InMemoryStore, SequentialIds};
    /// use orders_domain::{CancelOrder, OrderService, OrderStatus};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), orders_domain::OrderError> {
    /// let store = InMemoryStore::new();
    /// let order = sample_order();
    /// store.put(order.clone());
    /// let orders = OrderService::new(store, FixedClock::at_millis(1_795_690_000_000), SequentialIds::new());
    /// let command = CancelOrder::new(order.customer_id().clone(), *order.id());
    /// assert_eq!(orders.cancel_order(command.clone()).await?.status(), OrderStatus::Cancelled);
    /// assert_eq!(orders.cancel_order(command).await?.version(), 2, "idempotent");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cancel_order(&self, command: CancelOrder) -> Result<Order, OrderError> {
        let CancelOrder {
            customer_id,
            order_id,
        } = command;
        for _ in 0..UPDATE_ATTEMPTS {
            let mut order = self.get_order(&customer_id, &order_id).await?;
            let expected = order.version();
            if order.cancel(self.clock.now())? == Transition::Unchanged {
                return Ok(order);
            }
            match self.store.update(&order, expected).await {
                Ok(()) => return Ok(order),
                Err(RepositoryError::VersionConflict { .. }) => continue,
                Err(RepositoryError::NotFound { .. }) => {
                    return Err(OrderError::NotFound { order_id })
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(OrderError::ConcurrentUpdate { order_id })
    }

    /// Fulfilment of one `OrderPlaced`: creates the shipment and marks the order shipped.
    ///
    /// Idempotent per order: an order already shipped is returned without calling the
    /// provider, and the provider itself deduplicates by order id, so a retry after the
    /// shipment was created but before it was recorded gets the same tracking number.
    /// A cancelled order is skipped. `deadline` bounds the provider call; see
    /// [`deadline_from_remaining`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use orders_domain::testing::{sample_order, FakeShipping, FixedClock, InMemoryStore, SequentialIds};
    /// use orders_domain::{deadline_from_remaining, MarkShipped, OrderService, ShipOutcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), orders_domain::OrderError> {
    /// let store = InMemoryStore::new();
    /// let order = sample_order();
    /// store.put(order.clone());
    /// let orders = OrderService::new(store, FixedClock::at_millis(1_795_690_000_000), SequentialIds::new());
    /// // In a Lambda handler: the context's remaining time.
    /// let deadline = deadline_from_remaining(Duration::from_secs(20), Duration::from_secs(2));
    /// let command = MarkShipped::new(order.customer_id().clone(), *order.id());
    /// let outcome = orders.ship_order(&FakeShipping::accepting(), command, deadline).await?;
    /// assert!(matches!(outcome, ShipOutcome::Shipped(_)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ship_order(
        &self,
        shipping: &impl ShippingProvider,
        command: MarkShipped,
        deadline: Instant,
    ) -> Result<ShipOutcome, OrderError> {
        let MarkShipped {
            customer_id,
            order_id,
        } = command;
        let order = self.get_order(&customer_id, &order_id).await?;
        match order.status() {
            OrderStatus::Shipped => return Ok(ShipOutcome::AlreadyShipped(order)),
            OrderStatus::Cancelled => return Ok(ShipOutcome::Cancelled(order)),
            OrderStatus::Placed => {}
        }
        let tracking_number = shipping.create_shipment(&order, deadline).await?;
        let mut current = order;
        for attempt in 0..UPDATE_ATTEMPTS {
            if attempt > 0 {
                current = self.get_order(&customer_id, &order_id).await?;
            }
            let expected = current.version();
            let now = self.clock.now();
            match current.mark_shipped(tracking_number.clone(), now) {
                Ok(Transition::Unchanged) => return Ok(ShipOutcome::AlreadyShipped(current)),
                Ok(Transition::Changed) => {}
                Err(OrderError::NotShippable { .. }) => {
                    return Ok(ShipOutcome::CancelledWhileShipping {
                        order: current,
                        tracking_number,
                    })
                }
                Err(error) => return Err(error),
            }
            match self.store.update(&current, expected).await {
                Ok(()) => return Ok(ShipOutcome::Shipped(current)),
                Err(RepositoryError::VersionConflict { .. }) => continue,
                Err(RepositoryError::NotFound { .. }) => {
                    return Err(OrderError::NotFound { order_id })
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(OrderError::ConcurrentUpdate { order_id })
    }
}

/// The deadline for a downstream call: now + the invocation's remaining time − `reserve`
/// (time kept to record the result and answer). Never before now.
///
/// ```
/// use std::time::{Duration, Instant};
/// use orders_domain::deadline_from_remaining;
///
/// let deadline = deadline_from_remaining(Duration::from_secs(10), Duration::from_secs(2));
/// let left = deadline.saturating_duration_since(Instant::now());
/// assert!(left <= Duration::from_secs(8) && left > Duration::from_secs(7));
/// ```
pub fn deadline_from_remaining(remaining: Duration, reserve: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(remaining.saturating_sub(reserve))
        .unwrap_or(now)
}

/// Publishes `events`, publishing again those that failed with a retryable error, up to
/// `attempts` calls in all (at least one). Returns what is still unpublished, with
/// `index` pointing into `events`, so a stream handler can report those records as batch
/// item failures. No pause between attempts: the stream's own retry is the backoff.
///
/// ```
/// use orders_domain::testing::{sample_order, InMemoryPublisher};
/// use orders_domain::{publish_events, OrderEvent};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bus = InMemoryPublisher::new();
/// let event = OrderEvent::placed(&sample_order());
/// bus.fail_next(event.event_id(), 1, true); // throttled once
/// let failures = publish_events(&bus, &[event], 3).await;
/// assert!(failures.is_empty());
/// assert_eq!(bus.published().len(), 1);
/// # }
/// ```
pub async fn publish_events(
    publisher: &impl EventPublisher,
    events: &[OrderEvent],
    attempts: usize,
) -> Vec<PublishFailure> {
    let mut failures = publisher.publish(events).await;
    let mut retry_round = 1;
    while retry_round < attempts && failures.iter().any(|f| f.retryable) {
        retry_round += 1;
        let (retry, mut settled): (Vec<_>, Vec<_>) =
            failures.into_iter().partition(|f| f.retryable);
        // Only the failed events are sent again; their failures point back into `events`.
        let positions: Vec<usize> = retry.iter().map(|f| f.index).collect();
        let again: Vec<OrderEvent> = positions
            .iter()
            .filter_map(|&i| events.get(i).cloned())
            .collect();
        for mut failure in publisher.publish(&again).await {
            // An adapter that reports a bad index still names the event: find it by id
            // rather than lose the failure.
            let original = positions.get(failure.index).copied().or_else(|| {
                events
                    .iter()
                    .position(|e| e.event_id() == &failure.event_id)
            });
            if let Some(original) = original {
                failure.index = original;
            }
            settled.push(failure);
        }
        settled.sort_by_key(|f| f.index);
        failures = settled;
    }
    failures
}

/// PostConfirmation: creates the customer's profile once; a repeated trigger (Cognito
/// retries on timeouts) finds it and changes nothing.
///
/// ```
/// use orders_domain::testing::InMemoryStore;
/// use orders_domain::{register_customer, CustomerId, CustomerProfile, Email, Registration, Timestamp};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = InMemoryStore::new();
/// let profile = CustomerProfile::new(
///     CustomerId::parse("c-1")?, Email::parse("grace@example.com")?, None, Timestamp::EPOCH,
/// )?;
/// assert_eq!(register_customer(&store, &profile).await?, Registration::Created);
/// assert_eq!(register_customer(&store, &profile).await?, Registration::AlreadyRegistered);
/// # Ok(())
/// # }
/// ```
pub async fn register_customer(
    profiles: &impl CustomerProfiles,
    profile: &CustomerProfile,
) -> Result<Registration, RepositoryError> {
    profiles.create_if_absent(profile).await
}

/// The notifier: records the notification of `event` once per event id, so a
/// redelivered event (EventBridge delivers at least once) is not sent twice.
///
/// ```
/// use orders_domain::testing::{sample_order, FixedClock, InMemoryStore};
/// use orders_domain::{record_notification, OrderEvent, Recorded};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), orders_domain::RepositoryError> {
/// let store = InMemoryStore::new();
/// let event = OrderEvent::placed(&sample_order());
/// let clock = FixedClock::at_millis(1_795_681_041_000);
/// let (note, recorded) = record_notification(&store, &clock, &event).await?;
/// assert_eq!((note.kind().as_str(), recorded), ("OrderPlaced", Recorded::New));
/// assert_eq!(record_notification(&store, &clock, &event).await?.1, Recorded::Duplicate);
/// # Ok(())
/// # }
/// ```
pub async fn record_notification(
    notifications: &impl Notifications,
    clock: &impl Clock,
    event: &OrderEvent,
) -> Result<(Notification, Recorded), RepositoryError> {
    let notification = Notification::for_event(event, clock.now());
    let recorded = notifications.record(&notification).await?;
    Ok((notification, recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{NewOrder, NewOrderItem};
    use crate::customer::Email;
    use crate::testing::{
        order_for, sample_order, FakeShipping, FixedClock, InMemoryPublisher, InMemoryStore,
        SequentialIds,
    };
    use crate::time::Timestamp;
    use crate::values::PageSize;
    use ferrule_errors::{Classify, ErrorKind};

    const NOW: u64 = 1_795_690_000_000;

    type Service = OrderService<InMemoryStore, FixedClock, SequentialIds>;

    fn service() -> Service {
        OrderService::new(
            InMemoryStore::new(),
            FixedClock::at_millis(NOW),
            SequentialIds::new(),
        )
    }

    fn with(order: &Order) -> Service {
        let service = service();
        service.store().put(order.clone());
        service
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    fn unavailable() -> RepositoryError {
        RepositoryError::Unavailable {
            operation: "PutItem",
            message: "throttled".into(),
        }
    }

    fn cancel(order: &Order) -> CancelOrder {
        CancelOrder::new(order.customer_id().clone(), *order.id())
    }

    fn ship(order: &Order) -> MarkShipped {
        MarkShipped::new(order.customer_id().clone(), *order.id())
    }

    #[tokio::test]
    async fn place_order_stores_a_placed_order_with_a_time_ordered_id() {
        let service = service();
        let request = NewOrder {
            currency: "EUR".into(),
            items: vec![NewOrderItem {
                sku: "MUG".into(),
                quantity: 3,
                unit_price_cents: 500,
            }],
        };
        let customer = CustomerId::parse("c-1").unwrap();
        let command = PlaceOrder::new(customer.clone(), request).unwrap();
        let order = service.place_order(command.clone()).await.unwrap();
        assert_eq!(order.status(), OrderStatus::Placed);
        assert_eq!(order.placed_at().unix_millis(), NOW);
        assert_eq!(order.id().created_at(), order.placed_at());
        assert_eq!(order.total_cents(), 1500);
        assert_eq!(
            service.get_order(&customer, order.id()).await,
            Ok(order.clone())
        );
        let second = service.place_order(command).await.unwrap();
        assert_ne!(second.id(), order.id(), "each call places a new order");
    }

    #[tokio::test]
    async fn place_order_reports_store_failures_by_kind() {
        let service = service();
        service.store().fail_next([unavailable()]);
        let command = PlaceOrder::new(
            CustomerId::parse("c-1").unwrap(),
            NewOrder {
                currency: "EUR".into(),
                items: vec![NewOrderItem {
                    sku: "MUG".into(),
                    quantity: 1,
                    unit_price_cents: 1,
                }],
            },
        )
        .unwrap();
        let error = service.place_order(command).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Retryable);
    }

    #[tokio::test]
    async fn get_order_is_not_found_for_strangers_and_missing_ids() {
        let order = sample_order();
        let service = with(&order);
        let stranger = CustomerId::parse("someone-else").unwrap();
        let error = service.get_order(&stranger, order.id()).await.unwrap_err();
        assert_eq!(
            error,
            OrderError::NotFound {
                order_id: *order.id()
            }
        );
        assert_eq!(error.kind(), ErrorKind::NotFound);
        service.store().fail_next([unavailable()]);
        let error = service
            .get_order(order.customer_id(), order.id())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Retryable);
    }

    #[tokio::test]
    async fn list_orders_pages_newest_first_and_rejects_bad_cursors() {
        let service = service();
        let customer = CustomerId::parse("c-1").unwrap();
        for n in 0..3 {
            service.store().put(order_for(
                &customer,
                "A",
                Timestamp::from_unix_millis(n).unwrap(),
                1,
            ));
        }
        let page = service
            .list_orders(&customer, &PageRequest::first(PageSize::new(2).unwrap()))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].placed_at().unix_millis(), 2);
        let bad = PageRequest::after(PageSize::DEFAULT, crate::Cursor::new("x"));
        let error = service.list_orders(&customer, &bad).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
    }

    #[tokio::test]
    async fn cancel_order_cancels_once_and_is_idempotent() {
        let order = sample_order();
        let service = with(&order);
        let cancelled = service.cancel_order(cancel(&order)).await.unwrap();
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
        assert_eq!(
            cancelled.cancelled_at().map(Timestamp::unix_millis),
            Some(NOW)
        );
        assert_eq!(cancelled.version(), 2);
        let stored = service
            .get_order(order.customer_id(), order.id())
            .await
            .unwrap();
        assert_eq!(stored, cancelled);
        // The repeat must not write: a queued write failure stays unused.
        service.store().pass_next(1);
        service.store().fail_next([unavailable()]);
        let again = service.cancel_order(cancel(&order)).await.unwrap();
        assert_eq!(again, cancelled, "the repeat changes nothing");
        assert!(
            service.store().has_scripted_results(),
            "no write was attempted"
        );
    }

    #[tokio::test]
    async fn cancel_order_refuses_a_shipped_order_and_a_missing_one() {
        let mut shipped = sample_order();
        shipped
            .mark_shipped(TrackingNumber::parse("1Z9").unwrap(), Timestamp::EPOCH)
            .unwrap();
        let service = with(&shipped);
        let error = service.cancel_order(cancel(&shipped)).await.unwrap_err();
        assert_eq!(
            error,
            OrderError::AlreadyShipped {
                order_id: *shipped.id()
            }
        );
        assert_eq!(error.kind(), ErrorKind::Conflict);
        let missing = order_for(&CustomerId::parse("c-9").unwrap(), "X", Timestamp::EPOCH, 5);
        let error = service.cancel_order(cancel(&missing)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn cancel_order_reapplies_the_rule_after_a_concurrent_change() {
        let order = sample_order();
        let service = with(&order);
        // Another writer bumps the version once (a no-op change): the second try wins.
        service.store().interfere_before_updates(1, |stored| {
            *stored = bumped(stored);
        });
        let cancelled = service.cancel_order(cancel(&order)).await.unwrap();
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
        assert_eq!(cancelled.version(), 3);

        // A writer that always wins: give up with ConcurrentUpdate after 3 tries.
        let order = sample_order();
        let service = with(&order);
        service
            .store()
            .interfere_before_updates(usize::MAX, |stored| {
                *stored = bumped(stored);
            });
        let error = service.cancel_order(cancel(&order)).await.unwrap_err();
        assert_eq!(
            error,
            OrderError::ConcurrentUpdate {
                order_id: *order.id()
            }
        );
        assert_eq!(error.kind(), ErrorKind::Conflict);
    }

    #[tokio::test]
    async fn cancel_order_sees_a_shipment_that_won_the_race() {
        let order = sample_order();
        let service = with(&order);
        service.store().interfere_before_updates(1, |stored| {
            stored
                .mark_shipped(TrackingNumber::parse("1Z9").unwrap(), Timestamp::EPOCH)
                .unwrap();
        });
        let error = service.cancel_order(cancel(&order)).await.unwrap_err();
        assert_eq!(
            error,
            OrderError::AlreadyShipped {
                order_id: *order.id()
            }
        );
    }

    #[tokio::test]
    async fn cancel_order_passes_store_failures_on() {
        let order = sample_order();
        let service = with(&order);
        let failed = RepositoryError::Failed {
            operation: "PutItem",
            message: "AccessDenied".into(),
        };
        // The read succeeds, the write fails.
        service.store().pass_next(1);
        service.store().fail_next([failed.clone()]);
        let error = service.cancel_order(cancel(&order)).await.unwrap_err();
        assert_eq!(error, OrderError::Repository(failed));
        assert_eq!(error.kind(), ErrorKind::NonRetryable);
    }

    /// The same order with its version bumped, as another writer leaves it.
    fn bumped(order: &Order) -> Order {
        let mut snapshot = order.snapshot();
        snapshot.version += 1;
        Order::restore(snapshot).unwrap()
    }

    #[tokio::test]
    async fn ship_order_ships_a_placed_order() {
        let order = sample_order();
        let service = with(&order);
        let shipping = FakeShipping::accepting();
        let outcome = service
            .ship_order(&shipping, ship(&order), soon())
            .await
            .unwrap();
        let ShipOutcome::Shipped(shipped) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(shipped.status(), OrderStatus::Shipped);
        assert_eq!(
            shipped.tracking_number().map(TrackingNumber::as_str),
            Some("TRK-01M8BEWE407HD9W8BV0KBFG6HB")
        );
        assert_eq!(shipped.shipped_at().map(Timestamp::unix_millis), Some(NOW));
        assert_eq!(
            service.get_order(order.customer_id(), order.id()).await,
            Ok(shipped.clone())
        );
        // A redelivered message: no second call to the provider.
        let again = service
            .ship_order(&shipping, ship(&order), soon())
            .await
            .unwrap();
        assert_eq!(again, ShipOutcome::AlreadyShipped(shipped));
        assert_eq!(shipping.calls(), 1);
    }

    #[tokio::test]
    async fn ship_order_skips_a_cancelled_order() {
        let mut order = sample_order();
        order.cancel(Timestamp::EPOCH).unwrap();
        let service = with(&order);
        let shipping = FakeShipping::accepting();
        let outcome = service
            .ship_order(&shipping, ship(&order), soon())
            .await
            .unwrap();
        assert_eq!(outcome, ShipOutcome::Cancelled(order));
        assert_eq!(shipping.calls(), 0);
    }

    #[tokio::test]
    async fn ship_order_classifies_provider_failures_and_leaves_the_order_placed() {
        let order = sample_order();
        let service = with(&order);
        let cases = [
            (FakeShipping::unavailable(), ErrorKind::Retryable),
            (FakeShipping::rejecting(422), ErrorKind::NonRetryable),
            (
                FakeShipping::slow(Duration::from_secs(60)),
                ErrorKind::Retryable,
            ),
        ];
        for (shipping, kind) in cases {
            let error = service
                .ship_order(&shipping, ship(&order), soon())
                .await
                .unwrap_err();
            assert_eq!(error.kind(), kind, "{error}");
            assert!(matches!(error, OrderError::Shipping(_)), "{error:?}");
        }
        let stored = service
            .get_order(order.customer_id(), order.id())
            .await
            .unwrap();
        assert_eq!(stored.status(), OrderStatus::Placed);
        let missing = order_for(&CustomerId::parse("c-9").unwrap(), "X", Timestamp::EPOCH, 5);
        let error = service
            .ship_order(&FakeShipping::accepting(), ship(&missing), soon())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn ship_order_retries_a_version_conflict_and_reports_a_cancel_that_won() {
        let order = sample_order();
        let service = with(&order);
        service.store().interfere_before_updates(1, |stored| {
            *stored = bumped(stored);
        });
        let outcome = service
            .ship_order(&FakeShipping::accepting(), ship(&order), soon())
            .await
            .unwrap();
        assert!(
            matches!(&outcome, ShipOutcome::Shipped(o) if o.version() == 3),
            "{outcome:?}"
        );

        let order = sample_order();
        let service = with(&order);
        service.store().interfere_before_updates(1, |stored| {
            stored.cancel(Timestamp::EPOCH).unwrap();
        });
        let outcome = service
            .ship_order(&FakeShipping::accepting(), ship(&order), soon())
            .await
            .unwrap();
        let ShipOutcome::CancelledWhileShipping {
            order: cancelled,
            tracking_number,
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
        assert_eq!(tracking_number.as_str(), "TRK-01M8BEWE407HD9W8BV0KBFG6HB");

        let order = sample_order();
        let service = with(&order);
        service
            .store()
            .interfere_before_updates(usize::MAX, |stored| {
                *stored = bumped(stored);
            });
        let error = service
            .ship_order(&FakeShipping::accepting(), ship(&order), soon())
            .await
            .unwrap_err();
        assert_eq!(
            error,
            OrderError::ConcurrentUpdate {
                order_id: *order.id()
            }
        );
    }

    #[tokio::test]
    async fn ship_order_finds_a_concurrent_identical_shipment() {
        let order = sample_order();
        let service = with(&order);
        // Another worker recorded the same shipment first.
        service.store().interfere_before_updates(1, |stored| {
            let tracking = TrackingNumber::parse("TRK-01M8BEWE407HD9W8BV0KBFG6HB").unwrap();
            stored.mark_shipped(tracking, Timestamp::EPOCH).unwrap();
        });
        let outcome = service
            .ship_order(&FakeShipping::accepting(), ship(&order), soon())
            .await
            .unwrap();
        assert!(
            matches!(outcome, ShipOutcome::AlreadyShipped(_)),
            "{outcome:?}"
        );
    }

    #[test]
    fn deadlines_keep_the_reserve_and_never_lie_in_the_past() {
        let before = Instant::now();
        let deadline = deadline_from_remaining(Duration::from_millis(100), Duration::from_secs(1));
        assert!(deadline >= before);
        assert!(deadline.saturating_duration_since(Instant::now()) <= Duration::from_millis(1));
        let deadline = deadline_from_remaining(Duration::from_secs(30), Duration::from_secs(5));
        let left = deadline.saturating_duration_since(before);
        assert!(left >= Duration::from_secs(25) && left < Duration::from_secs(26));
    }

    fn events(count: usize) -> Vec<OrderEvent> {
        let customer = CustomerId::parse("c-1").unwrap();
        (0..count)
            .map(|n| {
                let at = Timestamp::from_unix_millis(n as u64).unwrap();
                OrderEvent::placed(&order_for(&customer, "A", at, 1))
            })
            .collect()
    }

    #[tokio::test]
    async fn publish_events_retries_only_retryable_failures_and_keeps_indexes() {
        let bus = InMemoryPublisher::new();
        let events = events(5);
        bus.fail_next(events[1].event_id(), 1, true); // throttled once
        bus.fail_next(events[3].event_id(), 9, true); // throttled every time
        bus.fail_next(events[4].event_id(), 1, false); // malformed
        let failures = publish_events(&bus, &events, 3).await;
        let failed: Vec<(usize, bool)> = failures.iter().map(|f| (f.index, f.retryable)).collect();
        assert_eq!(failed, [(3, true), (4, false)]);
        assert_eq!(&failures[0].event_id, events[3].event_id());
        assert_eq!(
            bus.calls(),
            3,
            "one call, then two retries of the retryable ones"
        );
        let published: Vec<_> = bus
            .published()
            .iter()
            .map(|e| e.event_id().clone())
            .collect();
        let expected: Vec<_> = [0, 2, 1]
            .iter()
            .map(|&i| events[i].event_id().clone())
            .collect();
        assert_eq!(published, expected);
    }

    #[tokio::test]
    async fn publish_events_calls_at_least_once_and_stops_when_all_are_in() {
        let bus = InMemoryPublisher::new();
        let events = events(2);
        bus.fail_next(events[0].event_id(), 1, true);
        let failures = publish_events(&bus, &events, 0).await;
        assert_eq!(failures.len(), 1, "zero attempts still publishes once");
        assert_eq!(bus.calls(), 1);
        let bus = InMemoryPublisher::new();
        assert!(publish_events(&bus, &events, 5).await.is_empty());
        assert_eq!(bus.calls(), 1, "no retry when nothing failed");
    }

    /// Fails every event, retryable, with an index past the slice on retries.
    struct SloppyBus(std::sync::atomic::AtomicUsize);

    impl EventPublisher for SloppyBus {
        async fn publish(&self, events: &[OrderEvent]) -> Vec<PublishFailure> {
            let call = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            events
                .iter()
                .enumerate()
                .map(|(index, event)| PublishFailure {
                    index: if call == 0 { index } else { index + 99 },
                    event_id: event.event_id().clone(),
                    retryable: true,
                    reason: "InternalFailure".into(),
                })
                .collect()
        }
    }

    #[tokio::test]
    async fn publish_events_keeps_failures_an_adapter_misnumbered() {
        let events = events(3);
        let bus = SloppyBus(Default::default());
        let failures = publish_events(&bus, &events, 2).await;
        let indexes: Vec<usize> = failures.iter().map(|f| f.index).collect();
        assert_eq!(indexes, [0, 1, 2], "found again by event id");
    }

    #[tokio::test]
    async fn register_customer_and_record_notification_pass_store_errors_on() {
        let store = InMemoryStore::new();
        let profile = CustomerProfile::new(
            CustomerId::parse("c-1").unwrap(),
            Email::parse("grace@example.com").unwrap(),
            None,
            Timestamp::EPOCH,
        )
        .unwrap();
        store.fail_next([unavailable()]);
        assert_eq!(
            register_customer(&store, &profile).await,
            Err(unavailable())
        );
        assert_eq!(
            register_customer(&store, &profile).await,
            Ok(Registration::Created)
        );
        let clock = FixedClock::at_millis(NOW);
        let event = OrderEvent::placed(&sample_order());
        store.fail_next([unavailable()]);
        assert_eq!(
            record_notification(&store, &clock, &event).await,
            Err(unavailable())
        );
        let (note, recorded) = record_notification(&store, &clock, &event).await.unwrap();
        assert_eq!(recorded, Recorded::New);
        assert_eq!(note.recorded_at().unix_millis(), NOW);
        assert_eq!(store.notifications(), vec![note]);
    }
}
