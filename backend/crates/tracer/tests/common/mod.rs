//! A fake X-Ray daemon: a UDP socket on 127.0.0.1 that parses what it receives.

#![allow(dead_code)]
// each test binary uses a different part
// Test support: a failed set-up or an unexpected packet should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket;
use std::time::Duration;

use ferrule_tracer::{TraceHeader, Tracer, TracerConfig};
use serde_json::Value;

pub const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
pub const LAMBDA_PARENT: &str = "53995c3f42cd8ad8";

pub fn header(sampled: &str) -> TraceHeader {
    TraceHeader::parse(&format!(
        "Root={ROOT};Parent={LAMBDA_PARENT};Sampled={sampled}"
    ))
    .unwrap()
}

pub struct FakeDaemon {
    socket: UdpSocket,
}

impl FakeDaemon {
    pub fn start() -> FakeDaemon {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        FakeDaemon { socket }
    }

    /// Waits up to `timeout` for each document instead of 5 s: for a reader that runs beside
    /// many invocations on a loaded machine (a guard against waiting forever, not a speed check).
    pub fn patient(self, timeout: Duration) -> FakeDaemon {
        self.socket.set_read_timeout(Some(timeout)).unwrap();
        self
    }

    pub fn config(&self) -> TracerConfig {
        TracerConfig::new(self.socket.local_addr().unwrap())
    }

    pub fn tracer(&self) -> Tracer {
        Tracer::new(self.config())
    }

    /// The next document: checks the protocol header line, returns the parsed JSON.
    pub fn next(&self) -> Value {
        let mut buf = vec![0_u8; 65_536];
        let n = self
            .socket
            .recv(&mut buf)
            .expect("a document within the read timeout");
        let packet = std::str::from_utf8(&buf[..n]).unwrap();
        let (header, body) = packet.split_once('\n').expect("header line");
        assert_eq!(
            serde_json::from_str::<Value>(header).unwrap(),
            serde_json::json!({"format": "json", "version": 1})
        );
        assert_eq!(header, r#"{"format": "json", "version": 1}"#);
        let doc: Value = serde_json::from_str(body).unwrap();
        assert_eq!(doc["type"], "subsegment", "{doc}");
        assert_eq!(doc["id"].as_str().unwrap().len(), 16, "{doc}");
        let (start, end) = (
            doc["start_time"].as_f64().unwrap(),
            doc["end_time"].as_f64().unwrap(),
        );
        assert!(start > 1.6e9 && end >= start, "{doc}");
        doc
    }

    /// Asserts that nothing was sent before a sentinel subsegment that `send_sentinel`
    /// sends (sampled): no reliance on timeouts to prove an absence.
    pub async fn assert_nothing_before_sentinel(&self) {
        let tracer = self.tracer();
        header("1")
            .scope(tracer.in_subsegment("sentinel", |_| async {
                Ok::<_, std::convert::Infallible>(())
            }))
            .await
            .unwrap();
        assert_eq!(self.next()["name"], "sentinel");
    }
}

pub fn id(doc: &Value) -> &str {
    doc["id"].as_str().unwrap()
}
