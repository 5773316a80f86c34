//! Configuration and parameters from SSM Parameter Store, the Ferrule way.
//!
//! **Configuration at init.** Environment values pass through unchanged, except those that
//! reference SSM with the `ssm:` prefix: `MAX_ITEMS=ssm:/orders/prod/max-items`. [`load_config`]
//! resolves every reference with batched `GetParameters` calls (10 names per call, SecureStrings
//! decrypted), then deserializes the result into your struct (field `max_items` ← `MAX_ITEMS`,
//! numbers and booleans parsed, `Option` for optional values). When anything is wrong, one
//! [`ConfigError`] lists **every** bad reference and missing parameter by name.
//!
//! **Parameters at run time.** [`Parameters::get`], [`Parameters::get_multiple`] and
//! [`Parameters::get_by_path`] read through a cache with a time to live (5 s by default, as
//! Powertools), and [`Parameters::refresh`] forces the next read to go to the store.
//!
//! ```
//! use ferrule_parameters::{load_config_from, InMemoryStore, Parameters};
//!
//! #[derive(serde::Deserialize)]
//! struct OrdersConfig {
//!     orders_table: String,
//!     max_items: u32,
//! }
//!
//! # tokio_test_block_on(async {
//! let store = InMemoryStore::new();
//! store.put("/orders/dev/max-items", "25");
//! let parameters = Parameters::new(store);
//! let env = [
//!     ("ORDERS_TABLE".to_owned(), "orders-dev".to_owned()),
//!     ("MAX_ITEMS".to_owned(), "ssm:/orders/dev/max-items".to_owned()),
//! ];
//! let config: OrdersConfig = load_config_from(&parameters, env).await.unwrap();
//! assert_eq!(config.max_items, 25);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
//!
//! In a function, with the SSM adapter (feature `ssm`, on by default):
//!
//! ```no_run
//! # async fn main_like() -> Result<(), Box<dyn std::error::Error>> {
//! # #[derive(serde::Deserialize)] struct OrdersConfig { orders_table: String }
//! let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let parameters = ferrule_parameters::Parameters::new(ferrule_parameters::SsmStore::from_conf(&sdk));
//! let config: OrdersConfig = ferrule_parameters::load_config(&parameters).await?;
//! # Ok(()) }
//! ```

mod config;
mod provider;
#[cfg(feature = "ssm")]
mod ssm;
mod store;

pub use config::{
    absence, load_config, load_config_from, parse_reference, require_non_empty, ConfigError,
    InitError, Problem, SSM_PREFIX,
};
pub use provider::{ParameterError, Parameters, DEFAULT_MAX_AGE};
#[cfg(feature = "ssm")]
pub use ssm::SsmStore;
pub use store::{Fetched, InMemoryStore, ParameterStore, StoreError, MAX_NAMES_PER_CALL};
