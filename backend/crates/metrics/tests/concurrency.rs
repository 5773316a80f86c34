//! Lambda Managed Instances: many invocations at once in one process, each wrapped as
//! lambda_runtime 1.5's concurrent loop wraps it (a spawned worker task, the runtime's own
//! invocation span), each recording its own dimension, metadata and values between yields.
//! Every invocation must be written as exactly one EMF document holding only its own values,
//! nothing mixed and nothing lost, with one `ColdStart` document for the process.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use ferrule_metrics::{MemoryWriter, Metrics, MetricsLayer, Unit};
use ferrule_testkit::concurrent::{ConcurrentRun, Invocation};
use lambda_runtime::tower::{Layer, ServiceExt};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

const WORKERS: usize = 128;
const ROUNDS: usize = 2;

/// The handler: a dimension and metadata naming the invocation, two values of `Items` and one
/// of `Rendezvous`, with the other invocations running in between.
async fn record(metrics: &Metrics, invocation: &Invocation) -> Result<(), Error> {
    let index = invocation.index as f64;
    metrics.add_dimension("request", &invocation.request_id)?;
    invocation.interleave().await;
    metrics.add_metric("Items", Unit::Count, index)?;
    invocation.rendezvous().await;
    metrics.add_metadata("requestId", invocation.request_id.as_str())?;
    invocation.interleave().await;
    metrics.add_metric("Items", Unit::Count, index + 0.5)?;
    invocation.interleave().await;
    metrics.add_metric("Rendezvous", Unit::Count, 1)?;
    Ok(())
}

fn metrics_writing_to(output: &MemoryWriter) -> Metrics {
    Metrics::builder()
        .namespace("Shop")
        .service("orders")
        .function_name("orders-api")
        .writer(output.clone())
        .build()
        .unwrap()
}

/// One document per invocation, each with only its own values; one `ColdStart` document.
fn assert_one_document_each(output: &MemoryWriter) {
    let documents = output.documents().unwrap();
    let (cold, documents): (Vec<&Value>, Vec<&Value>) = documents
        .iter()
        .partition(|document| document.get("ColdStart").is_some());
    assert_eq!(cold.len(), 1, "one ColdStart document per process");
    assert!(cold[0].get("request").is_none(), "{}", cold[0]);
    assert_eq!(
        documents.len(),
        WORKERS * ROUNDS,
        "one document per invocation"
    );

    let mut by_request: BTreeMap<&str, &Value> = BTreeMap::new();
    for document in &documents {
        let request = document["request"].as_str().unwrap();
        assert!(
            by_request.insert(request, document).is_none(),
            "{request} written twice"
        );
    }
    for index in 0..WORKERS * ROUNDS {
        let request_id = ferrule_testkit::concurrent::request_id(index);
        let document = by_request[request_id.as_str()];
        let value = index as f64;
        assert_eq!(document["requestId"], request_id.as_str(), "{document}");
        assert_eq!(document["Items"], json!([value, value + 0.5]), "{document}");
        assert_eq!(document["Rendezvous"], 1.0, "{document}");
        assert_eq!(
            document["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["service", "request"]]),
            "{document}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_each_flush_one_document_of_their_own_with_flush_after() {
    let output = MemoryWriter::default();
    let metrics = metrics_writing_to(&output);
    let outcome = ConcurrentRun::new(WORKERS)
        .rounds(ROUNDS)
        .run(move |invocation| {
            let metrics = metrics.clone();
            async move {
                metrics
                    .flush_after(record(&metrics, &invocation))
                    .await
                    .unwrap();
            }
        })
        .await
        .unwrap();
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    assert_one_document_each(&output);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_each_flush_one_document_of_their_own_with_the_layer() {
    let output = MemoryWriter::default();
    let metrics = metrics_writing_to(&output);
    // The service a function hands to the runtime, cloned into every worker.
    let recorder = metrics.clone();
    let service =
        MetricsLayer::new(metrics).layer(service_fn(move |event: LambdaEvent<Invocation>| {
            let metrics = recorder.clone();
            async move { record(&metrics, &event.payload).await }
        }));
    let outcome = ConcurrentRun::new(WORKERS)
        .rounds(ROUNDS)
        .run(move |invocation| {
            let service = service.clone();
            async move {
                let context = invocation.context.clone();
                service
                    .oneshot(LambdaEvent::new(invocation, context))
                    .await
                    .unwrap();
            }
        })
        .await
        .unwrap();
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    assert_one_document_each(&output);
}
