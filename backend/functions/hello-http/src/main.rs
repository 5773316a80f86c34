//! Entry point: initialise once, then hand the handler to the runtime loop.

use lambda_http::{service_fn, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Lambda's JSON log format, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, RUST_LOG; a bad
    // value fails the start through /runtime/init/error.
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    // ferrule_http::run_concurrent: no request can panic the conversion, a panic answers 500, and
    // on Lambda Managed Instances many requests run at once (one at a time elsewhere).
    ferrule_http::run_concurrent(service_fn(hello_http::handle)).await
}
