//! Fulfilment of placed orders: SQS messages (each body an EventBridge `OrderPlaced`
//! envelope) → a shipment at the carrier → the order marked `SHIPPED`.
//!
//! Per message: the body is decoded as an EventBridge event and its detail with
//! `orders_adapters::events::event_from_detail`; then `ship_order` creates the shipment (bounded by the
//! invocation's remaining time minus [`RESERVE`]) and records the tracking number.
//! Redeliveries are successes (`ShipOutcome::AlreadyShipped`, the provider is not called);
//! a provider 5xx or timeout, or a body that cannot be decoded, is a batch item failure, so
//! SQS delivers the message again and, after `maxReceiveCount`, moves it to the DLQ.
//!
//! The shipping API key is read from Secrets Manager on the first shipment (not at init
//! and not for an order that needs no shipment), cached by `ferrule-secrets`, and read
//! again once when the provider answers 401/403.
//!
//! ```
//! use std::time::Duration;
//! use ferrule_batch::sqs::SqsEvent;
//! use ferrule_secrets::{InMemorySecretStore, Secrets};
//! use fulfillment_worker::{SecretKeyShipping, Worker};
//! use orders_domain::testing::{sample_order, FakeShipping, InMemoryStore};
//! use orders_domain::{OrderService, OrderStatus, SystemClock};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = InMemoryStore::new();
//! store.put(sample_order());
//! let secrets = InMemorySecretStore::new();
//! secrets.put("orders/dev/shipping", r#"{"apiKey":"k-1"}"#);
//! let shipping = SecretKeyShipping::new(Secrets::new(secrets), "orders/dev/shipping", |_key: &str| {
//!     Ok(FakeShipping::accepting())
//! });
//! let worker = Worker::new(OrderService::new(store.clone(), SystemClock, ()), shipping);
//!
//! let mut event: SqsEvent = ferrule_testkit::fixture_as("sqs/standard")?;
//! event.records.truncate(1); // the sample order's OrderPlaced
//! let response = worker.handle(event, Duration::from_secs(10)).await;
//! assert!(response.batch_item_failures.is_empty());
//! # use orders_domain::OrderReader;
//! let order = store.get(sample_order().customer_id(), sample_order().id()).await?.unwrap();
//! assert_eq!(order.status(), OrderStatus::Shipped);
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use ferrule_batch::sqs::{Message, SqsBatchResponse, SqsEvent};
use ferrule_batch::SqsProcessor;
use ferrule_errors::{Classify, ErrorKind};
use ferrule_secrets::{SecretError, SecretStore, Secrets, Sensitive, StoreError};
use lambda_runtime::{Error, LambdaEvent};
use orders_adapters::ShippingConfigError;
use orders_domain::{
    deadline_from_remaining, Clock, EventDecodeError, MarkShipped, Order, OrderError, OrderEvent,
    OrderReader, OrderService, OrderWriter, ShipOutcome, ShippingError, ShippingProvider,
    TrackingNumber,
};
use serde::Deserialize;

/// Time kept back from the invocation's remaining time when the provider is called: enough
/// to record the shipment (one DynamoDB write) and answer before Lambda's timeout.
pub const RESERVE: Duration = Duration::from_secs(2);

/// Messages of a batch in flight at once. Each one mostly waits on the provider and
/// DynamoDB; a handful overlaps that waiting without flooding the carrier's API.
pub const CONCURRENCY: usize = 5;

const PROCESSOR: SqsProcessor = SqsProcessor::new().concurrency(CONCURRENCY);

/// The function's configuration, from the environment; `ssm:` references are resolved at
/// init by `ferrule_parameters::load_config` (in the cloud `SHIPPING_BASE_URL` is one).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// `ORDERS_TABLE`: the orders table.
    pub orders_table: String,
    /// `SHIPPING_BASE_URL`: the carrier API's base URL (`ssm:/orders/<stage>/shipping-base-url`).
    pub shipping_base_url: String,
    /// `SHIPPING_SECRET_ID`: the Secrets Manager secret `{"apiKey": "..."}`.
    pub shipping_secret_id: String,
}

pub use ferrule_parameters::InitError;

impl Config {
    /// The configuration, if no value is empty.
    ///
    /// ```
    /// let config = fulfillment_worker::Config {
    ///     orders_table: "orders".into(),
    ///     shipping_base_url: "https://carrier.example".into(),
    ///     shipping_secret_id: "".into(),
    /// };
    /// assert_eq!(config.validated().unwrap_err().to_string(), "environment variable SHIPPING_SECRET_ID is empty");
    /// ```
    pub fn validated(self) -> Result<Config, InitError> {
        ferrule_parameters::require_non_empty(&[
            ("ORDERS_TABLE", &self.orders_table),
            ("SHIPPING_BASE_URL", &self.shipping_base_url),
            ("SHIPPING_SECRET_ID", &self.shipping_secret_id),
        ])?;
        Ok(self)
    }
}

