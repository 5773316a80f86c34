//! The moto server for integration tests.
//!
//! Under `npm test` the runner has already started moto and exported `AWS_ENDPOINT_URL`;
//! a plain `cargo test` starts one from the project's `.venv` on a free loopback port,
//! once per test binary, and a watchdog stops it when the test process ends.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;

/// Why moto could not be reached.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MotoError {
    #[error(
        "moto_server not found at {0}; run `npm run setup` (or `npm test`, which starts moto)"
    )]
    NotInstalled(PathBuf),
    #[error("could not start moto_server: {0}")]
    Start(String),
    #[error("moto_server did not answer on {0} within {READY_WITHIN_SECS} s")]
    NotReady(String),
}

/// How long a started moto_server has to answer. Generous: a Python server starting on a loaded
/// 2-core machine (builds running beside the tests) can take well over 20 s, and waiting longer
/// costs a passing run nothing.
const READY_WITHIN_SECS: u64 = 120;

static ENDPOINT: OnceLock<Result<String, MotoError>> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The moto endpoint: `AWS_ENDPOINT_URL` when set, else a server started for this test binary.
pub fn endpoint() -> Result<String, MotoError> {
    ENDPOINT
        .get_or_init(|| match std::env::var("AWS_ENDPOINT_URL") {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => start(),
        })
        .clone()
}

/// An SDK configuration pointed at moto, with test credentials and region eu-west-1.
///
/// ```no_run
/// # async fn example() -> Result<(), ferrule_testkit::moto::MotoError> {
/// let config = ferrule_testkit::moto::sdk_config().await?;
/// // let sqs = aws_sdk_sqs::Client::new(&config);
/// # let _ = config; Ok(())
/// # }
/// ```
pub async fn sdk_config() -> Result<SdkConfig, MotoError> {
    let endpoint = endpoint()?;
    Ok(ferrule_aws::loader()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await)
}

/// A resource name no other test (or test run) uses: isolation without resetting moto.
pub fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}-{nanos:x}", std::process::id())
}

fn start() -> Result<String, MotoError> {
    // The project-local virtualenv of the running checkout (see `crate::backend_dir`), and the
    // launcher every Ferrule tool starts moto with: moto_server with each DynamoDB request
    // atomic, as DynamoDB handles it (toolchain/moto/serve.py says why).
    let root = crate::backend_dir().join("..");
    let bin = root.join(".venv/bin/moto_server");
    if !bin.exists() {
        return Err(MotoError::NotInstalled(bin));
    }
    let python = root.join(".venv/bin/python");
    let launcher = root.join("toolchain/moto/serve.py");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| MotoError::Start(e.to_string()))?;
    // The shell keeps moto alive only while this test process lives.
    let script = format!(
        "\"$0\" \"$1\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $m",
        pid = std::process::id()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&python)
        .arg(&launcher)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| MotoError::Start(e.to_string()))?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(READY_WITHIN_SECS) {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(format!("http://{address}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(MotoError::NotReady(format!("http://{address}")))
}
