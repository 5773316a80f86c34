//! Cognito user-pool triggers of the orders service.
//!
//! - **PreSignUp**: refuses e-mail domains that are not on the allow-list
//!   ([`SignUpPolicy`], read from SSM once at init). Cognito shows the error message to the
//!   person signing up, so it is a plain sentence and never lists the allowed domains.
//! - **PostConfirmation**: creates the customer profile ([`register_customer`]); a retried
//!   trigger finds it and succeeds without overwriting it.
//! - Any other trigger source is returned unchanged, with a warning in the logs.
//!
//! The event is read as a `serde_json::Value` first: the `triggerSource` picks the typed
//! `aws_lambda_events` view to check, and the answer is the original event, so nothing
//! Cognito sent (fields the typed view does not know) is lost on the way back.
//!
//! ```
//! use identity_triggers::Triggers;
//! use orders_domain::testing::{FixedClock, InMemoryStore};
//! use orders_domain::SignUpPolicy;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let triggers = Triggers::new(
//!     SignUpPolicy::parse("example.com")?,
//!     InMemoryStore::new(),
//!     FixedClock::at_millis(1_795_681_040_512),
//! );
//! let event = serde_json::json!({
//!     "triggerSource": "PreSignUp_SignUp",
//!     "callerContext": {},
//!     "request": {"userAttributes": {"email": "eve@elsewhere.org"}},
//!     "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
//! });
//! let error = triggers.handle(event).await.unwrap_err();
//! assert_eq!(
//!     error.message(),
//!     "Sign-up is limited to approved e-mail domains; elsewhere.org is not one of them."
//! );
//! # Ok(())
//! # }
//! ```

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsPostConfirmation, CognitoEventUserPoolsPreSignup,
};
use ferrule_errors::{Classify, FunctionError};
use orders_domain::{
    register_customer, Clock, CustomerId, CustomerProfile, CustomerProfiles, Email, Registration,
    SignUpError, SignUpPolicy, ValidationError,
};
use serde::Deserialize;
use serde_json::Value;

/// Environment variable holding the allow-list (`ssm:/orders/<stage>/signup-allowed-domains`
/// in the cloud, a plain comma-separated list locally).
pub const ALLOWED_DOMAINS_VAR: &str = "SIGNUP_ALLOWED_DOMAINS";
/// Environment variable holding the orders table name (profiles live there).
pub const ORDERS_TABLE_VAR: &str = "ORDERS_TABLE";

/// The trigger sources this function acts on; every other one is returned unchanged.
const PRE_SIGN_UP_SOURCES: [&str; 3] = [
    "PreSignUp_SignUp",
    "PreSignUp_AdminCreateUser",
    "PreSignUp_ExternalProvider",
];
const POST_CONFIRMATION_SOURCES: [&str; 2] = [
    "PostConfirmation_ConfirmSignUp",
    "PostConfirmation_ConfirmForgotPassword",
];

/// The environment as read by `ferrule_parameters::load_config` (`ssm:` values resolved).
/// Fields are optional so that [`Config::from_settings`] can name every missing one at once.
#[derive(Debug, Default, Deserialize)]
pub struct Settings {
    /// `SIGNUP_ALLOWED_DOMAINS`: comma-separated e-mail domains.
    pub signup_allowed_domains: Option<String>,
    /// `ORDERS_TABLE`: the single table holding profiles.
    pub orders_table: Option<String>,
}

/// The checked configuration: built once at init.
#[derive(Debug, Clone)]
pub struct Config {
    /// Who may sign up.
    pub policy: SignUpPolicy,
    /// Where profiles are written.
    pub orders_table: String,
}

/// Why the function cannot start: logged, posted to `/runtime/init/error`, and the cold
/// start fails (`ferrule_errors::init_or_exit`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum InitError {
    /// The environment could not be read (a bad or unreadable `ssm:` reference).
    #[error(transparent)]
    Config(#[from] ferrule_parameters::ConfigError),
    /// Variables that are unset or empty, all of them, each said as it is.
    #[error("configuration is incomplete: {}", .0.join("; "))]
    Missing(Vec<String>),
    /// The allow-list does not parse (the value may come from SSM; only the bad entry is shown).
    #[error("{ALLOWED_DOMAINS_VAR} is not a valid allow-list: {0}")]
    InvalidAllowList(ValidationError),
}

impl ferrule_errors::StartupFailure for InitError {
    fn error_type(&self) -> &'static str {
        ferrule_errors::CONFIGURATION_ERROR
    }
}

