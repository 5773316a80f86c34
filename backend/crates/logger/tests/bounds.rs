//! Lines stay bounded and credentials stay out, whatever a caller sends.

mod common;

use common::Capture;
use ferrule_logger::{LogFormat, LoggerConfig, MAX_LINE_BYTES, MAX_VALUE_BYTES, REDACTED};
use tracing::{info, trace};

fn lines(format: LogFormat, run: impl FnOnce()) -> Vec<String> {
    let capture = Capture::default();
    let config = LoggerConfig::new()
        .format(format)
        .level(tracing::Level::TRACE)
        .writer(capture.clone());
    tracing::subscriber::with_default(config.into_subscriber(), run);
    capture.lines()
}

#[test]
fn a_two_megabyte_value_from_an_event_is_cut_with_a_marker() {
    let huge = "x".repeat(2 * 1024 * 1024);
    for format in [LogFormat::Json, LogFormat::Text] {
        let logged = lines(
            format,
            || info!(order_id = %huge, "notification for {}", huge),
        );
        assert_eq!(logged.len(), 1);
        let line = &logged[0];
        assert!(
            line.len() < 3 * MAX_VALUE_BYTES,
            "{format:?}: {} bytes",
            line.len()
        );
        assert!(line.contains("[truncated: "), "{format:?}");
    }
}

#[test]
fn the_raw_event_at_trace_level_has_no_authorization_or_cookies() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVz";
    let event = format!(
        r#"{{"headers":{{"authorization":"Bearer {jwt}","cookie":"session=s3cr3t"}},"cookies":["session=s3cr3t"],"rawPath":"/orders"}}"#
    );
    for format in [LogFormat::Json, LogFormat::Text] {
        // As lambda_runtime logs every event at TRACE.
        let logged = lines(format, || {
            trace!(body = event.as_str(), "raw JSON event received from Lambda")
        });
        let line = &logged[0];
        assert!(
            !line.contains(jwt) && !line.contains("s3cr3t"),
            "{format:?}: {line}"
        );
        assert!(
            line.contains(REDACTED) && line.contains("/orders"),
            "{format:?}: {line}"
        );
    }
}

#[test]
fn a_line_with_many_large_fields_is_replaced_by_a_short_one() {
    let big = "y".repeat(MAX_VALUE_BYTES);
    let logged = lines(LogFormat::Json, || {
        // 40 fields of 8 KiB: more than MAX_LINE_BYTES together.
        info!(
            a0 = %big, a1 = %big, a2 = %big, a3 = %big, a4 = %big, a5 = %big, a6 = %big, a7 = %big,
            a8 = %big, a9 = %big, b0 = %big, b1 = %big, b2 = %big, b3 = %big, b4 = %big, b5 = %big,
            b6 = %big, b7 = %big, b8 = %big, b9 = %big, c0 = %big, c1 = %big, c2 = %big, c3 = %big,
            c4 = %big, c5 = %big, c6 = %big, c7 = %big, c8 = %big, c9 = %big, d0 = %big, d1 = %big,
            "wide"
        )
    });
    let line = &logged[0];
    assert!(line.len() <= MAX_LINE_BYTES);
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(
        json["message"].as_str().unwrap().contains("dropped"),
        "{line}"
    );
    assert_eq!(json["level"], "INFO");
}
