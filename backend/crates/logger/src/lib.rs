//! Structured logging for Ferrule functions: `tracing` events written as one
//! CloudWatch-ready line each, in Lambda's JSON log format plus the keys
//! Powertools users query.
//!
//! Call [`init`] first thing in `main`; then log with `tracing`'s macros.
//!
//! ```no_run
//! # async fn handler(_: lambda_runtime::LambdaEvent<serde_json::Value>) -> Result<(), lambda_runtime::Error> { Ok(()) }
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     ferrule_logger::init()?;
//!     tracing::info!(order_id = 42, total = 9.5, "order placed");
//!     lambda_runtime::run(lambda_runtime::service_fn(handler)).await
//! }
//! ```
//!
//! # Configuration (read once, by [`init`])
//!
//! | variable | effect |
//! | --- | --- |
//! | `AWS_LAMBDA_LOG_FORMAT` | `JSON` or `Text` (any case); unset → Text, as Lambda |
//! | `AWS_LAMBDA_LOG_LEVEL` | `TRACE` `DEBUG` `INFO` `WARN` `ERROR` `FATAL` (= `ERROR`); unset → `INFO` |
//! | `RUST_LOG` | `EnvFilter` directives (`info,my_crate=debug,aws_smithy=warn`); replaces `AWS_LAMBDA_LOG_LEVEL` |
//! | `FERRULE_SERVICE_NAME`, `POWERTOOLS_SERVICE_NAME`, `AWS_LAMBDA_FUNCTION_NAME` | `service`, first one set; else `service_undefined` |
//! | `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_VERSION` | `function_name`, `function_version` |
//!
//! An invalid format, level or filter is a [`LoggerError`] naming the variable
//! and the value. An empty variable counts as unset.
//!
//! # JSON lines
//!
//! One object per line on stdout, no ANSI, keys in this order:
//!
//! | key | value | when |
//! | --- | --- | --- |
//! | `timestamp` | RFC 3339 UTC, milliseconds, `Z`: `2024-05-01T12:00:00.123Z` | always |
//! | `level` | `TRACE` `DEBUG` `INFO` `WARN` `ERROR` | always |
//! | `message` | the event's message | if it has one |
//! | `requestId` | `Context::request_id` of the invocation | inside an invocation |
//! | `traceId` | the `Root` of the X-Ray trace header: `1-5759e988-bd862e3fe1be46a994272793` | inside a traced invocation |
//! | `tenantId` | the tenant of a tenant-isolated function | when Lambda sends one |
//! | `function_name` | `AWS_LAMBDA_FUNCTION_NAME` | if set |
//! | `function_version` | `AWS_LAMBDA_FUNCTION_VERSION` | if set |
//! | `cold_start` | `true` during init and the process's first invocation, then `false` | always |
//! | `service` | see Configuration | always |
//! | the event's fields | under their own names; integers, floats and booleans stay JSON numbers and booleans, `?debug`, `%display` and errors become strings | always |
//! | the enclosing spans' fields | innermost span first | see below |
//!
//! A key without a value is left out, never written as `null`. A field named like
//! one of the keys above is written as `field_<name>` (e.g. `field_level`).
//! Non-finite floats are written as the strings `"NaN"`, `"inf"`, `"-inf"`, and
//! integers that do not fit in 64 bits as decimal strings.
//!
//! **Span fields rule:** every span enclosing the event (the current span and its
//! parents, as `tracing` sees them) contributes the fields it has recorded so far
//! (at creation or later with `Span::record`; `field::Empty` fields not yet
//! recorded are left out). A name already written (by the event, or by an inner
//! span) is skipped, so the event wins over spans and inner spans over outer ones.
//! The invocation span of `lambda_runtime` contributes only `requestId`,
//! `traceId` and `tenantId`.
//!
//! # Text lines
//!
//! `<timestamp> <LEVEL> <requestId> <message> key=value ...`, one line per event
//! (newlines in the message are written as `\n`). `requestId` is `-` outside an
//! invocation. Values are bare when they are one word, else quoted and escaped
//! like Rust strings. The fields are the event's then the spans', by the same rule
//! as JSON.
//!
//! # Per-invocation context
//!
//! `lambda_runtime` opens a span named [`INVOKE_SPAN_NAME`] (`"Lambda runtime
//! invoke"`) around each invocation, with fields [`REQUEST_ID_FIELD`]
//! (`requestId`), [`TRACE_HEADER_FIELD`] (`xrayTraceId`, the whole trace header)
//! and [`TENANT_ID_FIELD`] (`tenantId`). The logger reads them when the span opens
//! and adds them to every event logged inside it, on any thread, as long as the
//! work runs in that span (a `tokio::spawn`ed task needs `.in_current_span()`).
//!
//! `cold_start`: the first invocation span the process opens is the cold one; an
//! event is cold if it is logged inside a span carrying that request id, or
//! outside every invocation before the first one opened (init). Every later
//! invocation, and anything logged between invocations, is warm.
//!
//! # Secrets
//!
//! Wrap secrets in `ferrule_sensitive::Sensitive`: logged with `?` or `%` they
//! print `***`.

