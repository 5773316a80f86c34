//! Entry point: configuration and lazy clients once, then the runtime loop.

use ferrule_http::App;
use ferrule_idempotency::{DynamoDbStore, Idempotency};
use ferrule_parameters::{Parameters, SsmStore};
use orders_adapters::{DynamoDbOrders, RandomIds};
use orders_api::{Api, Config, InitError};
use orders_domain::{OrderService, SystemClock};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    // Lambda's JSON log format, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, RUST_LOG. One
    // start-up error path: a JSON log line, /runtime/init/error, exit (see ferrule_errors).
    ferrule_errors::init_or_exit(async { ferrule_logger::init() }).await;
    let app = ferrule_errors::init_or_exit(init()).await;
    // The app is an `Arc` inside, cloned per worker. On Lambda Managed Instances
    // (AWS_LAMBDA_MAX_CONCURRENCY > 1) requests run at once; elsewhere one at a time.
    ferrule_http::run_concurrent(app).await
}

/// The app as deployed: DynamoDB behind both ports.
type OrdersApp = App<Api<DynamoDbOrders, SystemClock, RandomIds, DynamoDbStore>>;

async fn init() -> Result<OrdersApp, InitError> {
    // No SDK work here: SSM is only called when a variable holds an `ssm:` reference, and
    // both DynamoDB clients are built on their first call.
    let config = Config::load(&Parameters::new(SsmStore::lazy())).await?;
    let orders = OrderService::new(
        DynamoDbOrders::lazy(config.orders_table.as_str()),
        SystemClock,
        RandomIds,
    );
    let idempotency = Idempotency::new(
        DynamoDbStore::lazy(&config.orders_table).with_layout(orders_api::idempotency_layout()),
        orders_api::idempotency_config(config.idempotency_expires_after()),
    );
    Ok(orders_api::app(Api::new(orders, idempotency))?)
}
