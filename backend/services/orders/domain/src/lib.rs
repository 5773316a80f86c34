//! The orders domain of Ferrule's reference service: entities, rules, events and ports,
//! with no AWS or Lambda types.
//!
//! Five functions share it. Each builds the adapters it needs (crate `orders-adapters`)
//! and calls one use case:
//!
//! | function             | use case                                                                |
//! | -------------------- | ----------------------------------------------------------------------- |
//! | `orders-api`         | [`OrderService::place_order`], `get_order`, `list_orders`, `cancel_order` |
//! | `identity-triggers`  | [`SignUpPolicy::check`], [`register_customer`]                           |
//! | `orders-stream`      | [`events_from_change`], [`publish_events`]                               |
//! | `fulfillment-worker` | [`OrderService::ship_order`]                                             |
//! | `order-notifier`     | [`OrderEvent`] (read by `orders_adapters::events`), [`record_notification`] |
//!
//! ```
//! use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
//! use orders_domain::{CancelOrder, CustomerId, NewOrder, NewOrderItem, OrderService, OrderStatus, PlaceOrder};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let orders = OrderService::new(InMemoryStore::new(), FixedClock::at_millis(1_795_681_040_512), SequentialIds::new());
//! let customer = CustomerId::parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")?;
//! let request = NewOrder {
//!     currency: "EUR".into(),
//!     items: vec![NewOrderItem { sku: "MUG-FERRIS".into(), quantity: 2, unit_price_cents: 1250 }],
//! };
//! let order = orders.place_order(PlaceOrder::new(customer.clone(), request)?).await?;
//! assert_eq!(order.total_cents(), 2500);
//!
//! let cancelled = orders.cancel_order(CancelOrder::new(customer, *order.id())).await?;
//! assert_eq!(cancelled.status(), OrderStatus::Cancelled);
//! # Ok(())
//! # }
//! ```
//!
//! Errors implement [`ferrule_errors::Classify`]: validation → 400, not found → 404, rule
//! broken or concurrent change → 409, a dependency down → 503 (or a retried record).

#[macro_use]
mod macros;
mod commands;
mod customer;
mod error;
mod events;
mod ids;
mod notification;
mod order;
mod ports;
mod service;
mod time;
mod values;

#[cfg(feature = "testing")]
pub mod testing;

pub use commands::{CancelOrder, MarkShipped, NewOrder, NewOrderItem, PlaceOrder, MAX_ITEMS};
pub use customer::{CustomerProfile, Email, SignUpError, SignUpPolicy, MAX_NAME_CHARS};
pub use error::{InvalidInput, OrderError, RepositoryError, ShippingError, ValidationError};
pub use events::{
    events_from_change, EventDecodeError, OrderCancelled, OrderEvent, OrderPlaced, OrderShipped,
};
pub use ids::{CustomerId, EventId, IdGenerator, OrderId};
pub use notification::{Notification, NotificationKind};
pub use order::{
    InvalidOrder, Order, OrderItem, OrderSnapshot, OrderStatus, Transition, MAX_UNIT_PRICE_CENTS,
};
pub use ports::{
    Cursor, CustomerProfiles, EventPublisher, Notifications, OrderReader, OrderWriter, Page,
    PageRequest, PublishFailure, Recorded, Registration, ShippingProvider,
};
pub use service::{
    deadline_from_remaining, publish_events, record_notification, register_customer, OrderService,
    ShipOutcome,
};
pub use time::{Clock, SystemClock, Timestamp};
pub use values::{Currency, PageSize, Quantity, Sku, TrackingNumber};
