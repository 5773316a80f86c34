//! Every SSM call Ferrule makes becomes an X-Ray subsegment of the sampled invocation:
//! a fake daemon on loopback receives the document. (Its own test binary: it sets the
//! daemon address before the process's tracer reads it.) The trace header is the
//! invocation's, scoped around the call as a handler scopes `Context::xray_trace_id`;
//! nothing is read from `_X_AMZN_TRACE_ID`.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::UdpSocket;
use std::time::Duration;

use ferrule_parameters::{ParameterStore, SsmStore};
use ferrule_testkit::moto;
use ferrule_tracer::TraceHeader;
use serde_json::Value;

#[tokio::test]
async fn ssm_calls_become_xray_subsegments() {
    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    daemon
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    std::env::set_var(
        "AWS_XRAY_DAEMON_ADDRESS",
        daemon.local_addr().unwrap().to_string(),
    );
    let invocation = TraceHeader::parse(
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    .unwrap();

    let store = SsmStore::from_conf(&moto::sdk_config().await.unwrap());
    let name = format!("/{}", moto::unique_name("traced"));
    let fetched = invocation
        .scope(store.get_parameters(std::slice::from_ref(&name)))
        .await
        .unwrap();
    assert_eq!(fetched.missing.len(), 1);

    let mut buffer = vec![0_u8; 65_536];
    let (size, _) = daemon.recv_from(&mut buffer).expect("a segment document");
    let packet = String::from_utf8_lossy(&buffer[..size]).to_string();
    let (header, body) = packet.split_once('\n').unwrap();
    let header: Value = serde_json::from_str(header).unwrap();
    assert_eq!(header["format"], "json");
    let document: Value = serde_json::from_str(body).unwrap();
    assert_eq!(document["type"], "subsegment");
    assert_eq!(document["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
    assert_eq!(document["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(document["namespace"], "aws");
    assert_eq!(document["aws"]["operation"], "GetParameters");
    assert_eq!(document["http"]["response"]["status"], 200);
}
