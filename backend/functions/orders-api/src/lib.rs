//! `orders-api`: the HTTP API of the reference service "orders" (API Gateway HTTP API,
//! payload 2.0, Cognito JWT authorizer), on `ferrule-http`'s [`Router`].
//!
//! | route | use case | answers |
//! | --- | --- | --- |
//! | `POST /orders` | `place_order` (idempotent with `Idempotency-Key`) | 201 + `Location` |
//! | `GET /orders` | `list_orders` (`?limit=`, `?cursor=`) | 200 `{items, nextCursor?}` |
//! | `GET /orders/{id}` | `get_order` (owner only) | 200, 404 |
//! | `POST /orders/{id}/cancel` | `cancel_order` | 200, 404, 409 |
//!
//! The caller is always the JWT's `sub`; every route requires it (401 without). The
//! handlers are generic over the domain ports, so tests run them on the in-memory adapters:
//!
//! ```
//! use ferrule_idempotency::{Idempotency, InMemoryStore as Records};
//! use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
//! use orders_domain::OrderService;
//!
//! let api = orders_api::Api::new(
//!     OrderService::new(InMemoryStore::new(), FixedClock::at_millis(0), SequentialIds::new()),
//!     Idempotency::new(Records::new(), orders_api::idempotency_config(std::time::Duration::from_secs(3600))),
//! );
//! let app = orders_api::app(api).unwrap();
//! // In main: `app.run().await`; in tests: `app.handle(request).await`.
//! # let _ = app;
//! ```

mod body;
mod config;
mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use ferrule_http::http::{HeaderValue, StatusCode};
use ferrule_http::{
    App, Created, FieldError, HttpError, HttpRequest, IntoReply, Json, Router, RouterError,
};
use ferrule_idempotency::{Idempotency, IdempotencyConfig, IdempotencyError, PersistenceStore};
use lambda_http::{Body, RequestExt, Response};
use orders_adapters::StoredOrder;
use orders_domain::{
    CancelOrder, Clock, Cursor, CustomerId, IdGenerator, InvalidInput, Order, OrderError, OrderId,
    OrderReader, OrderService, OrderWriter, PageRequest, PageSize, PlaceOrder, RepositoryError,
};
use serde_json::{json, Value};

pub use body::{NewOrderBody, NewOrderItemBody, OrderBody, OrderItemBody, OrderPage};
pub use config::{
    Config, InitError, DEFAULT_IDEMPOTENCY_EXPIRES_AFTER_SECS, MAX_IDEMPOTENCY_EXPIRES_AFTER_SECS,
};
pub use store::{idempotency_layout, IDEMPOTENCY_SORT_KEY};

/// Largest request body accepted (413 above). A full order (25 lines) is about 2.5 KB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Longest `Idempotency-Key` accepted (a UUID is 36 characters).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The request header that makes `POST /orders` idempotent.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Set to `true` on a `POST /orders` answer that was replayed from the idempotency record.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// How long an idempotency claim is held when the Lambda context gives no deadline (tests,
/// local runs): the HTTP API's integration timeout.
const CLAIM_WITHOUT_DEADLINE: Duration = Duration::from_secs(30);

/// The idempotency settings of `POST /orders`: records named `orders-api#…`, kept
/// `expires_after`. The key (the `Idempotency-Key` header, scoped to the caller) and the
/// checked payload (the body) are handed over by [`place_order`].
///
/// ```
/// let config = orders_api::idempotency_config(std::time::Duration::from_secs(600));
/// # let _ = config;
/// ```
pub fn idempotency_config(expires_after: Duration) -> IdempotencyConfig {
    IdempotencyConfig::new("orders-api").expires_after(expires_after)
}

/// The shared state of every handler: the order use cases and the idempotency of
/// `POST /orders`. Built once at init.
///
/// ```
/// use ferrule_idempotency::{Idempotency, InMemoryStore as Records};
/// use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
/// use orders_domain::OrderService;
///
/// let api = orders_api::Api::new(
///     OrderService::new(InMemoryStore::new(), FixedClock::at_millis(0), SequentialIds::new()),
///     Idempotency::new(Records::new(), orders_api::idempotency_config(std::time::Duration::from_secs(60))),
/// );
/// # let _ = api;
/// ```
#[derive(Debug)]
pub struct Api<S, C, I, P> {
    orders: OrderService<S, C, I>,
    idempotency: Idempotency<P>,
}

impl<S, C, I, P> Api<S, C, I, P> {
    /// The state from the use cases and the idempotency runner.
    pub fn new(orders: OrderService<S, C, I>, idempotency: Idempotency<P>) -> Self {
        Self {
            orders,
            idempotency,
        }
    }

    /// The order use cases (tests read the store through it).
    pub fn orders(&self) -> &OrderService<S, C, I> {
        &self.orders
    }

    /// The idempotency runner (tests read the records through it).
    pub fn idempotency(&self) -> &Idempotency<P> {
        &self.idempotency
    }
}