mod bounds;
mod config;
mod error;
mod format;
mod layer;

pub use bounds::{is_sensitive, MAX_LINE_BYTES, MAX_VALUE_BYTES, REDACTED};
pub use config::{
    LogFormat, LoggerConfig, FUNCTION_NAME_VAR, FUNCTION_VERSION_VAR, LOG_FORMAT_VAR,
    LOG_LEVEL_VAR, POWERTOOLS_SERVICE_NAME_VAR, RUST_LOG_VAR, SERVICE_NAME_VAR, UNDEFINED_SERVICE,
};
pub use error::LoggerError;
pub use layer::{INVOKE_SPAN_NAME, REQUEST_ID_FIELD, TENANT_ID_FIELD, TRACE_HEADER_FIELD};

/// Installs the process-wide subscriber configured from Lambda's environment
/// ([`LoggerConfig::from_env`]), writing to stdout.
///
/// Call it once, first thing in `main`, before anything logs.
///
/// # Errors
/// - [`LoggerError::InvalidFormat`], [`LoggerError::InvalidLevel`],
///   [`LoggerError::InvalidFilter`]: a variable holds a value it cannot use.
/// - [`LoggerError::AlreadyInitialized`]: a global subscriber is already
///   installed (a second call, or another initialiser). Never panics.
///
/// ```no_run
/// fn main() -> Result<(), ferrule_logger::LoggerError> {
///     ferrule_logger::init()?;
///     tracing::info!(items = 3, "ready");
///     assert!(matches!(
///         ferrule_logger::init(),
///         Err(ferrule_logger::LoggerError::AlreadyInitialized)
///     ));
///     Ok(())
/// }
/// ```
pub fn init() -> Result<(), LoggerError> {
    init_with(LoggerConfig::from_env()?)
}

/// Installs the process-wide subscriber described by `config`.
///
/// # Errors
/// [`LoggerError::AlreadyInitialized`] if a global subscriber is already
/// installed. Never panics.
///
/// ```
/// use ferrule_logger::{LogFormat, LoggerConfig};
///
/// let config = LoggerConfig::new()
///     .format(LogFormat::Json)
///     .level(tracing::Level::DEBUG)
///     .service("orders")
///     .writer(std::io::stderr);
/// ferrule_logger::init_with(config)?;
/// tracing::debug!(order_id = 42, "loaded");
/// # Ok::<(), ferrule_logger::LoggerError>(())
/// ```
pub fn init_with<W>(config: LoggerConfig<W>) -> Result<(), LoggerError>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    tracing::subscriber::set_global_default(config.into_subscriber())
        .map_err(|_| LoggerError::AlreadyInitialized)?;
    log_panics();
    Ok(())
}

/// A panic becomes one log line in the configured format (level ERROR, its message and where it
/// happened) instead of the default hook's two lines of plain text on stderr. The invocation
/// still fails (or answers 500) as before: only how the panic is written changes.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("non-string panic payload");
        let location = info
            .location()
            .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()))
            .unwrap_or_default();
        tracing::error!(panic = message, location, "panicked");
    }));
}
