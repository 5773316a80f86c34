//! Mean cost of one subsegment, sampled and unsampled.
//!
//! `cargo run --release -p ferrule-tracer --example tracer_overhead`
//!
//! The daemon is a UDP socket on 127.0.0.1 drained by a thread, so sends succeed as
//! they do in Lambda rather than failing fast on a full buffer.

use std::convert::Infallible;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use ferrule_tracer::{TraceHeader, Tracer, TracerConfig};
use tracing_subscriber::layer::SubscriberExt;

const ITERATIONS: u32 = 50_000;
const ROOT: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let daemon = UdpSocket::bind("127.0.0.1:0")?;
    daemon.set_read_timeout(Some(Duration::from_millis(500)))?;
    let daemon_addr = daemon.local_addr()?;
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0_u8; 65_536];
        let mut received = 0_u64;
        while daemon.recv(&mut buf).is_ok() {
            received += 1;
        }
        received
    });

    let tracer = Tracer::new(TracerConfig::new(daemon_addr));
    let subscriber = tracing_subscriber::registry().with(tracer.layer());
    let _default = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;

    let sampled = TraceHeader::parse(&format!("{ROOT};Sampled=1"))?;
    let unsampled = TraceHeader::parse(&format!("{ROOT};Sampled=0"))?;

    let baseline = runtime.block_on(sampled.clone().scope(async {
        measure(|| async {
            std::hint::black_box(1_u32);
            Ok::<_, Infallible>(())
        })
        .await
    }));
    let closure = |header: TraceHeader| {
        let tracer = tracer.clone();
        runtime.block_on(header.scope(async move {
            measure(|| {
                tracer.in_subsegment("charge", |seg| async move {
                    seg.annotate("order_id", "o-42");
                    Ok::<_, Infallible>(())
                })
            })
            .await
        }))
    };
    let closure_unsampled = closure(unsampled.clone());
    let closure_sampled = closure(sampled.clone());
    let span = |header: TraceHeader| {
        runtime.block_on(header.scope(async {
            measure(|| async {
                let span = tracing::info_span!("charge", xray = true, annotation.order_id = "o-42");
                drop(span.enter());
                Ok::<_, Infallible>(())
            })
            .await
        }))
    };
    let span_unsampled = span(unsampled);
    let span_sampled = span(sampled);
    // What one datagram costs by itself, for comparison with the sampled rows.
    let sender = UdpSocket::bind("127.0.0.1:0")?;
    sender.set_nonblocking(true)?;
    let datagram = [b'x'; 400];
    let raw_send = runtime.block_on(measure(|| {
        let _ = sender.send_to(&datagram, daemon_addr);
        async { Ok::<_, Infallible>(()) }
    }));

    println!("mean cost per subsegment over {ITERATIONS} iterations (ns):");
    println!("  baseline (no tracing)              {baseline:>8.0}");
    println!(
        "  in_subsegment, Sampled=0           {:>8.0}",
        closure_unsampled - baseline
    );
    println!(
        "  in_subsegment, Sampled=1 (sent)    {:>8.0}",
        closure_sampled - baseline
    );
    println!(
        "  xray span, Sampled=0               {:>8.0}",
        span_unsampled - baseline
    );
    println!(
        "  xray span, Sampled=1 (sent)        {:>8.0}",
        span_sampled - baseline
    );
    println!("  reference: one bare UDP send       {raw_send:>8.0}");
    drop(_default);
    println!(
        "datagrams received by the fake daemon: {}",
        drain.join().unwrap_or(0)
    );
    Ok(())
}

/// Mean nanoseconds of one `op().await`, after a warm-up.
async fn measure<F, Fut>(mut op: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Infallible>>,
{
    for _ in 0..1_000 {
        let _ = op().await;
    }
    let start = Instant::now();
    for _ in 0..ITERATIONS {
        let _ = op().await;
    }
    start.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
}