impl Config {
    /// Checks the settings: every missing variable is named in one error.
    ///
    /// ```
    /// use identity_triggers::{Config, InitError, Settings};
    ///
    /// let error = Config::from_settings(Settings::default()).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "configuration is incomplete: environment variable SIGNUP_ALLOWED_DOMAINS is not set; \
    ///      environment variable ORDERS_TABLE is not set"
    /// );
    ///
    /// let config = Config::from_settings(Settings {
    ///     signup_allowed_domains: Some("example.com".into()),
    ///     orders_table: Some("orders-local".into()),
    /// })?;
    /// assert_eq!(config.policy.allowed(), ["example.com"]);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn from_settings(settings: Settings) -> Result<Config, InitError> {
        let missing: Vec<String> = [
            (
                ALLOWED_DOMAINS_VAR,
                settings.signup_allowed_domains.as_deref(),
            ),
            (ORDERS_TABLE_VAR, settings.orders_table.as_deref()),
        ]
        .into_iter()
        .filter_map(|(variable, value)| ferrule_parameters::absence(variable, value))
        .collect();
        let (Some(domains), Some(orders_table), true) = (
            settings.signup_allowed_domains.as_deref(),
            settings.orders_table.clone(),
            missing.is_empty(),
        ) else {
            return Err(InitError::Missing(missing));
        };
        let policy = SignUpPolicy::parse(domains).map_err(InitError::InvalidAllowList)?;
        Ok(Config {
            policy,
            orders_table,
        })
    }
}

/// The handler: the policy and the ports it needs, built once at init.
#[derive(Debug)]
pub struct Triggers<P, C> {
    policy: SignUpPolicy,
    profiles: P,
    clock: C,
}

impl<P: CustomerProfiles, C: Clock> Triggers<P, C> {
    /// A handler over a profile store (`DynamoDbOrders::lazy` in `main`) and a clock.
    pub fn new(policy: SignUpPolicy, profiles: P, clock: C) -> Self {
        Self {
            policy,
            profiles,
            clock,
        }
    }

    /// Handles one trigger event and returns what Cognito expects back: the event.
    ///
    /// Errors are typed (`Validation`, `Forbidden`, `Retryable`, `NonRetryable`) and their
    /// message is what Cognito shows to the user, so it never carries internals.
    pub async fn handle(&self, event: Value) -> Result<Value, FunctionError> {
        let source = trigger_source(&event)?;
        if PRE_SIGN_UP_SOURCES.contains(&source) {
            self.pre_sign_up(&event, source)?;
        } else if POST_CONFIRMATION_SOURCES.contains(&source) {
            self.post_confirmation(&event, source).await?;
        } else {
            tracing::warn!(
                trigger_source = source,
                "trigger source not handled by this function; event returned unchanged"
            );
        }
        Ok(event)
    }

    fn pre_sign_up(&self, event: &Value, source: &str) -> Result<(), FunctionError> {
        let typed = CognitoEventUserPoolsPreSignup::deserialize(event)
            .map_err(|error| malformed(source, &error))?;
        let email = typed
            .request
            .user_attributes
            .get("email")
            .ok_or_else(|| FunctionError::validation("Sign-up needs an e-mail address."))?;
        match self.policy.check(email) {
            Ok(email) => {
                tracing::info!(
                    trigger_source = source,
                    domain = email.domain(),
                    "sign-up allowed"
                );
                Ok(())
            }
            Err(error) => {
                tracing::warn!(trigger_source = source, error = %error, "sign-up refused");
                Err(sign_up_refusal(&error))
            }
        }
    }

    async fn post_confirmation(&self, event: &Value, source: &str) -> Result<(), FunctionError> {
        let typed: CognitoEventUserPoolsPostConfirmation =
            CognitoEventUserPoolsPostConfirmation::deserialize(event)
                .map_err(|error| malformed(source, &error))?;
        let profile =
            profile_from(&typed.request.user_attributes, self.clock.now()).map_err(|error| {
                FunctionError::validation(format!(
                    "Your account could not be set up: {}.",
                    error.reason()
                ))
                .with_source(error)
            })?;
        match register_customer(&self.profiles, &profile).await {
            Ok(Registration::Created) => {
                tracing::info!(trigger_source = source, "customer profile created");
                Ok(())
            }
            Ok(Registration::AlreadyRegistered) => {
                tracing::info!(
                    trigger_source = source,
                    "customer profile exists (repeated trigger); left unchanged"
                );
                Ok(())
            }
            Err(error) => {
                // The store's message names tables and SDK codes: logs only.
                tracing::error!(error = %error, "customer profile could not be created");
                Err(FunctionError::new(
                    error.kind(),
                    "We could not finish setting up your account; please try again in a moment.",
                )
                .with_source(error))
            }
        }
    }
}

