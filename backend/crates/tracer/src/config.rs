//! Where documents go and whether they are sent, read once at start-up.

use std::net::{SocketAddr, ToSocketAddrs};

/// The daemon address when `AWS_XRAY_DAEMON_ADDRESS` is not set.
pub const DEFAULT_DAEMON_ADDRESS: &str = "127.0.0.1:2000";

/// Set by Lambda to the address of its X-Ray daemon.
pub const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// Powertools' switch to turn tracing off (`true`, case-insensitive).
pub const TRACE_DISABLED_ENV: &str = "POWERTOOLS_TRACE_DISABLED";

/// Powertools' service name: the `Service` annotation and the default metadata namespace.
pub const SERVICE_NAME_ENV: &str = "POWERTOOLS_SERVICE_NAME";

/// The region Lambda runs in; the fallback region of AWS SDK subsegments.
pub const REGION_ENV: &str = "AWS_REGION";

/// Why the tracer's configuration is unusable. Each message names the variable and value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `AWS_XRAY_DAEMON_ADDRESS` is not `host:port` nor `udp:host:port tcp:host:port`.
    #[error("AWS_XRAY_DAEMON_ADDRESS `{value}` is invalid: {reason}")]
    InvalidDaemonAddress {
        /// The value as configured.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What a [`Tracer`](crate::Tracer) is built from.
///
/// ```
/// use ferrule_tracer::TracerConfig;
///
/// let config = TracerConfig::from_lookup(|name| match name {
///     "AWS_XRAY_DAEMON_ADDRESS" => Some("udp:127.0.0.1:3000 tcp:127.0.0.1:2000".into()),
///     "POWERTOOLS_SERVICE_NAME" => Some("orders".into()),
///     _ => None,
/// })?;
/// assert_eq!(config.daemon.port(), 3000);
/// assert_eq!(config.service.as_deref(), Some("orders"));
/// assert!(config.enabled);
/// # Ok::<(), ferrule_tracer::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracerConfig {
    /// The daemon's UDP address.
    pub daemon: SocketAddr,
    /// `false` sends nothing at all (`POWERTOOLS_TRACE_DISABLED=true`).
    pub enabled: bool,
    /// The service name (`POWERTOOLS_SERVICE_NAME`).
    pub service: Option<String>,
    /// The region recorded on AWS SDK subsegments when the endpoint does not name one.
    pub region: Option<String>,
}

impl TracerConfig {
    /// A configuration sending to `daemon`, enabled, with no service name or region.
    pub fn new(daemon: SocketAddr) -> TracerConfig {
        TracerConfig {
            daemon,
            enabled: true,
            service: None,
            region: None,
        }
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<TracerConfig, ConfigError> {
        TracerConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (an environment variable by name):
    /// `AWS_XRAY_DAEMON_ADDRESS`, `POWERTOOLS_TRACE_DISABLED`,
    /// `POWERTOOLS_SERVICE_NAME`, `AWS_REGION`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<TracerConfig, ConfigError> {
        let daemon = match lookup(DAEMON_ADDRESS_ENV) {
            Some(value) => parse_daemon_address(&value)?,
            None => parse_daemon_address(DEFAULT_DAEMON_ADDRESS)?,
        };
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(TracerConfig {
            daemon,
            enabled: !lookup(TRACE_DISABLED_ENV)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            service: non_empty(SERVICE_NAME_ENV),
            region: non_empty(REGION_ENV),
        })
    }
}

/// Parses `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `udp:host:port tcp:host:port`
/// (either order) of which only the UDP address is used (TCP serves sampling rules,
/// which Lambda decides for us).
///
/// A host name is resolved once, here.
///
/// ```
/// use ferrule_tracer::parse_daemon_address;
///
/// assert_eq!(parse_daemon_address("169.254.79.129:2000")?.to_string(), "169.254.79.129:2000");
/// assert!(parse_daemon_address("udp:127.0.0.1").is_err());
/// # Ok::<(), ferrule_tracer::ConfigError>(())
/// ```
pub fn parse_daemon_address(value: &str) -> Result<SocketAddr, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidDaemonAddress {
        value: value.to_owned(),
        reason,
    };
    let parts: Vec<&str> = value.split_whitespace().collect();
    let udp = match parts.as_slice() {
        [] => return Err(invalid("it is empty".into())),
        [single] => match single.split_once(':') {
            Some(("udp", rest)) => rest,
            Some(("tcp", _)) => {
                return Err(invalid("it has a TCP address but no `udp:` address".into()))
            }
            _ => single,
        },
        [first, second] => {
            let mut udp = None;
            let mut tcp = None;
            for part in [first, second] {
                match part.split_once(':') {
                    Some(("udp", rest)) if udp.is_none() => udp = Some(rest),
                    Some(("tcp", rest)) if tcp.is_none() => tcp = Some(rest),
                    _ => {
                        return Err(invalid(format!(
                            "`{part}` is not `udp:host:port` or `tcp:host:port` (each once)"
                        )))
                    }
                }
            }
            match (udp, tcp) {
                (Some(udp), Some(tcp)) => {
                    resolve(tcp).map_err(|reason| invalid(format!("TCP address: {reason}")))?;
                    udp
                }
                _ => return Err(invalid("it needs one `udp:` and one `tcp:` address".into())),
            }
        }
        _ => {
            return Err(invalid(
                "expected `host:port` or `udp:host:port tcp:host:port`".into(),
            ))
        }
    };
    resolve(udp).map_err(invalid)
}

