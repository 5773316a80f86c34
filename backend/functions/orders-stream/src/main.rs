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
    ferrule_logger::init()?;
    let handler = init().await.inspect_err(|error| {
        // One line that names the variable; the process then exits and Lambda reports
        // the init failure.
        tracing::error!(error = %error, "orders-stream cannot start");
    })?;
    run(service_fn(|event: LambdaEvent<_>| {
        handler.handle_event(event)
    }))
    .await
}
