//! Entry point: read and check the configuration once, then hand the handler to the runtime.

use identity_triggers::{Config, Settings, Triggers};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use orders_adapters::DynamoDbOrders;
use orders_domain::SystemClock;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // One start-up error path: a JSON log line, /runtime/init/error, exit (see ferrule_errors).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    // SSM is only called when a variable holds an `ssm:` reference (the allow-list does in
    // the cloud); the DynamoDB client is built on the first PostConfirmation.
    let config = ferrule_errors::init_or_exit(async {
        let parameters = ferrule_parameters::Parameters::new(ferrule_parameters::SsmStore::lazy());
        let settings: Settings = ferrule_parameters::load_config(&parameters).await?;
        Config::from_settings(settings)
    })
    .await;
    let triggers = Triggers::new(
        config.policy,
        DynamoDbOrders::lazy(config.orders_table),
        SystemClock,
    );
    let triggers = &triggers;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        triggers.handle(event.payload).await
    }))
    .await
}