/// Why one message was not handled; its kind decides nothing more than the log line (every
/// failure is reported and redelivered by SQS until its DLQ).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The body's detail is not a valid order event.
    #[error("message body is not an order event: {0}")]
    Decode(#[from] EventDecodeError),
    /// A valid order event, but not one this queue is for (a misrouted rule).
    #[error("message body is an {0} event; the fulfillment queue takes only OrderPlaced")]
    UnexpectedEvent(&'static str),
    /// The use case failed (provider unavailable or refusing, store down, ...).
    #[error(transparent)]
    Order(#[from] OrderError),
}

impl Classify for WorkerError {
    fn kind(&self) -> ErrorKind {
        match self {
            WorkerError::Decode(error) => error.kind(),
            WorkerError::UnexpectedEvent(_) => ErrorKind::Validation,
            WorkerError::Order(error) => error.kind(),
        }
    }
}

/// Gives the shipping provider with the current API key. Errors are `ShippingError`s so the
/// use case classifies them like the provider's own: a key that cannot be read for now is
/// `Retryable`, a missing or malformed one `Rejected` without a status.
pub trait ShippingAccess: Send + Sync {
    /// The provider.
    type Provider: ShippingProvider;

    /// The provider with the cached key, or with a key read again when `new_key`.
    fn provider(
        &self,
        new_key: bool,
    ) -> impl Future<Output = Result<Self::Provider, ShippingError>> + Send;
}

/// The secret's JSON: `{"apiKey": "..."}`.
#[derive(Deserialize)]
struct ShippingSecret {
    #[serde(rename = "apiKey")]
    api_key: Sensitive<String>,
}

/// [`ShippingAccess`] with the API key of a Secrets Manager secret (`ferrule-secrets`: read on
/// first use, cached 5 minutes) and `connect` to build the provider from the key
/// (`HttpShippingProvider::new(&base_url, key)` in the function).
///
/// ```
/// use ferrule_secrets::{InMemorySecretStore, Secrets};
/// use fulfillment_worker::{SecretKeyShipping, ShippingAccess};
/// use orders_domain::testing::FakeShipping;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = InMemorySecretStore::new();
/// store.put("shipping", r#"{"apiKey":"k-1"}"#);
/// let access = SecretKeyShipping::new(Secrets::new(store.clone()), "shipping", |key: &str| {
///     assert_eq!(key, "k-1");
///     Ok(FakeShipping::accepting())
/// });
/// assert!(access.provider(false).await.is_ok());
/// assert!(access.provider(false).await.is_ok());
/// assert_eq!(store.fetches(), 1, "cached");
/// assert!(access.provider(true).await.is_ok());
/// assert_eq!(store.fetches(), 2, "read again");
/// # }
/// ```
#[derive(Debug)]
pub struct SecretKeyShipping<S, F> {
    secrets: Secrets<S>,
    secret_id: String,
    connect: F,
}

impl<S, F> SecretKeyShipping<S, F> {
    /// The key of `secret_id` read through `secrets`; `connect` builds the provider.
    pub fn new(secrets: Secrets<S>, secret_id: impl Into<String>, connect: F) -> Self {
        Self {
            secrets,
            secret_id: secret_id.into(),
            connect,
        }
    }
}

fn secret_failure(error: SecretError) -> ShippingError {
    let reason = format!("shipping API key: {error}");
    match error {
        SecretError::Store(StoreError::Unavailable(_)) => ShippingError::Retryable { reason },
        _ => ShippingError::Rejected {
            status: None,
            reason,
        },
    }
}

fn config_failure(error: ShippingConfigError) -> ShippingError {
    ShippingError::Rejected {
        status: None,
        reason: error.to_string(),
    }
}

impl<S, F, P> ShippingAccess for SecretKeyShipping<S, F>
where
    S: SecretStore,
    F: Fn(&str) -> Result<P, ShippingConfigError> + Send + Sync,
    P: ShippingProvider,
{
    type Provider = P;

    async fn provider(&self, new_key: bool) -> Result<P, ShippingError> {
        if new_key {
            self.secrets.refresh(&self.secret_id);
        }
        let secret: ShippingSecret = self
            .secrets
            .get_json(&self.secret_id)
            .await
            .map_err(secret_failure)?;
        (self.connect)(secret.api_key.expose()).map_err(config_failure)
    }
}

/// A provider whose key is fetched on the first shipment only, so an order that is already
/// shipped or cancelled needs no secret.
struct KeyedOnUse<'a, A> {
    access: &'a A,
    new_key: bool,
}

impl<A: ShippingAccess> ShippingProvider for KeyedOnUse<'_, A> {
    async fn create_shipment(
        &self,
        order: &Order,
        deadline: Instant,
    ) -> Result<TrackingNumber, ShippingError> {
        let provider = self.access.provider(self.new_key).await?;
        provider.create_shipment(order, deadline).await
    }
}

