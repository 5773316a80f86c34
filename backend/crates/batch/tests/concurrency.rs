//! Lambda Managed Instances: one process handles many SQS batches at once, each invocation
//! wrapped as lambda_runtime 1.5's concurrent loop wraps it. Every batch must report exactly its
//! own failed messages, whatever the other batches in flight do.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferrule_batch::sqs::{Message, SqsEvent, SqsProcessor};
use ferrule_errors::FunctionError;
use ferrule_testkit::concurrent::ConcurrentRun;
use serde::Deserialize;
use serde_json::json;

const WORKERS: usize = 128;
const MESSAGES: usize = 6;

#[derive(Debug, Deserialize)]
struct Job {
    invocation: usize,
    n: usize,
}

/// Fails the odd messages of each batch; yields between messages so batches interleave.
async fn handle(message: Message<Job>) -> Result<(), FunctionError> {
    tokio::task::yield_now().await;
    if message.body.n % 2 == 1 {
        return Err(FunctionError::validation(format!(
            "job {} of invocation {} is odd",
            message.body.n, message.body.invocation
        )));
    }
    Ok(())
}

fn batch(invocation: usize) -> SqsEvent {
    let records: Vec<_> = (0..MESSAGES)
        .map(|n| {
            json!({
                "messageId": format!("inv-{invocation}-msg-{n}"),
                "body": json!({ "invocation": invocation, "n": n }).to_string(),
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

async fn run(processor: SqsProcessor) {
    let outcome = ConcurrentRun::new(WORKERS)
        .rounds(2)
        .run(move |invocation| async move {
            let event = batch(invocation.index);
            // Every worker's batch is in flight before any is handled.
            invocation.rendezvous().await;
            let response = processor.process(event, handle).await;
            serde_json::to_value(&response).unwrap()
        })
        .await
        .unwrap();
    assert_eq!(outcome.max_in_flight, WORKERS);
    assert_eq!(outcome.finished.len(), WORKERS * 2);
    for finished in &outcome.finished {
        let expected: Vec<_> = (0..MESSAGES)
            .filter(|n| n % 2 == 1)
            .map(|n| json!({ "itemIdentifier": format!("inv-{}-msg-{n}", finished.index) }))
            .collect();
        assert_eq!(
            finished.value,
            json!({ "batchItemFailures": expected }),
            "invocation {}",
            finished.index
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_each_report_only_their_own_failures_one_message_at_a_time() {
    run(SqsProcessor::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_each_report_only_their_own_failures_with_messages_in_parallel() {
    run(SqsProcessor::new().concurrency(4)).await;
}
