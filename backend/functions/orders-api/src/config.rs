//! Configuration read once at init: environment values, `ssm:` references resolved.

use std::time::Duration;

use ferrule_parameters::{ConfigError, ParameterStore, Parameters};
use serde::Deserialize;

/// How long a stored `POST /orders` response is replayed when the variable is not set.
pub const DEFAULT_IDEMPOTENCY_EXPIRES_AFTER_SECS: u64 = 3600;

/// The longest replay window accepted (one week): longer keeps records nobody will use.
pub const MAX_IDEMPOTENCY_EXPIRES_AFTER_SECS: u64 = 7 * 24 * 3600;

/// The function's configuration. Every value may be a plain value or an `ssm:` reference
/// (`IDEMPOTENCY_EXPIRES_AFTER_SECS=ssm:/orders/prod/idempotency-ttl`), resolved at init.
///
/// | variable | required | meaning |
/// | --- | --- | --- |
/// | `ORDERS_TABLE` | yes | the single table: orders and idempotency records |
/// | `IDEMPOTENCY_EXPIRES_AFTER_SECS` | no (3600) | how long a `POST /orders` response is replayed |
///
/// ```
/// use ferrule_parameters::{InMemoryStore, Parameters};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let parameters = Parameters::new(InMemoryStore::new());
/// let vars = [("ORDERS_TABLE".to_owned(), "orders-dev".to_owned())];
/// let config = orders_api::Config::load_from(&parameters, vars).await.unwrap();
/// assert_eq!(config.orders_table, "orders-dev");
/// assert_eq!(config.idempotency_expires_after().as_secs(), 3600);
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// `ORDERS_TABLE`: the orders table (idempotency records live in it too).
    pub orders_table: String,
    /// `IDEMPOTENCY_EXPIRES_AFTER_SECS`: the replay window of `POST /orders`.
    #[serde(default = "default_expires_after")]
    pub idempotency_expires_after_secs: u64,
}

fn default_expires_after() -> u64 {
    DEFAULT_IDEMPOTENCY_EXPIRES_AFTER_SECS
}

/// Why the function cannot start. Each message names the variable to fix.
#[derive(thiserror::Error)]
pub enum InitError {
    /// A variable is missing, does not parse, or an `ssm:` reference does not resolve.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `ORDERS_TABLE` is set but empty.
    #[error("configuration is invalid: environment variable ORDERS_TABLE is empty; set it to the orders table name")]
    EmptyTable,
    /// `IDEMPOTENCY_EXPIRES_AFTER_SECS` outside 1..=604800.
    #[error("configuration is invalid: IDEMPOTENCY_EXPIRES_AFTER_SECS must be between 1 and {MAX_IDEMPOTENCY_EXPIRES_AFTER_SECS} seconds (got {0})")]
    ExpiresAfter(u64),
    /// The route table is inconsistent (a bug in this crate).
    #[error("route table is invalid: {0}")]
    Router(#[from] ferrule_http::RouterError),
}

/// `main` returns this error boxed, and a failing `main` prints its `Debug`: make that the
/// message that names the variable (`Error: configuration is invalid: ...`), not `EmptyTable`.
impl std::fmt::Debug for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Configuration problems are `Runtime.ConfigurationError`; a route table that does not
/// build is a bug in this crate (`Runtime.InitError`).
impl ferrule_errors::StartupFailure for InitError {
    fn error_type(&self) -> &'static str {
        match self {
            InitError::Config(_) | InitError::EmptyTable | InitError::ExpiresAfter(_) => {
                ferrule_errors::CONFIGURATION_ERROR
            }
            InitError::Router(_) => ferrule_errors::INIT_ERROR,
        }
    }
}

impl Config {
    /// Reads the process environment, resolving `ssm:` values through `parameters`.
    ///
    /// ```no_run
    /// # async fn init() -> Result<(), orders_api::InitError> {
    /// let parameters = ferrule_parameters::Parameters::new(ferrule_parameters::SsmStore::lazy());
    /// let config = orders_api::Config::load(&parameters).await?;
    /// # let _ = config; Ok(())
    /// # }
    /// ```
    pub async fn load<S: ParameterStore>(parameters: &Parameters<S>) -> Result<Config, InitError> {
        ferrule_parameters::load_config::<Config, S>(parameters)
            .await?
            .checked()
    }

