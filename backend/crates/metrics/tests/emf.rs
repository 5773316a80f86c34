//! Behaviour through the public API; every emitted line is parsed back with serde_json.

// Integration tests are their own crate, compiled only for tests: the helpers below may
// unwrap and panic like the test functions (clippy only exempts `#[test]` bodies here).
#![cfg(test)]

use std::io::{self, Write};

use ferrule_metrics::{
    MemoryWriter, Metrics, MetricsError, MetricsLayer, Rule, StorageResolution, Unit,
};
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

fn metrics_into(output: &MemoryWriter) -> Metrics {
    Metrics::builder()
        .namespace("Shop")
        .service("orders")
        .capture_cold_start(false)
        .writer(output.clone())
        .build()
        .unwrap()
}

fn directive(document: &Value) -> &Value {
    let directives = document["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives.len(), 1);
    &directives[0]
}

fn declared_names(document: &Value) -> Vec<String> {
    directive(document)["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|definition| definition["Name"].as_str().unwrap().to_owned())
        .collect()
}

fn dimension_set(document: &Value) -> Vec<String> {
    let sets = directive(document)["Dimensions"].as_array().unwrap();
    assert_eq!(sets.len(), 1, "one dimension set per directive");
    sets[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect()
}

/// The rules every document must satisfy, whatever it carries.
fn assert_valid_emf(document: &Value) {
    let timestamp = document["_aws"]["Timestamp"]
        .as_u64()
        .expect("integer Timestamp");
    assert!(
        timestamp > 1_600_000_000_000,
        "milliseconds since the epoch"
    );
    assert_eq!(directive(document)["Namespace"], "Shop");
    let names = declared_names(document);
    assert!(!names.is_empty() && names.len() <= 100);
    for name in &names {
        match &document[name.as_str()] {
            Value::Number(_) => {}
            Value::Array(values) => {
                assert!(values.len() <= 100);
                assert!(values.iter().all(Value::is_number));
            }
            other => panic!("metric {name} has target {other}"),
        }
    }
    let dimensions = dimension_set(document);
    assert!(dimensions.len() <= 30);
    for name in &dimensions {
        assert!(
            document[name.as_str()].is_string(),
            "dimension {name} is a string member"
        );
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn one_hundred_and_one_metrics_are_split_into_two_valid_documents() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    metrics.add_dimension("channel", "web").unwrap();
    metrics.add_metadata("requestId", "r-1").unwrap();
    for index in 0..101 {
        metrics
            .add_metric(&format!("M{index}"), Unit::Count, index)
            .unwrap();
    }
    metrics.flush().unwrap();

    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(declared_names(&documents[0]).len(), 100);
    assert_eq!(declared_names(&documents[1]), vec!["M100"]);
    let mut seen = Vec::new();
    for document in &documents {
        assert_valid_emf(document);
        assert_eq!(dimension_set(document), vec!["service", "channel"]);
        assert_eq!(document["service"], "orders");
        assert_eq!(document["channel"], "web");
        assert_eq!(document["requestId"], "r-1");
        for name in declared_names(document) {
            let index: u32 = name[1..].parse().unwrap();
            assert_eq!(document[name.as_str()], json!(f64::from(index)));
            seen.push(name);
        }
        // No undeclared metric rides along: members are _aws, 2 dimensions, metadata, metrics.
        let members = document.as_object().unwrap().len();
        assert_eq!(members, 1 + 2 + 1 + declared_names(document).len());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 101, "every metric exactly once");
}

#[test]
fn thirty_dimensions_are_written_and_the_thirty_first_is_refused() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output); // `service` is the first of the 30
    for index in 1..30 {
        metrics
            .add_dimension(&format!("dim{index}"), &format!("value{index}"))
            .unwrap();
    }
    let error = metrics.add_dimension("dim30", "value30").unwrap_err();
    assert!(
        matches!(error, MetricsError::TooManyDimensions { ref name, max: 30 } if name == "dim30")
    );
    assert!(error.to_string().contains("\"dim30\""));
    metrics.add_metric("Orders", Unit::Count, 1).unwrap();
    metrics.flush().unwrap();

    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 1);
    assert_valid_emf(&documents[0]);
    let dimensions = dimension_set(&documents[0]);
    assert_eq!(dimensions.len(), 30);
    assert_eq!(dimensions[0], "service");
    assert_eq!(documents[0]["dim29"], "value29");
    assert!(documents[0].get("dim30").is_none());
}

#[test]
fn cold_start_is_written_once_in_its_own_document() {
    let output = MemoryWriter::default();
    let metrics = Metrics::builder()
        .namespace("Shop")
        .service("orders")
        .default_dimension("environment", "prod")
        .function_name("orders-api")
        .writer(output.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        block_on(metrics.clone().flush_after(async {
            metrics.add_dimension("channel", "web").unwrap();
            metrics.add_metric("Orders", Unit::Count, 1).unwrap();
        }));
    }

    let documents = output.documents().unwrap();
    assert_eq!(
        documents.len(),
        4,
        "one cold start, then one document per invocation"
    );
    let cold_start = &documents[0];
    assert_valid_emf(cold_start);
    assert_eq!(declared_names(cold_start), vec!["ColdStart"]);
    assert_eq!(directive(cold_start)["Metrics"][0]["Unit"], "Count");
    assert_eq!(cold_start["ColdStart"], json!(1.0));
    assert_eq!(
        dimension_set(cold_start),
        vec!["service", "environment", "function_name"]
    );
    assert_eq!(cold_start["function_name"], "orders-api");
    assert!(
        cold_start.get("channel").is_none(),
        "invocation dimensions stay out"
    );
    for document in &documents[1..] {
        assert_valid_emf(document);
        assert_eq!(declared_names(document), vec!["Orders"]);
        assert!(document.get("ColdStart").is_none());
        assert!(document.get("function_name").is_none());
    }
}

#[test]
fn cold_start_can_be_turned_off_and_works_without_function_name() {
    let output = MemoryWriter::default();
    let off = metrics_into(&output);
    block_on(off.flush_after(async {}));
    assert!(output.lines().is_empty());

    let metrics = Metrics::builder()
        .namespace("Shop")
        .service("orders")
        .writer(output.clone())
        .build()
        .unwrap();
    block_on(metrics.flush_after(async {}));
    block_on(metrics.flush_after(async {}));
    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(dimension_set(&documents[0]), vec!["service"]);
}

#[test]
fn flush_after_writes_once_on_ok_and_on_err_and_returns_the_result() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);

    let ok: Result<&str, String> = block_on(metrics.flush_after(async {
        metrics.add_metric("Attempts", Unit::Count, 1).unwrap();
        Ok("done")
    }));
    assert_eq!(ok, Ok("done"));
    assert_eq!(output.documents().unwrap().len(), 1);

    let err: Result<&str, String> = block_on(metrics.flush_after(async {
        metrics.add_metric("Attempts", Unit::Count, 1).unwrap();
        metrics.add_metric("Failures", Unit::Count, 1).unwrap();
        Err("payment declined".to_owned())
    }));
    assert_eq!(err, Err("payment declined".to_owned()));

    let documents = output.documents().unwrap();
    assert_eq!(
        documents.len(),
        2,
        "one document per invocation, none twice"
    );
    assert_eq!(declared_names(&documents[0]), vec!["Attempts"]);
    assert_eq!(declared_names(&documents[1]), vec!["Attempts", "Failures"]);
    assert_eq!(
        documents[1]["Attempts"],
        json!(1.0),
        "the set starts afresh"
    );
}

