//! Closure and manual subsegments, received by a fake daemon.

mod common;

use std::convert::Infallible;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{header, id, FakeDaemon, LAMBDA_PARENT, ROOT};
use ferrule_tracer::{current_trace_header, propagation, Tracer, TracerConfig};
use serde_json::json;

#[tokio::test]
async fn a_top_level_subsegment_joins_the_invocation_trace() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let value = header("1")
        .scope(tracer.in_subsegment("charge card", |seg| async move {
            seg.annotate("order_id", "o-42");
            seg.annotate("amount", 19.99);
            seg.annotate("items", 3_u32);
            seg.annotate("express", true);
            seg.metadata("request", &json!({"card": "visa"}));
            seg.metadata_in("payments", "provider", &"acme");
            Ok::<_, Infallible>(7)
        }))
        .await;
    assert_eq!(value, Ok(7));

    let doc = daemon.next();
    assert_eq!(doc["name"], "charge card");
    assert_eq!(doc["trace_id"], ROOT);
    assert_eq!(doc["parent_id"], LAMBDA_PARENT);
    assert_eq!(
        doc["annotations"],
        json!({"order_id": "o-42", "amount": 19.99, "items": 3, "express": true})
    );
    assert_eq!(
        doc["metadata"],
        json!({"default": {"request": {"card": "visa"}}, "payments": {"provider": "acme"}})
    );
    assert!(doc.get("fault").is_none() && doc.get("error").is_none() && doc.get("cause").is_none());
}

#[tokio::test]
async fn nested_subsegments_have_their_enclosing_subsegment_as_parent() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let (outer_id, inner_id) = header("1")
        .scope(tracer.in_subsegment("outer", |outer| {
            let tracer = tracer.clone();
            async move {
                let inner_id = tracer
                    .in_subsegment(
                        "inner",
                        |inner| async move { Ok::<_, Infallible>(inner.id()) },
                    )
                    .await?;
                Ok::<_, Infallible>((outer.id(), inner_id))
            }
        }))
        .await
        .unwrap();

    // The inner one ends, and is sent, first.
    let inner = daemon.next();
    let outer = daemon.next();
    assert_eq!(inner["name"], "inner");
    assert_eq!(outer["name"], "outer");
    assert_eq!(id(&inner), inner_id.unwrap().to_string());
    assert_eq!(id(&outer), outer_id.unwrap().to_string());
    assert_eq!(inner["parent_id"], outer["id"]);
    assert_eq!(outer["parent_id"], LAMBDA_PARENT);
    assert_eq!(inner["trace_id"], ROOT);
    assert_eq!(outer["trace_id"], ROOT);
}

#[tokio::test]
async fn an_error_marks_a_fault_with_its_message_and_type() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let result = header("1")
        .scope(tracer.in_subsegment("charge", |_| async {
            Err::<(), _>(std::io::Error::other("card declined"))
        }))
        .await;
    assert!(result.is_err());
    let doc = daemon.next();
    assert_eq!(doc["fault"], true);
    let exception = &doc["cause"]["exceptions"][0];
    assert_eq!(exception["message"], "card declined");
    assert_eq!(exception["type"], "std::io::error::Error");
}

#[tokio::test]
async fn flags_set_by_hand_are_sent() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    header("1")
        .scope(tracer.in_subsegment("call partner", |seg| async move {
            seg.set_throttle();
            seg.set_fault();
            seg.record_failure(&"partner busy");
            Ok::<_, Infallible>(())
        }))
        .await
        .unwrap();
    let doc = daemon.next();
    assert_eq!(
        (
            doc["error"].clone(),
            doc["fault"].clone(),
            doc["throttle"].clone()
        ),
        (json!(true), json!(true), json!(true))
    );
    assert_eq!(doc["cause"]["exceptions"][0]["message"], "partner busy");

    header("1")
        .scope(tracer.in_subsegment("validate", |seg| async move {
            seg.set_error();
            Ok::<_, Infallible>(())
        }))
        .await
        .unwrap();
    let doc = daemon.next();
    assert_eq!(doc["error"], true);
    assert!(doc.get("fault").is_none() && doc.get("throttle").is_none());
}

