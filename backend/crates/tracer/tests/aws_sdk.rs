//! The AWS SDK interceptor, driven hook by hook as the SDK's orchestrator calls it,
//! with hand-made requests and responses: no network, no service crate.

// `call` is test support, not a #[test] fn: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

mod common;

use common::{header, FakeDaemon, LAMBDA_PARENT, ROOT};
use ferrule_tracer::XRayInterceptor;
use serde_json::{json, Value};

use aws_smithy_runtime_api::client::interceptors::context::{
    Error, Input, InterceptorContext, Output,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{
    HttpRequest, HttpResponse, Metadata, OrchestratorError,
};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Layer};

/// A modeled service error, displayed as the generated SDK errors are: `Code: message`.
#[derive(Debug)]
struct ServiceError(&'static str);

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ServiceError {}

enum Ending {
    Response {
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        error: Option<&'static str>,
    },
    NoResponse,
}

/// Runs one call through the hooks in the orchestrator's order; returns the request's
/// `x-amzn-trace-id` as set by the interceptor.
fn call(interceptor: &XRayInterceptor, uri: &str, attempts: u32, ending: Ending) -> Option<String> {
    let runtime_components = RuntimeComponentsBuilder::for_tests().build().unwrap();
    let mut cfg = ConfigBag::base();
    let mut context = InterceptorContext::new(Input::erase(()));

    interceptor
        .read_before_execution(&(&context).into(), &mut cfg)
        .unwrap();
    // The operation's runtime plugin stores its metadata after client interceptors ran.
    let mut operation = Layer::new("operation");
    operation.store_put(Metadata::new("GetItem", "DynamoDB"));
    cfg.push_layer(operation);

    let mut request = HttpRequest::new(SdkBody::empty());
    request.set_uri(uri).unwrap();
    context.set_request(request);
    for _ in 0..attempts {
        interceptor
            .read_before_attempt(&(&context).into(), &runtime_components, &mut cfg)
            .unwrap();
        interceptor
            .modify_before_signing(&mut (&mut context).into(), &runtime_components, &mut cfg)
            .unwrap();
    }
    let sent_header = context
        .request()
        .unwrap()
        .headers()
        .get("x-amzn-trace-id")
        .map(str::to_owned);
    context.take_request();

    match ending {
        Ending::Response {
            status,
            headers,
            error,
        } => {
            let mut response =
                HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
            for (name, value) in headers {
                response.headers_mut().insert(name, value);
            }
            context.set_response(response);
            context.set_output_or_error(match error {
                Some(message) => Err(OrchestratorError::operation(Error::erase(ServiceError(
                    message,
                )))),
                None => Ok(Output::erase(())),
            });
        }
        Ending::NoResponse => {
            let failure = ConnectorError::io("connection reset".into());
            context.set_output_or_error(Err(OrchestratorError::connector(failure)));
        }
    }
    interceptor
        .read_after_execution(&(&context).into(), &runtime_components, &mut cfg)
        .unwrap();
    sent_header
}

async fn traced_call(
    daemon: &FakeDaemon,
    uri: &str,
    attempts: u32,
    ending: Ending,
) -> (Option<String>, Value) {
    let interceptor = daemon.tracer().aws_sdk_interceptor();
    let sent = header("1")
        .scope(async { call(&interceptor, uri, attempts, ending) })
        .await;
    (sent, daemon.next())
}

#[tokio::test]
async fn a_successful_call_is_an_aws_subsegment() {
    let daemon = FakeDaemon::start();
    let (sent, doc) = traced_call(
        &daemon,
        "https://dynamodb.eu-west-1.amazonaws.com/",
        1,
        Ending::Response {
            status: 200,
            headers: vec![("x-amzn-RequestId", "REQ123")],
            error: None,
        },
    )
    .await;
    assert_eq!(doc["name"], "DynamoDB");
    assert_eq!(doc["namespace"], "aws");
    assert_eq!(doc["trace_id"], ROOT);
    assert_eq!(doc["parent_id"], LAMBDA_PARENT);
    assert_eq!(
        doc["aws"],
        json!({"operation": "GetItem", "region": "eu-west-1", "request_id": "REQ123"})
    );
    assert_eq!(doc["http"], json!({"response": {"status": 200}}));
    assert!(
        doc.get("error").is_none() && doc.get("fault").is_none() && doc.get("throttle").is_none()
    );
    // The service sees this subsegment as its parent.
    assert_eq!(
        sent,
        Some(format!(
            "Root={ROOT};Parent={};Sampled=1",
            doc["id"].as_str().unwrap()
        ))
    );
}

#[tokio::test]
async fn a_client_error_is_an_error_with_its_cause() {
    let daemon = FakeDaemon::start();
    let (_, doc) = traced_call(
        &daemon,
        "https://dynamodb.eu-west-1.amazonaws.com/",
        1,
        Ending::Response {
            status: 400,
            headers: vec![(
                "x-amzn-ErrorType",
                "ValidationException:http://internal.amazon.com/coral/",
            )],
            error: Some("ValidationException: key is missing"),
        },
    )
    .await;
    assert_eq!(doc["error"], true);
    assert!(doc.get("fault").is_none() && doc.get("throttle").is_none());
    let exception = &doc["cause"]["exceptions"][0];
    assert_eq!(exception["message"], "ValidationException: key is missing");
    assert_eq!(exception["type"], "ValidationException");
    assert_eq!(exception["remote"], true);
}

#[tokio::test]
async fn a_throttling_code_on_400_is_a_throttle_and_retries_are_counted() {
    let daemon = FakeDaemon::start();
    let (_, doc) = traced_call(
        &daemon,
        "https://dynamodb.eu-west-1.amazonaws.com/",
        3,
        Ending::Response {
            status: 400,
            headers: vec![],
            error: Some("ProvisionedThroughputExceededException: rate exceeded"),
        },
    )
    .await;
    assert_eq!(
        (doc["error"].clone(), doc["throttle"].clone()),
        (json!(true), json!(true))
    );
    assert!(doc.get("fault").is_none());
    assert_eq!(doc["aws"]["retries"], 2);
    assert_eq!(
        doc["cause"]["exceptions"][0]["type"],
        "ProvisionedThroughputExceededException"
    );
}

#[tokio::test]
async fn status_429_is_a_throttle() {
    let daemon = FakeDaemon::start();
    let (_, doc) = traced_call(
        &daemon,
        "https://dynamodb.eu-west-1.amazonaws.com/",
        1,
        Ending::Response {
            status: 429,
            headers: vec![],
            error: Some("unhandled error (TooManyRequests)"),
        },
    )
    .await;
    assert_eq!(doc["throttle"], true);
    assert_eq!(doc["http"]["response"]["status"], 429);
}

#[tokio::test]
async fn a_server_error_is_a_fault() {
    let daemon = FakeDaemon::start();
    let (_, doc) = traced_call(
        &daemon,
        "https://dynamodb.eu-west-1.amazonaws.com/",
        1,
        Ending::Response {
            status: 500,
            headers: vec![("x-amz-request-id", "S3REQ")],
            error: Some("InternalServerError: boom"),
        },
    )
    .await;
    assert_eq!(doc["fault"], true);
    assert!(doc.get("error").is_none());
    assert_eq!(doc["aws"]["request_id"], "S3REQ");
}

#[tokio::test]
async fn no_response_is_a_fault_and_the_region_falls_back_to_the_config() {
    let daemon = FakeDaemon::start();
    let mut config = daemon.config();
    config.region = Some("us-east-2".into());
    let interceptor = ferrule_tracer::Tracer::new(config).aws_sdk_interceptor();
    header("1")
        .scope(async {
            call(
                &interceptor,
                "http://127.0.0.1:5000/",
                1,
                Ending::NoResponse,
            )
        })
        .await;
    let doc = daemon.next();
    assert_eq!(doc["fault"], true);
    assert!(doc.get("http").is_none());
    assert_eq!(doc["aws"]["region"], "us-east-2");
    let exception = &doc["cause"]["exceptions"][0];
    assert!(
        exception["message"]
            .as_str()
            .unwrap()
            .contains("connection reset"),
        "{exception}"
    );
    assert!(exception.get("remote").is_none());
}

#[tokio::test]
async fn calls_in_a_subsegment_nest_under_it() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let interceptor = tracer.aws_sdk_interceptor();
    header("1")
        .scope(tracer.in_subsegment("load order", |_| async {
            call(
                &interceptor,
                "https://dynamodb.eu-west-1.amazonaws.com/",
                1,
                Ending::Response {
                    status: 200,
                    headers: vec![],
                    error: None,
                },
            );
            Ok::<_, std::convert::Infallible>(())
        }))
        .await
        .unwrap();
    let aws = daemon.next();
    let outer = daemon.next();
    assert_eq!(aws["name"], "DynamoDB");
    assert_eq!(aws["parent_id"], outer["id"]);
    assert_eq!(outer["parent_id"], LAMBDA_PARENT);
}

