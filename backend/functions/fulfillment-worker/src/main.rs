//! Entry point: configuration once (SSM references resolved, nothing else called), lazy
//! clients, then the runtime loop.

use std::sync::Arc;

use ferrule_batch::sqs::SqsEvent;
use ferrule_parameters::{load_config, Parameters, SsmStore};
use ferrule_secrets::{Secrets, SecretsManagerStore};
use fulfillment_worker::{Config, InitError, SecretKeyShipping, ShippingAccess, Worker};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use orders_adapters::{DynamoDbOrders, HttpShippingProvider};
use orders_domain::{OrderService, SystemClock};

async fn init() -> Result<Worker<DynamoDbOrders, SystemClock, impl ShippingAccess>, InitError> {
    let config: Config = load_config(&Parameters::new(SsmStore::lazy())).await?;
    let Config {
        orders_table,
        shipping_base_url,
        shipping_secret_id,
    } = config.validated()?;
    let orders = OrderService::new(DynamoDbOrders::lazy(orders_table), SystemClock, ());
    // The key is read on the first shipment; the provider is cheap to build per key (the
    // TLS setup and connection pool are shared by the process).
    let shipping = SecretKeyShipping::new(
        Secrets::new(SecretsManagerStore::lazy()),
        shipping_secret_id,
        move |key: &str| HttpShippingProvider::new(&shipping_base_url, key),
    );
    Ok(Worker::new(orders, shipping))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // One start-up error path: a JSON log line, /runtime/init/error, exit (see ferrule_errors).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    // One worker (clients, cached key) shared by every invocation in flight: on Lambda
    // Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY > 1) batches run at once; elsewhere one
    // at a time.
    let worker = Arc::new(ferrule_errors::init_or_exit(init()).await);
    lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let worker = Arc::clone(&worker);
        async move { worker.handle_event(event).await }
    }))
    .await
}
