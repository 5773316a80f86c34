//! baseline-hello with the observability and configuration libraries a typical function uses.
//! Init makes no network call: the configuration has no `ssm:` reference, so nothing is fetched.

use std::sync::Arc;

use ferrule_metrics::{Metrics, Unit};
use ferrule_parameters::{Parameters, SsmStore};
use ferrule_tracer::Tracer;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[derive(serde::Deserialize)]
struct Config {
    greeting: Option<String>,
}

struct App {
    greeting: String,
    metrics: Metrics,
    tracer: Tracer,
}

async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let name = event
        .payload
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("world")
        .to_owned();
    app.metrics
        .flush_after(
            app.tracer
                .in_handler_subsegment("hello", |segment| async move {
                    segment.annotate("name_length", name.len() as i64);
                    tracing::info!(name_length = name.len(), "greeting");
                    app.metrics.add_metric("Greetings", Unit::Count, 1.0)?;
                    Ok::<_, Error>(json!({ "hello": name, "greeting": app.greeting }))
                }),
        )
        .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ferrule_logger::init()?;
    // Lazy: the SDK is only set up if a value references SSM.
    let parameters = Parameters::new(SsmStore::lazy());
    let config: Config = ferrule_parameters::load_config(&parameters).await?;
    let app = Arc::new(App {
        greeting: config.greeting.unwrap_or_else(|| "Hello".to_owned()),
        metrics: Metrics::builder()
            .namespace("Ferrule")
            .service("libraries-hello")
            .build()?,
        tracer: Tracer::from_env()?,
    });
    run(service_fn(move |event| {
        let app = Arc::clone(&app);
        async move { handler(&app, event).await }
    }))
    .await
}