#[tokio::test]
async fn unsampled_calls_send_nothing_but_pass_the_decision_on() {
    let daemon = FakeDaemon::start();
    let interceptor = daemon.tracer().aws_sdk_interceptor();
    let ok = || Ending::Response {
        status: 200,
        headers: vec![],
        error: None,
    };
    let sent = header("0")
        .scope(async {
            call(
                &interceptor,
                "https://dynamodb.eu-west-1.amazonaws.com/",
                1,
                ok(),
            )
        })
        .await;
    assert_eq!(sent, Some(header("0").to_string()));
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn untraced_or_disabled_calls_are_left_alone() {
    let daemon = FakeDaemon::start();
    let ok = || Ending::Response {
        status: 200,
        headers: vec![],
        error: None,
    };
    let interceptor = daemon.tracer().aws_sdk_interceptor();
    let uri = "https://dynamodb.eu-west-1.amazonaws.com/";
    assert_eq!(
        call(&interceptor, uri, 1, ok()),
        None,
        "no trace: the SDK's own header logic applies"
    );
    let mut config = daemon.config();
    config.enabled = false;
    let disabled = ferrule_tracer::Tracer::new(config).aws_sdk_interceptor();
    let sent = header("1")
        .scope(async { call(&disabled, uri, 1, ok()) })
        .await;
    assert_eq!(sent, None);
    daemon.assert_nothing_before_sentinel().await;
}