/// The route table: every route requires a caller; bodies above [`MAX_BODY_BYTES`] are 413.
///
/// ```
/// use ferrule_idempotency::{Idempotency, InMemoryStore as Records};
/// use orders_domain::testing::{FixedClock, InMemoryStore, SequentialIds};
/// use orders_domain::OrderService;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let api = orders_api::Api::new(
///     OrderService::new(InMemoryStore::new(), FixedClock::at_millis(0), SequentialIds::new()),
///     Idempotency::new(Records::new(), orders_api::idempotency_config(std::time::Duration::from_secs(60))),
/// );
/// let app = orders_api::app(api).unwrap();
/// let request = lambda_http::http::Request::builder()
///     .uri("/orders")
///     .body(lambda_http::Body::Empty)
///     .unwrap();
/// let response = app.handle(request).await;
/// assert_eq!(response.status().as_u16(), 401); // no JWT claims
/// # }
/// ```
pub fn app<S, C, I, P>(api: Api<S, C, I, P>) -> Result<App<Api<S, C, I, P>>, RouterError>
where
    S: OrderReader + OrderWriter + 'static,
    C: Clock + Send + Sync + 'static,
    I: IdGenerator + Send + Sync + 'static,
    P: PersistenceStore + 'static,
{
    Router::with_state(api)
        .post("/orders", place_order::<S, C, I, P>)
        .requires_auth()
        .get("/orders", list_orders::<S, C, I, P>)
        .requires_auth()
        .get("/orders/{id}", get_order::<S, C, I, P>)
        .requires_auth()
        .post("/orders/{id}/cancel", cancel_order::<S, C, I, P>)
        .requires_auth()
        .max_body_bytes(MAX_BODY_BYTES)
        .build()
}

/// `POST /orders`: body [`NewOrderBody`] (unknown fields refused), the caller as customer.
///
/// With an `Idempotency-Key` header the order is placed once per (caller, key): a repeat
/// gets the stored 201 with `Idempotent-Replayed: true`; a repeat with another body is 422;
/// a repeat while the first still runs is 409. The key is scoped to the caller so two
/// customers who pick the same key never see each other's order.
pub async fn place_order<S, C, I, P>(
    req: HttpRequest<Api<S, C, I, P>>,
) -> Result<Response<Body>, HttpError>
where
    S: OrderReader + OrderWriter,
    C: Clock + Send + Sync,
    I: IdGenerator + Send + Sync,
    P: PersistenceStore,
{
    let customer = caller(&req)?;
    let key = idempotency_key(&req)?;
    let body: NewOrderBody = req.json()?;
    let command = PlaceOrder::new(customer.clone(), body.into()).map_err(invalid_input)?;

    let api = req.state();
    let (order, replayed) = match key {
        None => (
            api.orders.place_order(command).await.map_err(order_error)?,
            false,
        ),
        Some(key) => {
            // Both checked parts are what the caller sent: the key (with the caller, so keys
            // are per customer) and the body text, byte for byte, as the IETF draft asks.
            let scoped_key = json!({ "customer": customer.as_str(), "key": key });
            let body = Value::String(String::from_utf8_lossy(req.body()).into_owned());
            let ran = AtomicBool::new(false);
            let orders = &api.orders;
            // The record keeps the order as the table stores it (adapters' StoredOrder), so
            // a replay reads the same JSON however the domain's fields are named.
            let stored = api
                .idempotency
                .run_with_key(&scoped_key, Some(&body), remaining(&req), || {
                    ran.store(true, Ordering::Relaxed);
                    async move {
                        let order = orders.place_order(command).await?;
                        Ok::<_, OrderError>(StoredOrder::from(&order))
                    }
                })
                .await
                .map_err(idempotency_error)?;
            let placed = Order::try_from(stored).map_err(|reason| {
                order_error(OrderError::Repository(RepositoryError::Corrupt {
                    key: "idempotency record".to_owned(),
                    reason,
                }))
            })?;
            (placed, !ran.load(Ordering::Relaxed))
        }
    };
    let mut response =
        Created::new(format!("/orders/{}", order.id()), OrderBody::from(&order)).into_reply()?;
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// `GET /orders/{id}`: the caller's order; 404 for an unknown id and for someone else's.
pub async fn get_order<S, C, I, P>(
    req: HttpRequest<Api<S, C, I, P>>,
) -> Result<Json<OrderBody>, HttpError>
where
    S: OrderReader,
{
    let customer = caller(&req)?;
    let id = order_id(&req)?;
    let order = req
        .state()
        .orders
        .get_order(&customer, &id)
        .await
        .map_err(order_error)?;
    Ok(Json(OrderBody::from(&order)))
}

/// `GET /orders?limit=&cursor=`: the caller's orders, newest first. `limit` 1 to 100
/// (default 20); `cursor` is the `nextCursor` of the previous page, unchanged.
pub async fn list_orders<S, C, I, P>(
    req: HttpRequest<Api<S, C, I, P>>,
) -> Result<Json<OrderPage>, HttpError>
where
    S: OrderReader,
{
    let customer = caller(&req)?;
    let size = match req.query("limit") {
        Some(text) => PageSize::parse(text).map_err(|error| {
            HttpError::validation(vec![FieldError::new("limit", error.reason())])
                .with_title("Invalid query parameter")
        })?,
        None => PageSize::DEFAULT,
    };
    let page = PageRequest {
        size,
        cursor: req.query("cursor").map(Cursor::new),
    };
    let page = req
        .state()
        .orders
        .list_orders(&customer, &page)
        .await
        .map_err(order_error)?;
    Ok(Json(OrderPage {
        items: page.items.iter().map(OrderBody::from).collect(),
        next_cursor: page.next.map(Cursor::into_string),
    }))
}

/// `POST /orders/{id}/cancel`: 200 with the cancelled order (also when it already was);
/// 409 once shipped; 404 for an unknown id and for someone else's.
pub async fn cancel_order<S, C, I, P>(
    req: HttpRequest<Api<S, C, I, P>>,
) -> Result<Json<OrderBody>, HttpError>
where
    S: OrderReader + OrderWriter,
    C: Clock + Send + Sync,
{
    let customer = caller(&req)?;
    let id = order_id(&req)?;
    let order = req
        .state()
        .orders
        .cancel_order(CancelOrder::new(customer, id))
        .await
        .map_err(order_error)?;
    Ok(Json(OrderBody::from(&order)))
}

/// The caller's customer id: the JWT `sub`. 401 without claims or with a `sub` that
/// cannot be a key (the router's `requires_auth` already refused requests without one).
fn caller<St>(req: &HttpRequest<St>) -> Result<CustomerId, HttpError> {
    let principal = req.require_principal()?;
    CustomerId::parse(&principal.subject).map_err(|error| {
        HttpError::unauthorized(format!(
            "The token's subject cannot identify a customer: {}",
            error.reason()
        ))
    })
}

/// The `{id}` path parameter; 400 naming `id` when it is not a ULID (no lookup is made).
fn order_id<St>(req: &HttpRequest<St>) -> Result<OrderId, HttpError> {
    OrderId::parse(req.param("id")?).map_err(|error| {
        HttpError::validation(vec![FieldError::new("id", error.reason())])
            .with_title("Invalid path parameter")
    })
}

/// The `Idempotency-Key` header: absent is fine; present, it must be 1 to 255 visible
/// ASCII characters (400 otherwise).
fn idempotency_key<St>(req: &HttpRequest<St>) -> Result<Option<&str>, HttpError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let invalid = |message: &str| {
        HttpError::validation(vec![FieldError::new("Idempotency-Key", message)])
            .with_title("Invalid header")
    };
    let key = raw
        .to_str()
        .map_err(|_| invalid("must be visible ASCII characters"))?;
    if key.trim().is_empty() {
        return Err(invalid("must not be empty"));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(invalid(&format!(
            "must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters (got {})",
            key.len()
        )));
    }
    Ok(Some(key))
}