/// The `triggerSource` of a user-pool event, or a `Validation` error for anything else.
fn trigger_source(event: &Value) -> Result<&str, FunctionError> {
    event
        .get("triggerSource")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            FunctionError::validation(
                "not a Cognito user pool trigger event: `triggerSource` is missing or not a string",
            )
        })
}

fn malformed(source: &str, error: &serde_json::Error) -> FunctionError {
    FunctionError::validation(format!("malformed {source} event: {error}"))
}

/// What the person signing up reads (Cognito prefixes it with "PreSignUp failed with error").
/// The allow-list is never named: it would tell an attacker which domains to use.
fn sign_up_refusal(error: &SignUpError) -> FunctionError {
    let message = match error {
        SignUpError::DomainNotAllowed { domain } => {
            format!("Sign-up is limited to approved e-mail domains; {domain} is not one of them.")
        }
        SignUpError::InvalidEmail(invalid) => {
            format!(
                "Sign-up needs a valid e-mail address: it {}.",
                invalid.reason()
            )
        }
    };
    FunctionError::new(error.kind(), message)
}

/// The profile of a confirmed user: `sub` is the customer id, `email` and `name` as given.
fn profile_from(
    attributes: &std::collections::HashMap<String, String>,
    now: orders_domain::Timestamp,
) -> Result<CustomerProfile, ValidationError> {
    let attribute = |name: &'static str| {
        attributes
            .get(name)
            .ok_or_else(|| ValidationError::new(name, format!("the `{name}` attribute is missing")))
    };
    let customer = CustomerId::parse(attribute("sub")?)?;
    let email = Email::parse(attribute("email")?)?;
    let name = attributes.get("name").map(String::as_str);
    CustomerProfile::new(customer, email, name, now)
}

#[cfg(test)]
mod tests {

    /// The variables the configuration type reads are the ones `Cargo.toml` declares, which
    /// `RustFunction` checks the CDK environment against.
    #[test]
    fn config_reads_exactly_what_the_manifest_declares() {
        ferrule_testkit::manifest::check_config_matches_manifest::<super::Settings>().unwrap();
    }
    use super::*;
    use ferrule_errors::ErrorKind;
    use ferrule_parameters::{load_config_from, InMemoryStore as ParameterMemory, Parameters};
    use orders_domain::testing::{FixedClock, InMemoryStore};
    use orders_domain::RepositoryError;

    const NOW: u64 = 1_795_681_040_512;
    const GRACE: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

    fn triggers() -> Triggers<InMemoryStore, FixedClock> {
        Triggers::new(
            SignUpPolicy::parse("example.com").unwrap(),
            InMemoryStore::new(),
            FixedClock::at_millis(NOW),
        )
    }

    fn fixture(name: &str) -> Value {
        ferrule_testkit::fixture_as(name).unwrap()
    }

    #[tokio::test]
    async fn an_allowed_domain_returns_the_event_unchanged() {
        let event = fixture("cognito/pre-sign-up");
        let answer = triggers().handle(event.clone()).await.unwrap();
        assert_eq!(answer, event);
        assert_eq!(answer["response"]["autoConfirmUser"], false);
    }

    #[tokio::test]
    async fn every_pre_sign_up_source_is_checked_case_insensitively() {
        for source in PRE_SIGN_UP_SOURCES {
            let mut event = fixture("cognito/pre-sign-up");
            event["triggerSource"] = source.into();
            event["request"]["userAttributes"]["email"] = "Ada@EXAMPLE.com".into();
            assert!(triggers().handle(event).await.is_ok(), "{source}");
            let blocked = fixture("cognito/pre-sign-up-blocked-domain");
            let mut blocked = blocked;
            blocked["triggerSource"] = source.into();
            assert!(triggers().handle(blocked).await.is_err(), "{source}");
        }
    }