/// The handler: an SQS batch in, the messages to redeliver out. Build it once at init.
#[derive(Debug)]
pub struct Worker<St, C, A> {
    orders: OrderService<St, C, ()>,
    shipping: A,
}

impl<St, C, A> Worker<St, C, A>
where
    St: OrderReader + OrderWriter,
    C: Clock,
    A: ShippingAccess,
{
    /// Ships through `shipping` and records in `orders` (no id generator: nothing is created).
    ///
    /// ```
    /// use ferrule_secrets::{InMemorySecretStore, Secrets};
    /// use fulfillment_worker::{SecretKeyShipping, Worker};
    /// use orders_domain::testing::{FakeShipping, InMemoryStore};
    /// use orders_domain::{OrderService, SystemClock};
    ///
    /// let shipping = SecretKeyShipping::new(Secrets::new(InMemorySecretStore::new()), "shipping", |_: &str| {
    ///     Ok(FakeShipping::accepting())
    /// });
    /// let worker = Worker::new(OrderService::new(InMemoryStore::new(), SystemClock, ()), shipping);
    /// # let _ = worker;
    /// ```
    pub fn new(orders: OrderService<St, C, ()>, shipping: A) -> Self {
        Self { orders, shipping }
    }

    /// The Lambda entry point: [`Worker::handle`] with the invocation's remaining time.
    /// Never fails: every problem is a reported message.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrule_secrets::{InMemorySecretStore, Secrets};
    /// use fulfillment_worker::{SecretKeyShipping, Worker};
    /// use lambda_runtime::LambdaEvent;
    /// use orders_domain::testing::{FakeShipping, InMemoryStore};
    /// use orders_domain::{OrderService, SystemClock};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lambda_runtime::Error> {
    /// let shipping = SecretKeyShipping::new(Secrets::new(InMemorySecretStore::new()), "s", |_: &str| {
    ///     Ok(FakeShipping::accepting())
    /// });
    /// let worker = Worker::new(OrderService::new(InMemoryStore::new(), SystemClock, ()), shipping);
    /// let event = ferrule_testkit::fixture_as("sqs/fulfillment-unparseable")?;
    /// let context = ferrule_testkit::ContextBuilder::new("req-1").remaining(Duration::from_secs(5)).build();
    /// let response = worker.handle_event(LambdaEvent::new(event, context)).await?;
    /// assert_eq!(response.batch_item_failures.len(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn handle_event(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, Error> {
        let remaining = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        Ok(self.handle(event.payload, remaining).await)
    }

    /// Handles every message (up to [`CONCURRENCY`] at a time) with `remaining` as the
    /// invocation's time left; returns the failed message ids.
    ///
    /// See the crate documentation for an example.
    pub async fn handle(&self, event: SqsEvent, remaining: Duration) -> SqsBatchResponse {
        let deadline = deadline_from_remaining(remaining, RESERVE);
        PROCESSOR
            .process(event, |message: Message<EventBridgeEvent>| async move {
                self.fulfil(message.body, deadline).await.map(|_| ())
            })
            .await
    }

    /// One `OrderPlaced` envelope: ship the order (once), calling the provider by `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use aws_lambda_events::eventbridge::EventBridgeEvent;
    /// use ferrule_secrets::{InMemorySecretStore, Secrets};
    /// use fulfillment_worker::{SecretKeyShipping, Worker};
    /// use orders_domain::testing::{sample_order, FakeShipping, InMemoryStore};
    /// use orders_domain::{OrderService, ShipOutcome, SystemClock};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = InMemoryStore::new();
    /// store.put(sample_order());
    /// let secrets = InMemorySecretStore::new();
    /// secrets.put("s", r#"{"apiKey":"k"}"#);
    /// let shipping = SecretKeyShipping::new(Secrets::new(secrets), "s", |_: &str| Ok(FakeShipping::accepting()));
    /// let worker = Worker::new(OrderService::new(store, SystemClock, ()), shipping);
    /// let envelope: EventBridgeEvent = ferrule_testkit::fixture_as("eventbridge/order-placed")?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert!(matches!(worker.fulfil(envelope.clone(), deadline).await?, ShipOutcome::Shipped(_)));
    /// assert!(matches!(worker.fulfil(envelope, deadline).await?, ShipOutcome::AlreadyShipped(_)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fulfil(
        &self,
        envelope: EventBridgeEvent,
        deadline: Instant,
    ) -> Result<ShipOutcome, WorkerError> {
        let placed = match orders_adapters::events::event_from_detail(
            &envelope.detail_type,
            envelope.detail,
        )? {
            OrderEvent::Placed(placed) => placed,
            other => return Err(WorkerError::UnexpectedEvent(other.detail_type())),
        };
        let command = MarkShipped::new(placed.customer_id, placed.order_id);
        let cached_key = KeyedOnUse {
            access: &self.shipping,
            new_key: false,
        };
        let outcome = match self
            .orders
            .ship_order(&cached_key, command.clone(), deadline)
            .await
        {
            Err(OrderError::Shipping(error)) if error.is_unauthorized() => {
                // The key was rotated (or revoked): read it again, once.
                tracing::warn!(
                    order_id = %command.order_id,
                    error = %error,
                    "shipping provider refused the API key; reading the secret again"
                );
                let new_key = KeyedOnUse {
                    access: &self.shipping,
                    new_key: true,
                };
                self.orders.ship_order(&new_key, command, deadline).await?
            }
            other => other?,
        };
        log_outcome(&outcome);
        Ok(outcome)
    }
}

