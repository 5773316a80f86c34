//! Mean cost of one logged event with fields, inside an invocation span and a
//! handler span, as the README quotes it.
//!
//! ```sh
//! cargo run -p ferrule-logger --example overhead --release            # formatting only (io::sink)
//! cargo run -p ferrule-logger --example overhead --release -- stdout > /dev/null   # plus the write(2)
//! ```

use std::hint::black_box;
use std::io;
use std::time::Instant;

use ferrule_logger::{LogFormat, LoggerConfig};
use tracing::{info, info_span};

const EVENTS: u32 = 200_000;

fn measure<W>(format: LogFormat, writer: W) -> f64
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let config = LoggerConfig::new()
        .format(format)
        .service("orders")
        .function_name("orders-api")
        .function_version("$LATEST")
        .writer(writer);
    tracing::subscriber::with_default(config.into_subscriber(), || {
        let invoke = info_span!(
            "Lambda runtime invoke",
            requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
            xrayTraceId =
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
        let _invoke = invoke.enter();
        let handler = info_span!("handler", customer_id = "c-123");
        let _handler = handler.enter();
        let log = |i: u32| {
            info!(
                order_id = black_box(i),
                total = 19.99,
                express = true,
                sku = "SKU-42",
                "order placed"
            )
        };
        // Warm up the thread-local buffer and callsite caches.
        (0..1_000).for_each(log);
        let start = Instant::now();
        (0..EVENTS).for_each(log);
        start.elapsed().as_nanos() as f64 / f64::from(EVENTS)
    })
}

/// Mean cost of opening and closing lambda_runtime's invocation span (once per invocation).
fn measure_invocation_span() -> f64 {
    let config = LoggerConfig::new().format(LogFormat::Json).writer(io::sink);
    tracing::subscriber::with_default(config.into_subscriber(), || {
        let open = || {
            let span = info_span!(
                "Lambda runtime invoke",
                requestId = black_box("8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
                xrayTraceId =
                    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            );
            drop(span.enter());
        };
        (0..1_000).for_each(|_| open());
        let start = Instant::now();
        (0..EVENTS).for_each(|_| open());
        start.elapsed().as_nanos() as f64 / f64::from(EVENTS)
    })
}

fn main() {
    eprintln!(
        "invocation span: {:.0} ns to open, enter and close",
        measure_invocation_span()
    );
    let to_stdout = std::env::args().any(|arg| arg == "stdout");
    for format in [LogFormat::Json, LogFormat::Text] {
        let mean = if to_stdout {
            measure(format, io::stdout)
        } else {
            measure(format, io::sink)
        };
        eprintln!(
            "{format:?}: {mean:.0} ns per event (4 fields + message + 1 span field), writer: {}",
            if to_stdout { "stdout" } else { "io::sink" }
        );
    }
}
