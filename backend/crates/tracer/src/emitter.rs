//! Sends documents to the X-Ray daemon over UDP.
//!
//! No maintained X-Ray SDK exists for Rust, and OpenTelemetry's X-Ray exporter would
//! bring a whole telemetry pipeline for what is one datagram per subsegment, so this
//! speaks the daemon's protocol directly: a UDP packet holding the header line
//! `{"format": "json", "version": 1}` and the segment document.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::OnceLock;

#[derive(Debug)]
pub(crate) struct Emitter {
    daemon: SocketAddr,
    /// Bound on the first send, not at init; `None` if binding failed (then nothing
    /// is ever sent, rather than retrying a bind on every subsegment).
    socket: OnceLock<Option<UdpSocket>>,
}

impl Emitter {
    pub(crate) fn new(daemon: SocketAddr) -> Emitter {
        Emitter {
            daemon,
            socket: OnceLock::new(),
        }
    }

    /// Sends one packet. Never blocks (the socket is non-blocking) and never fails:
    /// losing a trace document must not fail or slow the invocation.
    pub(crate) fn send(&self, packet: &[u8]) {
        let Some(socket) = self.socket.get_or_init(|| bind(self.daemon)) else {
            return;
        };
        if let Err(error) = socket.send_to(packet, self.daemon) {
            tracing::debug!(target: "ferrule_tracer", daemon = %self.daemon, %error, bytes = packet.len(), "X-Ray document not sent");
        }
    }
}

fn bind(daemon: SocketAddr) -> Option<UdpSocket> {
    let local: SocketAddr = match daemon {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).and_then(|socket| {
        socket.set_nonblocking(true)?;
        Ok(socket)
    });
    match socket {
        Ok(socket) => Some(socket),
        Err(error) => {
            tracing::debug!(target: "ferrule_tracer", %error, "cannot open a UDP socket for X-Ray; tracing is off");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sends_the_packet_as_one_datagram() {
        let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
        daemon
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let emitter = Emitter::new(daemon.local_addr().unwrap());
        emitter.send(b"one");
        emitter.send(b"two");
        let mut buf = [0_u8; 16];
        let n = daemon.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"one");
        let n = daemon.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
    }

    #[test]
    fn the_socket_is_opened_on_first_send_only() {
        let emitter = Emitter::new("127.0.0.1:9".parse().unwrap());
        assert!(emitter.socket.get().is_none());
        emitter.send(b"x");
        assert!(matches!(emitter.socket.get(), Some(Some(_))));
    }

    #[test]
    fn a_datagram_too_large_to_send_is_dropped_quietly() {
        let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
        let emitter = Emitter::new(daemon.local_addr().unwrap());
        // Over the 65,507-byte UDP payload limit: send_to fails with EMSGSIZE.
        emitter.send(&vec![b'x'; 70_000]);
        emitter.send(b"after");
        daemon
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0_u8; 16];
        let n = daemon.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after");
    }
}
