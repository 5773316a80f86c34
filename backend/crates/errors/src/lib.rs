//! One classification for every error a Ferrule function can return.
//!
//! Domain and adapter errors implement [`Classify`]; the edges map the [`ErrorKind`]
//! to what the caller sees: an HTTP status for API routes, a Lambda `errorType`
//! (`Validation`, `Retryable`, `NonRetryable`, ...) for everything else, so dashboards
//! and retry policies can tell a bad request from a downstream outage.
//!
//! ```
//! use ferrule_errors::{Classify, ErrorKind, FunctionError};
//!
//! #[derive(Debug, thiserror::Error)]
//! enum CancelError {
//!     #[error("order {0} not found")]
//!     NotFound(String),
//!     #[error("order {0} has shipped and can no longer be cancelled")]
//!     AlreadyShipped(String),
//! }
//!
//! impl Classify for CancelError {
//!     fn kind(&self) -> ErrorKind {
//!         match self {
//!             CancelError::NotFound(_) => ErrorKind::NotFound,
//!             CancelError::AlreadyShipped(_) => ErrorKind::Conflict,
//!         }
//!     }
//! }
//!
//! let error = CancelError::AlreadyShipped("o-1".into());
//! assert_eq!(error.kind().http_status(), 409);
//! let diagnostic: lambda_runtime::Diagnostic = FunctionError::from_classified(&error).into();
//! assert_eq!(diagnostic.error_type, "Conflict");
//! ```

use std::fmt;

use lambda_runtime::Diagnostic;

mod init;
pub use init::{init_error_body, init_or_exit, StartupFailure, CONFIGURATION_ERROR, INIT_ERROR};

/// What went wrong, as far as the caller and the platform need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is malformed or breaks a rule; retrying the same input fails again.
    Validation,
    /// No valid identity (missing or unusable claims).
    Unauthorized,
    /// The identity may not do this.
    Forbidden,
    /// The thing asked for does not exist (or is not visible to the caller).
    NotFound,
    /// The request conflicts with the current state (e.g. cancel after shipping).
    Conflict,
    /// The body is larger than the function accepts.
    PayloadTooLarge,
    /// The body is in a media type the function does not accept.
    UnsupportedMediaType,
    /// A dependency failed in a way that may succeed later (5xx, timeout, throttling).
    Retryable,
    /// A failure that retrying will not fix and that is not the caller's input.
    NonRetryable,
}

impl ErrorKind {
    /// The Lambda `errorType` for this kind.
    pub const fn error_type(self) -> &'static str {
        match self {
            ErrorKind::Validation => "Validation",
            ErrorKind::Unauthorized => "Unauthorized",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::PayloadTooLarge => "PayloadTooLarge",
            ErrorKind::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorKind::Retryable => "Retryable",
            ErrorKind::NonRetryable => "NonRetryable",
        }
    }

    /// The HTTP status an API route answers with.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::Validation => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Retryable => 503,
            ErrorKind::NonRetryable => 500,
        }
    }

    /// Whether the platform retrying the same input may succeed.
    pub const fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Retryable)
    }

    /// Whether the caller caused it (an HTTP 4xx).
    pub const fn is_client_error(self) -> bool {
        !matches!(self, ErrorKind::Retryable | ErrorKind::NonRetryable)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error_type())
    }
}

/// Implemented by every error type a handler can meet.
pub trait Classify {
    fn kind(&self) -> ErrorKind;
}

impl Classify for ErrorKind {
    fn kind(&self) -> ErrorKind {
        *self
    }
}

/// The error a handler returns to the runtime: a kind and a message that is safe to show.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FunctionError {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl FunctionError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Keeps the cause for logs; the message stays what the caller may see.
    pub fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> FunctionError {
        self.source = Some(Box::new(source));
        self
    }

    /// From any classified error, with its `Display` as the message.
    pub fn from_classified<E: Classify + fmt::Display + ?Sized>(error: &E) -> Self {
        Self::new(error.kind(), error.to_string())
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Retryable, message)
    }

    pub fn non_retryable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NonRetryable, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Classify for FunctionError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Self {
        Diagnostic {
            error_type: error.kind.error_type().to_owned(),
            error_message: error.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorKind; 9] = [
        ErrorKind::Validation,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::PayloadTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::Retryable,
        ErrorKind::NonRetryable,
    ];

    #[test]
    fn only_dependency_failures_are_5xx() {
        for kind in ALL {
            let status = kind.http_status();
            assert_eq!(
                kind.is_client_error(),
                (400..500).contains(&status),
                "{kind}"
            );
        }
        assert_eq!(ErrorKind::Retryable.http_status(), 503);
        assert_eq!(ErrorKind::NonRetryable.http_status(), 500);
    }

    #[test]
    fn only_retryable_is_retryable() {
        let retryable: Vec<_> = ALL.into_iter().filter(|k| k.is_retryable()).collect();
        assert_eq!(retryable, vec![ErrorKind::Retryable]);
    }

    #[test]
    fn diagnostic_carries_kind_and_message_but_not_the_source() {
        let io = std::io::Error::other("connection reset by 10.0.0.7");
        let error = FunctionError::retryable("shipping provider unavailable").with_source(io);
        assert!(std::error::Error::source(&error).is_some());
        let diagnostic: Diagnostic = error.into();
        assert_eq!(diagnostic.error_type, "Retryable");
        assert_eq!(diagnostic.error_message, "shipping provider unavailable");
    }
}
