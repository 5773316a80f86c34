//! The contract suites: written once, run against every adapter of a port (the
//! in-memory ones here, DynamoDB and EventBridge on moto and the HTTPS shipping client
//! against a fake server in `orders-adapters`). Each takes a fresh, empty adapter and
//! panics with a message naming the broken promise.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use super::{order_for, ShippingBehaviour};
use crate::customer::{CustomerProfile, Email};
use crate::error::{RepositoryError, ShippingError};
use crate::events::{events_from_change, OrderEvent};
use crate::ids::{CustomerId, OrderId};
use crate::notification::Notification;
use crate::order::Order;
use crate::ports::{
    Cursor, CustomerProfiles, EventPublisher, Notifications, OrderReader, OrderWriter, PageRequest,
    Recorded, Registration, ShippingProvider,
};
use crate::time::Timestamp;
use crate::values::{PageSize, TrackingNumber};

fn customer(name: &str) -> CustomerId {
    CustomerId::parse(name).unwrap()
}

fn at(millis: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_681_040_000 + millis).unwrap()
}

fn size(n: i64) -> PageSize {
    PageSize::new(n).unwrap()
}

/// Orders of one customer, oldest first, one second apart.
fn orders_of(owner: &CustomerId, count: u64) -> Vec<Order> {
    (0..count)
        .map(|n| order_for(owner, &format!("SKU-{n}"), at(n * 1000), u128::from(n) + 7))
        .collect()
}

fn ids(orders: &[Order]) -> Vec<OrderId> {
    orders.iter().map(|o| *o.id()).collect()
}

