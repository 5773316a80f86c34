//! Lambda Managed Instances: one `App` (state shared behind its `Arc`) answers many requests at
//! once, each invocation wrapped as lambda_runtime 1.5's concurrent loop wraps it. Every request
//! is held inside its handler until all of them are (a barrier in the shared state), so they
//! truly overlap; each response must carry its own request id, path parameter and header.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrule_http::{App, HttpError, HttpRequest, Json, Router};
use ferrule_testkit::concurrent::ConcurrentRun;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use tokio::sync::Barrier;

const WORKERS: usize = 128;

struct Shared {
    /// Every request waits here until all of them are inside a handler.
    all_in: Barrier,
    answered: Arc<AtomicUsize>,
}

async fn get_order(req: HttpRequest<Shared>) -> Result<Json<Value>, HttpError> {
    let id = req.param("id")?.to_owned();
    let caller = req.header("x-caller").map(str::to_owned);
    req.state().all_in.wait().await;
    tokio::task::yield_now().await;
    req.state().answered.fetch_add(1, Ordering::Relaxed);
    Ok(Json(json!({
        "id": id,
        "caller": caller,
        "requestId": req.request_id(),
    })))
}

fn app(answered: Arc<AtomicUsize>) -> App<Shared> {
    Router::with_state(Shared {
        all_in: Barrier::new(WORKERS),
        answered,
    })
    .get("/orders/{id}", get_order)
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_app_answers_overlapping_requests_each_with_its_own_id_parameters_and_headers() {
    let answered = Arc::new(AtomicUsize::new(0));
    let shared = app(Arc::clone(&answered));
    let outcome = ConcurrentRun::new(WORKERS)
        .run(move |invocation| {
            let app = shared.clone();
            async move {
                let request = lambda_http::http::Request::builder()
                    .uri(format!("/orders/o-{}", invocation.index))
                    .header("x-caller", format!("caller-{}", invocation.index))
                    .body(Body::Empty)
                    .unwrap();
                let request = Request::from(request).with_lambda_context(invocation.context);
                let response = app.handle(request).await;
                let header = response
                    .headers()
                    .get("x-request-id")
                    .map(|value| value.to_str().unwrap().to_owned());
                let body: Value = match response.body() {
                    Body::Text(text) => serde_json::from_str(text).unwrap(),
                    Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
                    _ => Value::Null,
                };
                (response.status().as_u16(), header, body)
            }
        })
        .await
        .unwrap();

    // The barrier in the handler opens only when every request is inside it.
    assert_eq!(answered.load(Ordering::Relaxed), WORKERS);
    assert_eq!(outcome.finished.len(), WORKERS);
    for finished in &outcome.finished {
        let (status, header, body) = &finished.value;
        assert_eq!(*status, 200, "{body}");
        assert_eq!(header.as_deref(), Some(finished.request_id.as_str()));
        assert_eq!(
            body,
            &json!({
                "id": format!("o-{}", finished.index),
                "caller": format!("caller-{}", finished.index),
                "requestId": finished.request_id,
            })
        );
    }
}
