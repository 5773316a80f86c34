//! A `Sensitive` value never reaches a log line, in either format.

mod common;

use common::Capture;
use ferrule_logger::{LogFormat, LoggerConfig};
use ferrule_sensitive::Sensitive;
use tracing::{info, info_span};

const SECRET: &str = "hunter2-very-secret";

// Read only through Debug, which is the point.
#[allow(dead_code)]
#[derive(Debug)]
struct DbConfig {
    user: String,
    password: Sensitive<String>,
}

fn log_secrets(format: LogFormat) -> Vec<String> {
    let capture = Capture::default();
    let config = LoggerConfig::new().format(format).writer(capture.clone());
    tracing::subscriber::with_default(config.into_subscriber(), || {
        let password = Sensitive::from(SECRET.to_owned());
        let db = DbConfig {
            user: "app".into(),
            password: password.clone(),
        };
        let span = info_span!("connect", secret = ?password);
        span.in_scope(|| {
            info!(password = ?password, shown = %password, config = ?db, "connecting as {}", db.user);
            info!("password is {password}");
        });
    });
    capture.lines()
}

#[test]
fn a_sensitive_value_never_appears_in_a_json_line() {
    let lines = log_secrets(LogFormat::Json);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert!(!line.contains(SECRET), "{line}");
    }
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["message"], "connecting as app");
    // A field named like a credential is redacted by name, whatever its type.
    assert_eq!(first["password"], ferrule_logger::REDACTED);
    assert_eq!(first["shown"], "***");
    assert_eq!(
        first["config"],
        r#"DbConfig { user: "app", password: *** }"#
    );
    assert_eq!(first["secret"], ferrule_logger::REDACTED);
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second["message"], "password is ***");
}

#[test]
fn a_sensitive_value_never_appears_in_a_text_line() {
    let lines = log_secrets(LogFormat::Text);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert!(!line.contains(SECRET), "{line}");
        assert!(line.contains("***"), "{line}");
    }
}