#[test]
fn an_explicit_flush_inside_the_invocation_is_not_repeated() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    block_on(metrics.flush_after(async {
        metrics.add_metric("Early", Unit::Count, 1).unwrap();
        metrics.flush().unwrap();
        metrics.add_metric("Late", Unit::Count, 1).unwrap();
    }));
    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(declared_names(&documents[0]), vec!["Early"]);
    assert_eq!(declared_names(&documents[1]), vec!["Late"]);
}

#[test]
fn a_panicking_invocation_still_flushes() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    let recorder = metrics.clone();
    let joined = block_on(async move {
        tokio::spawn(metrics.flush_after(async move {
            recorder.add_metric("BeforePanic", Unit::Count, 1).unwrap();
            panic!("handler bug");
        }))
        .await
    });
    assert!(joined.unwrap_err().is_panic());
    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(declared_names(&documents[0]), vec!["BeforePanic"]);
}

#[test]
fn with_no_metric_recorded_nothing_is_written() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    metrics.flush().unwrap();
    block_on(metrics.flush_after(async {
        // Dimensions and metadata alone make no metric.
        metrics.add_dimension("channel", "web").unwrap();
        metrics.add_metadata("requestId", "r-1").unwrap();
    }));
    assert_eq!(output.contents(), "");
    // ... and they do not leak into the next invocation.
    block_on(metrics.flush_after(async {
        metrics.add_metric("Orders", Unit::Count, 1).unwrap();
    }));
    let documents = output.documents().unwrap();
    assert_eq!(dimension_set(&documents[0]), vec!["service"]);
    assert!(documents[0].get("requestId").is_none());
}