#[tokio::test]
async fn unsampled_traces_send_nothing() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let recording = header("0")
        .scope(tracer.in_subsegment("charge", |seg| {
            let tracer = tracer.clone();
            async move {
                seg.annotate("k", 1);
                let nested = tracer
                    .in_subsegment("nested", |n| async move {
                        Ok::<_, Infallible>(n.is_recording())
                    })
                    .await?;
                Ok::<_, Infallible>((seg.is_recording(), seg.id(), nested))
            }
        }))
        .await
        .unwrap();
    assert_eq!(recording, (false, None, false));
    header("?")
        .scope(tracer.in_subsegment("requested", |_| async { Ok::<_, Infallible>(()) }))
        .await
        .unwrap();
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn without_any_trace_context_nothing_is_sent_and_the_closure_still_runs() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    assert_eq!(current_trace_header(), None);
    let ran = tracer
        .in_subsegment("charge", |seg| async move {
            Ok::<_, Infallible>(!seg.is_recording())
        })
        .await;
    assert_eq!(ran, Ok(true));
    daemon.assert_nothing_before_sentinel().await;
}

/// The header comes from the invocation only: a sampled `_X_AMZN_TRACE_ID` (what
/// lambda_runtime's sequential loop sets, process-wide) gives no context outside an
/// invocation, and does not replace the invocation's own header inside one.
#[tokio::test]
async fn the_trace_id_environment_variable_is_never_read() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let other = "Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=1";
    std::env::set_var("_X_AMZN_TRACE_ID", other);
    assert_eq!(current_trace_header(), None);
    let outside = tracer
        .in_subsegment("init", |seg| async move {
            Ok::<_, Infallible>(seg.is_recording())
        })
        .await;
    assert_eq!(outside, Ok(false));
    assert_eq!(propagation::http_trace_header(), None);
    daemon.assert_nothing_before_sentinel().await;

    let seen = header("1").scope(async { current_trace_header() }).await;
    assert_eq!(seen, Some(header("1")));
}

#[tokio::test]
async fn a_disabled_tracer_sends_nothing() {
    let daemon = FakeDaemon::start();
    let mut config = daemon.config();
    config.enabled = false;
    let tracer = Tracer::new(config);
    header("1")
        .scope(tracer.in_subsegment("charge", |_| async { Ok::<_, Infallible>(()) }))
        .await
        .unwrap();
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn a_daemon_nobody_listens_on_neither_fails_nor_blocks() {
    let port = {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    }; // closed again: nobody listens there
    let tracer = Tracer::new(TracerConfig::new(port));
    let started = Instant::now();
    let outcome = header("1")
        .scope(async {
            for i in 0..500 {
                let value = tracer
                    .in_subsegment("charge", |seg| async move {
                        seg.annotate("i", i);
                        Ok::<_, Infallible>(i)
                    })
                    .await?;
                assert_eq!(value, i);
            }
            Ok::<_, Infallible>(())
        })
        .await;
    let elapsed = started.elapsed();
    assert_eq!(outcome, Ok(()));
    assert!(
        elapsed < Duration::from_secs(2),
        "500 subsegments to a dead daemon took {elapsed:?}"
    );
}

#[tokio::test]
async fn the_handler_subsegment_reports_cold_start_once_and_the_service() {
    let daemon = FakeDaemon::start();
    let mut config = daemon.config();
    config.service = Some("orders".into());
    let tracer = Tracer::new(config);
    for _ in 0..2 {
        header("1")
            .scope(tracer.in_handler_subsegment("handler", |_| async { Ok::<_, Infallible>(()) }))
            .await
            .unwrap();
    }
    let first = daemon.next();
    let second = daemon.next();
    assert_eq!(first["name"], "## handler");
    assert_eq!(
        first["annotations"],
        json!({"ColdStart": true, "Service": "orders"})
    );
    assert_eq!(
        second["annotations"],
        json!({"ColdStart": false, "Service": "orders"})
    );
}

#[tokio::test]
async fn metadata_defaults_to_the_service_namespace() {
    let daemon = FakeDaemon::start();
    let mut config = daemon.config();
    config.service = Some("orders".into());
    let tracer = Tracer::new(config);
    header("1")
        .scope(tracer.in_subsegment("x", |seg| async move {
            seg.metadata("lines", &3);
            Ok::<_, Infallible>(())
        }))
        .await
        .unwrap();
    assert_eq!(daemon.next()["metadata"], json!({"orders": {"lines": 3}}));
}

#[tokio::test]
async fn a_cancelled_subsegment_is_still_sent() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let timed_out = tokio::time::timeout(
        Duration::from_millis(20),
        header("1").scope(
            tracer.in_subsegment("slow", |_| std::future::pending::<Result<(), Infallible>>()),
        ),
    )
    .await;
    assert!(timed_out.is_err());
    let doc = daemon.next();
    assert_eq!(doc["name"], "slow");
    assert_eq!(doc["parent_id"], LAMBDA_PARENT);
}

