//! The AWS SDK configuration every Ferrule function shares.
//!
//! [`sdk_config`] loads the standard configuration (region, credentials, `AWS_ENDPOINT_URL`
//! and friends, exactly as the AWS CLI reads them) once per process and hands out clones:
//! clients built from it share one connection pool. The HTTPS client is rustls on `ring`
//! rather than the SDK default (`aws-lc-rs`): it compiles faster, cross-compiles with zig
//! without a C++ toolchain, and keeps artifacts smaller.
//!
//! In tests, `AWS_ENDPOINT_URL` points every client at the moto server: no test-only code.
//!
//! Every client Ferrule builds registers [`xray_interceptor`], so each AWS call becomes an
//! X-Ray subsegment (service, operation, status, error and throttle flags) when the invocation
//! is sampled. Register it on your own clients the same way:
//!
//! ```no_run
//! # async fn example() {
//! let sdk = ferrule_aws::sdk_config().await;
//! // let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
//! //     .interceptor(ferrule_aws::xray_interceptor())
//! //     .build();
//! // let dynamodb = aws_sdk_dynamodb::Client::from_conf(config);
//! # let _ = sdk;
//! # }
//! ```
//!
//! ```no_run
//! # async fn example() {
//! let config = ferrule_aws::sdk_config().await;
//! // let dynamodb = aws_sdk_dynamodb::Client::new(&config);
//! # let _ = config;
//! # }
//! ```

use std::sync::{Arc, OnceLock};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use ferrule_tracer::{Tracer, XRayInterceptor};
use tokio::sync::OnceCell;

static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();
static TRACER: OnceLock<Tracer> = OnceLock::new();

/// The process's tracer, configured from the environment on first use. An invalid
/// `AWS_XRAY_DAEMON_ADDRESS` disables tracing with a warning rather than failing calls.
pub fn tracer() -> &'static Tracer {
    TRACER.get_or_init(|| {
        Tracer::from_env().unwrap_or_else(|error| {
            tracing::warn!(error = %error, "X-Ray tracing disabled");
            Tracer::disabled()
        })
    })
}

/// The interceptor that records every AWS SDK call as an X-Ray subsegment.
pub fn xray_interceptor() -> XRayInterceptor {
    tracer().aws_sdk_interceptor()
}

/// The shared configuration, loaded on first use from the standard environment.
pub async fn sdk_config() -> SdkConfig {
    CONFIG.get_or_init(|| loader().load()).await.clone()
}

/// A loader with Ferrule's HTTP client, for callers that need to override something
/// (a region, an endpoint, test credentials) before loading.
pub fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

/// The HTTPS client: rustls with ring, native roots, shared connection pool.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// A client of any `aws-sdk-*` crate built from an SDK configuration with
/// [`xray_interceptor`] registered: every call becomes an X-Ray subsegment. A macro because
/// each service crate has its own `Client` and config `Builder` types, with no shared trait.
///
/// ```no_run
/// # fn example(sdk: &aws_config::SdkConfig) {
/// // let client: aws_sdk_ssm::Client = ferrule_aws::traced_client!(aws_sdk_ssm, sdk);
/// # }
/// ```
#[macro_export]
macro_rules! traced_client {
    ($sdk:ident, $config:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($crate::xray_interceptor())
                .build(),
        )
    };
}

/// A client created on first use from the shared configuration (so init does no SDK work
/// unless a value is needed), or handed over ready-made.
///
/// ```no_run
/// # async fn example() {
/// // let client = ferrule_aws::LazyClient::new(|sdk| aws_sdk_ssm::Client::new(sdk));
/// // client.get().await.get_parameters()...
/// # }
/// ```
#[derive(Clone)]
pub struct LazyClient<C> {
    state: Arc<State<C>>,
}

enum State<C> {
    Ready(C),
    Lazy(OnceCell<C>, fn(&SdkConfig) -> C),
}

impl<C> std::fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let initialized = match self.state.as_ref() {
            State::Ready(_) => true,
            State::Lazy(cell, _) => cell.initialized(),
        };
        f.debug_struct("LazyClient")
            .field("initialized", &initialized)
            .finish()
    }
}

impl<C> LazyClient<C> {
    /// Builds the client with `make` from [`sdk_config`] on the first [`LazyClient::get`].
    pub fn new(make: fn(&SdkConfig) -> C) -> Self {
        Self {
            state: Arc::new(State::Lazy(OnceCell::new(), make)),
        }
    }

    /// Wraps a client that already exists.
    pub fn ready(client: C) -> Self {
        Self {
            state: Arc::new(State::Ready(client)),
        }
    }

    pub async fn get(&self) -> &C {
        match self.state.as_ref() {
            State::Ready(client) => client,
            State::Lazy(cell, make) => {
                cell.get_or_init(|| async { make(&sdk_config().await) })
                    .await
            }
        }
    }
}

/// What an AWS SDK failure means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Throttling, a 5xx, a timeout, no connection: trying again later may work.
    Transient(String),
    /// Access denied, a bad request, a missing KMS permission: retrying will not help.
    Permanent(String),
}

/// Classifies an SDK error by its kind and error code; the message keeps the whole cause chain.
pub fn classify<E, R>(error: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Failure
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    let code = error.code().unwrap_or_default();
    let message: String = aws_smithy_types::error::display::DisplayErrorContext(error)
        .to_string()
        .chars()
        .take(500)
        .collect();
    let transient = matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) || code.contains("Throttl")
        || matches!(
            code,
            "InternalServerError"
                | "InternalServiceError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "RequestLimitExceeded"
                | "ProvisionedThroughputExceededException"
                | "TransactionConflictException"
                | "LimitExceededException"
        );
    if transient {
        Failure::Transient(message)
    } else {
        Failure::Permanent(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(code: &str) -> SdkError<ErrorMetadata, ()> {
        SdkError::service_error(
            ErrorMetadata::builder()
                .code(code)
                .message("details")
                .build(),
            (),
        )
    }

    #[test]
    fn throttling_and_timeouts_are_transient_the_rest_permanent() {
        assert!(matches!(
            classify(&service_error("ThrottlingException")),
            Failure::Transient(_)
        ));
        for code in [
            "InternalServerError",
            "ProvisionedThroughputExceededException",
            "TransactionConflictException",
        ] {
            assert!(
                matches!(classify(&service_error(code)), Failure::Transient(_)),
                "{code}"
            );
        }
        let timeout: SdkError<ErrorMetadata, ()> =
            SdkError::timeout_error(std::io::Error::other("read timed out"));
        assert!(matches!(classify(&timeout), Failure::Transient(_)));
        match classify(&service_error("AccessDeniedException")) {
            Failure::Permanent(message) => {
                assert!(message.contains("AccessDeniedException"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_ready_client_is_returned_without_loading_anything() {
        let client = LazyClient::ready(42_u8);
        assert_eq!(*client.get().await, 42);
        assert!(format!("{client:?}").contains("initialized: true"));
        let lazy: LazyClient<u8> = LazyClient::new(|_| 7);
        assert!(format!("{lazy:?}").contains("initialized: false"));
        assert!(
            Arc::ptr_eq(&lazy.state, &lazy.clone().state),
            "clones share one client"
        );
    }

    #[tokio::test]
    async fn loads_once_and_honours_the_endpoint_variable() {
        // Set before the first load: the configuration is read once per process.
        std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
        std::env::set_var("AWS_REGION", "eu-west-1");
        let first = sdk_config().await;
        let second = sdk_config().await;
        assert_eq!(first.endpoint_url(), Some("http://127.0.0.1:1"));
        assert_eq!(second.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(first.http_client().is_some());
    }
}
