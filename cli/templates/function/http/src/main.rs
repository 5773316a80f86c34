//! Entry point: initialise once, then hand the router to the runtime loop.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    // Lambda's JSON log format, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, RUST_LOG. A bad
    // value, or a mistake in the route table, fails the cold start through /runtime/init/error
    // with the setting or the route named (ferrule_errors::init_or_exit).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    let app = ferrule_errors::init_or_exit(async { {{crate_ident}}::app() }).await;
    // ferrule_http: no request can panic the entry; a panicking handler answers 500.
{{run_comment}}    {{http_run}}
}
