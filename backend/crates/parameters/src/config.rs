//! The configuration loader: environment values, with `ssm:` references resolved at init.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::DeserializeOwned;

use crate::provider::{ParameterError, Parameters};
use crate::store::{ParameterStore, StoreError};

/// The prefix that marks an environment value as a reference to an SSM parameter.
pub const SSM_PREFIX: &str = "ssm:";

/// Longest parameter name SSM accepts (with its path).
const MAX_NAME_LEN: usize = 2048;

/// One thing wrong with the configuration, named by its environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The value after `ssm:` is not a valid parameter name.
    InvalidReference {
        variable: String,
        reference: String,
        reason: &'static str,
    },
    /// The reference is valid but the parameter does not exist (or may not be read).
    MissingParameter { variable: String, parameter: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::InvalidReference {
                variable,
                reference,
                reason,
            } => write!(f, "{variable}={reference} is not a valid SSM reference: {reason}"),
            Problem::MissingParameter {
                variable,
                parameter,
            } => write!(f, "{variable}: SSM parameter {parameter} does not exist (or this function may not read it)"),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// Every bad reference and every missing parameter, at once.
    #[error("configuration is incomplete ({} problem{}): {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, join(.0))]
    Unresolved(Vec<Problem>),
    /// The values are there but do not fit the configuration type (a missing variable, a number that is not one).
    #[error("configuration is invalid: {0}")]
    Invalid(String),
    /// The parameter store could not be read at all.
    #[error("configuration could not be read: {0}")]
    Store(#[from] StoreError),
    /// The `ssm:` references could not be read (SSM unreachable, access denied): each
    /// setting is named with its parameter (`ORDERS_TABLE=ssm:/orders/prod/table`).
    #[error("configuration could not be read: SSM parameter{} for {} could not be read: {error}", if .settings.len() == 1 { "" } else { "s" }, .settings.join(", "))]
    Unreadable {
        /// `VARIABLE=ssm:/parameter` for every reference that was being read.
        settings: Vec<String>,
        /// What the store said.
        error: StoreError,
    },
    /// The variable is set but blank.
    #[error("environment variable {0} is empty")]
    Empty(&'static str),
}

/// What `main` returns when the configuration is unusable. Rust prints an error returned
/// from `main` with `Debug`: this one prints the sentence that names the variable.
///
/// ```
/// let error = ferrule_parameters::InitError::from(ferrule_parameters::ConfigError::Empty("ORDERS_TABLE"));
/// assert_eq!(format!("{error:?}"), "environment variable ORDERS_TABLE is empty");
/// ```
#[derive(thiserror::Error)]
#[error(transparent)]
pub struct InitError(#[from] pub ConfigError);

impl fmt::Debug for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Lambda's `errorType` for a configuration that cannot be loaded (`ferrule_errors::init_or_exit`).
impl ferrule_errors::StartupFailure for ConfigError {
    fn error_type(&self) -> &'static str {
        ferrule_errors::CONFIGURATION_ERROR
    }
}

impl ferrule_errors::StartupFailure for InitError {
    fn error_type(&self) -> &'static str {
        ferrule_errors::CONFIGURATION_ERROR
    }
}

/// Why a required setting is unusable, in the words `main` logs: `None` when it has a value.
///
/// ```
/// use ferrule_parameters::absence;
/// assert_eq!(absence("ORDERS_TABLE", Some("orders")), None);
/// assert_eq!(absence("ORDERS_TABLE", None).unwrap(), "environment variable ORDERS_TABLE is not set");
/// assert_eq!(absence("ORDERS_TABLE", Some(" ")).unwrap(), "environment variable ORDERS_TABLE is empty");
/// ```
pub fn absence(variable: &str, value: Option<&str>) -> Option<String> {
    match value {
        None => Some(format!("environment variable {variable} is not set")),
        Some(value) if value.trim().is_empty() => {
            Some(format!("environment variable {variable} is empty"))
        }
        Some(_) => None,
    }
}

/// Fails with the first variable whose value is blank (a deployment that set `X=""`).
///
/// ```
/// use ferrule_parameters::{require_non_empty, ConfigError};
/// assert!(require_non_empty(&[("TABLE", "orders")]).is_ok());
/// assert!(matches!(require_non_empty(&[("TABLE", " ")]), Err(ConfigError::Empty("TABLE"))));
/// ```
pub fn require_non_empty(values: &[(&'static str, &str)]) -> Result<(), ConfigError> {
    match values.iter().find(|(_, value)| value.trim().is_empty()) {
        Some((variable, _)) => Err(ConfigError::Empty(variable)),
        None => Ok(()),
    }
}

fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks the part after `ssm:`: a plain name (`max-items`) or a hierarchical one
/// (`/orders/prod/max-items`), optionally with a `:version` or `:label` selector.
///
/// ```
/// assert!(ferrule_parameters::parse_reference("/orders/prod/max-items").is_ok());
/// assert!(ferrule_parameters::parse_reference("orders/prod").is_err()); // a path starts with '/'
/// ```
pub fn parse_reference(reference: &str) -> Result<&str, &'static str> {
    let name = reference
        .split_once(':')
        .map_or(reference, |(name, _)| name);
    if name.is_empty() || name == "/" {
        return Err("the parameter name is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return Err("the parameter name is longer than 2048 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
    {
        return Err("a parameter name may contain only letters, digits, '_', '.', '-' and '/'");
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err("a hierarchical parameter name must start with '/'");
    }
    if name.contains("//") {
        return Err("a parameter name may not contain an empty path segment");
    }
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Err("parameter names may not begin with 'aws' or 'ssm'");
    }
    if let Some((_, selector)) = reference.split_once(':') {
        if selector.is_empty()
            || !selector
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("the selector after ':' must be a version number or a label");
        }
    }
    Ok(reference)
}

/// Loads `T` from the process environment, resolving every `ssm:` value first.
pub async fn load_config<T, S>(parameters: &Parameters<S>) -> Result<T, ConfigError>
where
    T: DeserializeOwned,
    S: ParameterStore,
{
    // Non-UTF-8 variables cannot be configuration; skip them rather than panic.
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    load_config_from(parameters, vars).await
}

/// Loads `T` from the given variables (what [`load_config`] does with the environment).
pub async fn load_config_from<T, S, I>(
    parameters: &Parameters<S>,
    vars: I,
) -> Result<T, ConfigError>
where
    T: DeserializeOwned,
    S: ParameterStore,
    I: IntoIterator<Item = (String, String)>,
{
    let mut resolved: BTreeMap<String, String> = vars.into_iter().collect();
    let mut problems = Vec::new();
    // variable → parameter name, for every valid reference.
    let mut references: BTreeMap<String, String> = BTreeMap::new();
    for (variable, value) in &resolved {
        let Some(reference) = value.strip_prefix(SSM_PREFIX) else {
            continue;
        };
        match parse_reference(reference) {
            Ok(name) => {
                references.insert(variable.clone(), name.to_owned());
            }
            Err(reason) => problems.push(Problem::InvalidReference {
                variable: variable.clone(),
                reference: value.clone(),
                reason,
            }),
        }
    }

    let names: BTreeSet<&str> = references.values().map(String::as_str).collect();
    let names: Vec<&str> = names.into_iter().collect();
    let values = if names.is_empty() {
        Default::default()
    } else {
        match parameters.get_multiple(&names).await {
            Ok(values) => values,
            Err(ParameterError::NotFoundMany(missing)) => {
                for (variable, parameter) in &references {
                    if missing.contains(parameter) {
                        problems.push(Problem::MissingParameter {
                            variable: variable.clone(),
                            parameter: parameter.clone(),
                        });
                    }
                }
                Default::default()
            }
            Err(ParameterError::NotFound(parameter)) => {
                for (variable, p) in &references {
                    if *p == parameter {
                        problems.push(Problem::MissingParameter {
                            variable: variable.clone(),
                            parameter: parameter.clone(),
                        });
                    }
                }
                Default::default()
            }
            Err(ParameterError::Store(error)) => {
                let settings = references
                    .iter()
                    .map(|(variable, parameter)| format!("{variable}={SSM_PREFIX}{parameter}"))
                    .collect();
                return Err(ConfigError::Unreadable { settings, error });
            }
        }
    };
    if !problems.is_empty() {
        return Err(ConfigError::Unresolved(problems));
    }
    let mut from_ssm = Vec::new();
    for (variable, parameter) in references {
        if let Some(value) = values.get(&parameter) {
            from_ssm.push(value.clone());
            resolved.insert(variable, value.clone());
        }
    }
    let error = match envy::from_iter::<_, T>(resolved.clone()) {
        Ok(config) => return Ok(config),
        Err(error) => error,
    };
    // envy stops at the first missing variable; name them all in one cold start by filling
    // each with a placeholder and asking again (as many rounds as the type has fields).
    if let envy::Error::MissingValue(_) = error {
        let mut unset = Vec::new();
        let mut next = Some(error);
        while let Some(envy::Error::MissingValue(field)) = next {
            let variable = field.to_ascii_uppercase();
            if unset.contains(&variable) {
                break;
            }
            resolved.insert(variable.clone(), String::from("0"));
            unset.push(variable);
            next = envy::from_iter::<_, T>(resolved.clone()).err();
        }
        let names: Vec<String> = unset
            .iter()
            .map(|variable| format!("environment variable {variable} is not set"))
            .collect();
        return Err(ConfigError::Invalid(names.join("; ")));
    }
    // envy quotes the offending value; a value from SSM may be a SecureString: hide it.
    let mut message = env_message(error);
    for value in from_ssm.iter().filter(|v| !v.is_empty()) {
        message = message.replace(value.as_str(), "***");
    }
    Err(ConfigError::Invalid(message))
}

/// envy says "missing value for field max_items": name the variable the user sets.
fn env_message(error: envy::Error) -> String {
    match error {
        envy::Error::MissingValue(field) => {
            format!(
                "environment variable {} is not set",
                field.to_ascii_uppercase()
            )
        }
        envy::Error::Custom(message) => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InMemoryStore;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct AppConfig {
        orders_table: String,
        max_items: u32,
        api_key: String,
        feature_flag: Option<bool>,
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parameters() -> Parameters<InMemoryStore> {
        let store = InMemoryStore::new();
        store.put("/orders/dev/max-items", "25");
        store.put("/orders/dev/api-key", "s3cr3t");
        Parameters::new(store)
    }

    #[tokio::test]
    async fn plain_values_pass_through_and_references_resolve() {
        let config: AppConfig = load_config_from(
            &parameters(),
            vars(&[
                ("ORDERS_TABLE", "orders-dev"),
                ("MAX_ITEMS", "ssm:/orders/dev/max-items"),
                ("API_KEY", "ssm:/orders/dev/api-key"),
                ("UNRELATED", "x"),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(config.orders_table, "orders-dev");
        assert_eq!(config.max_items, 25);
        assert_eq!(config.api_key, "s3cr3t");
        assert_eq!(config.feature_flag, None);
    }

    #[tokio::test]
    async fn one_error_lists_every_bad_reference_and_missing_parameter() {
        let err = load_config_from::<AppConfig, _, _>(
            &parameters(),
            vars(&[
                ("ORDERS_TABLE", "ssm:/orders/dev/table"),
                ("MAX_ITEMS", "ssm:orders/dev/max"),
                ("API_KEY", "ssm:/orders/dev/other-missing"),
                ("FEATURE_FLAG", "ssm:/aws/reserved"),
            ]),
        )
        .await
        .unwrap_err();
        let ConfigError::Unresolved(problems) = &err else {
            panic!("{err}");
        };
        assert_eq!(problems.len(), 4, "{err}");
        let text = err.to_string();
        for needle in [
            "4 problems",
            "MAX_ITEMS=ssm:orders/dev/max is not a valid SSM reference: a hierarchical parameter name must start with '/'",
            "FEATURE_FLAG=ssm:/aws/reserved",
            "ORDERS_TABLE: SSM parameter /orders/dev/table does not exist",
            "API_KEY: SSM parameter /orders/dev/other-missing does not exist",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in: {text}");
        }
    }

    /// A store that cannot be reached, as SSM without network or permission.
    struct Unreachable;

    impl ParameterStore for Unreachable {
        async fn get_parameters(
            &self,
            _names: &[String],
        ) -> Result<crate::store::Fetched, StoreError> {
            Err(StoreError::Unavailable(
                "dispatch failure: connection refused".to_owned(),
            ))
        }
        async fn get_parameters_by_path(
            &self,
            _path: &str,
        ) -> Result<BTreeMap<String, String>, StoreError> {
            Err(StoreError::Unavailable(
                "dispatch failure: connection refused".to_owned(),
            ))
        }
    }

    #[tokio::test]
    async fn an_unreachable_store_names_each_setting_and_its_parameter() {
        let err = load_config_from::<AppConfig, _, _>(
            &Parameters::new(Unreachable),
            vars(&[
                ("ORDERS_TABLE", "orders-dev"),
                ("MAX_ITEMS", "ssm:/orders/dev/max-items"),
                ("API_KEY", "ssm:/orders/dev/api-key"),
            ]),
        )
        .await
        .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, ConfigError::Unreadable { .. }), "{err:?}");
        assert!(
            message.contains("MAX_ITEMS=ssm:/orders/dev/max-items"),
            "{message}"
        );
        assert!(
            message.contains("API_KEY=ssm:/orders/dev/api-key"),
            "{message}"
        );
        assert!(message.contains("connection refused"), "{message}");
        assert!(!message.contains("ORDERS_TABLE"), "{message}");
    }

    #[tokio::test]
    async fn every_unset_variable_is_named_at_once() {
        let err = load_config_from::<AppConfig, _, _>(&parameters(), vars(&[("API_KEY", "k")]))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration is invalid: environment variable ORDERS_TABLE is not set; \
             environment variable MAX_ITEMS is not set"
        );
    }

    #[tokio::test]
    async fn type_errors_and_missing_variables_name_the_variable() {
        let err = load_config_from::<AppConfig, _, _>(
            &parameters(),
            vars(&[("ORDERS_TABLE", "t"), ("API_KEY", "k")]),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration is invalid: environment variable MAX_ITEMS is not set"
        );
        let err = load_config_from::<AppConfig, _, _>(
            &parameters(),
            vars(&[
                ("ORDERS_TABLE", "t"),
                ("API_KEY", "k"),
                ("MAX_ITEMS", "many"),
            ]),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("'many' provided by MAX_ITEMS"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn values_from_ssm_never_appear_in_errors() {
        let store = InMemoryStore::new();
        store.put("/orders/dev/port", "s3cr3t-not-a-number");
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Port {
            port: u16,
        }
        let err = load_config_from::<Port, _, _>(
            &Parameters::new(store),
            vars(&[("PORT", "ssm:/orders/dev/port")]),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("PORT"), "{text}");
    }

    #[test]
    fn reference_rules() {
        for good in [
            "max-items",
            "/orders/prod/max-items",
            "/a/b:3",
            "/a/b:live",
            "A_b.c-d",
        ] {
            assert!(parse_reference(good).is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("", "empty"),
            ("/", "empty"),
            ("a/b", "must start with '/'"),
            ("/a//b", "empty path segment"),
            ("/a b", "may contain only"),
            ("/ssm/x", "may not begin"),
            ("/a/b:", "selector"),
            ("/a/b:x y", "selector"),
        ] {
            let err = parse_reference(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
        assert!(parse_reference(&format!("/{}", "a".repeat(2048))).is_err());
    }
}
