//! Lambda Managed Instances: many sampled invocations at once in one process, each wrapped as
//! lambda_runtime 1.5's concurrent loop wraps it (a spawned worker task, the runtime's own
//! `Lambda runtime invoke` span with its `xrayTraceId`, no `_X_AMZN_TRACE_ID`). Each opens a
//! handler subsegment, a marked span and a closure subsegment, interleaving with the others.
//! Every document the daemon receives must carry its own invocation's trace id and a parent
//! within that invocation, and the header passed downstream must be its own. (Alone in its test
//! binary: the `XRayLayer` is installed globally, since worker threads open the spans.)

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use common::FakeDaemon;
use ferrule_testkit::concurrent::{ConcurrentRun, Invocation};
use ferrule_tracer::{current_trace_header, propagation, Tracer};
use serde_json::Value;
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

const WORKERS: usize = 128;
const ROUNDS: usize = 2;
/// `## handler`, `marked`, `closure`.
const DOCUMENTS_PER_INVOCATION: usize = 3;
/// Documents sent but not yet read, at most: well within a loopback socket's receive buffer,
/// so no datagram is dropped however the reader thread is scheduled.
const UNREAD_DOCUMENTS: usize = 32;

/// Taken before each document is sent; the reader gives one back per document read.
async fn may_send(budget: &Semaphore) {
    budget.acquire().await.unwrap().forget();
}

/// What the invocation saw from inside: the downstream headers in the closure.
struct Seen {
    current: String,
    http: String,
}

async fn invocation(tracer: Tracer, budget: Arc<Semaphore>, invocation: Invocation) -> Seen {
    let id = invocation.request_id.clone();
    let seen = tracer
        .in_handler_subsegment("handler", |handler| {
            handler.annotate("request_id", id.as_str());
            async {
                invocation.interleave().await;
                let marked =
                    tracing::info_span!("marked", xray = true, annotation.request_id = %id);
                let seen = async {
                    invocation.rendezvous().await;
                    invocation.interleave().await;
                    let seen = tracer
                        .in_subsegment("closure", |closure| {
                            closure.annotate("request_id", id.as_str());
                            async {
                                invocation.interleave().await;
                                let seen = Seen {
                                    current: current_trace_header().unwrap().to_string(),
                                    http: propagation::http_trace_header().unwrap().1,
                                };
                                may_send(&budget).await; // the closure's document
                                Ok::<_, Infallible>(seen)
                            }
                        })
                        .await;
                    invocation.interleave().await;
                    may_send(&budget).await; // the marked span's, when it closes
                    seen
                }
                .instrument(marked)
                .await;
                invocation.interleave().await;
                may_send(&budget).await; // the handler's
                seen
            }
        })
        .await;
    seen.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_send_documents_of_their_own_trace_and_parents() {
    let daemon = FakeDaemon::start().patient(Duration::from_secs(120));
    let tracer = daemon.tracer();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tracer.layer()))
        .unwrap();

    let total = WORKERS * ROUNDS * DOCUMENTS_PER_INVOCATION;
    let budget = Arc::new(Semaphore::new(UNREAD_DOCUMENTS));
    let reader = {
        let budget = Arc::clone(&budget);
        std::thread::spawn(move || {
            let documents: Vec<Value> = (0..total)
                .map(|_| {
                    let document = daemon.next();
                    budget.add_permits(1);
                    document
                })
                .collect();
            (daemon, documents)
        })
    };

    let outcome = {
        let (tracer, budget) = (tracer.clone(), Arc::clone(&budget));
        ConcurrentRun::new(WORKERS)
            .rounds(ROUNDS)
            .run(move |call| invocation(tracer.clone(), Arc::clone(&budget), call))
            .await
            .unwrap()
    };
    assert_eq!(
        outcome.max_in_flight, WORKERS,
        "all workers' invocations were in flight at once"
    );
    let (daemon, documents) = reader.join().unwrap();
    // Nothing more than expected was sent: the next document is one sent after the run.
    daemon.assert_nothing_before_sentinel().await;

    let mut by_invocation: BTreeMap<&str, BTreeMap<&str, &Value>> = BTreeMap::new();
    for document in &documents {
        let request_id = document["annotations"]["request_id"].as_str().unwrap();
        let name = document["name"].as_str().unwrap();
        let previous = by_invocation
            .entry(request_id)
            .or_default()
            .insert(name, document);
        assert!(previous.is_none(), "{name} of {request_id} sent twice");
    }
    assert_eq!(by_invocation.len(), WORKERS * ROUNDS);

    let mut cold = Vec::new();
    for finished in &outcome.finished {
        let documents = &by_invocation[finished.request_id.as_str()];
        let (handler, marked, closure) = (
            documents["## handler"],
            documents["marked"],
            documents["closure"],
        );
        for document in [handler, marked, closure] {
            assert_eq!(
                document["trace_id"],
                finished.trace_id.as_str(),
                "{document}"
            );
        }
        assert_eq!(
            handler["parent_id"],
            finished.parent_id.as_str(),
            "{handler}"
        );
        assert_eq!(marked["parent_id"], handler["id"], "{marked}");
        assert_eq!(closure["parent_id"], marked["id"], "{closure}");
        let downstream = format!(
            "Root={};Parent={};Sampled=1",
            finished.trace_id,
            closure["id"].as_str().unwrap()
        );
        assert_eq!(finished.value.current, downstream);
        assert_eq!(finished.value.http, downstream);
        if handler["annotations"]["ColdStart"] == true {
            cold.push(finished.index);
        } else {
            assert_eq!(handler["annotations"]["ColdStart"], false, "{handler}");
        }
    }
    assert_eq!(
        cold.len(),
        1,
        "exactly one handler subsegment is cold: {cold:?}"
    );
}
