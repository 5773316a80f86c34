//! Marked spans as subsegments, received by a fake daemon.
//!
//! Each test installs its subscriber for its own thread only (`set_default`), and
//! `#[tokio::test]` runs the future on that thread.

mod common;

use std::convert::Infallible;

use common::{header, id, FakeDaemon, LAMBDA_PARENT, ROOT};
use ferrule_tracer::{current_trace_header, Tracer};
use serde_json::json;
use tracing::subscriber::DefaultGuard;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

fn install(tracer: &Tracer) -> DefaultGuard {
    tracing::subscriber::set_default(tracing_subscriber::registry().with(tracer.layer()))
}

#[derive(Debug)]
struct OrderId(u32);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "o-{}", self.0)
    }
}

#[tokio::test]
async fn a_marked_span_becomes_a_subsegment_with_annotations_and_metadata() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    header("1")
        .scope(async {
            let order = OrderId(42);
            let span = tracing::info_span!(
                "charge",
                xray = true,
                annotation.order_id = %order,
                annotation.amount = 19.5,
                annotation.items = 3_u64,
                annotation.express = true,
                annotation.debugged = ?order,
                annotation.late = tracing::field::Empty,
                metadata.note = "first try",
                other = "ignored",
            );
            span.record("annotation.late", -1_i64);
            async {}.instrument(span).await;
        })
        .await;
    let doc = daemon.next();
    assert_eq!(doc["name"], "charge");
    assert_eq!(doc["trace_id"], ROOT);
    assert_eq!(doc["parent_id"], LAMBDA_PARENT);
    assert_eq!(
        doc["annotations"],
        json!({"order_id": "o-42", "amount": 19.5, "items": 3, "express": true, "debugged": "OrderId(42)", "late": -1})
    );
    assert_eq!(doc["metadata"], json!({"default": {"note": "first try"}}));
}

#[tokio::test]
async fn unmarked_and_opted_out_spans_are_not_sent() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    header("1")
        .scope(async {
            tracing::info_span!("plain", annotation.x = 1).in_scope(|| {});
            tracing::info_span!("opted out", xray = false).in_scope(|| {});
        })
        .await;
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn nested_marked_spans_nest_as_subsegments() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    header("1")
        .scope(async {
            let outer = tracing::info_span!("outer", xray = true);
            let inner = outer.in_scope(|| tracing::info_span!("inner", xray = true));
            // An unmarked span in between changes nothing.
            let leaf = inner.in_scope(|| {
                tracing::info_span!("plain").in_scope(|| tracing::info_span!("leaf", xray = true))
            });
            drop(leaf);
            drop(inner);
            drop(outer);
        })
        .await;
    let leaf = daemon.next();
    let inner = daemon.next();
    let outer = daemon.next();
    assert_eq!(
        (
            leaf["name"].as_str(),
            inner["name"].as_str(),
            outer["name"].as_str()
        ),
        (Some("leaf"), Some("inner"), Some("outer"))
    );
    assert_eq!(leaf["parent_id"], inner["id"]);
    assert_eq!(inner["parent_id"], outer["id"]);
    assert_eq!(outer["parent_id"], LAMBDA_PARENT);
}

#[tokio::test]
async fn spans_and_closures_nest_in_each_other_in_both_orders() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    header("1")
        .scope(async {
            // span > closure > span > closure
            let t = tracer.clone();
            async move {
                t.in_subsegment("closure 1", |_| {
                    let t = t.clone();
                    async move {
                        async move {
                            t.in_subsegment("closure 2", |_| async { Ok::<_, Infallible>(()) })
                                .await
                        }
                        .instrument(tracing::info_span!("span 2", xray = true))
                        .await
                    }
                })
                .await
            }
            .instrument(tracing::info_span!("span 1", xray = true))
            .await
        })
        .await
        .unwrap();
    let closure2 = daemon.next();
    let span2 = daemon.next();
    let closure1 = daemon.next();
    let span1 = daemon.next();
    assert_eq!(closure2["name"], "closure 2");
    assert_eq!(span2["name"], "span 2");
    assert_eq!(closure1["name"], "closure 1");
    assert_eq!(span1["name"], "span 1");
    assert_eq!(closure2["parent_id"], span2["id"]);
    assert_eq!(span2["parent_id"], closure1["id"]);
    assert_eq!(closure1["parent_id"], span1["id"]);
    assert_eq!(span1["parent_id"], LAMBDA_PARENT);
}

#[tokio::test]
async fn an_error_event_marks_the_innermost_marked_span_as_fault() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);

    #[tracing::instrument(err, fields(xray = true))]
    async fn reserve(sku: &str) -> Result<(), std::io::Error> {
        Err(std::io::Error::other(format!("{sku} out of stock")))
    }

    header("1")
        .scope(async {
            let _ = reserve("A-1").await;
            tracing::info_span!("logged", xray = true)
                .in_scope(|| tracing::error!("gave up after {} tries", 3));
            tracing::info_span!("warned", xray = true)
                .in_scope(|| tracing::warn!("only a warning"));
        })
        .await;
    let reserved = daemon.next();
    assert_eq!(reserved["name"], "reserve");
    assert_eq!(reserved["fault"], true);
    assert_eq!(
        reserved["cause"]["exceptions"][0]["message"],
        "A-1 out of stock"
    );
    let logged = daemon.next();
    assert_eq!(logged["fault"], true);
    assert_eq!(
        logged["cause"]["exceptions"][0]["message"],
        "gave up after 3 tries"
    );
    let warned = daemon.next();
    assert!(warned.get("fault").is_none());
}

#[tokio::test]
async fn the_runtime_invocation_span_provides_the_trace_header() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    // What lambda_runtime's TracingLayer opens around each invocation; no scope, no env.
    let trace = header("1").to_string();
    let invoke = tracing::info_span!(
        "Lambda runtime invoke",
        requestId = "req-1",
        xrayTraceId = &trace
    );
    let inside = async {
        let current = current_trace_header();
        tracing::info_span!("work", xray = true).in_scope(|| {});
        current
    }
    .instrument(invoke)
    .await;
    assert_eq!(inside, Some(header("1")));
    let doc = daemon.next();
    assert_eq!(doc["name"], "work");
    assert_eq!(doc["trace_id"], ROOT);
    assert_eq!(doc["parent_id"], LAMBDA_PARENT);
}

#[tokio::test]
async fn unsampled_or_malformed_invocation_headers_send_nothing() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    for trace in [header("0").to_string(), "Root=garbage".to_string()] {
        let invoke = tracing::info_span!(
            "Lambda runtime invoke",
            requestId = "req-1",
            xrayTraceId = &trace
        );
        invoke.in_scope(|| tracing::info_span!("work", xray = true).in_scope(|| {}));
    }
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn inside_a_marked_span_the_downstream_parent_is_its_subsegment() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let _guard = install(&tracer);
    let seen = header("1")
        .scope(async { tracing::info_span!("publish", xray = true).in_scope(current_trace_header) })
        .await
        .unwrap();
    let doc = daemon.next();
    assert_eq!(
        seen.to_string(),
        format!("Root={ROOT};Parent={};Sampled=1", id(&doc))
    );
}
