//! Entry point: initialise once, then hand the handler to the runtime loop.

use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Honours AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL set by Lambda.
    tracing::init_default_subscriber();
    run(service_fn(hello_http::handle)).await
}