#[tokio::test]
async fn manual_subsegments_nest_with_child_and_are_sent_on_end_or_drop() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    header("1")
        .scope(async {
            let import = tracer.begin_subsegment("import");
            let row = import.child("row");
            row.annotate("n", 1);
            drop(row); // dropping the last handle sends it
            import.end();
            import.annotate("ignored", true); // after end: nothing changes, nothing is sent twice
            import.end();
        })
        .await;
    let row = daemon.next();
    let import = daemon.next();
    assert_eq!(row["name"], "row");
    assert_eq!(row["parent_id"], import["id"]);
    assert_eq!(import["parent_id"], LAMBDA_PARENT);
    assert!(import.get("annotations").is_none());
    daemon.assert_nothing_before_sentinel().await;
}

#[tokio::test]
async fn the_downstream_header_names_the_current_subsegment() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    let (seg_id, from_handle, current, sqs, eventbridge, http) = header("1")
        .scope(tracer.in_subsegment("publish", |seg| async move {
            Ok::<_, Infallible>((
                seg.id().unwrap(),
                seg.trace_header().unwrap(),
                current_trace_header().unwrap(),
                propagation::sqs_trace_header().unwrap(),
                propagation::eventbridge_trace_header().unwrap(),
                propagation::http_trace_header().unwrap(),
            ))
        }))
        .await
        .unwrap();
    let expected = format!("Root={ROOT};Parent={seg_id};Sampled=1");
    assert_eq!(from_handle.to_string(), expected);
    assert_eq!(current.to_string(), expected);
    assert_eq!(sqs, expected);
    assert_eq!(eventbridge, expected);
    assert_eq!(http, ("X-Amzn-Trace-Id", expected));
    assert_eq!(
        propagation::sqs_trace_header(),
        None,
        "no context outside the scope"
    );
}

#[tokio::test]
async fn unsampled_decisions_are_still_propagated() {
    let header = header("0");
    let seen = header
        .clone()
        .scope(async { propagation::http_trace_header() })
        .await;
    assert_eq!(seen, Some(("X-Amzn-Trace-Id", header.to_string())));
}

#[tokio::test]
async fn names_are_sanitised_before_sending() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    header("1")
        .scope(tracer.in_subsegment("GET /orders/{id}?", |_| async { Ok::<_, Infallible>(()) }))
        .await
        .unwrap();
    assert_eq!(daemon.next()["name"], "GET /orders/id");
}

#[tokio::test]
async fn subsegment_futures_are_send_and_scope_spawned_tasks() {
    let daemon = FakeDaemon::start();
    let tracer = daemon.tracer();
    // A task-local does not follow tokio::spawn: the spawned task scopes its own header.
    let task = tokio::spawn({
        let tracer = tracer.clone();
        header("1").scope(async move {
            tracer
                .in_subsegment("spawned", |seg| async move {
                    Ok::<_, Infallible>(seg.is_recording())
                })
                .await
        })
    });
    assert_eq!(task.await.unwrap(), Ok(true));
    assert_eq!(daemon.next()["name"], "spawned");
}
