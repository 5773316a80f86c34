//! Lambda Managed Instances: many invocations at once in one process, each wrapped as
//! lambda_runtime 1.5's concurrent loop wraps it (a spawned worker task, the runtime's own
//! `Lambda runtime invoke` span), interleaving between log lines. Every line must carry its own
//! invocation's `requestId` and `traceId`, span fields must stay in their invocation, and only
//! the first invocation is cold. (Alone in its test binary: it installs the global subscriber,
//! as `init` does in a function, since worker threads log through it.)

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Capture;
use ferrule_logger::{LogFormat, LoggerConfig};
use ferrule_testkit::concurrent::{self, ConcurrentRun};
use serde_json::Value;
use tracing::{field, info, info_span, warn, Instrument};

const WORKERS: usize = 128;
const ROUNDS: usize = 2;
/// Lines each invocation writes (see the handler).
const LINES_PER_INVOCATION: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_log_under_their_own_ids_and_only_the_first_is_cold() {
    let capture = Capture::default();
    ferrule_logger::init_with(
        LoggerConfig::new()
            .format(LogFormat::Json)
            .level(tracing::Level::DEBUG)
            .service("orders")
            .writer(capture.clone()),
    )
    .unwrap();
    info!("init");

    let outcome = ConcurrentRun::new(WORKERS)
        .rounds(ROUNDS)
        .run(|invocation| async move {
            let id = invocation.request_id.clone();
            info!("start {id}");
            invocation.interleave().await;
            // Powertools' append_keys: a span with the invocation's own keys, one recorded late.
            let handler = info_span!(
                "handler",
                customer = %format!("c-{}", invocation.index),
                order_id = field::Empty,
            );
            async {
                info!(step = 1, "in handler {id}");
                invocation.rendezvous().await;
                tracing::Span::current().record("order_id", format!("o-{}", invocation.index));
                invocation.interleave().await;
                warn!(step = 2, "in handler {id}");
                // A task spawned inside the invocation, carrying its span along.
                let spawned_id = id.clone();
                tokio::spawn(async move { info!("spawned {spawned_id}") }.in_current_span())
                    .await
                    .unwrap();
            }
            .instrument(handler)
            .await;
            invocation.interleave().await;
            info!("end {id}");
        })
        .await
        .unwrap();
    assert_eq!(
        outcome.max_in_flight, WORKERS,
        "all workers' invocations were in flight at once"
    );

    let lines: Vec<Value> = capture
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        1 + WORKERS * ROUNDS * LINES_PER_INVOCATION,
        "no line lost, none added"
    );
    assert_eq!(lines[0]["message"], "init");
    assert_eq!(lines[0]["cold_start"], true, "init is cold");
    assert!(lines[0].get("requestId").is_none());

    let mut per_invocation: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for line in &lines[1..] {
        let message = line["message"].as_str().unwrap();
        let id = message.rsplit(' ').next().unwrap().to_owned();
        assert_eq!(line["requestId"], id.as_str(), "{line}");
        per_invocation.entry(id).or_default().push(line);
    }
    assert_eq!(per_invocation.len(), WORKERS * ROUNDS);

    let mut cold = BTreeSet::new();
    for finished in &outcome.finished {
        let index = finished.index;
        let lines = &per_invocation[&finished.request_id];
        assert_eq!(lines.len(), LINES_PER_INVOCATION, "{}", finished.request_id);
        for line in lines {
            assert_eq!(
                line["traceId"],
                concurrent::trace_id(index).as_str(),
                "{line}"
            );
            let message = line["message"].as_str().unwrap();
            // (customer, order_id) each line carries: the handler span's fields, order_id
            // only once recorded (after the first line in the handler).
            let (customer, order) = match (message.split(' ').next().unwrap(), &line["step"]) {
                ("start" | "end", _) => (false, false),
                ("in", step) if *step == 1 => (true, false),
                ("in" | "spawned", _) => (true, true),
                other => panic!("unexpected line {other:?}: {line}"),
            };
            let own_customer = Value::from(format!("c-{index}"));
            let own_order = Value::from(format!("o-{index}"));
            assert_eq!(
                line.get("customer"),
                customer.then_some(&own_customer),
                "{line}"
            );
            assert_eq!(line.get("order_id"), order.then_some(&own_order), "{line}");
            if line["cold_start"] == true {
                cold.insert(index);
            } else {
                assert_eq!(line["cold_start"], false, "{line}");
            }
        }
    }
    assert_eq!(cold.len(), 1, "exactly one invocation is cold: {cold:?}");
    let cold = *cold.iter().next().unwrap();
    assert!(cold < WORKERS, "the cold one is of the first round: {cold}");
    assert!(
        per_invocation[&concurrent::request_id(cold)]
            .iter()
            .all(|line| line["cold_start"] == true),
        "every line of the cold invocation is cold"
    );
}