/// How long this invocation may hold an idempotency claim: until its deadline.
fn remaining<St>(req: &HttpRequest<St>) -> Duration {
    match req.extensions().lambda_context_ref() {
        Some(context) if context.deadline > 0 => context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
        _ => CLAIM_WITHOUT_DEADLINE,
    }
}

/// Every field error of the domain's validation, one `errors` entry each.
fn invalid_input(invalid: InvalidInput) -> HttpError {
    HttpError::validation(
        invalid
            .errors()
            .iter()
            .map(|error| FieldError::new(error.field(), error.reason()))
            .collect(),
    )
}

/// Domain errors → problems: field errors listed, a bad cursor named, the rest by kind
/// (404, 409, 503, 500).
fn order_error(error: OrderError) -> HttpError {
    match error {
        OrderError::Invalid(invalid) => invalid_input(invalid),
        OrderError::Repository(RepositoryError::InvalidCursor { reason }) => {
            HttpError::validation(vec![FieldError::new("cursor", reason)])
                .with_title("Invalid query parameter")
        }
        other => HttpError::from(other),
    }
}

/// Idempotency outcomes → problems: 409 while the first request runs, 422 for the same key
/// with another body (the IETF `Idempotency-Key` draft's choice), 503 when the store fails.
fn idempotency_error(error: IdempotencyError<OrderError>) -> HttpError {
    match error {
        IdempotencyError::Handler(error) => order_error(error),
        IdempotencyError::AlreadyInProgress { .. } => HttpError::conflict(
            "A request with this Idempotency-Key is still being processed; retry later.",
        )
        .with_title("Request in progress"),
        IdempotencyError::PayloadMismatch { .. } => HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was already used with a different body; use a new key for a new order.",
        )
        .with_title("Idempotency-Key reused"),
        other => HttpError::from(other),
    }
}

#[cfg(test)]
mod tests;
