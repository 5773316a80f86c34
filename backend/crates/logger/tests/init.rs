//! The process-wide subscriber: installed once, a second call is an error, not a panic.
//! (Alone in its test binary: a global subscriber cannot be uninstalled.)

mod common;

use common::{json_without_timestamp, Capture};
use ferrule_logger::{LogFormat, LoggerConfig, LoggerError};

#[test]
fn init_installs_once_then_reports_already_initialized() {
    let capture = Capture::default();
    let config = LoggerConfig::new()
        .format(LogFormat::Json)
        .service("global")
        .writer(capture.clone());
    ferrule_logger::init_with(config).unwrap();

    tracing::info!(n = 1, "from the global subscriber");
    std::thread::spawn(|| tracing::info!(n = 2, "from another thread"))
        .join()
        .unwrap();

    assert_eq!(
        ferrule_logger::init_with(LoggerConfig::new()),
        Err(LoggerError::AlreadyInitialized)
    );
    // `init` reads the environment first; with a usable one it reports the same.
    if LoggerConfig::from_env().is_ok() {
        assert_eq!(ferrule_logger::init(), Err(LoggerError::AlreadyInitialized));
    }

    // A panic is one JSON line with its message and location, not plain text on stderr.
    let panicked = std::thread::spawn(|| {
        let empty: Vec<u8> = Vec::new();
        empty[usize::from(empty.is_empty())]
    })
    .join();
    assert!(panicked.is_err());
    let panic_line = capture.lines().pop().unwrap();
    let panic_json: serde_json::Value = serde_json::from_str(&panic_line).unwrap();
    assert_eq!(panic_json["level"], "ERROR");
    assert_eq!(panic_json["message"], "panicked");
    assert!(panic_json["panic"]
        .as_str()
        .unwrap()
        .contains("index out of bounds"));
    assert!(panic_json["location"]
        .as_str()
        .unwrap()
        .starts_with("crates/logger/tests/init.rs:"));

    let lines: Vec<String> = capture
        .lines()
        .iter()
        .map(|line| json_without_timestamp(line))
        .collect();
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"TS","level":"INFO","message":"from the global subscriber","cold_start":true,"service":"global","n":1}"#,
            r#"{"timestamp":"TS","level":"INFO","message":"from another thread","cold_start":true,"service":"global","n":2}"#,
            json_without_timestamp(&panic_line).as_str(),
        ]
    );
}
