//! Entry point: initialise once, then hand the router to the runtime loop.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    // Lambda's JSON log format, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, RUST_LOG.
    ferrule_logger::init()?;
    // A mistake in the route table fails the cold start, with the route named.
    {{crate_ident}}::app()?.run().await
}