    #[tokio::test]
    async fn a_blocked_domain_is_forbidden_with_a_message_for_the_user() {
        let triggers = Triggers::new(
            SignUpPolicy::parse("example.com, secret-partner.example").unwrap(),
            InMemoryStore::new(),
            FixedClock::at_millis(NOW),
        );
        let error = triggers
            .handle(fixture("cognito/pre-sign-up-blocked-domain"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Forbidden);
        assert_eq!(
            error.message(),
            "Sign-up is limited to approved e-mail domains; disposable.test is not one of them."
        );
        assert!(
            !error.message().contains("example.com"),
            "no allow-list leak"
        );
        assert!(
            !error.message().contains("secret-partner"),
            "no allow-list leak"
        );
        let diagnostic: lambda_runtime::Diagnostic = error.into();
        assert_eq!(diagnostic.error_type, "Forbidden");
    }

    #[tokio::test]
    async fn a_pre_sign_up_without_a_valid_email_is_a_validation_error() {
        let mut missing = fixture("cognito/pre-sign-up");
        missing["request"]["userAttributes"] = serde_json::json!({"name": "Grace"});
        let error = triggers().handle(missing).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(error.message(), "Sign-up needs an e-mail address.");

        let mut invalid = fixture("cognito/pre-sign-up");
        invalid["request"]["userAttributes"]["email"] = "grace@localhost".into();
        let error = triggers().handle(invalid).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(
            error.message(),
            "Sign-up needs a valid e-mail address: it has an invalid domain after '@'."
        );
    }

    #[tokio::test]
    async fn a_malformed_event_of_a_handled_source_is_a_validation_error() {
        let mut event = fixture("cognito/pre-sign-up");
        event["request"]["userAttributes"] = "not a map".into();
        let error = triggers().handle(event).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert!(
            error
                .message()
                .starts_with("malformed PreSignUp_SignUp event: "),
            "{}",
            error.message()
        );

        let mut event = fixture("cognito/post-confirmation");
        event.as_object_mut().unwrap().remove("callerContext");
        let error = triggers().handle(event).await.unwrap_err();
        assert!(error
            .message()
            .starts_with("malformed PostConfirmation_ConfirmSignUp event: "));
    }

    #[tokio::test]
    async fn an_event_without_a_trigger_source_is_a_validation_error() {
        for event in [
            serde_json::json!({"request": {}}),
            serde_json::json!({"triggerSource": 7}),
            serde_json::json!([1, 2]),
        ] {
            let error = triggers().handle(event).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Validation);
            assert!(error.message().contains("`triggerSource`"));
        }
    }

    #[tokio::test]
    async fn an_unhandled_trigger_source_is_returned_unchanged() {
        let store = InMemoryStore::new();
        let triggers = Triggers::new(
            SignUpPolicy::parse("example.com").unwrap(),
            store.clone(),
            FixedClock::at_millis(NOW),
        );
        let event = fixture("cognito/custom-message");
        assert_eq!(triggers.handle(event.clone()).await.unwrap(), event);
        // Even a blocked domain: this source is not a sign-up.
        let mut other = fixture("cognito/pre-sign-up-blocked-domain");
        other["triggerSource"] = "PreAuthentication_Authentication".into();
        assert_eq!(triggers.handle(other.clone()).await.unwrap(), other);
        let customer = CustomerId::parse(GRACE).unwrap();
        assert_eq!(store.get_profile(&customer).await.unwrap(), None);
    }

    #[tokio::test]
    async fn post_confirmation_creates_the_profile_once() {
        let store = InMemoryStore::new();
        let triggers = Triggers::new(
            SignUpPolicy::parse("example.com").unwrap(),
            store.clone(),
            FixedClock::at_millis(NOW),
        );
        let event = fixture("cognito/post-confirmation");
        assert_eq!(triggers.handle(event.clone()).await.unwrap(), event);
        let customer = CustomerId::parse(GRACE).unwrap();
        let profile = store.get_profile(&customer).await.unwrap().unwrap();
        assert_eq!(profile.email().as_str(), "grace@example.com");
        assert_eq!(profile.name(), Some("Grace Hopper"));
        assert_eq!(profile.created_at().unix_millis(), NOW);

        // A retried trigger (later, with another name) succeeds and changes nothing.
        let mut retried = event.clone();
        retried["request"]["userAttributes"]["name"] = "Someone Else".into();
        assert_eq!(triggers.handle(retried.clone()).await.unwrap(), retried);
        assert_eq!(store.get_profile(&customer).await.unwrap(), Some(profile));
    }

