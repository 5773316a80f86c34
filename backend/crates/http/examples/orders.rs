//! The four `orders-api` routes on `ferrule-http`, with an in-memory store.
//!
//! Used to measure binary size and cold start against `hello-http`:
//! `cargo build --release -p ferrule-http --example orders`.

use std::collections::HashMap;
use std::sync::Mutex;

use ferrule_errors::{Classify, ErrorKind};
use ferrule_http::{
    Cors, Created, HttpError, HttpRequest, Json, NoContent, Router, Validate, ValidationErrors,
};
use lambda_http::{tracing, Error};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewOrder {
    customer_id: String,
    sku: String,
    quantity: u32,
}

impl Validate for NewOrder {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.sku.trim().is_empty() {
            errors.add("sku", "must not be empty");
        }
        if self.quantity == 0 {
            errors.add("quantity", "must be at least 1");
        }
        errors.into_result()
    }
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Order {
    id: String,
    customer_id: String,
    sku: String,
    quantity: u32,
    cancelled: bool,
}

#[derive(Debug, thiserror::Error)]
enum OrderError {
    #[error("order {0} not found")]
    NotFound(String),
    #[error("order {0} is already cancelled")]
    AlreadyCancelled(String),
    #[error("order store is unavailable")]
    StoreUnavailable,
}

impl Classify for OrderError {
    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::NotFound(_) => ErrorKind::NotFound,
            OrderError::AlreadyCancelled(_) => ErrorKind::Conflict,
            OrderError::StoreUnavailable => ErrorKind::Retryable,
        }
    }
}

/// Created once in `main`; a real function holds its DynamoDB repository here.
#[derive(Default)]
struct Store {
    orders: Mutex<HashMap<String, Order>>,
}

impl Store {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Order>) -> T) -> Result<T, OrderError> {
        let mut orders = self
            .orders
            .lock()
            .map_err(|_| OrderError::StoreUnavailable)?;
        Ok(f(&mut orders))
    }
}

async fn create_order(req: HttpRequest<Store>) -> Result<Created<Order>, HttpError> {
    let new: NewOrder = req.valid_json()?;
    let order = Order {
        id: req.request_id().to_owned(),
        customer_id: new.customer_id,
        sku: new.sku,
        quantity: new.quantity,
        cancelled: false,
    };
    let stored = order.clone();
    req.state()
        .with(|orders| orders.insert(stored.id.clone(), stored))?;
    Ok(Created::new(format!("/orders/{}", order.id), order))
}

async fn get_order(req: HttpRequest<Store>) -> Result<Json<Order>, HttpError> {
    let id = req.param("id")?;
    let order = req.state().with(|orders| orders.get(id).cloned())?;
    Ok(Json(
        order.ok_or_else(|| OrderError::NotFound(id.to_owned()))?,
    ))
}

async fn list_orders(req: HttpRequest<Store>) -> Result<Json<Vec<Order>>, HttpError> {
    let limit = req.query_as::<usize>("limit")?.unwrap_or(20);
    let orders = req
        .state()
        .with(|orders| orders.values().take(limit).cloned().collect())?;
    Ok(Json(orders))
}

async fn cancel_order(req: HttpRequest<Store>) -> Result<NoContent, HttpError> {
    let id = req.param("id")?;
    req.state().with(|orders| match orders.get_mut(id) {
        None => Err(OrderError::NotFound(id.to_owned())),
        Some(order) if order.cancelled => Err(OrderError::AlreadyCancelled(id.to_owned())),
        Some(order) => {
            order.cancelled = true;
            Ok(())
        }
    })??;
    Ok(NoContent)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    Router::with_state(Store::default())
        .post("/orders", create_order)
        .requires_auth()
        .get("/orders", list_orders)
        .requires_auth()
        .get("/orders/{id}", get_order)
        .requires_auth()
        .post("/orders/{id}/cancel", cancel_order)
        .requires_group("admin")
        .cors(Cors::allow_origins(["https://app.example.com"]))
        .build()?
        .run()
        .await
}
