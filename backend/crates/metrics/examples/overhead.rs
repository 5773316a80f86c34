//! Mean cost of one invocation's metrics: record 5 metrics, then flush one EMF document.
//!
//! Run with `cargo run -p ferrule-metrics --release --example overhead`. Output goes to
//! `io::sink()` so the figure is the library's work (validation, recording,
//! serialisation), not the cost of the pipe Lambda puts behind stdout.

use std::hint::black_box;
use std::io;
use std::time::Instant;

use ferrule_metrics::{Metrics, MetricsError, Unit};

const WARM_UP: u32 = 10_000;
const ITERATIONS: u32 = 200_000;

fn record_five(metrics: &Metrics, i: u32) -> Result<(), MetricsError> {
    metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
    metrics.add_metric("OrderValue", Unit::NoUnit, f64::from(i % 500) * 1.5)?;
    metrics.add_metric("Latency", Unit::Milliseconds, f64::from(i % 97))?;
    metrics.add_metric("PayloadSize", Unit::Bytes, 2048)?;
    metrics.add_metric("ItemsInCart", Unit::Count, i % 7)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let metrics = Metrics::builder()
        .namespace("Overhead")
        .service("bench")
        .capture_cold_start(false)
        .writer(io::sink())
        .build()?;

    // Direct: record on the handle, then flush.
    for i in 0..WARM_UP {
        record_five(&metrics, i)?;
        metrics.flush()?;
    }
    let started = Instant::now();
    for i in 0..ITERATIONS {
        record_five(black_box(&metrics), i)?;
        metrics.flush()?;
    }
    let direct = started.elapsed() / ITERATIONS;

    // Wrapped: the same inside flush_after, as a function does it (plus one dimension).
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let handle = &metrics;
    let invocation = |i: u32| {
        handle.flush_after(async move {
            handle.add_dimension("channel", "web")?;
            record_five(handle, i)
        })
    };
    for i in 0..WARM_UP {
        runtime.block_on(invocation(i))?;
    }
    let started = Instant::now();
    for i in 0..ITERATIONS {
        runtime.block_on(invocation(black_box(i)))?;
    }
    let wrapped = started.elapsed() / ITERATIONS;

    println!("record 5 metrics + flush (direct):        {direct:?} per invocation");
    println!("flush_after invocation (5 metrics + dim): {wrapped:?} per invocation");
    Ok(())
}
