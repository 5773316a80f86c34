//! Entry point: configuration and clients once (no AWS call before the first batch), then
//! the runtime loop.

use ferrule_parameters::{load_config, Parameters, SsmStore};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use orders_adapters::EventBridgePublisher;
use orders_stream::{Config, InitError, StreamHandler};

async fn init() -> Result<StreamHandler<EventBridgePublisher>, InitError> {
    // SSM is only called when a variable holds an `ssm:` reference.
    let config: Config = load_config(&Parameters::new(SsmStore::lazy())).await?;
    let config = config.validated()?;
    Ok(StreamHandler::new(EventBridgePublisher::lazy(
        config.event_bus_name,
    )))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // One start-up error path: a JSON log line, /runtime/init/error, exit (see ferrule_errors).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    let handler = ferrule_errors::init_or_exit(init()).await;
    run(service_fn(|event: LambdaEvent<_>| {
        handler.handle_event(event)
    }))
    .await
}
