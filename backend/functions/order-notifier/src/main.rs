//! Entry point: read and check the configuration once, then hand the handler to the runtime.

use ferrule_metrics::Metrics;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use order_notifier::{check_config, Notifier, Settings};
use orders_adapters::DynamoDbOrders;
use orders_domain::SystemClock;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // One start-up error path: a JSON log line, /runtime/init/error, exit (see ferrule_errors).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    // SSM is only called when a variable holds an `ssm:` reference; the DynamoDB client is
    // built on the first notification recorded.
    let (table, metrics) = ferrule_errors::init_or_exit(async {
        let parameters = ferrule_parameters::Parameters::new(ferrule_parameters::SsmStore::lazy());
        let settings: Settings = ferrule_parameters::load_config(&parameters).await?;
        check_config(settings, Metrics::from_env())
    })
    .await;
    let notifier = Notifier::new(DynamoDbOrders::lazy(table), SystemClock, metrics.clone());
    let (notifier, metrics) = (&notifier, &metrics);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        metrics.flush_after(notifier.handle(event.payload))
    }))
    .await
}
