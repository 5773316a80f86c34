//! Exact JSON lines, per-invocation context and cold start, with the span
//! lambda_runtime opens around each invocation.

mod common;

use std::thread;

use common::{json_without_timestamp, Capture};
use ferrule_logger::{LogFormat, LoggerConfig};
use tracing::{debug, field, info, info_span, warn, Dispatch};

const TRACE_HEADER_1: &str =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const TRACE_HEADER_2: &str =
    "Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=0";

fn json_config(capture: &Capture) -> LoggerConfig<Capture> {
    LoggerConfig::new()
        .format(LogFormat::Json)
        .level(tracing::Level::DEBUG)
        .service("orders")
        .function_name("orders-api")
        .function_version("$LATEST")
        .writer(capture.clone())
}

fn logged(config: LoggerConfig<Capture>, capture: &Capture, run: impl FnOnce()) -> Vec<String> {
    tracing::subscriber::with_default(config.into_subscriber(), run);
    capture
        .lines()
        .iter()
        .map(|line| json_without_timestamp(line))
        .collect()
}

#[test]
fn two_invocations_get_their_own_request_id_and_cold_start_flips() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        info!("initialising");
        // The span lambda_runtime 1.5 opens: same name, same field names.
        let first = info_span!(
            "Lambda runtime invoke",
            requestId = "req-1",
            xrayTraceId = TRACE_HEADER_1
        );
        first.in_scope(|| info!(order_id = 42, "first"));
        drop(first);
        info!("between invocations");
        let second = info_span!(
            "Lambda runtime invoke",
            requestId = "req-2",
            xrayTraceId = TRACE_HEADER_2
        );
        second.in_scope(|| warn!(order_id = 43, "second"));
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"initialising","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders"}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"first","requestId":"req-1","traceId":"1-5759e988-bd862e3fe1be46a994272793","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders","order_id":42}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"between invocations","function_name":"orders-api","function_version":"$LATEST","cold_start":false,"service":"orders"}"#,
            r#"{"timestamp":"TS","level":"WARN","message":"second","requestId":"req-2","traceId":"1-67891233-abcdef012345678912345678","function_name":"orders-api","function_version":"$LATEST","cold_start":false,"service":"orders","order_id":43}"#,
        ]
    );
}

#[test]
fn the_span_of_the_real_lambda_runtime_is_recognised() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        for (request_id, tenant) in [("rt-1", Some("tenant-a")), ("rt-2", None)] {
            let mut context = lambda_runtime::Context::default();
            context.request_id = request_id.to_owned();
            context.xray_trace_id = Some(TRACE_HEADER_1.to_owned());
            context.tenant_id = tenant.map(str::to_owned);
            let span = lambda_runtime::layers::trace::request_span(&context);
            span.in_scope(|| info!("handled"));
        }
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"handled","requestId":"rt-1","traceId":"1-5759e988-bd862e3fe1be46a994272793","tenantId":"tenant-a","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders"}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"handled","requestId":"rt-2","traceId":"1-5759e988-bd862e3fe1be46a994272793","function_name":"orders-api","function_version":"$LATEST","cold_start":false,"service":"orders"}"#,
        ]
    );
}

#[test]
fn keys_without_values_are_left_out() {
    let capture = Capture::default();
    let config = LoggerConfig::new()
        .format(LogFormat::Json)
        .writer(capture.clone());
    let lines = logged(config, &capture, || {
        // No trace header, no function name or version, no message.
        info_span!("Lambda runtime invoke", requestId = "req-9").in_scope(|| info!(n = 1));
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","requestId":"req-9","cold_start":true,"service":"service_undefined","n":1}"#
        ]
    );
    assert!(!capture.lines()[0].contains("null"));
}

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}

impl std::error::Error for Failure {}

#[test]
fn event_fields_keep_their_json_types() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        let error = Failure;
        info!(
            int = -3,
            uint = 7_u64,
            float = 2.5,
            flag = true,
            text = "say \"hi\"\n",
            debug = ?vec![1, 2],
            display = %"shown",
            error = &error as &dyn std::error::Error,
            wide = u128::MAX,
            small = -5_i128,
            nan = f64::NAN,
            level = "mine",
            "types"
        );
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"types","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders","int":-3,"uint":7,"float":2.5,"flag":true,"text":"say \"hi\"\n","debug":"[1, 2]","display":"shown","error":"disk full","wide":"340282366920938463463374607431768211455","small":-5,"nan":"NaN","field_level":"mine"}"#
        ]
    );
}

#[test]
fn span_fields_follow_the_event_innermost_first_without_repeats() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        let invoke = info_span!("Lambda runtime invoke", requestId = "req-1");
        let _invoke = invoke.enter();
        let handler = info_span!(
            "handler",
            customer = "c-1",
            attempt = 1,
            order_id = field::Empty
        );
        let _handler = handler.enter();
        info!("before record");
        handler.record("order_id", 99);
        let db = info_span!("db", table = "orders", attempt = 2, service = "dynamodb");
        db.in_scope(|| info!(attempt = 3, "saved"));
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"before record","requestId":"req-1","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders","customer":"c-1","attempt":1}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"saved","requestId":"req-1","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders","attempt":3,"table":"orders","field_service":"dynamodb","customer":"c-1","order_id":99}"#,
        ]
    );
}