fn log_outcome(outcome: &ShipOutcome) {
    match outcome {
        ShipOutcome::Shipped(order) => tracing::info!(
            order_id = %order.id(),
            tracking_number = order.tracking_number().map(|t| t.as_str()).unwrap_or_default(),
            "order shipped"
        ),
        ShipOutcome::AlreadyShipped(order) => {
            tracing::info!(order_id = %order.id(), "order already shipped (a redelivery)")
        }
        ShipOutcome::Cancelled(order) => {
            tracing::info!(order_id = %order.id(), "order cancelled before fulfilment; nothing shipped")
        }
        // Retrying cannot help (the order stays cancelled): succeed, and say loudly that a
        // parcel must be recalled.
        ShipOutcome::CancelledWhileShipping {
            order,
            tracking_number,
        } => tracing::error!(
            order_id = %order.id(),
            tracking_number = tracking_number.as_str(),
            action = "recall-parcel",
            "order was cancelled while its shipment was created; recall the parcel"
        ),
    }
}

#[cfg(test)]
mod tests {

    /// The variables the configuration type reads are the ones `Cargo.toml` declares, which
    /// `RustFunction` checks the CDK environment against.
    #[test]
    fn config_reads_exactly_what_the_manifest_declares() {
        ferrule_testkit::manifest::check_config_matches_manifest::<super::Config>().unwrap();
    }
    use ferrule_parameters::{load_config_from, InMemoryStore as InMemoryParameters, Parameters};
    use ferrule_secrets::{InMemorySecretStore, SecretValue};
    use ferrule_testkit::ContextBuilder;
    use orders_adapters::HttpShippingProvider;
    use orders_domain::testing::{order_for, sample_order, FakeShipping, InMemoryStore};
    use orders_domain::{
        CustomerId, NewOrder, NewOrderItem, OrderId, OrderStatus, PlaceOrder, SystemClock,
        Timestamp,
    };

    use super::*;

    const SECRET: &str = "orders/test/shipping";
    const FIRST: &str = "059f36b4-87a3-44ab-83d2-661975830a7d";
    const SECOND: &str = "2e1424d4-f796-459a-8184-9c92662be6da";
    const TIME: Duration = Duration::from_secs(10);

    /// The second order of `sqs/standard`.
    fn second_order() -> Order {
        let customer = CustomerId::parse("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a").unwrap();
        let request = NewOrder {
            currency: "EUR".into(),
            items: vec![NewOrderItem {
                sku: "MUG-FERRIS".into(),
                quantity: 1,
                unit_price_cents: 1250,
            }],
        };
        Order::place(
            OrderId::parse("01M8BEX2AB3C4D5E6F7G8H9J0K").unwrap(),
            PlaceOrder::new(customer, request).unwrap(),
            Timestamp::parse("2026-11-26T08:17:24.901Z").unwrap(),
        )
    }

    fn store_with_both() -> InMemoryStore {
        let store = InMemoryStore::new();
        store.put(sample_order());
        store.put(second_order());
        store
    }

