//! One start-up error path for every function: [`init_or_exit`].
//!
//! Rust's default for an error returned from `main` is its `Debug` text on stderr and exit code
//! 1, so Lambda shows `Runtime.ExitError` and a line such as `Error: Missing([...])`. Lambda's
//! Runtime API has a place for this instead: `POST /runtime/init/error` with an `errorType` and
//! a message, which the console, `INIT_REPORT` and the caller of a cold invocation then show.

use std::fmt;
use std::future::Future;

use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, Client};

/// `errorType` for configuration that is missing, empty, malformed or unreadable.
pub const CONFIGURATION_ERROR: &str = "Runtime.ConfigurationError";
/// `errorType` for every other start-up failure.
pub const INIT_ERROR: &str = "Runtime.InitError";

/// Environment variable holding the Runtime API's `host:port` (set by Lambda).
const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// A start-up failure: what Lambda is told (`errorType`) and a message naming what to fix.
pub trait StartupFailure: fmt::Display {
    /// The Lambda `errorType`: [`CONFIGURATION_ERROR`] or [`INIT_ERROR`].
    fn error_type(&self) -> &'static str {
        INIT_ERROR
    }
}

/// A failure from a library's own init (the logger's, a client builder's) is not configuration.
impl StartupFailure for Box<dyn std::error::Error + Send + Sync> {}

/// Runs a function's start-up. On success returns its value; on failure writes one error log
/// line (`errorType`, message), posts the same to `/runtime/init/error`, and exits with code 1
/// (Lambda then fails the cold start with that `errorType` and message).
///
/// ```no_run
/// #[derive(Debug, thiserror::Error)]
/// #[error("environment variable ORDERS_TABLE is not set")]
/// struct MissingTable;
/// impl ferrule_errors::StartupFailure for MissingTable {
///     fn error_type(&self) -> &'static str { ferrule_errors::CONFIGURATION_ERROR }
/// }
///
/// # async fn main_() {
/// let table = ferrule_errors::init_or_exit(async {
///     std::env::var("ORDERS_TABLE").map_err(|_| MissingTable)
/// })
/// .await;
/// # let _ = table;
/// # }
/// ```
pub async fn init_or_exit<T, E>(init: impl Future<Output = Result<T, E>>) -> T
where
    E: StartupFailure,
{
    match init.await {
        Ok(value) => value,
        Err(error) => {
            let error_type = error.error_type();
            let message = error.to_string();
            if tracing::dispatcher::has_been_set() {
                tracing::error!(error_type, error = %message, "init failed: the function cannot start");
            } else {
                // The logger itself failed to start: say it in Lambda's JSON shape on stderr.
                eprintln!(
                    "{}",
                    serde_json::json!({ "level": "ERROR", "message": "init failed: the function cannot start", "error_type": error_type, "error": message })
                );
            }
            if let Err(reason) = post_init_error(error_type, &message).await {
                // Outside Lambda (a unit test, a plain run) there is no Runtime API to tell.
                tracing::debug!(reason = %reason, "init error not posted to the Runtime API");
            }
            std::process::exit(1)
        }
    }
}

/// The body Lambda expects on `/runtime/init/error` (its `ErrorRequest` shape).
pub fn init_error_body(error_type: &str, message: &str) -> String {
    serde_json::json!({
        "errorType": error_type,
        "errorMessage": message,
        "stackTrace": [],
    })
    .to_string()
}

async fn post_init_error(error_type: &str, message: &str) -> Result<(), String> {
    let endpoint =
        std::env::var(RUNTIME_API_VAR).map_err(|_| format!("{RUNTIME_API_VAR} is not set"))?;
    let base: http::Uri = endpoint
        .parse()
        .map_err(|error| format!("{RUNTIME_API_VAR}={endpoint} is not a URI authority: {error}"))?;
    let client = Client::builder()
        .with_endpoint(base)
        .build()
        .map_err(|error| error.to_string())?;
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error_type)
        .header("content-type", "application/json")
        .body(Body::from(init_error_body(error_type, message)))
        .map_err(|error| error.to_string())?;
    let response = client
        .call(request)
        .await
        .map_err(|error| error.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the Runtime API answered {}", response.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_lambdas_error_shape() {
        let body: serde_json::Value = serde_json::from_str(&init_error_body(
            CONFIGURATION_ERROR,
            "ORDERS_TABLE is \"\"",
        ))
        .unwrap();
        assert_eq!(body["errorType"], "Runtime.ConfigurationError");
        assert_eq!(body["errorMessage"], "ORDERS_TABLE is \"\"");
        assert_eq!(body["stackTrace"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn success_returns_the_value() {
        #[derive(Debug)]
        struct Never;
        impl fmt::Display for Never {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("never")
            }
        }
        impl StartupFailure for Never {}
        assert_eq!(init_or_exit(async { Ok::<_, Never>(7) }).await, 7);
    }
}