fn resolve(host_port: &str) -> Result<SocketAddr, String> {
    let (host, port) = host_port
        .rsplit_once(':')
        .ok_or_else(|| format!("`{host_port}` has no `:port`"))?;
    if host.is_empty() {
        return Err(format!("`{host_port}` has no host"));
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("port `{port}` is not a number from 1 to 65535"))?;
    if let Ok(addr) = host_port.parse::<SocketAddr>() {
        return Ok(addr);
    }
    (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("host `{host}` does not resolve: {e}"))?
        .next()
        .ok_or_else(|| format!("host `{host}` resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str) -> String {
        match parse_daemon_address(value) {
            Err(ConfigError::InvalidDaemonAddress { value: v, reason }) => {
                assert_eq!(v, value);
                reason
            }
            Ok(addr) => panic!("{value:?} parsed as {addr}"),
        }
    }

    #[test]
    fn parses_host_port() {
        assert_eq!(
            parse_daemon_address("169.254.79.129:2000").unwrap(),
            "169.254.79.129:2000".parse().unwrap()
        );
        assert_eq!(
            parse_daemon_address("[::1]:2000").unwrap(),
            "[::1]:2000".parse().unwrap()
        );
        assert_eq!(parse_daemon_address("localhost:2000").unwrap().port(), 2000);
        assert_eq!(
            parse_daemon_address(" 127.0.0.1:2000 ").unwrap().port(),
            2000
        );
    }

    #[test]
    fn parses_udp_and_tcp_pairs_in_either_order() {
        let udp: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            parse_daemon_address("udp:127.0.0.1:3000 tcp:127.0.0.2:2000").unwrap(),
            udp
        );
        assert_eq!(
            parse_daemon_address("tcp:127.0.0.2:2000 udp:127.0.0.1:3000").unwrap(),
            udp
        );
        assert_eq!(parse_daemon_address("udp:127.0.0.1:3000").unwrap(), udp);
    }

    #[test]
    fn rejects_empty_values() {
        assert!(reason("").contains("empty"));
        assert!(reason("   ").contains("empty"));
    }

    #[test]
    fn rejects_missing_or_bad_ports() {
        assert!(reason("127.0.0.1").contains("no `:port`"));
        assert!(reason("127.0.0.1:http").contains("port `http`"));
        assert!(reason("127.0.0.1:0").contains("port `0`"));
        assert!(reason("127.0.0.1:70000").contains("port `70000`"));
        assert!(reason(":2000").contains("no host"));
    }

    #[test]
    fn rejects_bad_pairs() {
        assert!(reason("tcp:127.0.0.1:2000").contains("no `udp:`"));
        assert!(reason("udp:127.0.0.1:2000 udp:127.0.0.1:2001").contains("each once"));
        assert!(reason("udp:127.0.0.1:2000 127.0.0.1:2001").contains("`127.0.0.1:2001`"));
        assert!(reason("udp:127.0.0.1:2000 tcp:127.0.0.1").contains("TCP address"));
        assert!(reason("a:1 b:2 c:3").contains("expected"));
    }

    #[test]
    fn rejects_unresolvable_hosts() {
        // A NUL byte fails resolution before any DNS query: no traffic, no flakiness.
        assert!(reason("bad\0host:2000").contains("does not resolve"));
    }

    #[test]
    fn error_message_names_variable_and_value() {
        let error = parse_daemon_address("nonsense").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("AWS_XRAY_DAEMON_ADDRESS `nonsense` is invalid"),
            "{message}"
        );
    }

    #[test]
    fn reads_every_variable_through_the_lookup() {
        let config = TracerConfig::from_lookup(|name| match name {
            DAEMON_ADDRESS_ENV => Some("127.0.0.1:4000".into()),
            TRACE_DISABLED_ENV => Some(" TRUE ".into()),
            SERVICE_NAME_ENV => Some("orders".into()),
            REGION_ENV => Some("eu-west-1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.daemon.port(), 4000);
        assert!(!config.enabled);
        assert_eq!(config.service.as_deref(), Some("orders"));
        assert_eq!(config.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn defaults_without_variables() {
        let config = TracerConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config, TracerConfig::new("127.0.0.1:2000".parse().unwrap()));
    }

    #[test]
    fn blank_service_and_other_disabled_values_are_ignored() {
        let config = TracerConfig::from_lookup(|name| match name {
            TRACE_DISABLED_ENV => Some("false".into()),
            SERVICE_NAME_ENV => Some("  ".into()),
            _ => None,
        })
        .unwrap();
        assert!(config.enabled);
        assert_eq!(config.service, None);
    }

    #[test]
    fn invalid_daemon_address_fails_construction() {
        let error = TracerConfig::from_lookup(|name| {
            (name == DAEMON_ADDRESS_ENV).then(|| "udp:".to_string())
        })
        .unwrap_err();
        assert!(error.to_string().contains("`udp:`"), "{error}");
    }
}
