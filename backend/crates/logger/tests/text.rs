//! Text lines: `<timestamp> <LEVEL> <requestId> <message> key=value ...`.

mod common;

use common::{text_without_timestamp, Capture};
use ferrule_logger::{LogFormat, LoggerConfig};
use tracing::{error, info, info_span};

#[test]
fn text_lines_have_the_lambda_shape() {
    let capture = Capture::default();
    let config = LoggerConfig::new()
        .format(LogFormat::Text)
        .service("orders")
        .writer(capture.clone());
    tracing::subscriber::with_default(config.into_subscriber(), || {
        info!(phase = "init", "starting");
        let invoke = info_span!(
            "Lambda runtime invoke",
            requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
            xrayTraceId = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
        );
        let _invoke = invoke.enter();
        let handler = info_span!("handler", customer = "c 1", attempt = 2);
        let _handler = handler.enter();
        info!(
            order_id = 42,
            note = "two words",
            ok = true,
            ratio = 0.5,
            "order placed"
        );
        error!(reason = ?"quoted", empty = "", "line one\nline two");
    });
    let lines: Vec<String> = capture
        .lines()
        .iter()
        .map(|line| text_without_timestamp(line))
        .collect();
    assert_eq!(
        lines,
        [
            "TS INFO - starting phase=init",
            r#"TS INFO 8476a536-e9f4-11e8-9739-2dfe598c3fcd order placed order_id=42 note="two words" ok=true ratio=0.5 customer="c 1" attempt=2"#,
            r#"TS ERROR 8476a536-e9f4-11e8-9739-2dfe598c3fcd line one\nline two reason="\"quoted\"" empty="" customer="c 1" attempt=2"#,
        ]
    );
}