#[test]
fn span_field_values_keep_json_types() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        let error = Failure;
        let span = info_span!(
            "work",
            small = 5_i128,
            wide = u128::MAX,
            neg = i128::MIN,
            ratio = 0.25,
            inf = f64::INFINITY,
            ok = false,
            list = ?[1, 2],
            error = &error as &dyn std::error::Error
        );
        span.in_scope(|| info!("done"));
        // The invocation's ids are fixed when the span opens.
        let invoke = info_span!(
            "Lambda runtime invoke",
            requestId = "req-1",
            other = field::Empty
        );
        invoke.record("requestId", "changed");
        invoke.record("other", 1);
        invoke.in_scope(|| info!("ids"));
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"done","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders","small":5,"wide":"340282366920938463463374607431768211455","neg":"-170141183460469231731687303715884105728","ratio":0.25,"inf":"inf","ok":false,"list":"[1, 2]","error":"disk full"}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"ids","requestId":"req-1","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders"}"#,
        ]
    );
}

#[test]
fn events_on_other_threads_inside_the_span_keep_the_request_id() {
    let capture = Capture::default();
    let dispatch = Dispatch::new(json_config(&capture).into_subscriber());
    tracing::dispatcher::with_default(&dispatch, || {
        let invoke = info_span!("Lambda runtime invoke", requestId = "req-t");
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (span, dispatch) = (invoke.clone(), dispatch.clone());
                thread::spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        span.in_scope(|| info!(worker, "work"));
                    });
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
    });
    let lines = capture.lines();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["requestId"], "req-t", "{line}");
        assert_eq!(value["cold_start"], true, "{line}");
    }
}

#[test]
fn the_filter_drops_events_below_the_level() {
    let capture = Capture::default();
    let config = json_config(&capture).level(tracing::Level::INFO);
    let lines = logged(config, &capture, || {
        debug!("dropped");
        info!("kept");
    });
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains(r#""message":"kept""#), "{}", lines[0]);
}

#[test]
fn the_invocation_context_survives_a_level_above_info() {
    // AWS_LAMBDA_LOG_LEVEL=ERROR, and RUST_LOG naming another crate only: the
    // INFO invocation span must still be seen, or errors lose their requestId.
    for config in [
        json_config(&Capture::default()).level(tracing::Level::ERROR),
        json_config(&Capture::default())
            .filter("json=error")
            .unwrap(),
    ] {
        let capture = Capture::default();
        let lines = logged(config.writer(capture.clone()), &capture, || {
            info_span!("Lambda runtime invoke", requestId = "req-e").in_scope(|| {
                info!("dropped");
                tracing::error!("kept");
            });
        });
        assert_eq!(
            lines,
            [
                r#"{"timestamp":"TS","level":"ERROR","message":"kept","requestId":"req-e","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders"}"#
            ]
        );
    }
}

#[test]
fn filter_directives_select_targets() {
    let capture = Capture::default();
    let config = json_config(&capture).filter("warn,billing=debug").unwrap();
    let lines = logged(config, &capture, || {
        debug!(target: "billing", "billing debug");
        debug!(target: "shipping", "shipping debug");
        warn!(target: "shipping", "shipping warn");
    });
    let messages: Vec<String> = lines
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["message"].to_string())
        .collect();
    assert_eq!(messages, [r#""billing debug""#, r#""shipping warn""#]);
}

#[test]
fn into_layer_composes_with_a_registry() {
    use tracing_subscriber::layer::SubscriberExt;

    let capture = Capture::default();
    let layer = json_config(&capture)
        .level(tracing::Level::WARN)
        .into_layer();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        info_span!("Lambda runtime invoke", requestId = "req-l").in_scope(|| {
            info!("filtered out");
            warn!("composed");
        });
    });
    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        json_without_timestamp(&lines[0]),
        r#"{"timestamp":"TS","level":"WARN","message":"composed","requestId":"req-l","function_name":"orders-api","function_version":"$LATEST","cold_start":true,"service":"orders"}"#
    );
}

struct LogsWhileFormatting;

impl std::fmt::Debug for LogsWhileFormatting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        info!("logged from inside Debug");
        f.write_str("formatted")
    }
}

#[test]
fn logging_from_inside_a_field_does_not_panic() {
    let capture = Capture::default();
    let lines = logged(json_config(&capture), &capture, || {
        info!(value = ?LogsWhileFormatting, "outer");
    });
    let outer = lines.last().unwrap();
    assert!(outer.contains(r#""message":"outer""#), "{outer}");
    assert!(outer.contains(r#""value":"formatted""#), "{outer}");
}