#[test]
fn metadata_is_a_member_but_not_a_metric_nor_a_dimension() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    metrics.add_metric("Orders", Unit::Count, 1).unwrap();
    metrics.add_metadata("requestId", "r-1").unwrap();
    metrics.add_metadata("attempt", 3).unwrap();
    metrics
        .add_metadata("basket", json!({"items": [1, 2]}))
        .unwrap();
    metrics.flush().unwrap();

    let document = &output.documents().unwrap()[0];
    assert_valid_emf(document);
    assert_eq!(document["requestId"], "r-1");
    assert_eq!(document["attempt"], 3);
    assert_eq!(document["basket"], json!({"items": [1, 2]}));
    assert_eq!(declared_names(document), vec!["Orders"]);
    assert_eq!(dimension_set(document), vec!["service"]);
}

#[test]
fn repeated_values_become_an_array_and_high_resolution_is_declared() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    for latency in [3, 5, 8] {
        metrics
            .add_metric("Latency", Unit::Milliseconds, latency)
            .unwrap();
    }
    metrics
        .add_metric_with_resolution("Inflight", Unit::Count, 2, StorageResolution::High)
        .unwrap();
    metrics.flush().unwrap();
    let document = &output.documents().unwrap()[0];
    assert_eq!(document["Latency"], json!([3.0, 5.0, 8.0]));
    assert_eq!(
        directive(document)["Metrics"],
        json!([
            {"Name": "Latency", "Unit": "Milliseconds"},
            {"Name": "Inflight", "Unit": "Count", "StorageResolution": 1}
        ])
    );
}

#[test]
fn more_than_one_hundred_values_of_a_metric_are_split() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    for value in 0..101 {
        metrics
            .add_metric("Latency", Unit::Milliseconds, value)
            .unwrap();
    }
    metrics.flush().unwrap();
    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 2);
    documents.iter().for_each(assert_valid_emf);
    assert_eq!(documents[0]["Latency"].as_array().unwrap().len(), 100);
    assert_eq!(documents[1]["Latency"], json!(100.0));
}

