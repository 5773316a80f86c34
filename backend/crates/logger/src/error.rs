//! Why the logger could not be configured or installed.

/// Why [`init`](crate::init), [`init_with`](crate::init_with) or a
/// [`LoggerConfig`](crate::LoggerConfig) setter failed.
///
/// `setting` names where the bad value came from: an environment variable
/// (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`, `RUST_LOG`) or the builder
/// method (`LoggerConfig::filter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoggerError {
    /// A global `tracing` subscriber is already installed in this process
    /// (by an earlier `init`, or by another library such as
    /// `lambda_runtime::tracing::init_default_subscriber`).
    #[error(
        "a global tracing subscriber is already installed; call ferrule_logger::init once, \
         first thing in main, and no other subscriber initialiser"
    )]
    AlreadyInitialized,

    /// A log level that is not one of Lambda's.
    #[error(
        "{setting}={value:?} is not a log level: expected TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
    )]
    InvalidLevel {
        /// The environment variable (or builder method) that held the value.
        setting: &'static str,
        /// The value as found.
        value: String,
    },

    /// A log format that is not one of Lambda's.
    #[error("{setting}={value:?} is not a log format: expected JSON or Text")]
    InvalidFormat {
        /// The environment variable that held the value.
        setting: &'static str,
        /// The value as found.
        value: String,
    },

    /// `tracing_subscriber::EnvFilter` directives that do not parse.
    #[error("{setting}={value:?} is not a valid filter (e.g. `info,my_crate=debug`): {reason}")]
    InvalidFilter {
        /// The environment variable (or builder method) that held the value.
        setting: &'static str,
        /// The value as found.
        value: String,
        /// What the directive parser rejected.
        reason: String,
    },
}

/// A bad log level or format is configuration; a second subscriber is a bug in `main`.
impl ferrule_errors::StartupFailure for LoggerError {
    fn error_type(&self) -> &'static str {
        match self {
            LoggerError::AlreadyInitialized => ferrule_errors::INIT_ERROR,
            _ => ferrule_errors::CONFIGURATION_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_setting_and_the_value() {
        let level = LoggerError::InvalidLevel {
            setting: "AWS_LAMBDA_LOG_LEVEL",
            value: "LOUD".into(),
        };
        assert_eq!(
            level.to_string(),
            "AWS_LAMBDA_LOG_LEVEL=\"LOUD\" is not a log level: expected TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
        );
        let format = LoggerError::InvalidFormat {
            setting: "AWS_LAMBDA_LOG_FORMAT",
            value: "xml".into(),
        };
        assert_eq!(
            format.to_string(),
            "AWS_LAMBDA_LOG_FORMAT=\"xml\" is not a log format: expected JSON or Text"
        );
        let filter = LoggerError::InvalidFilter {
            setting: "RUST_LOG",
            value: "a=loud".into(),
            reason: "invalid level".into(),
        };
        assert!(filter
            .to_string()
            .starts_with("RUST_LOG=\"a=loud\" is not a valid filter"));
        assert!(filter.to_string().ends_with("invalid level"));
        assert!(LoggerError::AlreadyInitialized
            .to_string()
            .contains("already installed"));
    }
}