    #[tokio::test]
    async fn forgot_password_confirmation_also_ensures_the_profile() {
        let store = InMemoryStore::new();
        let triggers = Triggers::new(
            SignUpPolicy::parse("example.com").unwrap(),
            store.clone(),
            FixedClock::at_millis(NOW),
        );
        let mut event = fixture("cognito/post-confirmation");
        event["triggerSource"] = "PostConfirmation_ConfirmForgotPassword".into();
        triggers.handle(event).await.unwrap();
        let customer = CustomerId::parse(GRACE).unwrap();
        assert!(store.get_profile(&customer).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn post_confirmation_without_usable_attributes_is_a_validation_error() {
        let cases = [
            (
                "sub",
                None,
                "Your account could not be set up: the `sub` attribute is missing.",
            ),
            (
                "email",
                None,
                "Your account could not be set up: the `email` attribute is missing.",
            ),
            (
                "sub",
                Some("CUSTOMER#x"),
                "Your account could not be set up: ",
            ),
            (
                "email",
                Some("grace"),
                "Your account could not be set up: must look like",
            ),
        ];
        for (attribute, value, message) in cases {
            let mut event = fixture("cognito/post-confirmation");
            let attributes = event["request"]["userAttributes"].as_object_mut().unwrap();
            match value {
                Some(value) => attributes.insert(attribute.into(), value.into()),
                None => attributes.remove(attribute),
            };
            let error = triggers().handle(event).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Validation, "{attribute}");
            assert!(error.message().starts_with(message), "{}", error.message());
        }
    }

    #[tokio::test]
    async fn a_store_failure_keeps_its_kind_but_not_its_details() {
        for (failure, kind) in [
            (
                RepositoryError::Unavailable {
                    operation: "PutItem profile",
                    message: "ThrottlingException on table orders-prod".into(),
                },
                ErrorKind::Retryable,
            ),
            (
                RepositoryError::Failed {
                    operation: "PutItem profile",
                    message: "AccessDenied on table orders-prod".into(),
                },
                ErrorKind::NonRetryable,
            ),
        ] {
            let store = InMemoryStore::new();
            store.fail_next([failure]);
            let triggers = Triggers::new(
                SignUpPolicy::parse("example.com").unwrap(),
                store,
                FixedClock::at_millis(NOW),
            );
            let error = triggers
                .handle(fixture("cognito/post-confirmation"))
                .await
                .unwrap_err();
            assert_eq!(error.kind(), kind);
            assert!(
                !error.message().contains("orders-prod"),
                "{}",
                error.message()
            );
            assert!(std::error::Error::source(&error).is_some(), "kept for logs");
        }
    }

    #[test]
    fn configuration_names_every_missing_variable() {
        assert_eq!(
            Config::from_settings(Settings {
                signup_allowed_domains: Some("  ".into()),
                orders_table: Some("orders-local".into()),
            })
            .unwrap_err()
            .to_string(),
            "configuration is incomplete: environment variable SIGNUP_ALLOWED_DOMAINS is empty"
        );
        let error = Config::from_settings(Settings {
            signup_allowed_domains: Some("example.com".into()),
            orders_table: None,
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration is incomplete: environment variable ORDERS_TABLE is not set"
        );
    }

    #[test]
    fn an_invalid_allow_list_is_an_init_error() {
        for list in [" , ", "example.com, not a domain"] {
            let error = Config::from_settings(Settings {
                signup_allowed_domains: Some(list.into()),
                orders_table: Some("orders-local".into()),
            })
            .unwrap_err();
            assert!(matches!(error, InitError::InvalidAllowList(_)), "{list}");
            assert!(error
                .to_string()
                .starts_with("SIGNUP_ALLOWED_DOMAINS is not a valid"));
        }
    }

    #[tokio::test]
    async fn the_allow_list_is_resolved_from_ssm() {
        let store = ParameterMemory::new();
        store.put(
            "/orders/dev/signup-allowed-domains",
            "example.com,example.org",
        );
        let parameters = Parameters::new(store);
        let vars = [
            (
                ALLOWED_DOMAINS_VAR,
                "ssm:/orders/dev/signup-allowed-domains",
            ),
            (ORDERS_TABLE_VAR, "orders-dev"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let settings: Settings = load_config_from(&parameters, vars).await.unwrap();
        let config = Config::from_settings(settings).unwrap();
        assert_eq!(config.policy.allowed(), ["example.com", "example.org"]);
        assert_eq!(config.orders_table, "orders-dev");

        let missing = [(ALLOWED_DOMAINS_VAR, "ssm:/orders/dev/nope")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let error = load_config_from::<Settings, _, _>(&parameters, missing)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("SIGNUP_ALLOWED_DOMAINS"),
            "{error}"
        );
    }
}