    /// [`Config::load`] from the given variables instead of the environment (tests).
    ///
    /// ```
    /// use ferrule_parameters::{InMemoryStore, Parameters};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let error = orders_api::Config::load_from(&Parameters::new(InMemoryStore::new()), Vec::new())
    ///     .await
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("ORDERS_TABLE"));
    /// # });
    /// ```
    pub async fn load_from<S, I>(parameters: &Parameters<S>, vars: I) -> Result<Config, InitError>
    where
        S: ParameterStore,
        I: IntoIterator<Item = (String, String)>,
    {
        ferrule_parameters::load_config_from::<Config, S, I>(parameters, vars)
            .await?
            .checked()
    }

    fn checked(self) -> Result<Config, InitError> {
        if self.orders_table.trim().is_empty() {
            return Err(InitError::EmptyTable);
        }
        if !(1..=MAX_IDEMPOTENCY_EXPIRES_AFTER_SECS).contains(&self.idempotency_expires_after_secs)
        {
            return Err(InitError::ExpiresAfter(self.idempotency_expires_after_secs));
        }
        Ok(self)
    }

    /// The replay window as a [`Duration`].
    pub fn idempotency_expires_after(&self) -> Duration {
        Duration::from_secs(self.idempotency_expires_after_secs)
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
    use super::*;
    use ferrule_parameters::InMemoryStore;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    async fn load(pairs: &[(&str, &str)]) -> Result<Config, InitError> {
        let store = InMemoryStore::new();
        store.put("/orders/dev/idempotency-ttl", "600");
        Config::load_from(&Parameters::new(store), vars(pairs)).await
    }

    #[tokio::test]
    async fn plain_and_ssm_values_are_read() {
        let config = load(&[
            ("ORDERS_TABLE", "orders-dev"),
            (
                "IDEMPOTENCY_EXPIRES_AFTER_SECS",
                "ssm:/orders/dev/idempotency-ttl",
            ),
        ])
        .await
        .unwrap();
        assert_eq!(config.orders_table, "orders-dev");
        assert_eq!(config.idempotency_expires_after(), Duration::from_secs(600));
    }

    #[tokio::test]
    async fn a_missing_table_is_one_error_naming_orders_table() {
        let error = load(&[]).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration is invalid: environment variable ORDERS_TABLE is not set"
        );
        let error = load(&[("ORDERS_TABLE", " ")]).await.unwrap_err();
        assert!(matches!(error, InitError::EmptyTable), "{error}");
        assert!(error.to_string().contains("ORDERS_TABLE is empty"));
        // What a failing `main` prints.
        assert_eq!(format!("{error:?}"), error.to_string());
    }

    #[tokio::test]
    async fn a_bad_or_unresolved_expiry_names_its_variable() {
        let error = load(&[
            ("ORDERS_TABLE", "t"),
            ("IDEMPOTENCY_EXPIRES_AFTER_SECS", "soon"),
        ])
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains("IDEMPOTENCY_EXPIRES_AFTER_SECS"),
            "{error}"
        );
        let error = load(&[
            ("ORDERS_TABLE", "t"),
            ("IDEMPOTENCY_EXPIRES_AFTER_SECS", "0"),
        ])
        .await
        .unwrap_err();
        assert!(matches!(error, InitError::ExpiresAfter(0)), "{error}");
        let error = load(&[
            ("ORDERS_TABLE", "t"),
            ("IDEMPOTENCY_EXPIRES_AFTER_SECS", "ssm:/orders/dev/missing"),
        ])
        .await
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("IDEMPOTENCY_EXPIRES_AFTER_SECS")
                && message.contains("/orders/dev/missing"),
            "{message}"
        );
    }
}
