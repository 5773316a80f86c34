//! Adapters of the `orders-domain` ports, one cargo feature each, so a function compiles
//! only what it uses:
//!
//! | feature           | adapter                                                    | used by                         |
//! | ----------------- | ---------------------------------------------------------- | ------------------------------- |
//! | `dynamodb`        | `DynamoDbOrders`: orders, profiles, notifications, one table | api, triggers, worker, notifier |
//! | `dynamodb-stream` | `stream`: stream images → `Order` → domain event         | orders-stream                   |
//! | `eventbridge`     | `EventBridgePublisher`: `PutEvents`, ≤ 10 per call        | orders-stream                   |
//! | `shipping-http`   | `HttpShippingProvider`: `POST {base}/shipments` over HTTPS | fulfillment-worker            |
//! | `ids`             | `RandomIds`: ULID order ids                              | orders-api                      |
//!
//! The table's key design lives in [`keys`], the stored order in [`StoredOrder`] and the
//! events' wire format (EventBridge `detail`) in [`events`], all always compiled: the domain
//! has no wire format of its own. AWS clients are built
//! through `ferrule_aws` (shared configuration, rustls on ring, X-Ray subsegments per
//! call) and lazily: constructing an adapter does no I/O.
//!
//! ```
//! use orders_adapters::keys;
//! use orders_domain::CustomerId;
//!
//! let customer = CustomerId::parse("7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a")?;
//! assert_eq!(keys::customer_pk(&customer), "CUSTOMER#7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a");
//! # Ok::<(), orders_domain::ValidationError>(())
//! ```

pub mod keys;

#[cfg(feature = "ids")]
mod ids;
#[cfg(feature = "ids")]
pub use ids::RandomIds;

pub mod events;
#[cfg(any(feature = "dynamodb", feature = "dynamodb-stream"))]
mod image;
mod stored;
pub use stored::StoredOrder;

#[cfg(feature = "dynamodb")]
mod cursor;
#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoDbOrders;

#[cfg(feature = "dynamodb-stream")]
pub mod stream;

#[cfg(feature = "eventbridge")]
mod eventbridge;
#[cfg(feature = "eventbridge")]
pub use eventbridge::{EventBridgePublisher, EVENT_SOURCE, MAX_ENTRIES_PER_CALL};

#[cfg(feature = "shipping-http")]
mod shipping;
#[cfg(feature = "shipping-http")]
pub use shipping::{HttpShippingProvider, ShippingConfigError};
