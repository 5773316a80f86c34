//! The shipping contract against a fake provider served by hyper on a loopback port,
//! plus what only HTTP has: the request's headers and body, odd answers, dead servers.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use orders_adapters::HttpShippingProvider;
use orders_domain::testing::{contract, sample_order, ShippingBehaviour};
use orders_domain::{Order, ShippingError, ShippingProvider, TrackingNumber};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the fake answers, beyond the contract's behaviours.
#[derive(Clone)]
enum Answer {
    Contract(ShippingBehaviour),
    Fixed(u16, &'static str),
    Never,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: serde_json::Value,
}

#[derive(Default)]
struct FakeState {
    seen: Vec<Seen>,
    shipments: HashMap<String, String>,
}

/// A fake provider on 127.0.0.1; stops when dropped.
struct FakeProvider {
    address: SocketAddr,
    state: Arc<Mutex<FakeState>>,
    server: JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn respond(
    answer: Answer,
    state: Arc<Mutex<FakeState>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect::<HashMap<_, _>>();
    let key = headers.get("idempotency-key").cloned().unwrap_or_default();
    state.lock().unwrap().seen.push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or_default(),
    });
    let reply = |status: u16, body: String| {
        Ok(Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap())
    };
    let created = |state: &Mutex<FakeState>| {
        let mut state = state.lock().unwrap();
        let next = format!("1Z{:06}", state.shipments.len() + 1);
        let tracking = state.shipments.entry(key.clone()).or_insert(next).clone();
        reply(201, format!(r#"{{"trackingNumber":"{tracking}"}}"#))
    };
    match answer {
        Answer::Contract(ShippingBehaviour::Accepting) => created(&state),
        Answer::Contract(ShippingBehaviour::Unavailable) => {
            reply(503, r#"{"message":"maintenance"}"#.into())
        }
        Answer::Contract(ShippingBehaviour::Rejecting(status)) => {
            reply(status, r#"{"message":"refused"}"#.into())
        }
        Answer::Contract(ShippingBehaviour::Slow(latency)) => {
            tokio::time::sleep(latency).await;
            created(&state)
        }
        Answer::Fixed(status, body) => reply(status, body.into()),
        Answer::Never => {
            std::future::pending::<()>().await;
            reply(500, String::new())
        }
    }
}

impl FakeProvider {
    async fn start(answer: Answer) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(FakeState::default()));
        let shared = Arc::clone(&state);
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (answer, state) = (answer.clone(), Arc::clone(&shared));
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        respond(answer.clone(), Arc::clone(&state), request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeProvider {
            address,
            state,
            server,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    fn client(&self) -> HttpShippingProvider {
        HttpShippingProvider::new(&self.base_url(), "test-key-123").unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

/// The adapter and the server it talks to, kept alive together.
struct Served {
    client: HttpShippingProvider,
    _server: FakeProvider,
}

impl ShippingProvider for Served {
    async fn create_shipment(
        &self,
        order: &Order,
        deadline: Instant,
    ) -> Result<TrackingNumber, ShippingError> {
        self.client.create_shipment(order, deadline).await
    }
}

struct Harness;

impl contract::ShippingHarness for Harness {
    type Provider = Served;
    async fn provider(&self, behaviour: ShippingBehaviour) -> Served {
        let server = FakeProvider::start(Answer::Contract(behaviour)).await;
        Served {
            client: server.client(),
            _server: server,
        }
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[tokio::test]
async fn the_http_client_passes_the_shipping_contract() {
    contract::shipping_provider_contract(&Harness).await;
}

#[tokio::test]
async fn the_request_carries_key_idempotency_body_and_trace() {
    let server = FakeProvider::start(Answer::Contract(ShippingBehaviour::Accepting)).await;
    let order = sample_order();
    let tracking = server
        .client()
        .create_shipment(&order, soon())
        .await
        .unwrap();
    assert_eq!(tracking.as_str(), "1Z000001");
    let header = ferrule_tracer::TraceHeader::parse(
        "Root=1-67891240-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    .unwrap();
    header
        .scope(server.client().create_shipment(&order, soon()))
        .await
        .unwrap();

    let seen = server.seen();
    let [outside, traced] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(outside.method, "POST");
    assert_eq!(outside.path, "/v1/shipments");
    assert_eq!(outside.headers["authorization"], "Bearer test-key-123");
    assert_eq!(
        outside.headers["idempotency-key"],
        "01M8BEWE407HD9W8BV0KBFG6HB"
    );
    assert_eq!(outside.headers["content-type"], "application/json");
    assert!(outside.headers["user-agent"].starts_with("ferrule-orders/"));
    assert!(
        !outside.headers.contains_key("x-amzn-trace-id"),
        "no trace, no header"
    );
    assert_eq!(
        outside.body,
        serde_json::json!({
            "orderId": "01M8BEWE407HD9W8BV0KBFG6HB",
            "customerId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "items": [
                {"sku": "BOOK-RUST-2021", "quantity": 1},
                {"sku": "MUG-FERRIS", "quantity": 2}
            ]
        })
    );
    let trace = &traced.headers["x-amzn-trace-id"];
    assert!(
        trace.starts_with("Root=1-67891240-0123456789abcdef01234567;"),
        "{trace}"
    );
}

#[tokio::test]
async fn too_many_requests_is_retryable_and_a_bad_success_is_rejected() {
    let server = FakeProvider::start(Answer::Fixed(429, r#"{"message":"slow down"}"#)).await;
    let error = server
        .client()
        .create_shipment(&sample_order(), soon())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ShippingError::Retryable {
            reason: r#"status 429: {"message":"slow down"}"#.into()
        }
    );
    let server = FakeProvider::start(Answer::Fixed(200, r#"{"id":"s-1"}"#)).await;
    let error = server
        .client()
        .create_shipment(&sample_order(), soon())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ShippingError::Rejected {
            status: Some(200),
            reason: "the answer has no trackingNumber".into()
        }
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_the_deadline() {
    let server = FakeProvider::start(Answer::Never).await;
    let started = Instant::now();
    let error = server
        .client()
        .create_shipment(&sample_order(), Instant::now() + Duration::from_millis(200))
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(&error, ShippingError::Retryable { reason } if reason.starts_with("no answer within")),
        "{error:?}"
    );
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
}

#[tokio::test]
async fn nobody_listening_is_retryable_and_names_the_cause() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = HttpShippingProvider::new(&format!("http://{address}"), "k").unwrap();
    match client.create_shipment(&sample_order(), soon()).await {
        Err(ShippingError::Retryable { reason }) => {
            assert!(reason.starts_with("request failed"), "{reason}");
            assert!(reason.to_lowercase().contains("connect"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
