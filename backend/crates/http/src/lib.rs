//! HTTP API (API Gateway v2, payload 2.0) event handler for Ferrule functions.
//!
//! The Rust counterpart of Powertools' `APIGatewayHttpResolver`, built on `lambda_http`:
//! a [`Router`] maps method + path to async handlers, which receive an [`HttpRequest`]
//! (path parameters, query, headers, JSON body, the JWT [`Principal`], the request id,
//! your shared state) and return `Result<impl IntoReply, HttpError>`. Every failure is
//! an RFC 9457 `application/problem+json` answer carrying the request id; domain errors
//! that implement [`ferrule_errors::Classify`] convert with `?`.
//!
//! ```
//! use ferrule_errors::{Classify, ErrorKind};
//! use ferrule_http::{Created, HttpError, HttpRequest, Json, Router, Validate, ValidationErrors};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct NewOrder { sku: String, quantity: u32 }
//!
//! impl Validate for NewOrder {
//!     fn validate(&self) -> Result<(), ValidationErrors> {
//!         let mut errors = ValidationErrors::new();
//!         if self.quantity == 0 {
//!             errors.add("quantity", "must be at least 1");
//!         }
//!         errors.into_result()
//!     }
//! }
//!
//! #[derive(Serialize)]
//! struct Order { id: String, sku: String, quantity: u32 }
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("order {0} not found")]
//! struct NotFound(String);
//! impl Classify for NotFound {
//!     fn kind(&self) -> ErrorKind { ErrorKind::NotFound }
//! }
//!
//! struct Shop { id_prefix: &'static str }
//!
//! async fn create_order(req: HttpRequest<Shop>) -> Result<Created<Order>, HttpError> {
//!     let new: NewOrder = req.valid_json()?;
//!     let id = format!("{}-1", req.state().id_prefix);
//!     Ok(Created::new(format!("/orders/{id}"), Order { id, sku: new.sku, quantity: new.quantity }))
//! }
//!
//! async fn get_order(req: HttpRequest<Shop>) -> Result<Json<Order>, HttpError> {
//!     Err(NotFound(req.param("id")?.to_owned()))?
//! }
//!
//! let app = Router::with_state(Shop { id_prefix: "o" })
//!     .post("/orders", create_order)
//!     .requires_auth()
//!     .get("/orders/{id}", get_order)
//!     .requires_auth()
//!     .build()
//!     .unwrap();
//! // In main: `app.run().await` (or `ferrule_http::run(service_fn(handler))` without a router)
//! # let _ = app;
//! ```

mod cors;
mod entry;
mod error;
mod json;
mod principal;
mod request;
mod response;
mod router;

pub use cors::Cors;
pub use entry::run;
#[cfg(feature = "concurrent")]
pub use entry::run_concurrent;
pub use error::{FieldError, HttpError, PROBLEM_JSON};
pub use json::{Json, Validate, ValidationErrors};
pub use principal::Principal;
pub use request::HttpRequest;
pub use response::{Created, IntoReply, NoContent};
pub use router::{App, Router, RouterError, DEFAULT_MAX_BODY_BYTES, REQUEST_ID_HEADER};

/// The `http` crate `lambda_http` uses (`Method`, `StatusCode`, headers).
pub use lambda_http::http;