#[test]
fn every_invalid_entry_is_a_typed_error_naming_the_culprit_and_the_rule() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    metrics.add_metric("Orders", Unit::Count, 1).unwrap();
    metrics.add_metadata("requestId", "r-1").unwrap();
    let long = "x".repeat(256);

    let cases: Vec<(Result<(), MetricsError>, String)> = vec![
        (metrics.add_metric("", Unit::Count, 1), "invalid metric name \"\": must not be empty".into()),
        (metrics.add_metric(&long, Unit::Count, 1), format!("invalid metric name \"{long}\": must be at most 255 characters")),
        (metrics.add_metric("a\u{0}b", Unit::Count, 1), "invalid metric name \"a\\0b\": must not contain control characters".into()),
        (metrics.add_metric("_aws", Unit::Count, 1), "invalid metric name \"_aws\": `_aws` is reserved for the EMF metadata object".into()),
        (metrics.add_metric("service", Unit::Count, 1), "invalid metric name \"service\": is already a dimension; a document member has one meaning".into()),
        (metrics.add_metric("requestId", Unit::Count, 1), "invalid metric name \"requestId\": is already a metadata key; a document member has one meaning".into()),
        (metrics.add_metric("Ratio", Unit::Percent, f64::NAN), "metric \"Ratio\" has a non-finite value (NaN); CloudWatch accepts only finite numbers".into()),
        (metrics.add_metric("Ratio", Unit::Percent, f64::INFINITY), "metric \"Ratio\" has a non-finite value (inf); CloudWatch accepts only finite numbers".into()),
        (metrics.add_metric("Ratio", Unit::Percent, f64::NEG_INFINITY), "metric \"Ratio\" has a non-finite value (-inf); CloudWatch accepts only finite numbers".into()),
        (metrics.add_metric("Orders", Unit::Seconds, 1), "metric \"Orders\" was recorded in Count and now in Seconds; a metric has one unit per document".into()),
        (metrics.add_dimension(":zone", "a"), "invalid dimension name \":zone\": must not start with ':'".into()),
        (metrics.add_dimension("région", "a"), "invalid dimension name \"région\": must contain only ASCII characters".into()),
        (metrics.add_dimension("Orders", "a"), "invalid dimension name \"Orders\": is already a metric; a document member has one meaning".into()),
        (metrics.add_dimension("zone", " "), "invalid value for dimension \"zone\": must contain a non-whitespace character".into()),
        (metrics.add_dimension("zone", &"v".repeat(1025)), "invalid value for dimension \"zone\": must be at most 1024 characters".into()),
        (metrics.add_metadata("_aws", "x"), "invalid metadata key \"_aws\": `_aws` is reserved for the EMF metadata object".into()),
        (metrics.add_metadata("", "x"), "invalid metadata key \"\": must not be empty".into()),
        (metrics.add_metadata("Orders", "x"), "invalid metadata key \"Orders\": is already a metric; a document member has one meaning".into()),
        (metrics.add_metadata("service", "x"), "invalid metadata key \"service\": is already a dimension; a document member has one meaning".into()),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message);
    }

    // Nothing refused reached the document.
    metrics.flush().unwrap();
    let document = &output.documents().unwrap()[0];
    assert_eq!(declared_names(document), vec!["Orders"]);
    assert_eq!(document["Orders"], json!(1.0));
    assert_eq!(dimension_set(document), vec!["service"]);
    assert_eq!(document.as_object().unwrap().len(), 4);
}

#[test]
fn builder_errors_are_typed() {
    let missing = Metrics::builder().build().unwrap_err();
    assert!(matches!(missing, MetricsError::MissingNamespace));
    let invalid = Metrics::builder().namespace("").build().unwrap_err();
    assert!(matches!(
        invalid,
        MetricsError::InvalidNamespace {
            rule: Rule::Empty,
            ..
        }
    ));
    assert_eq!(
        invalid.to_string(),
        "invalid metrics namespace \"\": must not be empty"
    );
}

struct BrokenPipe;

impl Write for BrokenPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdout closed"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_failure_is_reported_by_flush_and_never_fails_the_invocation() {
    let metrics = Metrics::builder()
        .namespace("Shop")
        .writer(BrokenPipe)
        .build()
        .unwrap();
    metrics.add_metric("Orders", Unit::Count, 1).unwrap();
    let error = metrics.flush().unwrap_err();
    assert!(matches!(error, MetricsError::Write { .. }));
    assert_eq!(
        error.to_string(),
        "could not write EMF metrics: stdout closed"
    );

    let result: Result<u8, ()> = block_on(metrics.flush_after(async {
        metrics.add_metric("Orders", Unit::Count, 1).unwrap();
        Ok(7)
    }));
    assert_eq!(result, Ok(7));
}

