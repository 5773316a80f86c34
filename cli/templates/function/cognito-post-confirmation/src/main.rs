//! Entry point: initialise once, then hand the handler to the runtime loop.

use lambda_runtime::{service_fn, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Lambda's JSON log format, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, RUST_LOG; a bad
    // value fails the cold start through /runtime/init/error (ferrule_errors::init_or_exit).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
{{run_comment}}    lambda_runtime::{{run}}(service_fn({{crate_ident}}::handler)).await
}