/// [`OrderReader`] + [`OrderWriter`] on an empty store: get, insert, optimistic updates,
/// owner isolation, newest-first pages with cursors, cursor validation.
pub async fn order_store_contract<S: OrderReader + OrderWriter>(store: &S) {
    let ada = customer("ada-7d8e9f0a");
    let bob = customer("bob-1a2b3c4d");
    let mine = orders_of(&ada, 5);
    let first = &mine[0];

    // get / insert
    assert_eq!(store.get(&ada, first.id()).await, Ok(None), "empty store");
    for order in &mine {
        store.insert(order).await.expect("insert a new order");
    }
    assert_eq!(
        store.get(&ada, first.id()).await,
        Ok(Some(first.clone())),
        "an inserted order reads back equal"
    );
    assert_eq!(
        store.insert(first).await,
        Err(RepositoryError::AlreadyExists {
            order_id: *first.id()
        }),
        "a taken id is refused"
    );
    assert_eq!(
        store.get(&bob, first.id()).await,
        Ok(None),
        "another customer's order is not found"
    );

    // update with optimistic concurrency
    let mut cancelled = first.clone();
    cancelled.cancel(at(60_000)).unwrap();
    store
        .update(&cancelled, 1)
        .await
        .expect("update at the expected version");
    assert_eq!(
        store.get(&ada, first.id()).await,
        Ok(Some(cancelled.clone()))
    );
    assert_eq!(
        store.update(&cancelled, 1).await,
        Err(RepositoryError::VersionConflict {
            order_id: *first.id(),
            expected: 1,
            actual: 2
        }),
        "a stale version is refused and the stored one reported"
    );
    assert_eq!(
        store.get(&ada, first.id()).await,
        Ok(Some(cancelled.clone())),
        "a refused update changes nothing"
    );
    let stranger = order_for(&bob, "GHOST", at(1), 1);
    assert_eq!(
        store.update(&stranger, 1).await,
        Err(RepositoryError::NotFound {
            order_id: *stranger.id()
        }),
        "updating a missing order is NotFound, not an insert"
    );
    assert_eq!(store.get(&bob, stranger.id()).await, Ok(None));

    // newest first, pages of 2: [4, 3] [2, 1] [0]
    let mut newest_first = mine.clone();
    newest_first[0] = cancelled;
    newest_first.reverse();
    let one = store
        .list(&ada, &PageRequest::first(size(2)))
        .await
        .unwrap();
    assert_eq!(
        ids(&one.items),
        ids(&newest_first[0..2]),
        "first page, newest first"
    );
    let next = one.next.clone().expect("a cursor when more orders follow");
    let two = store
        .list(&ada, &PageRequest::after(size(2), next))
        .await
        .unwrap();
    assert_eq!(ids(&two.items), ids(&newest_first[2..4]));
    let three = store
        .list(
            &ada,
            &PageRequest::after(size(2), two.next.clone().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        three.items,
        newest_first[4..].to_vec(),
        "whole orders, not just ids"
    );
    assert_eq!(three.next, None, "no cursor on the last page");

    // a page exactly as large as what is left has no cursor
    let all = store
        .list(&ada, &PageRequest::first(size(5)))
        .await
        .unwrap();
    assert_eq!(ids(&all.items), ids(&newest_first));
    assert_eq!(all.next, None, "no cursor when nothing follows a full page");
    let bigger = store
        .list(&ada, &PageRequest::first(size(100)))
        .await
        .unwrap();
    assert_eq!(bigger.items.len(), 5);

    // isolation: bob sees only his; an empty listing
    let empty = store.list(&bob, &PageRequest::default()).await.unwrap();
    assert!(empty.items.is_empty() && empty.next.is_none(), "{empty:?}");
    let his = order_for(&bob, "BOB", at(500), 3);
    store.insert(&his).await.unwrap();
    let bobs = store.list(&bob, &PageRequest::default()).await.unwrap();
    assert_eq!(ids(&bobs.items), vec![*his.id()]);
    let adas = store.list(&ada, &PageRequest::default()).await.unwrap();
    assert_eq!(
        adas.items.len(),
        5,
        "another customer's order is not listed"
    );

    // cursors: tampered, foreign
    for bad in [
        "",
        "not a cursor",
        "eyJwayI6IkNVU1RPTUVSI2JvYiJ9",
        "mem1:ada-7d8e9f0a:nope",
    ] {
        let result = store
            .list(&ada, &PageRequest::after(size(2), Cursor::new(bad)))
            .await;
        assert!(
            matches!(result, Err(RepositoryError::InvalidCursor { .. })),
            "cursor {bad:?} must be InvalidCursor, got {result:?}"
        );
    }
    let oversize = Cursor::new("A".repeat(Cursor::MAX_LEN + 1));
    let result = store
        .list(&ada, &PageRequest::after(size(2), oversize))
        .await;
    assert!(
        matches!(result, Err(RepositoryError::InvalidCursor { .. })),
        "an oversize cursor is InvalidCursor, got {result:?}"
    );
    let adas_cursor = one.next.unwrap();
    let result = store
        .list(&bob, &PageRequest::after(size(2), adas_cursor.clone()))
        .await;
    assert!(
        matches!(result, Err(RepositoryError::InvalidCursor { .. })),
        "a cursor issued to another customer is InvalidCursor, got {result:?}"
    );
    let mut tampered = adas_cursor.into_string();
    tampered.insert(tampered.len() / 2, '!');
    let result = store
        .list(&ada, &PageRequest::after(size(2), Cursor::new(tampered)))
        .await;
    assert!(
        matches!(result, Err(RepositoryError::InvalidCursor { .. })),
        "an edited cursor is InvalidCursor, got {result:?}"
    );
}

/// All four storage ports on one store, as the single-table design keeps them: a
/// customer's profile and notifications live beside their orders and never show up as
/// orders. Runs [`order_store_contract`] with those items in place.
pub async fn single_table_contract<S>(store: &S)
where
    S: OrderReader + OrderWriter + CustomerProfiles + Notifications,
{
    let ada = customer("ada-7d8e9f0a");
    let hers = profile(&ada, "ada@example.org", Some("Ada"));
    assert_eq!(
        store.create_if_absent(&hers).await,
        Ok(Registration::Created)
    );
    let mut placed = order_for(&ada, "OTHER", at(99_000), 1);
    // Notifications of an order that is not stored: only their keys matter here.
    for version in 1..=2 {
        let event = if version == 1 {
            OrderEvent::placed(&placed)
        } else {
            let before = placed.clone();
            placed.cancel(at(100_000)).unwrap();
            events_from_change(Some(&before), Some(&placed)).unwrap()
        };
        let note = Notification::for_event(&event, at(100_000));
        assert_eq!(store.record(&note).await, Ok(Recorded::New));
    }
    order_store_contract(store).await;
    assert_eq!(
        store.get_profile(&ada).await,
        Ok(Some(hers)),
        "order writes leave the profile alone"
    );
}

fn profile(id: &CustomerId, email: &str, name: Option<&str>) -> CustomerProfile {
    CustomerProfile::new(id.clone(), Email::parse(email).unwrap(), name, at(0)).unwrap()
}

/// [`CustomerProfiles`] on an empty store: created once, never overwritten.
pub async fn customer_profiles_contract<P: CustomerProfiles>(profiles: &P) {
    let grace = customer("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
    assert_eq!(
        profiles.get_profile(&grace).await,
        Ok(None),
        "no profile yet"
    );
    let first = profile(&grace, "grace@example.com", Some("Grace Hopper"));
    assert_eq!(
        profiles.create_if_absent(&first).await,
        Ok(Registration::Created)
    );
    assert_eq!(profiles.get_profile(&grace).await, Ok(Some(first.clone())));
    let second = profile(&grace, "other@example.com", None);
    assert_eq!(
        profiles.create_if_absent(&second).await,
        Ok(Registration::AlreadyRegistered),
        "a repeated trigger finds the profile"
    );
    assert_eq!(
        profiles.get_profile(&grace).await,
        Ok(Some(first)),
        "an existing profile is never overwritten"
    );
    let ada = customer("ada");
    let hers = profile(&ada, "ada@example.org", None);
    assert_eq!(
        profiles.create_if_absent(&hers).await,
        Ok(Registration::Created)
    );
    assert_eq!(profiles.get_profile(&ada).await, Ok(Some(hers)));
}

/// [`Notifications`] on an empty store: one per event id and customer.
pub async fn notifications_contract<N: Notifications>(notifications: &N) {
    let order = super::sample_order();
    let mut cancelled = order.clone();
    cancelled.cancel(at(1000)).unwrap();
    let placed = OrderEvent::placed(&order);
    let cancel = events_from_change(Some(&order), Some(&cancelled)).unwrap();
    let note = Notification::for_event(&placed, at(2000));
    assert_eq!(notifications.record(&note).await, Ok(Recorded::New));
    let again = Notification::for_event(&placed, at(9000));
    assert_eq!(
        notifications.record(&again).await,
        Ok(Recorded::Duplicate),
        "the same event id again is a duplicate"
    );
    let other = Notification::for_event(&cancel, at(3000));
    assert_eq!(
        notifications.record(&other).await,
        Ok(Recorded::New),
        "another event of the same order is new"
    );
}

/// [`EventPublisher`]: 23 events (three PutEvents batches for EventBridge) are all
/// accepted and each delivered once; an empty slice is no failure. `delivered` returns
/// what reached the bus's consumers so far (it may be called several times).
pub async fn event_publisher_contract<P, F, Fut>(publisher: &P, delivered: F)
where
    P: EventPublisher,
    F: Fn() -> Fut,
    Fut: Future<Output = Vec<OrderEvent>>,
{
    assert!(
        publisher.publish(&[]).await.is_empty(),
        "nothing to publish"
    );
    let owner = customer("c-events");
    let mut events = Vec::new();
    for (n, order) in orders_of(&owner, 23).into_iter().enumerate() {
        let mut changed = order.clone();
        let event = match n % 3 {
            0 => OrderEvent::placed(&order),
            1 => {
                changed.cancel(at(100_000)).unwrap();
                events_from_change(Some(&order), Some(&changed)).unwrap()
            }
            _ => {
                let tracking = TrackingNumber::parse(&format!("1Z{n}")).unwrap();
                changed.mark_shipped(tracking, at(100_000)).unwrap();
                events_from_change(Some(&order), Some(&changed)).unwrap()
            }
        };
        events.push(event);
    }
    let failures = publisher.publish(&events).await;
    assert!(failures.is_empty(), "all accepted: {failures:?}");

    let expected: BTreeSet<String> = events.iter().map(|e| format!("{e:?}")).collect();
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(20) {
        seen.extend(delivered().await);
        if seen.len() >= events.len() {
            break;
        }
    }
    let seen_set: BTreeSet<String> = seen.iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(seen.len(), events.len(), "each event delivered once");
    assert_eq!(
        seen_set, expected,
        "delivered events equal the published ones"
    );
}

/// Makes a provider that behaves as asked (a fake server for the HTTPS adapter).
#[allow(async_fn_in_trait)] // test support; callers do not need a Send future
pub trait ShippingHarness {
    /// The adapter under test.
    type Provider: ShippingProvider;
    /// A fresh provider (and whatever serves it) that behaves as `behaviour`.
    async fn provider(&self, behaviour: ShippingBehaviour) -> Self::Provider;
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// [`ShippingProvider`]: tracking numbers stable per order; 5xx and timeouts retryable,
/// 4xx rejected; the deadline honoured.
pub async fn shipping_provider_contract<H: ShippingHarness>(harness: &H) {
    let order = super::sample_order();
    let other = order_for(&customer("ada"), "MUG", at(5), 99);

    let accepting = harness.provider(ShippingBehaviour::Accepting).await;
    let tracking = accepting
        .create_shipment(&order, soon())
        .await
        .expect("an accepting provider returns a tracking number");
    assert_eq!(
        accepting.create_shipment(&order, soon()).await,
        Ok(tracking.clone()),
        "the same order gets the same shipment"
    );
    let theirs = accepting.create_shipment(&other, soon()).await.unwrap();
    assert_ne!(theirs, tracking, "another order gets another shipment");
    let late = accepting
        .create_shipment(&order, Instant::now() - Duration::from_millis(1))
        .await;
    assert!(
        matches!(late, Err(ShippingError::Retryable { .. })),
        "no time left is retryable: {late:?}"
    );

    let unavailable = harness.provider(ShippingBehaviour::Unavailable).await;
    let result = unavailable.create_shipment(&order, soon()).await;
    assert!(
        matches!(result, Err(ShippingError::Retryable { .. })),
        "a 5xx is retryable: {result:?}"
    );

    for status in [400, 401, 422] {
        let rejecting = harness.provider(ShippingBehaviour::Rejecting(status)).await;
        match rejecting.create_shipment(&order, soon()).await {
            Err(error @ ShippingError::Rejected { status: got, .. }) => {
                assert_eq!(got, Some(status), "the status is reported");
                assert_eq!(error.is_unauthorized(), status == 401);
            }
            other => panic!("a {status} must be Rejected, got {other:?}"),
        }
    }

    let slow = harness
        .provider(ShippingBehaviour::Slow(Duration::from_secs(3)))
        .await;
    let started = Instant::now();
    let result = slow
        .create_shipment(&order, Instant::now() + Duration::from_millis(300))
        .await;
    assert!(
        matches!(result, Err(ShippingError::Retryable { .. })),
        "an answer after the deadline is a retryable timeout: {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "gave up by the deadline, not after the answer ({:?})",
        started.elapsed()
    );
}