#[test]
fn concurrent_invocations_keep_their_own_metrics_and_dimensions() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    let invocation = |tenant: &'static str, orders: u32| {
        let recorder = metrics.clone();
        metrics.flush_after(async move {
            recorder.add_dimension("tenant", tenant).unwrap();
            // Let the other invocation run between our records.
            tokio::task::yield_now().await;
            for _ in 0..orders {
                recorder.add_metric("Orders", Unit::Count, 1).unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    block_on(async { tokio::join!(invocation("acme", 2), invocation("globex", 3)) });

    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 2);
    for document in &documents {
        let expected = match document["tenant"].as_str().unwrap() {
            "acme" => 2,
            "globex" => 3,
            other => panic!("unexpected tenant {other}"),
        };
        assert_eq!(document["Orders"].as_array().unwrap().len(), expected);
        assert_eq!(dimension_set(document), vec!["service", "tenant"]);
    }
}

#[test]
fn metrics_recorded_outside_the_invocation_are_written_at_its_end() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    let recorder = metrics.clone();
    block_on(async {
        metrics
            .flush_after(async {
                // A spawned task does not inherit the invocation scope.
                tokio::spawn(async move {
                    recorder.add_metric("Background", Unit::Count, 1).unwrap();
                })
                .await
                .unwrap();
                metrics.add_metric("Foreground", Unit::Count, 1).unwrap();
            })
            .await;
    });
    let documents = output.documents().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(declared_names(&documents[0]), vec!["Foreground"]);
    assert_eq!(declared_names(&documents[1]), vec!["Background"]);
}

#[test]
fn another_handle_inside_an_invocation_keeps_its_own_namespace() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    let other_output = MemoryWriter::default();
    let other = Metrics::builder()
        .namespace("Other")
        .writer(other_output.clone())
        .build()
        .unwrap();
    block_on(metrics.flush_after(async {
        other.add_metric("Elsewhere", Unit::Count, 1).unwrap();
        metrics.add_metric("Here", Unit::Count, 1).unwrap();
    }));
    assert_eq!(
        declared_names(&output.documents().unwrap()[0]),
        vec!["Here"]
    );
    other.flush().unwrap();
    let elsewhere = &other_output.documents().unwrap()[0];
    assert_eq!(directive(elsewhere)["Namespace"], "Other");
    assert_eq!(declared_names(elsewhere), vec!["Elsewhere"]);
}

async fn handler(metrics: Metrics, event: LambdaEvent<Value>) -> Result<Value, Error> {
    metrics.add_metric("Received", Unit::Count, 1)?;
    if event.payload["fail"] == true {
        return Err("downstream unavailable".into());
    }
    metrics.add_metric("Processed", Unit::Count, 1)?;
    Ok(json!({"ok": true}))
}

#[test]
fn the_layer_flushes_once_per_invocation_on_ok_and_on_err() {
    let output = MemoryWriter::default();
    let metrics = metrics_into(&output);
    let recorder = metrics.clone();
    let mut service =
        MetricsLayer::new(metrics).layer(service_fn(move |event| handler(recorder.clone(), event)));
    let context = ferrule_testkit::ContextBuilder::new("req-1").build();

    block_on(async {
        let ready = std::future::poll_fn(|cx| service.poll_ready(cx)).await;
        assert!(ready.is_ok());
        let ok = service
            .call(LambdaEvent::new(json!({"fail": false}), context.clone()))
            .await;
        assert_eq!(ok.unwrap(), json!({"ok": true}));
        let err = service
            .call(LambdaEvent::new(json!({"fail": true}), context))
            .await;
        assert_eq!(err.unwrap_err().to_string(), "downstream unavailable");
    });

    let documents = output.documents().unwrap();
    assert_eq!(
        documents.len(),
        2,
        "one document per invocation, none twice"
    );
    documents.iter().for_each(assert_valid_emf);
    assert_eq!(declared_names(&documents[0]), vec!["Received", "Processed"]);
    assert_eq!(declared_names(&documents[1]), vec!["Received"]);
}