    fn secrets(key: &str) -> InMemorySecretStore {
        let store = InMemorySecretStore::new();
        store.put(SECRET, &format!(r#"{{"apiKey":"{key}"}}"#));
        store
    }

    type Access<St> = SecretKeyShipping<
        St,
        Box<dyn Fn(&str) -> Result<FakeShipping, ShippingConfigError> + Send + Sync>,
    >;

    /// Keys "good" and "new" get `accepting`, any other key gets `refusing`.
    fn access<St: SecretStore>(
        secrets: St,
        accepting: &FakeShipping,
        refusing: &FakeShipping,
    ) -> Access<St> {
        let (accepting, refusing) = (accepting.clone(), refusing.clone());
        SecretKeyShipping::new(
            Secrets::new(secrets),
            SECRET,
            Box::new(move |key: &str| {
                Ok(if matches!(key, "good" | "new") {
                    accepting.clone()
                } else {
                    refusing.clone()
                })
            }),
        )
    }

    fn worker<St: SecretStore>(
        store: &InMemoryStore,
        shipping: Access<St>,
    ) -> Worker<InMemoryStore, SystemClock, Access<St>> {
        Worker::new(OrderService::new(store.clone(), SystemClock, ()), shipping)
    }

    fn standard() -> SqsEvent {
        ferrule_testkit::fixture_as("sqs/standard").unwrap()
    }

    fn reported(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    async fn status(store: &InMemoryStore, order: &Order) -> OrderStatus {
        store
            .get(order.customer_id(), order.id())
            .await
            .unwrap()
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn placed_orders_are_shipped_and_redeliveries_succeed_without_a_call() {
        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let keys = secrets("good");
        let worker = worker(
            &store,
            access(keys.clone(), &carrier, &FakeShipping::rejecting(401)),
        );

        let response = worker.handle(standard(), TIME).await;
        assert!(reported(&response).is_empty());
        assert_eq!(carrier.calls(), 2);
        let shipped = store
            .get(sample_order().customer_id(), sample_order().id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(shipped.status(), OrderStatus::Shipped);
        assert_eq!(
            shipped.tracking_number().unwrap().as_str(),
            "TRK-01M8BEWE407HD9W8BV0KBFG6HB"
        );
        assert_eq!(status(&store, &second_order()).await, OrderStatus::Shipped);

        // SQS delivers the same messages again: success, no second shipment, no secret read.
        let again = worker.handle(standard(), TIME).await;
        assert!(reported(&again).is_empty());
        assert_eq!(carrier.calls(), 2);
        assert_eq!(keys.fetches(), 1, "the key is cached");
    }

    #[tokio::test]
    async fn the_same_message_twice_in_one_batch_ships_once() {
        /// A carrier call that yields to the runtime first, as a network call does: without
        /// that, copies handled concurrently would never overlap in a test.
        #[derive(Clone)]
        struct Yielding(FakeShipping);
        impl orders_domain::ShippingProvider for Yielding {
            async fn create_shipment(
                &self,
                order: &Order,
                deadline: Instant,
            ) -> Result<orders_domain::TrackingNumber, orders_domain::ShippingError> {
                tokio::task::yield_now().await;
                self.0.create_shipment(order, deadline).await
            }
        }

        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let yielding = Yielding(carrier.clone());
        let shipping =
            SecretKeyShipping::new(Secrets::new(secrets("good")), SECRET, move |_key: &str| {
                Ok::<_, ShippingConfigError>(yielding.clone())
            });
        let worker = Worker::new(OrderService::new(store.clone(), SystemClock, ()), shipping);
        // Each record of the fixture twice, the copies with their own message ids (an
        // EventBridge event that reached the queue twice): four records, two orders.
        let mut event = standard();
        let copies: Vec<_> = event
            .records
            .iter()
            .cloned()
            .map(|mut record| {
                record.message_id = record.message_id.map(|id| format!("{id}-copy"));
                record
            })
            .collect();
        event.records.extend(copies);
        assert_eq!(event.records.len(), 4);

        let response = worker.handle(event, TIME).await;
        assert!(reported(&response).is_empty());
        assert_eq!(carrier.calls(), 2, "one shipment per order");
        assert_eq!(status(&store, &sample_order()).await, OrderStatus::Shipped);
    }

    /// Lambda Managed Instances: `main` shares one worker (an `Arc`) among the invocations in
    /// flight. Batches handled at once, each in its own task, ship every order once and each
    /// report only their own failed message.
    #[tokio::test]
    async fn one_shared_worker_handles_concurrent_batches_each_with_its_own_failures() {
        let store = InMemoryStore::new();
        let customer = CustomerId::parse("c-concurrent").unwrap();
        let orders: Vec<Order> = (1..=24)
            .map(|n| order_for(&customer, "MUG", Timestamp::EPOCH, n))
            .collect();
        for order in &orders {
            store.put(order.clone());
        }
        let carrier = FakeShipping::accepting();
        let keys = secrets("good");
        let worker = std::sync::Arc::new(worker(&store, access(keys.clone(), &carrier, &carrier)));
        let template = standard().records.swap_remove(0);
        let envelope: serde_json::Value =
            serde_json::from_str(template.body.as_deref().unwrap()).unwrap();
        let tasks: Vec<_> = orders
            .chunks(4)
            .enumerate()
            .map(|(batch, chunk)| {
                let mut records: Vec<_> = chunk
                    .iter()
                    .map(|order| {
                        let mut body = envelope.clone();
                        body["detail"] = serde_json::to_value(
                            orders_adapters::events::EventDetail::from(&OrderEvent::placed(order)),
                        )
                        .unwrap();
                        let mut record = template.clone();
                        record.message_id = Some(order.id().to_string());
                        record.body = Some(body.to_string());
                        record
                    })
                    .collect();
                let mut bad = template.clone();
                bad.message_id = Some(format!("bad-{batch}"));
                bad.body = Some("not an event".into());
                records.insert(1, bad);
                let mut event = standard();
                event.records = records;
                let worker = std::sync::Arc::clone(&worker);
                tokio::spawn(async move { (batch, worker.handle(event, TIME).await) })
            })
            .collect();
        for task in tasks {
            let (batch, response) = task.await.unwrap();
            assert_eq!(reported(&response), [format!("bad-{batch}")]);
        }
        assert_eq!(carrier.calls(), orders.len(), "one shipment per order");
        for order in &orders {
            assert_eq!(status(&store, order).await, OrderStatus::Shipped);
        }
    }

    #[tokio::test]
    async fn a_cancelled_order_is_skipped_without_reading_the_key() {
        let store = InMemoryStore::new();
        let mut cancelled = sample_order();
        cancelled
            .cancel(Timestamp::parse("2026-11-26T08:30:00.000Z").unwrap())
            .unwrap();
        store.put(cancelled.clone());
        store.put(second_order());
        let carrier = FakeShipping::accepting();
        let keys = secrets("good");
        let worker = worker(&store, access(keys.clone(), &carrier, &carrier));
        let mut event = standard();
        event.records.truncate(1);
        let response = worker.handle(event, TIME).await;
        assert!(reported(&response).is_empty());
        assert_eq!(carrier.calls(), 0);
        assert_eq!(keys.fetches(), 0);
        assert_eq!(status(&store, &cancelled).await, OrderStatus::Cancelled);
    }

    #[tokio::test]
    async fn a_downstream_5xx_reports_that_message_only() {
        let store = store_with_both();
        let down = FakeShipping::unavailable();
        let worker = worker(&store, access(secrets("good"), &down, &down));
        let mut event = standard();
        // A third message (a copy of the first under another id): every one is reported.
        event.records.push(event.records[0].clone());
        event.records[2].message_id = Some("third".into());
        let response = worker.handle(event, TIME).await;
        assert_eq!(reported(&response), [FIRST, SECOND, "third"]);
        assert_eq!(status(&store, &sample_order()).await, OrderStatus::Placed);

        // Only the provider's failures fail: with a working carrier only the order the
        // store lacks is reported.
        let store = InMemoryStore::new();
        store.put(sample_order());
        let carrier = FakeShipping::accepting();
        let worker = Worker::new(
            OrderService::new(store.clone(), SystemClock, ()),
            access(secrets("good"), &carrier, &carrier),
        );
        let response = worker.handle(standard(), TIME).await;
        assert_eq!(reported(&response), [SECOND]);
        assert_eq!(status(&store, &sample_order()).await, OrderStatus::Shipped);
    }

    #[tokio::test]
    async fn a_provider_slower_than_the_deadline_is_a_reported_timeout() {
        let store = store_with_both();
        let slow = FakeShipping::slow(TIME);
        let worker = worker(&store, access(secrets("good"), &slow, &slow));
        let response = worker.handle(standard(), TIME).await;
        assert_eq!(reported(&response), [FIRST, SECOND]);
        assert_eq!(status(&store, &sample_order()).await, OrderStatus::Placed);

        // No time left beyond the reserve: the provider is not even waited for.
        let fast = FakeShipping::accepting();
        let worker = self::worker(&store, access(secrets("good"), &fast, &fast));
        let response = worker.handle(standard(), RESERVE).await;
        assert_eq!(reported(&response), [FIRST, SECOND]);
        assert_eq!(fast.calls(), 0);
    }

    #[tokio::test]
    async fn handle_event_takes_the_deadline_from_the_context() {
        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let worker = worker(&store, access(secrets("good"), &carrier, &carrier));
        let short = ContextBuilder::new("r-1")
            .remaining(Duration::from_secs(1))
            .build();
        let response = worker
            .handle_event(LambdaEvent::new(standard(), short))
            .await
            .unwrap();
        assert_eq!(reported(&response), [FIRST, SECOND], "1 s left < reserve");
        let long = ContextBuilder::new("r-2").remaining(TIME).build();
        let response = worker
            .handle_event(LambdaEvent::new(standard(), long))
            .await
            .unwrap();
        assert!(reported(&response).is_empty());
    }

    #[tokio::test]
    async fn a_401_reads_the_rotated_key_once_and_ships() {
        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let refusing = FakeShipping::rejecting(401);
        let keys = secrets("old");
        let worker = worker(&store, access(keys.clone(), &carrier, &refusing));
        let mut event = standard();
        event.records.truncate(1);
        // The old key is cached; then the secret is rotated.
        worker.shipping.provider(false).await.unwrap();
        keys.put(SECRET, r#"{"apiKey":"new"}"#);
        let response = worker.handle(event, TIME).await;
        assert!(reported(&response).is_empty());
        assert_eq!((refusing.calls(), carrier.calls()), (1, 1));
        assert_eq!(keys.fetches(), 2);
        assert_eq!(status(&store, &sample_order()).await, OrderStatus::Shipped);
    }

    #[tokio::test]
    async fn a_key_still_refused_after_one_refresh_is_reported() {
        let store = store_with_both();
        let refusing = FakeShipping::rejecting(403);
        let keys = secrets("revoked");
        let worker = worker(&store, access(keys.clone(), &refusing, &refusing));
        let mut event = standard();
        event.records.truncate(1);
        let response = worker.handle(event, TIME).await;
        assert_eq!(reported(&response), [FIRST]);
        assert_eq!(
            refusing.calls(),
            2,
            "the first try and one after the refresh"
        );
        assert_eq!(keys.fetches(), 2);
    }

    #[tokio::test]
    async fn other_rejections_do_not_refresh_the_key() {
        let store = store_with_both();
        let refusing = FakeShipping::rejecting(422);
        let keys = secrets("good");
        let worker = worker(&store, access(keys.clone(), &refusing, &refusing));
        let mut event = standard();
        event.records.truncate(1);
        let response = worker.handle(event, TIME).await;
        assert_eq!(reported(&response), [FIRST]);
        assert_eq!((refusing.calls(), keys.fetches()), (1, 1));
    }

    /// A secret store that is down.
    struct Unavailable;

    impl SecretStore for Unavailable {
        async fn get_secret(&self, _id: &str) -> Result<SecretValue, StoreError> {
            Err(StoreError::Unavailable("throttled".into()))
        }
    }

    #[tokio::test]
    async fn a_key_that_cannot_be_read_is_classified_and_reported() {
        let carrier = FakeShipping::accepting();
        let order = sample_order();
        let deadline = Instant::now() + TIME;

        let down = access(Unavailable, &carrier, &carrier);
        let error = KeyedOnUse {
            access: &down,
            new_key: false,
        }
        .create_shipment(&order, deadline)
        .await
        .unwrap_err();
        assert!(matches!(error, ShippingError::Retryable { .. }), "{error}");

        let missing = access(InMemorySecretStore::new(), &carrier, &carrier);
        let error = missing.provider(false).await.err().unwrap();
        assert_eq!(error.kind(), ErrorKind::NonRetryable);
        assert!(error.to_string().contains(SECRET), "{error}");

        let binary = InMemorySecretStore::new();
        binary.put_binary(SECRET);
        let error = access(binary, &carrier, &carrier)
            .provider(false)
            .await
            .err()
            .unwrap();
        assert!(error.to_string().contains("binary"), "{error}");

        let wrong_shape = InMemorySecretStore::new();
        wrong_shape.put(SECRET, r#"{"key":"k"}"#);
        let error = access(wrong_shape, &carrier, &carrier)
            .provider(false)
            .await
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("missing field `apiKey`"),
            "{error}"
        );
        assert!(!error.to_string().contains("\"k\""), "never the value");

        // Through the handler: the message is reported, the order stays placed.
        let store = store_with_both();
        let worker = worker(
            &store,
            access(InMemorySecretStore::new(), &carrier, &carrier),
        );
        let response = worker.handle(standard(), TIME).await;
        assert_eq!(reported(&response), [FIRST, SECOND]);
        assert_eq!(carrier.calls(), 0);
    }

    #[tokio::test]
    async fn an_unusable_base_url_is_a_rejection_naming_it() {
        let shipping =
            SecretKeyShipping::new(Secrets::new(secrets("good")), SECRET, |key: &str| {
                HttpShippingProvider::new("ftp://carrier.example", key)
            });
        let error = shipping.provider(false).await.err().unwrap();
        assert!(matches!(
            error,
            ShippingError::Rejected { status: None, .. }
        ));
        assert!(
            error.to_string().contains("ftp://carrier.example"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn unparseable_bodies_are_each_reported_without_any_call() {
        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let keys = secrets("good");
        let worker = worker(&store, access(keys.clone(), &carrier, &carrier));
        let event: SqsEvent = ferrule_testkit::fixture_as("sqs/fulfillment-unparseable").unwrap();
        let response = worker.handle(event, TIME).await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [
                { "itemIdentifier": "6f1c1e6e-0001-4a8e-9d0b-4c5e2f0a7b01" },
                { "itemIdentifier": "6f1c1e6e-0002-4a8e-9d0b-4c5e2f0a7b02" },
                { "itemIdentifier": "6f1c1e6e-0003-4a8e-9d0b-4c5e2f0a7b03" },
            ]})
        );
        assert_eq!((carrier.calls(), keys.fetches()), (0, 0));

        // An envelope without `detail-type`, and a record without a body.
        let mut event = standard();
        let body = event.records[0].body.clone().unwrap();
        event.records[0].body = Some(body.replace("\"detail-type\"", "\"kind\""));
        event.records[1].body = None;
        let response = worker.handle(event, TIME).await;
        assert_eq!(reported(&response), [FIRST, SECOND]);
    }

    #[tokio::test]
    async fn fulfil_says_why_an_envelope_is_refused() {
        let store = store_with_both();
        let carrier = FakeShipping::accepting();
        let worker = worker(&store, access(secrets("good"), &carrier, &carrier));
        let deadline = Instant::now() + TIME;

        let shipped: EventBridgeEvent =
            ferrule_testkit::fixture_as("eventbridge/order-shipped").unwrap();
        let error = worker.fulfil(shipped, deadline).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "message body is an OrderShipped event; the fulfillment queue takes only OrderPlaced"
        );
        assert_eq!(error.kind(), ErrorKind::Validation);

        let mut placed: EventBridgeEvent =
            ferrule_testkit::fixture_as("eventbridge/order-placed").unwrap();
        placed.detail["orderId"] = serde_json::json!("nope");
        let error = worker.fulfil(placed, deadline).await.unwrap_err();
        assert!(matches!(error, WorkerError::Decode(_)), "{error}");
        assert_eq!(error.kind(), ErrorKind::Validation);

        let mut unknown: EventBridgeEvent =
            ferrule_testkit::fixture_as("eventbridge/order-placed").unwrap();
        unknown.detail_type = "OrderLost".into();
        let error = worker.fulfil(unknown, deadline).await.unwrap_err();
        assert!(error.to_string().contains("OrderLost"), "{error}");

        let down = worker_with_down_carrier(&store);
        let placed: EventBridgeEvent =
            ferrule_testkit::fixture_as("eventbridge/order-placed").unwrap();
        let error = down.fulfil(placed, deadline).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Retryable);
    }

    fn worker_with_down_carrier(
        store: &InMemoryStore,
    ) -> Worker<InMemoryStore, SystemClock, Access<InMemorySecretStore>> {
        let down = FakeShipping::unavailable();
        worker(store, access(secrets("good"), &down, &down))
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    async fn config(pairs: &[(&str, &str)]) -> Result<Config, InitError> {
        let store = InMemoryParameters::new();
        store.put(
            "/orders/dev/shipping-base-url",
            "https://carrier.example/v1",
        );
        let config: Config = load_config_from(&Parameters::new(store), vars(pairs)).await?;
        config.validated()
    }

    #[tokio::test]
    async fn configuration_resolves_the_base_url_and_names_what_is_missing() {
        let all = [
            ("ORDERS_TABLE", "orders-dev"),
            ("SHIPPING_BASE_URL", "ssm:/orders/dev/shipping-base-url"),
            ("SHIPPING_SECRET_ID", "orders/dev/shipping"),
        ];
        let loaded = config(&all).await.unwrap();
        assert_eq!(loaded.shipping_base_url, "https://carrier.example/v1");
        assert_eq!(loaded.orders_table, "orders-dev");

        for missing in ["ORDERS_TABLE", "SHIPPING_BASE_URL", "SHIPPING_SECRET_ID"] {
            let pairs: Vec<_> = all.iter().copied().filter(|(k, _)| *k != missing).collect();
            let error = config(&pairs).await.unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("configuration is invalid: environment variable {missing} is not set")
            );
            let empty: Vec<_> = all
                .iter()
                .map(|&(k, v)| if k == missing { (k, " ") } else { (k, v) })
                .collect();
            let error = config(&empty).await.unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("environment variable {missing} is empty")
            );
            assert_eq!(
                format!("{error:?}"),
                error.to_string(),
                "what `main` prints"
            );
        }

        let unresolved = [
            ("ORDERS_TABLE", "orders-dev"),
            ("SHIPPING_BASE_URL", "ssm:/orders/dev/missing"),
            ("SHIPPING_SECRET_ID", "orders/dev/shipping"),
        ];
        let error = config(&unresolved).await.unwrap_err();
        assert!(error.to_string().contains("SHIPPING_BASE_URL"), "{error}");
    }
}
